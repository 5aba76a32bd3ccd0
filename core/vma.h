/* vma.h: one virtual memory area, as every source describes it. */
#ifndef PTV_VMA_H
#define PTV_VMA_H

#include <stddef.h>
#include <stdint.h>

struct ptv_error;

enum ptv_backing {
	PTV_BACKING_ANON,
	PTV_BACKING_FILE,
	PTV_BACKING_SHMEM,	/* memfd, SysV shm, shared anon, tmpfs files */
	PTV_BACKING_HEAP,
	PTV_BACKING_STACK,
	PTV_BACKING_VDSO,
	PTV_BACKING_VVAR,
	PTV_BACKING_OTHER,	/* [vsyscall], [uprobes], other special maps */
};

struct ptv_vma {
	uint64_t start, end;	/* [start, end) */
	char perms[5];		/* "rw-p" */
	uint64_t pgoff;		/* in pages, as vm_pgoff */
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	enum ptv_backing backing;
	char *path;		/* owned; NULL for anonymous memory */
	/* Kernel objects, from memory images only (0 when unknown). */
	uint64_t kaddr;		/* struct vm_area_struct */
	uint64_t flags;		/* vm_flags */
	uint64_t anon_vma, file;
};

/* "anon", "file", "shmem", ... as the records print it. */
const char *ptv_backing_name(enum ptv_backing b);

/* Whether the kernel counts the pages of this VMA in Rss: special
 * VM_PFNMAP mappings (vvar) map no struct pages, so smaps leaves them out
 * (vm_normal_page() returns NULL for them). */
int ptv_vma_has_normal_pages(const struct ptv_vma *vma);

struct ptv_vma_list {
	struct ptv_vma *v;
	size_t n, cap;
};

void ptv_vma_list_init(struct ptv_vma_list *l);
void ptv_vma_list_deinit(struct ptv_vma_list *l);

/* Parse /proc/PID/maps text.  name is used in error messages ("file:line:
 * reason").  Appends to list; on error the list holds what was parsed. */
struct ptv_error *ptv_maps_parse(const char *text, size_t len,
				 const char *name, struct ptv_vma_list *list);

#endif /* PTV_VMA_H */
