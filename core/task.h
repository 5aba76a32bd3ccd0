/* task.h: processes and their address spaces in a memory image:
 * task_struct, mm_struct and the VMAs, found through the kernel's own
 * type information. */
#ifndef PTV_TASK_H
#define PTV_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "core/vma.h"

struct ptv_error;
struct ptv_kernel;

struct ptv_task {
	uint64_t addr;		/* struct task_struct */
	int pid, tgid;
	char comm[17];
	uint64_t mm;		/* 0: a kernel thread or a zombie */
};

/* mm counters as /proc/PID/status shows them, in pages unless noted. */
struct ptv_mm {
	uint64_t addr;
	uint64_t pgd, pgd_phys;
	uint64_t file_pages, anon_pages, swap_entries, shmem_pages;
	uint64_t pgtables_bytes;
	uint64_t start_brk, brk, start_stack;
	uint64_t map_count;
};

/* Call fn for each thread-group leader on init_task's task list, in list
 * order; fn returns nonzero to stop.  The walk is bounded and a list that
 * does not come back to init_task is an error naming where it broke. */
struct ptv_error *ptv_task_foreach(struct ptv_kernel *k,
				   int (*fn)(void *arg,
					     const struct ptv_task *t),
				   void *arg);

/* The task with this pid (a thread-group leader); PTV_ERR_NO_SUCH_TASK
 * when there is none. */
struct ptv_error *ptv_task_find(struct ptv_kernel *k, int pid,
				struct ptv_task *ret);

/* Every thread-group leader that has an address space, in list order:
 * *tasks_ret (owned by the caller, free()) and *n_ret. */
struct ptv_error *ptv_task_list(struct ptv_kernel *k,
				struct ptv_task **tasks_ret, size_t *n_ret);

/* The walk for vaddr in process pid's page tables (ptv_walk_one()), and
 * the task found. */
struct ptv_walk_step;
struct ptv_page;
struct ptv_error *ptv_task_walk(struct ptv_kernel *k, int pid, uint64_t vaddr,
				struct ptv_task *task_ret,
				struct ptv_walk_step *steps, unsigned *n_ret,
				struct ptv_page *page_ret);

struct ptv_error *ptv_mm_read(struct ptv_kernel *k, uint64_t mm,
			      struct ptv_mm *ret);

/* The mm's VMAs in address order: the maple tree (Linux 6.1+) or the
 * mmap list (before).  Appends to list. */
struct ptv_error *ptv_mm_vmas(struct ptv_kernel *k, const struct ptv_mm *mm,
			      struct ptv_vma_list *list);

#endif /* PTV_TASK_H */
