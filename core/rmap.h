/* rmap.h: who maps a frame — the kernel's reverse maps in a memory image,
 * each answer checked against the page tables.
 *
 * Anonymous folios: folio->mapping points at the anon_vma (tag 1), whose
 * interval tree of anon_vma_chains leads to every VMA that may map the
 * folio (rmap_walk_anon()).  Page cache: the address_space's i_mmap tree of
 * VMAs (rmap_walk_file()).  KSM: the stable node's rmap_items (tag 3).  The
 * address in a VMA follows vma_address(): vm_start + (pgoff - vm_pgoff)
 * pages, when pgoff falls inside the VMA.  Each mapping is then verified by
 * walking that mm's page tables to the address.
 */
#ifndef PTV_RMAP_H
#define PTV_RMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/page.h"

struct ptv_error;
struct ptv_kernel;
struct ptv_rmap_ctx;

enum ptv_rmap_via {
	PTV_RMAP_NONE,		/* not mapped through an rmap (no mapping) */
	PTV_RMAP_ANON,
	PTV_RMAP_FILE,
	PTV_RMAP_KSM,
	PTV_RMAP_MOVABLE,	/* non-LRU movable pages: no user mappings */
	PTV_RMAP_PAGEMAP,	/* live: found by scanning pagemaps */
};

struct ptv_rmap_mapping {
	int pid;		/* 0 when no task has this mm */
	char comm[17];
	uint64_t mm, vma, vma_start;
	uint64_t vaddr;
	bool verified;		/* the page tables map the frame there */
	enum ptv_level level;	/* of the entry found (verified or not) */
	uint64_t raw;
	enum ptv_page_state state;	/* what the page tables hold there */
	uint64_t found_pfn;	/* what they map, when present */
};

struct ptv_rmap {
	uint64_t pfn, head_pfn;
	enum ptv_rmap_via via;
	uint64_t mapping;	/* the raw mapping word of the folio */
	uint64_t pgoff;		/* the page's offset in its mapping */
	int mapcount;		/* the page's own: _mapcount + 1 */
	int entire_mapcount;	/* a large folio's PMD mappings */
	bool large;
	size_t n, cap;
	struct ptv_rmap_mapping *v;
};

/* Look up the layouts and index the tasks by mm once.  Owned by the caller
 * (ptv_rmap_ctx_destroy()). */
struct ptv_error *ptv_rmap_ctx_create(struct ptv_kernel *k,
				      struct ptv_rmap_ctx **ret);
void ptv_rmap_ctx_destroy(struct ptv_rmap_ctx *c);

/* Every mapping of frame pfn.  *ret is filled; release with
 * ptv_rmap_deinit(). */
struct ptv_error *ptv_rmap_pfn(struct ptv_rmap_ctx *c, uint64_t pfn,
			       struct ptv_rmap *ret);
void ptv_rmap_deinit(struct ptv_rmap *r);

const char *ptv_rmap_via_name(enum ptv_rmap_via via);

/* The struct page layout and zero pages the context looked up, for
 * callers that need them too.  Valid while c lives. */
struct ptv_kpage_info;
const struct ptv_kpage_info *ptv_rmap_ctx_kpage(const struct ptv_rmap_ctx *c);

/* The top-level page table of an mm (physical), for callers that walk. */
struct ptv_error *ptv_rmap_mm_pgd(struct ptv_rmap_ctx *c, uint64_t mm,
				  uint64_t *pgd_phys_ret);

#endif /* PTV_RMAP_H */
