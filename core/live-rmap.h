/* live-rmap.h: a reverse map of a live system built from pagemaps.
 *
 * Without /proc/kcore the kernel's rmap cannot be read, but every process's
 * pagemap says which frame each of its pages maps.  Scanning them once gives
 * PFN -> (pid, address) for every mapping a readable process has; the
 * frame's /proc/kpagecount is the check that none was missed.  Needs root
 * (the kernel hides PFNs otherwise).
 */
#ifndef PTV_LIVE_RMAP_H
#define PTV_LIVE_RMAP_H

#include <stddef.h>
#include <stdint.h>

struct ptv_error;
struct ptv_live_rmap;

struct ptv_live_mapping {
	uint64_t pfn;
	uint64_t vaddr;
	int pid;
	unsigned pmd : 1;	/* mapped by a PMD (PAGEMAP_SCAN) */
};

/* Scan pids[0..npids), or every process when npids is 0.  Processes that
 * vanish or cannot be read are skipped.  PTV_ERR_PERM when PFNs are
 * hidden.  The caller owns *ret (ptv_live_rmap_destroy()). */
struct ptv_error *ptv_live_rmap_build(const int *pids, size_t npids,
				      struct ptv_live_rmap **ret);
void ptv_live_rmap_destroy(struct ptv_live_rmap *r);

/* The mappings of pfn: *first_ret points into the map, *n_ret of them. */
void ptv_live_rmap_lookup(const struct ptv_live_rmap *r, uint64_t pfn,
			  const struct ptv_live_mapping **first_ret,
			  size_t *n_ret);

/* The frame pid maps at vaddr, if the scan found one (1), else 0. */
int ptv_live_rmap_at(const struct ptv_live_rmap *r, int pid, uint64_t vaddr,
		     uint64_t *pfn_ret);

/* The command name of a scanned pid ("" when unknown). */
const char *ptv_live_rmap_comm(const struct ptv_live_rmap *r, int pid);

/* Processes scanned and mappings found. */
size_t ptv_live_rmap_tasks(const struct ptv_live_rmap *r);
size_t ptv_live_rmap_size(const struct ptv_live_rmap *r);

#endif /* PTV_LIVE_RMAP_H */
