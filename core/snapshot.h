/* snapshot.h: a live process's address space, saved for `ptview replay
 * --from FILE.ptsnap` (the .ptsnap format, man/ptview-snapshot.5).
 *
 * A snapshot holds what the replay model starts from: the VMAs with their
 * backing and VmFlags, every present or swapped page with its PFN and the
 * frame's /proc/kpageflags and /proc/kpagecount words, the mm sysfs
 * settings, the task's counters, and one property of the kernel no sysfs
 * file shows (whether an anonymous read fault maps the zero page).
 *
 * The reader treats a file as untrusted: every count and length is bounded
 * (PTV_SNAP_MAX_*) and checked against the bytes that hold it, checksums
 * are verified, and every error names the file, the byte offset and the
 * reason.  A small file never makes the reader allocate much more than the
 * pages it can describe (see PTV_SNAP_PAGES_PER_BYTE).
 *
 * Differences from the first sketch of this API, and why:
 * - ptv_snap_page.mapcount is uint32_t: /proc/kpagecount reports the
 *   kernel's page mapcount, an int (atomic_t _mapcount); the narrower field
 *   keeps struct ptv_snap_page at 48 bytes, 480 MB for 10 million pages.
 * - ptv_snap_page.folio_order was added: the order of the large folio the
 *   frame belongs to (0: a small page), which the model cannot rebuild
 *   when only part of a folio is mapped.
 * - taken is int64_t seconds since the Epoch (UTC), fixed-width like every
 *   other field.
 */
#ifndef PTV_SNAPSHOT_H
#define PTV_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ptv_error;

/* The format version this code writes and the only one it reads.  It
 * changes when a field changes meaning or the page encoding changes;
 * appending fields to the META or VMA records, or adding sections, does
 * not change it (readers skip what they do not know). */
#define PTV_SNAP_VERSION 1u

/* Limits: the reader refuses larger values with an error. */
#define PTV_SNAP_MAX_FILE (UINT64_C(4) << 30)	/* bytes in a file */
#define PTV_SNAP_MAX_VMAS (1u << 22)
#define PTV_SNAP_MAX_PATH 4096u			/* bytes in a VMA's path */
#define PTV_SNAP_MAX_PAGES (UINT64_C(1) << 26)	/* 64 Mi pages: 256 GiB */
/* A run of identical pages costs a few bytes whatever its length, so a
 * small file could describe a huge number of pages.  The reader accepts at
 * most PTV_SNAP_PAGES_BASE pages plus PTV_SNAP_PAGES_PER_BYTE per byte of
 * the PAGES section: a 2 MiB THP or 1 GiB of contiguous frames (a few
 * bytes each) fits easily, a 100-byte file asking for 10^9 pages does not. */
#define PTV_SNAP_PAGES_BASE (UINT64_C(1) << 20)
#define PTV_SNAP_PAGES_PER_BYTE UINT64_C(65536)

enum ptv_snap_backing {
	PTV_SNAP_ANON,		/* private anonymous memory, [heap], [anon:x] */
	PTV_SNAP_SHMEM,		/* memfd, SysV shm, shared anon, tmpfs files */
	PTV_SNAP_FILE,		/* any other file */
	PTV_SNAP_SPECIAL,	/* [stack], [vdso], [vvar], [vsyscall], ... */
};

/* VmFlags of /proc/PID/smaps (fs/proc/task_mmu.c show_smap_vma_flags()),
 * the ones the replay model cares about.  Bit positions are part of the
 * file format: never renumber, only append. */
enum {
	PTV_SNAP_VM_HUGEPAGE = 1u << 0,		/* hg */
	PTV_SNAP_VM_NOHUGEPAGE = 1u << 1,	/* nh */
	PTV_SNAP_VM_LOCKED = 1u << 2,		/* lo */
	PTV_SNAP_VM_LOCKONFAULT = 1u << 3,	/* lf */
	PTV_SNAP_VM_DONTCOPY = 1u << 4,		/* dc */
	PTV_SNAP_VM_WIPEONFORK = 1u << 5,	/* wf */
	PTV_SNAP_VM_DONTDUMP = 1u << 6,		/* dd */
	PTV_SNAP_VM_ACCOUNT = 1u << 7,		/* ac */
	PTV_SNAP_VM_NORESERVE = 1u << 8,	/* nr */
	PTV_SNAP_VM_SOFTDIRTY = 1u << 9,	/* sd */
	PTV_SNAP_VM_MIXEDMAP = 1u << 10,	/* mm */
	PTV_SNAP_VM_PFNMAP = 1u << 11,		/* pf */
	PTV_SNAP_VM_IO = 1u << 12,		/* io */
	PTV_SNAP_VM_DONTEXPAND = 1u << 13,	/* de */
	PTV_SNAP_VM_MERGEABLE = 1u << 14,	/* mg (KSM) */
	PTV_SNAP_VM_UFFD_MISSING = 1u << 15,	/* um */
	PTV_SNAP_VM_UFFD_WP = 1u << 16,		/* uw */
	PTV_SNAP_VM_UFFD_MINOR = 1u << 17,	/* ui */
	PTV_SNAP_VM_GROWSDOWN = 1u << 18,	/* gd */
	PTV_SNAP_VM_HUGETLB = 1u << 19,		/* ht */
	PTV_SNAP_VM_MAYSHARE = 1u << 20,	/* ms */
	PTV_SNAP_VM_SEALED = 1u << 21,		/* sl */
	PTV_SNAP_VM_DROPPABLE = 1u << 22,	/* dp */
	PTV_SNAP_VM_SEQ_READ = 1u << 23,	/* sr */
	PTV_SNAP_VM_RAND_READ = 1u << 24,	/* rr */
};

/* The two-letter smaps name of VmFlags bit i (0 <= i < 32), or NULL. */
const char *ptv_snap_vmflag_name(unsigned i);

struct ptv_snap_vma {
	uint64_t start, end;	/* [start, end), page-aligned */
	uint64_t pgoff;		/* in pages, as vm_pgoff */
	unsigned prot;		/* PTV_PROT_R/W/X (core/trace.h) */
	bool shared;		/* 's' in the maps permissions */
	enum ptv_snap_backing backing;
	char *path;		/* owned; NULL for unnamed anonymous memory */
	uint64_t dev, ino;	/* makedev(major, minor) and inode from maps */
	uint32_t vmflags;	/* PTV_SNAP_VM_* */
	/* Best knowledge whether the VMA has an anon_vma: smaps Anonymous
	 * above 0, or an anonymous or (private) swapped page in it. */
	bool anon_vma;
};

enum {
	PTV_SNAP_PRESENT = 1,
	PTV_SNAP_SWAP = 2,
};

struct ptv_snap_page {
	uint64_t addr;
	uint64_t pfn;		/* present pages */
	uint64_t kflags;	/* present: the raw /proc/kpageflags word */
	uint64_t swap_off;	/* swap pages */
	uint32_t mapcount;	/* present: /proc/kpagecount */
	uint32_t swap_type;	/* swap pages */
	uint8_t state;		/* PTV_SNAP_PRESENT or PTV_SNAP_SWAP */
	uint8_t folio_order;	/* present: 0, or its large folio's order */
	bool exclusive;		/* PM_MMAP_EXCLUSIVE */
	bool pmd;		/* PAGEMAP_SCAN PAGE_IS_HUGE: mapped by a PMD */
	bool zero, hzero;	/* the shared zero page, the huge zero page */
	bool soft_dirty, uffd_wp;
};

struct ptv_snap_settings {
	/* The selected word of each sysfs file ("always", "madvise", ...);
	 * "" when the file is absent. */
	char thp[16], thp_defrag[32], shmem_enabled[24];
	int use_zero_page;	/* 0, 1; -1 unknown */
	int max_ptes_none, max_ptes_swap, max_ptes_shared;	/* -1 unknown */
	uint32_t pages_to_scan;		/* 0 unknown */
	uint64_t fault_around_bytes;	/* 0 unknown (debugfs not mounted) */
	/* mthp[i]: hugepages-(8 << i)kB/enabled, i.e. 8K, 16K, ... 2M for
	 * i = 0..8; always|inherit|madvise|never, "" when absent. */
	char mthp[16][16];
};

struct ptv_snap_counters {
	/* /proc/PID/status RssAnon, RssFile, RssShmem, VmSwap, VmPTE,
	 * VmLck in kB; -1 unknown. */
	int64_t rss_anon_kb, rss_file_kb, rss_shmem_kb, swap_kb, pgtables_kb,
		vm_locked_kb;
	/* /proc/PID/stat minflt and majflt. */
	uint64_t minflt, majflt;
};

struct ptv_snapshot {
	uint32_t version;	/* of the file read; PTV_SNAP_VERSION taken */
	char kernel[65];	/* uname -r */
	char machine[65];	/* uname -m */
	uint64_t page_size;
	int pid;
	char comm[17];
	int64_t taken;		/* seconds since the Epoch */
	struct ptv_snap_settings settings;
	/* Whether a read fault on private anonymous memory maps the shared
	 * zero page on this kernel (spec/trace.md): 1, 0, or -1 unknown.
	 * Probed in ptview itself: one read-faulted page, its kpageflags. */
	int zero_page_maps;
	struct ptv_snap_counters counters;
	struct ptv_snap_vma *vmas;	/* owned; sorted, not overlapping */
	size_t nvmas;
	/* owned; sorted by addr, each inside a VMA; pages that are neither
	 * present nor swapped are not stored */
	struct ptv_snap_page *pages;
	size_t npages;
};

/* Take a snapshot of process pid (0: ptview itself).  Needs root: without
 * CAP_SYS_ADMIN the kernel hides PFNs and /proc/kpageflags, and the error
 * is PTV_ERR_PERM.  PTV_ERR_NO_SUCH_TASK when the process does not exist
 * or exits meanwhile.  The process keeps running: pages are read in one
 * pass, VMA by VMA.  The caller owns *ret (ptv_snapshot_destroy()). */
struct ptv_error *ptv_snapshot_take(pid_t pid, struct ptv_snapshot **ret);

/* Write s to path atomically: a temporary file in the same directory,
 * fsync, then rename over path.  The file is created mode 0600 since PFNs
 * are privileged information.  s must satisfy what the reader checks
 * (sorted VMAs, pages sorted and inside them); otherwise PTV_ERR_USAGE and
 * nothing is written. */
struct ptv_error *ptv_snapshot_write(const struct ptv_snapshot *s,
				     const char *path);

/* Encode s into a malloc'd buffer the caller frees (tests, fuzzers). */
struct ptv_error *ptv_snapshot_encode(const struct ptv_snapshot *s,
				      void **buf_ret, size_t *len_ret);

/* Read a snapshot file (opened read-only).  Errors name path and the byte
 * offset: "FILE: offset N: reason".  The caller owns *ret. */
struct ptv_error *ptv_snapshot_read(const char *path,
				    struct ptv_snapshot **ret);

/* The same from len bytes at buf; name is used in error messages.  buf is
 * not kept. */
struct ptv_error *ptv_snapshot_parse(const void *buf, size_t len,
				     const char *name,
				     struct ptv_snapshot **ret);

/* Recompute the checksums of an encoded snapshot in place, so that tests
 * and fuzzers can damage a field on purpose and still reach the checks
 * behind the checksums.  Does nothing to a buffer whose header and section
 * table are not readable. */
void ptv_snapshot_fix_crcs(void *buf, size_t len);

void ptv_snapshot_destroy(struct ptv_snapshot *s);

/* Take a snapshot of process pid from a memory image (a crash dump or
 * kcore) instead of /proc: ko names the image and its types and symbols
 * (core/kernel.h).  The VMAs and their vm_flags and anon_vma come from the
 * kernel's own structures, the pages from a walk of the task's page tables,
 * kpageflags and kpagecount from the struct pages (the bits a struct page
 * tells: see snapshot-core.c).  What a dump does not hold stays unknown:
 * the settings ("" / -1), minflt and majflt (0); zero_page_maps is 1 (every
 * upstream kernel maps the zero page on an anonymous read fault).  Errors
 * from opening the image as they are (PTV_ERR_FORMAT for a damaged file,
 * PTV_ERR_OS for a missing one); PTV_ERR_NO_SUCH_TASK when the image has no
 * such process with an address space.  The caller owns *ret. */
struct ptv_kernel_opts;
struct ptv_error *ptv_snapshot_take_core(const struct ptv_kernel_opts *ko,
					 int pid, struct ptv_snapshot **ret);

/* ---- Shared by the snapshot takers (snapshot-take.c, snapshot-core.c) ---- */

struct ptv_page;
struct ptv_vma_list;

/* A growing array of pages; v is owned by whoever holds the vector. */
struct ptv_snap_page_vec {
	struct ptv_snap_page *v;
	size_t n, cap;
};

/* Append *p; an error beyond PTV_SNAP_MAX_PAGES pages or out of memory. */
struct ptv_error *ptv_snap_page_vec_push(struct ptv_snap_page_vec *pv,
					  const struct ptv_snap_page *p);

/* Convert one page record (core/page.h): state, PFN or swap entry, level,
 * zero pages, kpageflags and kpagecount when p has them.  False for pages
 * a snapshot does not store (neither present nor swapped). */
bool ptv_snap_page_from(const struct ptv_page *p, struct ptv_snap_page *o);

/* Fill s->vmas and s->nvmas from list (vmflags and anon_vma left 0). */
struct ptv_error *ptv_snapshot_copy_vmas(const struct ptv_vma_list *list,
					 struct ptv_snapshot *s);

#endif /* PTV_SNAPSHOT_H */
