/* live.h: a running process read through /proc (the live source).
 *
 * Reads /proc/PID/maps for the VMAs, /proc/PID/pagemap for the entries (in
 * large chunks), the PAGEMAP_SCAN ioctl where the kernel has it (6.7+:
 * PMD-mapped pages and the zero pages), and /proc/kpageflags and
 * /proc/kpagecount for the frames when readable (root).  Pages come out as
 * struct ptv_page, the schema every source shares.
 */
#ifndef PTV_LIVE_H
#define PTV_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/vma.h"

struct ptv_error;
struct ptv_page;
struct ptv_live;
struct ptv_summary;

/* Largest n that ptv_live_read() takes in one call. */
#define PTV_LIVE_CHUNK 8192

/* ptv_live_read() flags. */
enum {
	/* Look up each present page's frame: kpageflags, kpagecount, folio
	 * order.  Without it only pagemap and PAGEMAP_SCAN are read, which is
	 * all a summary needs. */
	PTV_LIVE_FRAMES = 1u << 0,
};

/* /proc/PID/status figures, in kB. */
struct ptv_live_status {
	uint64_t rss_anon_kb, rss_file_kb, rss_shmem_kb, swap_kb, pgtables_kb;
};

/* Open process pid (0: the calling process) and read its VMAs.  Errors:
 * PTV_ERR_NO_SUCH_TASK when it does not exist, PTV_ERR_PERM when it may not
 * be read.  The caller owns *ret and releases it with ptv_live_destroy(). */
struct ptv_error *ptv_live_create(int pid, struct ptv_live **ret);
void ptv_live_destroy(struct ptv_live *l);

int ptv_live_pid(const struct ptv_live *l);
const char *ptv_live_comm(const struct ptv_live *l);
const struct ptv_vma_list *ptv_live_vmas(const struct ptv_live *l);

/* Read /proc/PID/status now. */
struct ptv_error *ptv_live_status(struct ptv_live *l,
				  struct ptv_live_status *ret);

/* Fill pages[0..n) for the n pages from addr, which lie inside vma.
 * n <= PTV_LIVE_CHUNK.  Errors name the file and offset; a process that
 * exits meanwhile gives PTV_ERR_NO_SUCH_TASK. */
struct ptv_error *ptv_live_read(struct ptv_live *l, const struct ptv_vma *vma,
				uint64_t addr, size_t n, unsigned flags,
				struct ptv_page *pages);

/* The next extent [*lo_ret, *hi_ret) at or after addr, below hi, that may
 * hold present or swapped pages; everything in [addr, *lo_ret) is empty.
 * *lo_ret == hi when nothing follows.  With PAGEMAP_SCAN the kernel skips
 * unpopulated page tables, so sparse terabyte-sized VMAs cost little;
 * without it the whole range is returned. */
struct ptv_error *ptv_live_next_populated(struct ptv_live *l, uint64_t addr,
					  uint64_t hi, uint64_t *lo_ret,
					  uint64_t *hi_ret);

/* Add the pages of [lo, hi) inside vma to sum, as fast as the kernel
 * allows: with PAGEMAP_SCAN the kernel reports ranges of pages with equal
 * categories and skips holes, so no per-page entry is copied; without it,
 * pagemap page by page.  Same counting rules as ptv_live_read() followed
 * by ptv_summary_add_page(). */
struct ptv_error *ptv_live_summarize(struct ptv_live *l,
				     const struct ptv_vma *vma, uint64_t lo,
				     uint64_t hi, struct ptv_summary *sum);

/* What the reads so far could see: false when the kernel hid PFNs (no
 * CAP_SYS_ADMIN), when /proc/kpageflags was unreadable, or when the kernel
 * has no PAGEMAP_SCAN. */
bool ptv_live_pfns_hidden(const struct ptv_live *l);
bool ptv_live_frames_readable(const struct ptv_live *l);
bool ptv_live_has_scan(const struct ptv_live *l);

/* Is addr of pid mapped to the shared zero page?  1 yes, 0 no, -1 cannot
 * tell (no PAGEMAP_SCAN, or no such process or page). */
int ptv_live_is_zero_page(int pid, uint64_t addr);

#endif /* PTV_LIVE_H */
