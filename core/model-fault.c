/* model-fault.c: the page-fault path, handle_mm_fault() and below
 * (mm/memory.c, mm/huge_memory.c, mm/shmem.c, mm/filemap.c, mm/swap_state.c;
 * 6.18 unless a comment says otherwise, the 6.1 differences as profile
 * flags, see m_profile() in model.c).
 *
 * Each handler leaves an outcome (m_note) naming the kernel function that
 * decided and what it did.
 */
#include <stdlib.h>
#include <string.h>

#include "core/model.h"

struct vmf {
	struct mm *mm;
	struct mvma *v;
	uint64_t addr;		/* page aligned */
	bool write, gup;
	struct mpmd_ent *pe;
	struct mpte *pt;
	uint64_t *pte;
};

static unsigned pte_idx(uint64_t a) { return (unsigned)(a >> 12) & 511u; }

/* thp_vma_allowable_orders() for one order: the sysfs masks (per-size
 * always / inherit / madvise / never under the top-level setting), the
 * VMA's hints, and thp_vma_suitable_order() left to the caller.  forced:
 * MADV_COLLAPSE (TVA_FORCED_COLLAPSE), which ignores sysfs. */
bool m_thp_allowed(const struct model *m, const struct mvma *v,
		   unsigned order, bool forced)
{
	if (v->flags & MV_NOHUGEPAGE)
		return false;
	if (!m_vma_is_anon(v))
		return forced && order == M_PMD_ORDER;
	if (forced)
		return order == M_PMD_ORDER;
	if (order == 0 || order > M_PMD_ORDER || !m->cfg.mthp_known[order])
		return false;
	if (order != M_PMD_ORDER && !m->cfg.mthp_anon)
		return false;
	bool hint = v->flags & MV_HUGEPAGE;
	switch (m->cfg.mthp[order]) {
	case M_THP_ALWAYS:
		return true;
	case M_THP_MADVISE:
		return hint;
	case M_THP_INHERIT:
		return m->cfg.thp == M_THP_ALWAYS ||
		       (hint && m->cfg.thp == M_THP_MADVISE);
	default:
		return false;
	}
}

/* thp_vma_suitable_order(): the aligned range lies inside the VMA. */
static bool suitable_order(const struct mvma *v, uint64_t addr, unsigned order)
{
	uint64_t size = (uint64_t)M_PAGE << order;
	uint64_t h = addr & ~(size - 1);
	if (h < v->start || h + size > v->end)
		return false;
	if (v->obj && (m_vma_index(v, h) & ((1u << order) - 1)))
		return false;
	return true;
}

/* ---- page-cache side: shmem_get_folio_gfp(SGP_CACHE) -------------------- */

/* The folio holding index idx of o, reading it in from swap or allocating
 * it for a hole.  *major is set for a swap-in (shmem_swapin_folio). */
static struct mfolio *shmem_get_folio(struct model *m, struct mobj *o,
				      uint64_t idx, bool *major)
{
	struct mslot *s = &o->pc[idx];
	if (s->folio)
		return m_folio(m, s->folio);
	struct mfolio *f = NULL;
	if (s->swap) {
		/* shmem_swapin_folio(): from the swap cache (readahead,
		 * willneed), else read: a major fault */
		struct mswap *sw = &m->swap[s->swap];
		f = m_folio(m, sw->cache);
		if (f) {
			sw->cache = 0;
			f->swapcache = false;
			f->kind = M_CACHE;
		} else {
			*major = true;
			if (!(f = m_folio_new(m, M_CACHE, 0)))
				return NULL;
			f->data[0] = sw->data;
		}
		m_swap_put(m, s->swap);
		s->swap = 0;
	} else if (!(f = m_folio_new(m, M_CACHE, 0))) {
		return NULL;
	}
	f->shmem = o->shmem;
	f->obj = o;
	f->index = idx;
	s->folio = f->id;
	return f;
}

/* The page of page-cache folio f at index idx. */
static unsigned cache_page(const struct mfolio *f, uint64_t idx)
{
	return (unsigned)(idx - f->index);
}

static void set_pte(struct vmf *vf, uint64_t addr, struct mfolio *f,
		    unsigned pg, bool write)
{
	uint64_t *e = &vf->pt->e[pte_idx(addr)];
	*e = MPTE_MKPRESENT(f->id, pg, write ? MPTE_WRITE | MPTE_DIRTY : 0);
	if (f->kind != M_ZERO)
		m_map_page(NULL, f, pg);
}

/* The PTE a fault maps for a page-cache page: set_pte_range() with the
 * VMA's vm_page_prot.  A shared mapping of tmpfs/shmem needs no write
 * notification (no page_mkwrite, no dirty accounting), so its read faults
 * map the page writable; a private one maps it read-only (COW). */
static bool cache_pte_writable(const struct mvma *v)
{
	return (v->prot & PTV_PROT_W) && v->shared;
}

/* filemap_map_pages(): map the page-cache pages of [from, to] (indices)
 * that are present and uptodate, where the PTE is none.  Returns true
 * when the faulting address got mapped (VM_FAULT_NOPAGE). */
static bool filemap_map_pages(struct model *m, struct vmf *vf, uint64_t from,
			      uint64_t to)
{
	struct mvma *v = vf->v;
	struct mobj *o = v->obj;
	if (!o->npages)
		return false;
	if (to > o->npages - 1)
		to = o->npages - 1;
	bool hit = false;
	unsigned mapped = 0;
	for (uint64_t i = from; i <= to && i < o->npages; i++) {
		struct mfolio *f = m_folio(m, o->pc[i].folio);
		if (!f)
			continue;	/* a hole or a swap entry */
		uint64_t addr = v->start + (i - v->pgoff) * M_PAGE;
		if (!vf->pt) {
			/* pmd_install of the pre-allocated table */
			vf->pt = m_pte_alloc(m, vf->mm, vf->addr);
			if (!vf->pt)
				return false;
		}
		if (vf->pt->e[pte_idx(addr)])
			continue;
		set_pte(vf, addr, f, cache_page(f, i),
			cache_pte_writable(v));
		mapped++;
		if (addr == vf->addr)
			hit = true;
	}
	if (mapped)
		m_note(m, "filemap_map_pages", "fault-around mapped cached pages",
		       v->start + (from - v->pgoff) * M_PAGE,
		       (to - from + 1) * M_PAGE);
	return hit;
}

/* do_fault_around(): the window of fault_around_pages PTEs, aligned, that
 * holds the fault, clipped to the VMA and to the PTE table. */
static bool do_fault_around(struct model *m, struct vmf *vf)
{
	uint64_t nr = m->cfg.fault_around_pages;
	uint64_t pte_off = pte_idx(vf->addr);
	uint64_t vma_off = (vf->addr - vf->v->start) / M_PAGE;
	uint64_t vma_pages = (vf->v->end - vf->v->start) / M_PAGE;
	uint64_t from = pte_off - (pte_off < vma_off ? pte_off : vma_off);
	uint64_t aligned = pte_off & ~(nr - 1);
	if (aligned > from)
		from = aligned;
	uint64_t to = from + nr;
	if (to > M_PTRS)
		to = M_PTRS;
	if (to > pte_off + vma_pages - vma_off)
		to = pte_off + vma_pages - vma_off;
	to--;
	uint64_t pgoff = m_vma_index(vf->v, vf->addr);
	return filemap_map_pages(m, vf, pgoff + from - pte_off,
				 pgoff + to - pte_off);
}

/* do_read_fault(): fault-around first, then __do_fault + finish_fault. */
static int do_read_fault(struct model *m, struct vmf *vf)
{
	if (m->cfg.fault_around_pages > 1 && do_fault_around(m, vf)) {
		m_note(m, "do_read_fault", "mapped by fault-around", vf->addr,
		       M_PAGE);
		return MF_OK;
	}
	bool major = false;
	uint64_t idx = m_vma_index(vf->v, vf->addr);
	struct mfolio *f = shmem_get_folio(m, vf->v->obj, idx, &major);
	if (!f)
		return MF_SIGBUS;
	if (!vf->pt && !(vf->pt = m_pte_alloc(m, vf->mm, vf->addr)))
		return MF_SIGBUS;
	set_pte(vf, vf->addr, f, cache_page(f, idx),
		cache_pte_writable(vf->v));
	m_note(m, "do_read_fault", major ? "page-cache page read from swap" :
	       "page-cache page mapped", vf->addr, M_PAGE);
	return major ? MF_MAJOR : MF_OK;
}

/* Allocate an order-0 anonymous page, exclusive, for addr. */
static struct mfolio *new_anon_page(struct model *m, struct vmf *vf)
{
	struct mfolio *f = m_folio_new(m, M_ANON, 0);
	if (!f)
		return NULL;
	f->vaddr = vf->addr;
	return f;
}

static void map_new_anon(struct vmf *vf, uint64_t addr, struct mfolio *f,
			 unsigned pg)
{
	f->excl[pg] = 1;
	set_pte(vf, addr, f, pg, vf->v->prot & PTV_PROT_W);
}

/* do_cow_fault(): a write to a private file/shmem page not yet mapped:
 * the page-cache page is found or made (__do_fault), copied into a new
 * anonymous page, which is mapped. */
static int do_cow_fault(struct model *m, struct vmf *vf)
{
	vf->v->anon_vma = true;		/* vmf_anon_prepare */
	bool major = false;
	uint64_t idx = m_vma_index(vf->v, vf->addr);
	struct mfolio *src = shmem_get_folio(m, vf->v->obj, idx, &major);
	struct mfolio *f = src ? new_anon_page(m, vf) : NULL;
	if (!f)
		return MF_SIGBUS;
	if (!vf->pt && !(vf->pt = m_pte_alloc(m, vf->mm, vf->addr)))
		return MF_SIGBUS;
	f->data[0] = src->data[cache_page(src, idx)];
	map_new_anon(vf, vf->addr, f, 0);
	m_note(m, "do_cow_fault", "copied the page-cache page into a new "
	       "anonymous page", vf->addr, M_PAGE);
	return major ? MF_MAJOR : MF_OK;
}

/* do_shared_fault(): a write to a shared mapping: the page-cache page,
 * mapped writable (tmpfs has no page_mkwrite). */
static int do_shared_fault(struct model *m, struct vmf *vf)
{
	bool major = false;
	uint64_t idx = m_vma_index(vf->v, vf->addr);
	struct mfolio *f = shmem_get_folio(m, vf->v->obj, idx, &major);
	if (!f)
		return MF_SIGBUS;
	if (!vf->pt && !(vf->pt = m_pte_alloc(m, vf->mm, vf->addr)))
		return MF_SIGBUS;
	set_pte(vf, vf->addr, f, cache_page(f, idx), true);
	m_note(m, "do_shared_fault", "page-cache page mapped writable",
	       vf->addr, M_PAGE);
	return major ? MF_MAJOR : MF_OK;
}

/* do_fault(). */
static int do_fault(struct model *m, struct vmf *vf)
{
	if (m_vma_index(vf->v, vf->addr) >= vf->v->obj->npages)
		return MF_SIGBUS;	/* beyond EOF: shmem_fault's SIGBUS */
	if (!vf->write)
		return do_read_fault(m, vf);
	if (!vf->v->shared)
		return do_cow_fault(m, vf);
	return do_shared_fault(m, vf);
}

/* alloc_anon_folio(): the largest enabled mTHP order whose aligned range
 * fits the VMA and has only none PTEs; else order 0. */
static unsigned anon_folio_order(struct model *m, struct vmf *vf)
{
	for (unsigned order = M_PMD_ORDER - 1; order > 0; order--) {
		if (!m_thp_allowed(m, vf->v, order, false) ||
		    !suitable_order(vf->v, vf->addr, order))
			continue;
		uint64_t nr = UINT64_C(1) << order;
		uint64_t a = vf->addr & ~(nr * M_PAGE - 1);
		bool none = true;
		for (uint64_t i = 0; i < nr && none; i++)
			none = !vf->pt->e[pte_idx(a) + i];
		if (none)
			return order;
	}
	return 0;
}

/* do_anonymous_page(). */
static int do_anonymous_page(struct model *m, struct vmf *vf)
{
	if (vf->v->shared)
		return MF_SIGBUS;
	if (!vf->pt && !(vf->pt = m_pte_alloc(m, vf->mm, vf->addr)))
		return MF_SIGBUS;
	if (!vf->write && m->cfg.zero_page_maps) {
		set_pte(vf, vf->addr, m_folio(m, m->zero), 0, false);
		m_note(m, "do_anonymous_page", "read: the shared zero page",
		       vf->addr, M_PAGE);
		return MF_OK;
	}
	vf->v->anon_vma = true;		/* vmf_anon_prepare */
	unsigned order = anon_folio_order(m, vf);
	struct mfolio *f = m_folio_new(m, M_ANON, order);
	if (!f)
		return MF_SIGBUS;
	uint64_t nr = UINT64_C(1) << order;
	uint64_t a = vf->addr & ~(nr * M_PAGE - 1);
	f->vaddr = a;
	for (unsigned i = 0; i < nr; i++)
		map_new_anon(vf, a + i * M_PAGE, f, i);
	m_note(m, "do_anonymous_page", order ? "new multi-size THP, mapped "
	       "by PTEs" : "new anonymous page", a, nr * M_PAGE);
	return MF_OK;
}

/* wp_page_copy(): a new exclusive anonymous page replaces the mapping
 * (a zeroed one for the zero page). */
static int wp_page_copy(struct model *m, struct vmf *vf, struct mfolio *old,
			unsigned pg, const char *why)
{
	vf->v->anon_vma = true;
	struct mfolio *f = new_anon_page(m, vf);
	if (!f)
		return MF_SIGBUS;
	*vf->pte = 0;
	if (old) {
		f->data[0] = old->data[pg];
		m_unmap_page(m, old, pg);
	}
	map_new_anon(vf, vf->addr, f, 0);
	m_note(m, "do_wp_page", why, vf->addr, M_PAGE);
	return MF_OK;
}

/* wp_can_reuse_anon_folio() (6.18; __wp_can_reuse_large_anon_folio for
 * large folios): reuse when nobody else holds a reference, after the swap
 * cache's own reference is dropped where that is possible. */
static bool wp_can_reuse_anon_folio(struct model *m, struct vmf *vf,
				    struct mfolio *f, unsigned pg)
{
	if (f->order) {
		/* 6.1-6.12: a page of a large folio is reused only when
		 * AnonExclusive (page_count() > 1 in do_wp_page) */
		if (!m->cfg.large_wp_reuse)
			return false;
		unsigned here = 0;
		uint64_t nr = UINT64_C(1) << f->order;
		uint64_t a = f->vaddr;
		for (uint64_t i = 0; i < nr; i++) {
			uint64_t *e = m_pte_lookup(vf->mm, a + i * M_PAGE);
			here += e && MPTE_TYPE(*e) == MPTE_PRESENT &&
				MPTE_ID(*e) == f->id;
		}
		if (m_folio_mapped_elsewhere(m, vf->pt, f, here))
			return false;
		return m_folio_refs(f) - (f->swapcache ? nr : 0) <= f->total;
	}
	if (m_page_shared(m, vf->pt, f, pg) || f->pincount)
		return false;
	if (f->swapcache) {
		/* folio_free_swap(): only when no swap entry still refers to
		 * it */
		if (m->swap[f->swap].count)
			return false;
		m->swap[f->swap].cache = 0;
		f->swapcache = false;
	}
	return m_folio_refs(f) == 1;
}

/* do_wp_page(): a write to a present, write-protected PTE. */
static int do_wp_page(struct model *m, struct vmf *vf)
{
	uint64_t e = *vf->pte;
	struct mfolio *f = m_folio(m, MPTE_ID(e));
	unsigned pg = MPTE_PAGE(e);
	if (vf->v->shared) {
		/* wp_page_shared(): tmpfs needs no page_mkwrite */
		*vf->pte |= MPTE_WRITE | MPTE_DIRTY;
		m_note(m, "do_wp_page", "shared mapping: made writable "
		       "(wp_page_shared)", vf->addr, M_PAGE);
		return MF_OK;
	}
	if (f && f->kind == M_ANON &&
	    (f->excl[pg] || wp_can_reuse_anon_folio(m, vf, f, pg))) {
		bool was = f->excl[pg];
		f->excl[pg] = 1;
		*vf->pte |= MPTE_WRITE | MPTE_DIRTY;
		m_note(m, "do_wp_page", was ? "reuse: page AnonExclusive" :
		       "reuse: folio exclusive, no other reference "
		       "(wp_can_reuse_anon_folio)", vf->addr, M_PAGE);
		return MF_OK;
	}
	if (!f || f->kind == M_ZERO)
		return wp_page_copy(m, vf, NULL, 0, "copy: the zero page "
				    "replaced by a new zeroed page");
	return wp_page_copy(m, vf, f, pg, f->kind == M_ANON ?
			    "copy: the page is shared" :
			    "copy: private copy of a page-cache page");
}

/* ---- swap-in ------------------------------------------------------------- */

/* __swapin_nr_pages(): the readahead window after hits readahead hits,
 * the previous fault at prev. */
static unsigned swapin_nr_pages(uint64_t prev, uint64_t cur, unsigned hits,
				unsigned max, unsigned prev_win)
{
	unsigned pages = hits + 2;
	if (pages == 2) {
		if (cur != prev + 1 && cur + 1 != prev)
			pages = 1;
	} else {
		unsigned up = 4;
		while (up < pages)
			up <<= 1;
		pages = up;
	}
	if (pages > max)
		pages = max;
	if (pages < prev_win / 2)
		pages = prev_win / 2;
	return pages;
}

/* swap_vma_readahead() + swap_vma_ra_win(): the faulting page and the
 * swap entries of its window (VMA and PTE table clipped) are read into the
 * swap cache; the others are marked readahead.  A VMA's first window is
 * the largest (1 << page-cluster), centred on the fault: what 6.18 does
 * (seen with replay --live). */
static struct mfolio *swap_vma_readahead(struct model *m, struct vmf *vf)
{
	struct mvma *v = vf->v;
	unsigned max = 1u << (m->cfg.page_cluster < 5 ? m->cfg.page_cluster : 5);
	unsigned win = max;
	uint64_t fa = vf->addr;
	if (v->ra_valid)
		win = swapin_nr_pages(v->ra_addr / M_PAGE, fa / M_PAGE,
				      v->ra_hits, max, v->ra_win);
	uint64_t prev = v->ra_addr;
	bool valid = v->ra_valid;
	v->ra_valid = true;
	v->ra_addr = fa;
	v->ra_win = win;
	v->ra_hits = 0;
	struct mfolio *f = m_folio_new(m, M_ANON, 0);
	if (!f || win <= 1)
		return f;
	uint64_t left;
	if (valid && fa == prev + M_PAGE)
		left = fa;
	else if (valid && prev == fa + M_PAGE)
		left = fa - (uint64_t)win * M_PAGE + M_PAGE;
	else
		left = fa - (uint64_t)((win - 1) / 2) * M_PAGE;
	uint64_t right = left + (uint64_t)win * M_PAGE;
	uint64_t pmd = fa & ~(M_PMD_SIZE - 1);
	if (left > fa)		/* wrapped below zero */
		left = 0;
	if (left < v->start)
		left = v->start;
	if (left < pmd)
		left = pmd;
	if (right > v->end)
		right = v->end;
	if (right > pmd + M_PMD_SIZE)
		right = pmd + M_PMD_SIZE;
	unsigned n = 0;
	for (uint64_t a = left; a < right; a += M_PAGE) {
		uint64_t e = vf->pt->e[pte_idx(a)];
		if (a == fa || MPTE_TYPE(e) != MPTE_SWAP)
			continue;
		struct mswap *s = &m->swap[MPTE_ID(e)];
		if (s->cache)
			continue;
		struct mfolio *r = m_folio_new(m, M_ANON, 0);
		if (!r)
			break;
		r->vaddr = a;
		r->swapcache = true;
		r->readahead = true;
		r->swap = MPTE_ID(e);
		r->data[0] = s->data;
		s->cache = r->id;
		n++;
	}
	if (n)
		m_note(m, "swap_vma_readahead", "neighbouring swap entries read "
		       "into the swap cache", left, right - left);
	return f;
}

/* do_swap_page() for the entry at vf->pte.  fault: a real fault (false for
 * khugepaged's swap-in, which counts no fault). */
static int do_swap_page(struct model *m, struct vmf *vf)
{
	uint64_t e = *vf->pte;
	uint32_t slot = MPTE_ID(e);
	struct mswap *s = &m->swap[slot];
	struct mfolio *f = m_folio(m, s->cache);
	int ret = MF_OK;
	bool fresh = false;
	vf->v->anon_vma = true;
	if (f && f->readahead) {
		/* swap_cache_get_folio(): a readahead hit */
		f->readahead = false;
		struct mvma *v = vf->v;
		if (v->ra_hits < 255)
			v->ra_hits++;
		v->ra_addr = vf->addr;
		v->ra_valid = true;
	}
	if (!f) {
		/* Not in the swap cache: read it.  A synchronous device
		 * (zram) with one reference skips the swap cache; else
		 * swap_vma_readahead() reads the window around it too. */
		if (s->count == 1 && m->cfg.swapin_skip_cache) {
			f = m_folio_new(m, M_ANON, 0);
			fresh = true;
		} else {
			f = swap_vma_readahead(m, vf);
		}
		if (!f)
			return MF_SIGBUS;
		f->vaddr = vf->addr;
		f->data[0] = s->data;
		ret = MF_MAJOR;
		if (!fresh) {
			f->swapcache = true;
			f->swap = slot;
			s->cache = f->id;
		}
	}
	bool exclusive = fresh || (e & MPTE_SWP_EXCL);
	/* map first, then swap_free_nr(): the PTE's reference to the slot
	 * goes; a slot nobody refers to any more leaves the swap cache */
	*vf->pte = MPTE_MKPRESENT(f->id, 0, 0);
	m_map_page(m, f, 0);
	m_swap_put(m, slot);
	if (f->swapcache && vf->write && !m->swap[f->swap].count) {
		/* should_try_to_free_swap() */
		m->swap[f->swap].cache = 0;
		f->swapcache = false;
	}
	if (!exclusive && f->total == 1 && !f->swapcache && !f->pincount)
		exclusive = true;	/* folio_ref_count() == 1 */
	f->excl[0] = exclusive;
	/* 6.18 maps an exclusive page writable even on a read fault; 6.1
	 * only on a write fault (a later write then faults again) */
	if (exclusive && (vf->v->prot & PTV_PROT_W) &&
	    (vf->write || m->cfg.swapin_read_writable))
		*vf->pte |= MPTE_WRITE;
	m_note(m, "do_swap_page", ret == MF_MAJOR ?
	       (fresh ? "read from swap, swap cache skipped" :
		"read from swap into the swap cache") :
	       "found in the swap cache", vf->addr, M_PAGE);
	if (vf->write && !(*vf->pte & MPTE_WRITE))
		ret |= do_wp_page(m, vf);
	return ret;
}

/* A swap-in that is not a fault of the task's (collapse's
 * __collapse_huge_page_swapin, which counts none); returns the MF_* flags. */
int m_swapin_page(struct model *m, struct mm *mm, struct mvma *v,
		  uint64_t addr, bool write)
{
	struct vmf vf = { .mm = mm, .v = v, .addr = addr, .write = write };
	vf.pe = m_pmd_lookup(mm, addr);
	if (!vf.pe || vf.pe->type != MPMD_TABLE)
		return MF_OK;
	vf.pt = m_pte_own(m, vf.pe);
	if (!vf.pt)
		return MF_SIGBUS;
	vf.pte = &vf.pt->e[pte_idx(addr)];
	if (MPTE_TYPE(*vf.pte) != MPTE_SWAP)
		return MF_OK;
	return do_swap_page(m, &vf);
}

/* ---- PMD level ----------------------------------------------------------- */

/* __split_huge_pmd(): the PMD mapping becomes a PTE table (the deposited
 * one for anon, a new one for page cache) mapping the same pages; the huge
 * zero page becomes zero-page PTEs.  The folio stays large. */
void m_split_huge_pmd(struct model *m, struct mm *mm, struct mvma *v,
		      uint64_t addr)
{
	(void)v;
	struct mpmd_ent *pe = m_pmd_lookup(mm, addr);
	if (!pe || pe->type != MPMD_HUGE)
		return;
	struct mfolio *f = m_folio(m, pe->folio);
	struct mpte *pt = calloc(1, sizeof(*pt));
	if (!pt) {
		m->oom = true;
		return;
	}
	pt->users = 1;
	uint64_t base = addr & ~(M_PMD_SIZE - 1);
	for (unsigned i = 0; i < M_PTRS; i++) {
		if (f->kind == M_HZERO) {
			pt->e[i] = MPTE_MKPRESENT(m->zero, 0, 0);
			continue;
		}
		pt->e[i] = MPTE_MKPRESENT(f->id, i, pe->write ?
					  MPTE_WRITE | MPTE_DIRTY : 0);
		m_map_page(m, f, i);
	}
	if (f->kind != M_HZERO) {
		f->entire--;
		f->total--;
	}
	pe->type = MPMD_TABLE;
	pe->pt = pt;
	pe->folio = 0;
	pe->deposit = false;
	m_note(m, "__split_huge_pmd", "PMD mapping split into PTEs", base,
	       M_PMD_SIZE);
}

/* do_huge_pmd_anonymous_page(): the huge zero page on a read (when
 * use_zero_page), else a new PMD-sized THP. */
static int do_huge_pmd_anonymous_page(struct model *m, struct vmf *vf)
{
	uint64_t h = vf->addr & ~(M_PMD_SIZE - 1);
	vf->v->anon_vma = true;		/* vmf_anon_prepare */
	if (!vf->write && m->cfg.zero_page_maps && m->cfg.use_zero_page) {
		m_pmd_set_huge(m, vf->pe, m_folio(m, m->hzero),
			       false, true);
		m_note(m, "do_huge_pmd_anonymous_page", "read: the huge zero "
		       "page", h, M_PMD_SIZE);
		return MF_OK;
	}
	struct mfolio *f = m_folio_new(m, M_ANON, M_PMD_ORDER);
	if (!f)
		return MF_SIGBUS;
	f->vaddr = h;
	memset(f->excl, 1, M_PTRS);
	m_pmd_set_huge(m, vf->pe, f, vf->v->prot & PTV_PROT_W,
		       true);
	m_note(m, "do_huge_pmd_anonymous_page", "new PMD-mapped THP", h,
	       M_PMD_SIZE);
	return MF_OK;
}

/* do_huge_pmd_wp_page(): a write to a write-protected PMD mapping. */
static int do_huge_pmd_wp_page(struct model *m, struct vmf *vf)
{
	uint64_t h = vf->addr & ~(M_PMD_SIZE - 1);
	struct mfolio *f = m_folio(m, vf->pe->folio);
	if (f->kind == M_HZERO) {
		if (m->cfg.huge_zero_wp_alloc) {
			/* do_huge_zero_wp_pmd() (6.8+): a new THP replaces
			 * the huge zero page */
			struct mfolio *n = m_folio_new(m, M_ANON, M_PMD_ORDER);
			if (!n)
				return MF_SIGBUS;
			n->vaddr = h;
			memset(n->excl, 1, M_PTRS);
			vf->pe->folio = n->id;
			vf->pe->write = vf->v->prot & PTV_PROT_W;
			n->entire++;
			n->total++;
			m_note(m, "do_huge_zero_wp_pmd", "new THP replaces the "
			       "huge zero page", h, M_PMD_SIZE);
			return MF_OK;
		}
		/* 6.1: split, then the PTE fault copies one page */
		m_split_huge_pmd(m, vf->mm, vf->v, vf->addr);
		return -1;
	}
	if (f->kind == M_ANON && !vf->v->shared) {
		bool reuse = f->excl[pte_idx(vf->addr)];
		if (!reuse && !f->pincount && f->total == 1 && !f->swapcache) {
			reuse = true;
		}
		if (reuse) {
			memset(f->excl, 1, M_PTRS);
			vf->pe->write = true;
			m_note(m, "do_huge_pmd_wp_page", "reuse: THP "
			       "exclusive", h, M_PMD_SIZE);
			return MF_OK;
		}
	}
	/* fallback: split the PMD, the PTE-level fault decides */
	m_split_huge_pmd(m, vf->mm, vf->v, vf->addr);
	return -1;
}

/* ---- handle_mm_fault ----------------------------------------------------- */

static bool access_ok(const struct mvma *v, bool write)
{
	if (write)
		return v->prot & PTV_PROT_W;
	return v->prot & (PTV_PROT_R | PTV_PROT_W | PTV_PROT_X);
}

/* One access of addr by mm: whether it faults at all, and the fault.
 * Returns MF_NOFAULT when the mapping already allows the access, else
 * MF_OK / MF_MAJOR, or MF_SIGSEGV / MF_SIGBUS.  gup: a fault taken by
 * GUP for populate, mlock or pin (FOLL_WRITE is write). */
int m_handle_mm_fault(struct model *m, struct mm *mm, uint64_t addr,
		      bool write, bool gup)
{
	addr &= ~(uint64_t)(M_PAGE - 1);
	struct vmf vf = { .mm = mm, .addr = addr, .write = write, .gup = gup };
	vf.v = m_vma_find(mm, addr);
	if (!vf.v || !access_ok(vf.v, write))
		return MF_SIGSEGV;
	vf.pe = m_pmd_lookup(mm, addr);
	/* no fault when the present mapping allows the access */
	if (vf.pe && vf.pe->type == MPMD_HUGE) {
		if (!write || vf.pe->write)
			return MF_NOFAULT;
	} else if (vf.pe && vf.pe->type == MPMD_TABLE) {
		uint64_t e = vf.pe->pt->e[pte_idx(addr)];
		if (MPTE_TYPE(e) == MPTE_PRESENT &&
		    (!write || ((e & MPTE_WRITE) && !vf.pe->pt->fork_pending)))
			return MF_NOFAULT;
	}
	/* __handle_mm_fault */
	if (!(vf.pe = m_pmd_alloc(m, mm, addr)))
		return MF_SIGBUS;
	if (vf.pe->type == MPMD_NONE && m_vma_is_anon(vf.v) &&
	    m_thp_allowed(m, vf.v, M_PMD_ORDER, false) &&
	    suitable_order(vf.v, addr, M_PMD_ORDER))
		return do_huge_pmd_anonymous_page(m, &vf);
	if (vf.pe->type == MPMD_HUGE) {
		int r = do_huge_pmd_wp_page(m, &vf);
		if (r >= 0)
			return r;
	}
	/* handle_pte_fault */
	if (!(vf.pt = m_pte_alloc(m, mm, addr)))
		return MF_SIGBUS;
	vf.pte = &vf.pt->e[pte_idx(addr)];
	switch (MPTE_TYPE(*vf.pte)) {
	case MPTE_NONE:
		if (m_vma_is_anon(vf.v))
			return do_anonymous_page(m, &vf);
		return do_fault(m, &vf);
	case MPTE_SWAP:
		return do_swap_page(m, &vf);
	default:
		if (write && !(*vf.pte & MPTE_WRITE))
			return do_wp_page(m, &vf);
		return MF_OK;	/* spurious: the fork effects made it so */
	}
}
