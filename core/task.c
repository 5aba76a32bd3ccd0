/* task.c: tasks and mm_structs in a memory image.
 *
 * Tasks: init_task.tasks links the thread-group leaders (list_add_tail_rcu
 * in copy_process(), unchanged since v2.6).  mm counters: rss_stat is an
 * array of atomic_long_t in struct mm_rss_stat up to v6.1 and of struct
 * percpu_counter since v6.2 (commit f1a7941243c1); we read what
 * /proc/PID/status reads in each.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/addrset.h"
#include "core/kernel.h"
#include "core/task.h"
#include "core/types.h"

#define MAX_TASKS (1u << 22)

/* Read member (dotted path) of the struct type at base as an unsigned
 * integer of its own size. */
static struct ptv_error *field(struct ptv_kernel *k, uint64_t base,
			       const char *type, const char *member,
			       uint64_t *ret)
{
	struct ptv_member m;
	struct ptv_error *err = ptv_types_member(k->types, type, member, &m);
	if (err)
		return err;
	if (m.bit_size || !m.size || m.size > 8)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s.%s is not a plain integer or pointer",
					type, member);
	return ptv_kernel_read_uint(k, base + m.offset, (size_t)m.size, ret);
}

static struct ptv_error *read_task(struct ptv_kernel *k, uint64_t addr,
				   struct ptv_task *t)
{
	uint64_t pid, tgid, mm;
	struct ptv_member comm;
	struct ptv_error *err;
	memset(t, 0, sizeof(*t));
	t->addr = addr;
	if ((err = field(k, addr, "task_struct", "pid", &pid)) ||
	    (err = field(k, addr, "task_struct", "tgid", &tgid)) ||
	    (err = field(k, addr, "task_struct", "mm", &mm)) ||
	    (err = ptv_types_member(k->types, "task_struct", "comm", &comm)))
		return ptv_error_prefix(err, "task_struct at 0x%" PRIx64, addr);
	size_t n = comm.size && comm.size < sizeof(t->comm) ?
		   (size_t)comm.size : sizeof(t->comm) - 1;
	if ((err = ptv_kernel_read(k, addr + comm.offset, t->comm, n)))
		return ptv_error_prefix(err, "task_struct at 0x%" PRIx64, addr);
	t->comm[n] = '\0';
	t->pid = (int)(int32_t)pid;
	t->tgid = (int)(int32_t)tgid;
	t->mm = mm;
	return NULL;
}

struct ptv_error *ptv_task_foreach(struct ptv_kernel *k,
				   int (*fn)(void *arg,
					     const struct ptv_task *t),
				   void *arg)
{
	uint64_t init_task, tasks_off;
	struct ptv_error *err = ptv_kernel_symbol(k, "init_task", &init_task);
	if (!err)
		err = ptv_kernel_offsetof(k, "task_struct", "tasks", &tasks_off);
	if (err)
		return err;
	struct ptv_addr_set seen = { 0 };
	uint64_t cur = init_task;
	for (unsigned n = 0;; n++) {
		if (n >= MAX_TASKS) {
			err = ptv_error_create(PTV_ERR_FORMAT,
				"the task list does not return to init_task "
				"after %u tasks: it is damaged", n);
			break;
		}
		struct ptv_task t;
		if ((err = read_task(k, cur, &t)))
			break;
		if (fn(arg, &t))
			break;
		uint64_t next;
		if ((err = ptv_kernel_read_u64(k, cur + tasks_off, &next))) {
			err = ptv_error_prefix(err, "following task_struct.tasks "
					       "of pid %d", t.pid);
			break;
		}
		cur = next - tasks_off;
		if (cur == init_task)
			break;
		int r = ptv_addr_set_add(&seen, cur);
		if (r < 0) {
			err = ptv_enomem;
			break;
		}
		if (r) {
			err = ptv_error_create(PTV_ERR_FORMAT,
				"the task list loops at task_struct 0x%" PRIx64
				" (after pid %d) without returning to init_task",
				cur, t.pid);
			break;
		}
	}
	ptv_addr_set_deinit(&seen);
	return err;
}

struct find_arg {
	int pid;
	struct ptv_task *ret;
	int found;
};

static int find_fn(void *arg, const struct ptv_task *t)
{
	struct find_arg *f = arg;
	if (t->pid == f->pid) {
		*f->ret = *t;
		f->found = 1;
		return 1;
	}
	return 0;
}

struct ptv_error *ptv_task_find(struct ptv_kernel *k, int pid,
				struct ptv_task *ret)
{
	struct ptv_task t;
	struct find_arg f = { pid, &t, 0 };
	struct ptv_error *err = ptv_task_foreach(k, find_fn, &f);
	if (err)
		return err;
	if (!f.found)
		return ptv_error_create(PTV_ERR_NO_SUCH_TASK,
					"no process with pid %d in the dump", pid);
	*ret = t;
	return NULL;
}

struct task_list {
	struct ptv_task *v;
	size_t n, cap;
	int oom;
};

static int list_fn(void *arg, const struct ptv_task *t)
{
	struct task_list *l = arg;
	if (!t->mm)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct ptv_task *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->oom = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
	return 0;
}

struct ptv_error *ptv_task_list(struct ptv_kernel *k,
				struct ptv_task **tasks_ret, size_t *n_ret)
{
	struct task_list l = { 0 };
	struct ptv_error *err = ptv_task_foreach(k, list_fn, &l);
	if (!err && l.oom)
		err = ptv_enomem;
	if (err) {
		free(l.v);
		return err;
	}
	*tasks_ret = l.v;
	*n_ret = l.n;
	return NULL;
}

struct ptv_error *ptv_task_walk(struct ptv_kernel *k, int pid, uint64_t vaddr,
				struct ptv_task *task_ret,
				struct ptv_walk_step *steps, unsigned *n_ret,
				struct ptv_page *page_ret)
{
	struct ptv_task t;
	struct ptv_mm mm;
	struct ptv_error *err = ptv_task_find(k, pid, &t);
	if (!err && !t.mm)
		err = ptv_error_create(PTV_ERR_NO_SUCH_TASK,
			"pid %d is a kernel thread: no user page tables", pid);
	if (!err)
		err = ptv_mm_read(k, t.mm, &mm);
	if (!err)
		err = ptv_kernel_walk(k, mm.pgd_phys, vaddr, steps, n_ret,
				      page_ret);
	if (!err)
		*task_ret = t;
	return err;
}

/* Add the per-cpu deltas of mm->rss_stat[idx] (a struct percpu_counter) to
 * *v, as percpu_counter_sum() does: s32 counters at counters +
 * __per_cpu_offset[cpu] for every cpu below nr_cpu_ids. */
static struct ptv_error *add_percpu(struct ptv_kernel *k, uint64_t mm, int idx,
				    uint64_t *v)
{
	char path[64];
	uint64_t counters, offsets, ncpus;
	snprintf(path, sizeof(path), "rss_stat[%d].counters", idx);
	struct ptv_error *err = field(k, mm, "mm_struct", path, &counters);
	uint64_t a;
	if (!err)
		err = ptv_kernel_symbol(k, "nr_cpu_ids", &a);
	if (!err)
		err = ptv_kernel_read_uint(k, a, 4, &ncpus);
	if (!err)
		err = ptv_kernel_symbol(k, "__per_cpu_offset", &offsets);
	if (err)
		return ptv_error_prefix(err, "per-cpu rss counters");
	if (ncpus > 8192)
		return ptv_error_create(PTV_ERR_FORMAT,
					"nr_cpu_ids %" PRIu64 " is implausible",
					ncpus);
	int64_t sum = (int64_t)*v;
	for (uint64_t cpu = 0; cpu < ncpus; cpu++) {
		uint64_t off, d;
		if ((err = ptv_kernel_read_u64(k, offsets + cpu * 8, &off)) ||
		    (err = ptv_kernel_read_uint(k, counters + off, 4, &d)))
			return ptv_error_prefix(err, "per-cpu rss counter of cpu %"
						PRIu64, cpu);
		sum += (int32_t)d;
	}
	*v = (uint64_t)sum;
	return NULL;
}

/* One mm counter: atomic_long_t count[i] (<= 6.1) or percpu_counter
 * rss_stat[i] (6.2+), whose count is what get_mm_counter() returns. */
static struct ptv_error *rss_counter(struct ptv_kernel *k, uint64_t mm,
				     const char *name, uint64_t *ret)
{
	int64_t idx;
	struct ptv_error *err = ptv_types_enum_value(k->types, NULL, name, &idx);
	if (err)
		return err;
	char path[64];
	uint64_t v;
	if (ptv_types_has_member(k->types, "mm_struct", "rss_stat.count")) {
		snprintf(path, sizeof(path), "rss_stat.count[%d]", (int)idx);
		err = field(k, mm, "mm_struct", path, &v);
	} else {
		snprintf(path, sizeof(path), "rss_stat[%d].count", (int)idx);
		err = field(k, mm, "mm_struct", path, &v);
		/* Since v6.16 (commit 82241a83cd15) /proc/PID/status sums
		 * the per-cpu parts (get_mm_counter_sum()); before, it showed
		 * the shared count alone. */
		if (!err && (k->major > 6 || (k->major == 6 && k->minor >= 16)))
			err = add_percpu(k, mm, (int)idx, &v);
	}
	if (err)
		return err;
	/* Counters may dip below zero transiently; status clamps to 0. */
	*ret = (int64_t)v < 0 ? 0 : v;
	return NULL;
}

struct ptv_error *ptv_mm_read(struct ptv_kernel *k, uint64_t mm,
			      struct ptv_mm *ret)
{
	struct ptv_mm m;
	memset(&m, 0, sizeof(m));
	m.addr = mm;
	struct ptv_error *err;
	if ((err = field(k, mm, "mm_struct", "pgd", &m.pgd)) ||
	    (err = ptv_kernel_vtop(k, m.pgd, &m.pgd_phys)) ||
	    (err = rss_counter(k, mm, "MM_FILEPAGES", &m.file_pages)) ||
	    (err = rss_counter(k, mm, "MM_ANONPAGES", &m.anon_pages)) ||
	    (err = rss_counter(k, mm, "MM_SWAPENTS", &m.swap_entries)) ||
	    (err = field(k, mm, "mm_struct", "start_brk", &m.start_brk)) ||
	    (err = field(k, mm, "mm_struct", "brk", &m.brk)) ||
	    (err = field(k, mm, "mm_struct", "start_stack", &m.start_stack)) ||
	    (err = field(k, mm, "mm_struct", "map_count", &m.map_count)))
		return ptv_error_prefix(err, "mm_struct at 0x%" PRIx64, mm);
	/* MM_SHMEMPAGES since v4.5; pgtables_bytes since v4.16 (CONFIG_MMU) */
	err = rss_counter(k, mm, "MM_SHMEMPAGES", &m.shmem_pages);
	ptv_error_destroy(err);
	err = field(k, mm, "mm_struct", "pgtables_bytes", &m.pgtables_bytes);
	ptv_error_destroy(err);
	*ret = m;
	return NULL;
}
