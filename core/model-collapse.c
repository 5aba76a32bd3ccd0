/* model-collapse.c: THP collapse, mm/khugepaged.c (6.18): madvise_collapse()
 * over each PMD-aligned 2 MiB of the range, hpage_collapse_scan_pmd() +
 * collapse_huge_page() for anonymous memory, hpage_collapse_scan_file() +
 * collapse_file() + retract_page_tables() + collapse_pte_mapped_thp() for
 * shmem and tmpfs files.  The scans take is_khugepaged: khugepaged applies
 * max_ptes_none / max_ptes_swap / max_ptes_shared and wants referenced
 * pages; MADV_COLLAPSE ignores all four, and the sysfs THP settings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"

enum scan {
	SCAN_FAIL,
	SCAN_SUCCEED,
	SCAN_PMD_NULL,
	SCAN_PMD_NONE,
	SCAN_PMD_MAPPED,
	SCAN_EXCEED_NONE_PTE,
	SCAN_EXCEED_SWAP_PTE,
	SCAN_EXCEED_SHARED_PTE,
	SCAN_PTE_NON_PRESENT,
	SCAN_PAGE_RO,
	SCAN_LACK_REFERENCED_PAGE,
	SCAN_PAGE_NULL,
	SCAN_PAGE_COUNT,
	SCAN_PAGE_ANON,
	SCAN_VMA_CHECK,
	SCAN_PTE_MAPPED_HUGEPAGE,
};

static const char *const scan_names[] = {
	"SCAN_FAIL", "SCAN_SUCCEED", "SCAN_PMD_NULL", "SCAN_PMD_NONE",
	"SCAN_PMD_MAPPED", "SCAN_EXCEED_NONE_PTE", "SCAN_EXCEED_SWAP_PTE",
	"SCAN_EXCEED_SHARED_PTE", "SCAN_PTE_NON_PRESENT", "SCAN_PAGE_RO",
	"SCAN_LACK_REFERENCED_PAGE", "SCAN_PAGE_NULL", "SCAN_PAGE_COUNT",
	"SCAN_PAGE_ANON", "SCAN_VMA_CHECK", "SCAN_PTE_MAPPED_HUGEPAGE",
};

struct cc {
	bool is_khugepaged;
};

static unsigned pte_idx(uint64_t a) { return (unsigned)(a >> 12) & 511u; }

/* madvise_collapse_errno() */
static int collapse_errno(enum scan r)
{
	switch (r) {
	case SCAN_EXCEED_NONE_PTE:
		return -EBUSY;
	case SCAN_PAGE_COUNT:
		return -EAGAIN;
	default:
		return -EINVAL;
	}
}

/* collapse_huge_page(): swap in what is swapped (no fault counted), copy
 * into a new THP (zeroes for none and zero-page PTEs), drop the old pages'
 * mappings, deposit the PTE table and map the THP by the PMD. */
static enum scan collapse_huge_page(struct model *m, struct mm *mm,
				    struct mvma *v, uint64_t h,
				    const struct cc *cc)
{
	(void)cc;
	/* hugepage_vma_revalidate(): still a suitable anonymous VMA */
	if (!v->anon_vma || !m_vma_is_anon(v))
		return SCAN_PAGE_ANON;
	struct mpmd_ent *pe = m_pmd_lookup(mm, h);
	for (unsigned i = 0; i < M_PTRS; i++) {
		uint64_t a = h + (uint64_t)i * M_PAGE;
		if (MPTE_TYPE(pe->pt->e[i]) == MPTE_SWAP)
			m_swapin_page(m, mm, v, a, false);
	}
	struct mpte *pt = m_pte_own(m, pe);
	if (!pt)
		return SCAN_FAIL;
	/* __collapse_huge_page_isolate(): the checks again, now that all
	 * pages are in */
	for (unsigned i = 0; i < M_PTRS; i++) {
		uint64_t e = pt->e[i];
		if (MPTE_TYPE(e) != MPTE_PRESENT)
			continue;
		struct mfolio *f = m_folio(m, MPTE_ID(e));
		if (f && f->kind == M_ANON && f->pincount)
			return SCAN_PAGE_COUNT;
	}
	struct mfolio *n = m_folio_new(m, M_ANON, M_PMD_ORDER);
	if (!n)
		return SCAN_FAIL;
	n->vaddr = h;
	memset(n->excl, 1, M_PTRS);
	for (unsigned i = 0; i < M_PTRS; i++) {
		uint64_t e = pt->e[i];
		if (MPTE_TYPE(e) == MPTE_PRESENT) {
			struct mfolio *f = m_folio(m, MPTE_ID(e));
			if (f && f->kind == M_ANON && f->data)
				n->data[i] = f->data[MPTE_PAGE(e)];
		}
		if (e)
			m_zap_pte(m, v, &pt->e[i]);
	}
	free(pt);
	/* the table is deposited: set_pmd_at of the new THP */
	m_pmd_set_huge(m, pe, n, v->prot & PTV_PROT_W, true);
	m_note(m, "collapse_huge_page", "PTEs collapsed into a new PMD-mapped "
	       "THP", h, M_PMD_SIZE);
	return SCAN_SUCCEED;
}

/* hpage_collapse_scan_pmd() */
static enum scan scan_pmd(struct model *m, struct mm *mm, struct mvma *v,
			  uint64_t h, const struct cc *cc)
{
	struct mpmd_ent *pe = m_pmd_lookup(mm, h);
	if (!pe)
		return SCAN_PMD_NULL;	/* find_pmd_or_thp_or_none */
	if (pe->type == MPMD_NONE)
		return SCAN_PMD_NONE;
	if (pe->type == MPMD_HUGE)
		return SCAN_PMD_MAPPED;
	struct mpte *pt = pe->pt;
	unsigned none_or_zero = 0, unmapped = 0, shared = 0, referenced = 0;
	bool writable = false;
	for (unsigned i = 0; i < M_PTRS; i++) {
		uint64_t e = pt->e[i];
		if (MPTE_TYPE(e) == MPTE_SWAP) {
			if (cc->is_khugepaged &&
			    ++unmapped > m->cfg.max_ptes_swap)
				return SCAN_EXCEED_SWAP_PTE;
			unmapped += !cc->is_khugepaged;
			continue;
		}
		struct mfolio *f = e ? m_folio(m, MPTE_ID(e)) : NULL;
		if (!e || (f && f->kind == M_ZERO)) {
			if (cc->is_khugepaged &&
			    ++none_or_zero > m->cfg.max_ptes_none)
				return SCAN_EXCEED_NONE_PTE;
			continue;
		}
		if ((e & MPTE_WRITE) && !pt->fork_pending)
			writable = true;
		if (!f)
			return SCAN_PAGE_NULL;
		if (f->kind != M_ANON)
			return SCAN_PAGE_ANON;
		if (m_folio_mapped_elsewhere(m, pt, f, f->order ?
					     1u << f->order : 1)) {
			if (cc->is_khugepaged &&
			    ++shared > m->cfg.max_ptes_shared)
				return SCAN_EXCEED_SHARED_PTE;
		}
		/* is_refcount_suitable(): no pin, no other holder */
		if (f->pincount)
			return SCAN_PAGE_COUNT;
		referenced++;
	}
	if (!writable && (cc->is_khugepaged || !m->cfg.collapse_ro_ok))
		return SCAN_PAGE_RO;
	if (cc->is_khugepaged &&
	    (!referenced || (unmapped && referenced < M_PTRS / 2)))
		return SCAN_LACK_REFERENCED_PAGE;
	return collapse_huge_page(m, mm, v, h, cc);
}

/* Every mm's PTE for page idx of o, through the VMAs mapping it: call fn. */
static void for_each_mapping(struct model *m, struct mobj *o, uint64_t idx,
			     void (*fn)(struct model *m, struct mm *mm,
					struct mvma *v, uint64_t addr))
{
	for (size_t t = 0; t < PTV_TRACE_MAX_TASKS; t++) {
		struct mm *mm = m->tasks[t].mm;
		if (!mm)
			continue;
		for (size_t i = 0; i < mm->nvmas; i++) {
			struct mvma *v = &mm->vmas[i];
			uint64_t n = (v->end - v->start) / M_PAGE;
			if (v->obj != o || idx < v->pgoff || idx >= v->pgoff + n)
				continue;
			fn(m, mm, v, v->start + (idx - v->pgoff) * M_PAGE);
		}
	}
}

static void unmap_cache_pte(struct model *m, struct mm *mm, struct mvma *v,
			    uint64_t addr)
{
	struct mpmd_ent *pe = m_pmd_lookup(mm, addr);
	if (!pe || pe->type != MPMD_TABLE)
		return;
	uint64_t e = pe->pt->e[pte_idx(addr)];
	if (MPTE_TYPE(e) != MPTE_PRESENT)
		return;
	struct mfolio *f = m_folio(m, MPTE_ID(e));
	if (!f || f->kind != M_CACHE)
		return;
	struct mpte *pt = m_pte_own(m, pe);
	if (pt)
		m_zap_pte(m, v, &pt->e[pte_idx(addr)]);
}

/* collapse_pte_mapped_thp(install_pmd): map the page-cache THP at h by the
 * PMD once the PTE table holds nothing else. */
static enum scan collapse_pte_mapped_thp(struct model *m, struct mm *mm,
					 struct mvma *v, uint64_t h,
					 struct mfolio *thp)
{
	struct mpmd_ent *pe = m_pmd_alloc(m, mm, h);
	if (!pe)
		return SCAN_FAIL;
	if (pe->type == MPMD_HUGE)
		return SCAN_PMD_MAPPED;
	if (pe->type == MPMD_TABLE) {
		struct mpte *pt = m_pte_own(m, pe);
		for (unsigned i = 0; pt && i < M_PTRS; i++) {
			uint64_t e = pt->e[i];
			if (!e)
				continue;
			struct mfolio *f = m_folio(m, MPTE_ID(e));
			if (MPTE_TYPE(e) != MPTE_PRESENT || f != thp ||
			    MPTE_PAGE(e) != i)
				return SCAN_PAGE_ANON;
		}
		for (unsigned i = 0; pt && i < M_PTRS; i++)
			if (pt->e[i])
				m_zap_pte(m, v, &pt->e[i]);
		m_pmd_clear(m, pe);
		pe = m_pmd_alloc(m, mm, h);
	}
	m_pmd_set_huge(m, pe, thp, v->shared && (v->prot & PTV_PROT_W),
		       false);
	m_note(m, "collapse_pte_mapped_thp", "page-cache THP mapped by the "
	       "PMD", h, M_PMD_SIZE);
	return SCAN_SUCCEED;
}

/* retract_page_tables(): VMAs without an anon_vma that map the whole
 * aligned range lose their (now empty) PTE table; they refault by PMD. */
static void retract_page_tables(struct model *m, struct mobj *o,
				uint64_t start)
{
	for (size_t t = 0; t < PTV_TRACE_MAX_TASKS; t++) {
		struct mm *mm = m->tasks[t].mm;
		if (!mm)
			continue;
		for (size_t i = 0; i < mm->nvmas; i++) {
			struct mvma *v = &mm->vmas[i];
			if (v->obj != o || v->anon_vma || start < v->pgoff)
				continue;
			uint64_t a = v->start + (start - v->pgoff) * M_PAGE;
			if ((a & (M_PMD_SIZE - 1)) || a + M_PMD_SIZE > v->end)
				continue;
			struct mpmd_ent *pe = m_pmd_lookup(mm, a);
			if (!pe || pe->type != MPMD_TABLE)
				continue;
			struct mpte *pt = m_pte_own(m, pe);
			bool empty = true;
			for (unsigned j = 0; pt && j < M_PTRS; j++)
				empty &= !pt->e[j];
			if (!empty)
				continue;
			m_pmd_clear(m, pe);
			m_note(m, "retract_page_tables", "empty PTE table freed",
			       a, M_PMD_SIZE);
		}
	}
}

/* hpage_collapse_scan_file() + collapse_file() for shmem / tmpfs. */
static enum scan scan_file(struct model *m, struct mm *mm, struct mvma *v,
			   uint64_t h, const struct cc *cc)
{
	struct mobj *o = v->obj;
	uint64_t start = m_vma_index(v, h);
	if (start + M_PTRS > o->npages)
		return SCAN_FAIL;
	unsigned present = 0, swap = 0;
	struct mfolio *thp = NULL;
	for (uint64_t i = start; i < start + M_PTRS; i++) {
		struct mslot *s = &o->pc[i];
		if (s->swap) {
			if (cc->is_khugepaged && ++swap > m->cfg.max_ptes_swap)
				return SCAN_EXCEED_SWAP_PTE;
			continue;
		}
		struct mfolio *f = m_folio(m, s->folio);
		if (!f)
			continue;
		if (f->order == M_PMD_ORDER && f->index == start) {
			thp = f;
			break;
		}
		if (f->pincount)
			return SCAN_PAGE_COUNT;
		present++;
	}
	if (thp)
		return collapse_pte_mapped_thp(m, mm, v, h, thp);
	if (cc->is_khugepaged && present < M_PTRS - m->cfg.max_ptes_none)
		return SCAN_EXCEED_NONE_PTE;
	/* collapse_file() */
	struct mfolio *n = m_folio_new(m, M_CACHE, M_PMD_ORDER);
	if (!n)
		return SCAN_FAIL;
	n->shmem = o->shmem;
	n->index = start;
	for (uint64_t i = start; i < start + M_PTRS; i++) {
		struct mslot *s = &o->pc[i];
		if (s->swap) {
			m_swap_put(m, s->swap);
			s->swap = 0;
			n->data[i - start] = 1;
		}
		struct mfolio *f = m_folio(m, s->folio);
		if (f) {
			n->data[i - start] = f->data[i - f->index];
			for_each_mapping(m, o, i, unmap_cache_pte);
			f->obj = NULL;
			s->folio = 0;
			m_folio_put_if_unused(m, f);
		}
		s->folio = n->id;
	}
	n->obj = o;
	m_note(m, "collapse_file", "page-cache pages replaced by a THP",
	       h, M_PMD_SIZE);
	retract_page_tables(m, o, start);
	return collapse_pte_mapped_thp(m, mm, v, h, n);
}

/* madvise_collapse() */
int m_madvise_collapse(struct model *m, struct mm *mm, uint64_t start,
		       uint64_t end)
{
	struct cc cc = { .is_khugepaged = false };
	int ret = 0;
	for (uint64_t a = start; a < end;) {
		struct mvma *v = m_vma_find(mm, a);
		if (!v) {
			a += M_PAGE;
			continue;
		}
		uint64_t lo = a, hi = v->end < end ? v->end : end;
		a = hi;
		if (!m->cfg.collapse || !m_thp_allowed(m, v, M_PMD_ORDER, true))
			return -EINVAL;
		uint64_t hstart = (lo + M_PMD_SIZE - 1) & ~(M_PMD_SIZE - 1);
		uint64_t hend = hi & ~(M_PMD_SIZE - 1);
		if (hstart >= hend) {
			/* thp_vma_allowable_order(): no aligned PMD range of
			 * the VMA lies in the advice */
			m_note(m, "madvise_collapse", "no whole aligned 2 MiB "
			       "in the range", lo, hi - lo);
			return -EINVAL;
		}
		if (v->obj && (m_vma_index(v, hstart) & (M_PTRS - 1)))
			return -EINVAL;
		unsigned thps = 0, want = 0;
		enum scan last = SCAN_FAIL;
		for (uint64_t h = hstart; h < hend; h += M_PMD_SIZE) {
			want++;
			enum scan r = v->obj ? scan_file(m, mm, v, h, &cc) :
				scan_pmd(m, mm, v, h, &cc);
			m_note(m, v->obj ? "hpage_collapse_scan_file" :
			       "hpage_collapse_scan_pmd", scan_names[r], h,
			       M_PMD_SIZE);
			if (r == SCAN_SUCCEED || r == SCAN_PMD_MAPPED) {
				thps++;
				continue;
			}
			last = r;
			if (r != SCAN_PMD_NULL && r != SCAN_PTE_NON_PRESENT &&
			    r != SCAN_PAGE_RO && r != SCAN_PAGE_NULL &&
			    r != SCAN_PAGE_COUNT &&
			    r != SCAN_LACK_REFERENCED_PAGE)
				break;
		}
		if (thps != want)
			ret = collapse_errno(last);
		if (ret)
			return ret;
	}
	return ret;
}
