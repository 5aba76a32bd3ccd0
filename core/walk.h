/* walk.h: walk a process's page tables in a memory image, arch-neutrally.
 *
 * The walker visits the tables under a top-level table (the mm's pgd) for a
 * virtual range, decodes each entry with the architecture's callbacks and
 * reports what it finds as ranges of pages: an empty entry at any level is
 * one range of `none` pages, a huge leaf one range of present pages with
 * advancing PFNs, a PTE one page.  Tables it cannot read become `excluded`
 * (left out of a filtered dump) or `unreadable` ranges, never zeros.
 */
#ifndef PTV_WALK_H
#define PTV_WALK_H

#include <stdint.h>

#include "core/arch.h"
#include "core/page.h"

struct ptv_error;

/* Read len bytes of one table at physical address phys into buf.  Errors
 * with code PTV_ERR_EXCLUDED mark the range excluded; any other error marks
 * it unreadable and the walk goes on. */
typedef struct ptv_error *(*ptv_read_phys_fn)(void *arg, uint64_t phys,
					      void *buf, size_t len);

struct ptv_walk_ops {
	/* n pages from first->vaddr that equal *first except that vaddr
	 * advances by a page and pfn by one (within a huge leaf, or
	 * along PTEs of contiguous frames) or not at all (first->pfn_same:
	 * PTEs mapping one frame).  Neighbouring leaves with equal bits are reported as one
	 * range.  Nonzero stops the walk. */
	int (*pages)(void *arg, const struct ptv_page *first, uint64_t n);
	/* A table was read: its level, physical address, the first virtual
	 * address it maps, and its entries.  May be NULL. */
	int (*table)(void *arg, enum ptv_level level, uint64_t phys,
		     uint64_t vaddr, const uint64_t *entries, unsigned n);
};

struct ptv_walk {
	const struct ptv_arch *arch;
	const struct ptv_arch_params *params;
	ptv_read_phys_fn read_phys;
	void *read_arg;
	const struct ptv_walk_ops *ops;
	void *ops_arg;
	uint64_t max_tables;	/* bound on tables read; 0: 1 << 24 */
	/* Counters, added to by every walk. */
	uint64_t tables[5];	/* tables read, by enum ptv_level */
	uint64_t bad_entries;	/* impossible entries met */
	/* The last table-read failure, for messages. */
	char last_error[160];
};

/* Walk [lo, hi) under the top-level table at top_phys.  Returns an error
 * only when the walk cannot go on (the bound was hit); damaged entries and
 * unreadable tables are reported as page ranges. */
struct ptv_error *ptv_walk_range(struct ptv_walk *w, uint64_t top_phys,
				 uint64_t lo, uint64_t hi);

/* The walk for one address, level by level, as vtop shows it. */
struct ptv_walk_step {
	enum ptv_level level;
	uint64_t table_phys;
	unsigned index;
	uint64_t raw;
	struct ptv_entry entry;
};

/* Fill steps[0..*n_ret) for vaddr and *page_ret with the page found.  A
 * table that cannot be read ends the walk with page state excluded or
 * unreadable.  w->ops is not used and may be NULL. */
struct ptv_error *ptv_walk_one(struct ptv_walk *w, uint64_t top_phys,
			       uint64_t vaddr, struct ptv_walk_step steps[5],
			       unsigned *n_ret, struct ptv_page *page_ret);

#endif /* PTV_WALK_H */
