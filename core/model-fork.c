/* model-fork.c: fork's copy of an mm, dup_mmap() (kernel/fork.c) and
 * copy_page_range() (mm/memory.c), 6.18.
 *
 * VMAs are copied except VM_DONTCOPY ones; VM_LOCKED is not inherited.
 * Page tables are copied only for VMAs vma_needs_copy() accepts: those
 * with an anon_vma (a region that never had a private anonymous page,
 * e.g. shared or read-only file mappings, or one with zero pages only, is
 * faulted afresh by the child).  A PTE table the child needs whole is
 * shared with it (model.h, "Lazy fork"); otherwise it is copied entry by
 * entry as copy_present_pte() / copy_nonpresent_pte() do, including the
 * early copy of a maybe-DMA-pinned anonymous page (copy_present_page()).
 */
#include <stdlib.h>

#include "core/model.h"

/* vma_needs_copy() */
static bool needs_copy(const struct mvma *v)
{
	return v->anon_vma && !(v->flags & (MV_DONTCOPY | MV_WIPEONFORK));
}

static bool pinned_anon_in(struct model *m, const struct mpte *pt)
{
	for (unsigned i = 0; i < M_PTRS; i++) {
		uint64_t e = pt->e[i];
		if (MPTE_TYPE(e) != MPTE_PRESENT)
			continue;
		struct mfolio *f = m_folio(m, MPTE_ID(e));
		if (f && f->kind == M_ANON && f->pincount)
			return true;
	}
	return false;
}

/* copy_present_page(): the child's own copy of a maybe-pinned page. */
static uint64_t early_cow(struct model *m, struct mvma *dv, uint64_t addr,
			  const struct mfolio *src, unsigned pg)
{
	struct mfolio *n = m_folio_new(m, M_ANON, 0);
	if (!n)
		return 0;
	n->vaddr = addr;
	n->excl[0] = 1;
	n->data[0] = src->data[pg];
	m_map_page(m, n, 0);
	m_note(m, "copy_present_page", "early copy: the page may be DMA-pinned",
	       addr, M_PAGE);
	return MPTE_MKPRESENT(n->id, 0, dv->prot & PTV_PROT_W ?
			      MPTE_WRITE | MPTE_DIRTY : 0);
}

/* copy_present_pte() / copy_nonpresent_pte() for one entry; updates the
 * parent's entry *se and returns the child's. */
static uint64_t copy_pte(struct model *m, struct mvma *sv, uint64_t *se,
			 uint64_t addr)
{
	uint64_t e = *se;
	if (MPTE_TYPE(e) == MPTE_SWAP) {
		m->swap[MPTE_ID(e)].count++;	/* swap_duplicate */
		*se = e & ~MPTE_SWP_EXCL;
		return e & ~MPTE_SWP_EXCL;
	}
	if (MPTE_TYPE(e) != MPTE_PRESENT)
		return 0;
	struct mfolio *f = m_folio(m, MPTE_ID(e));
	unsigned pg = MPTE_PAGE(e);
	if (f && f->kind == M_ANON && f->pincount)
		return early_cow(m, sv, addr, f, pg);
	if (f && f->kind == M_ANON)
		f->excl[pg] = 0;	/* folio_try_dup_anon_rmap_pte */
	if (f)
		m_map_page(m, f, pg);
	if (!sv->shared) {		/* is_cow_mapping: wrprotect both */
		*se = e & ~MPTE_WRITE;
		return e & ~MPTE_WRITE;
	}
	return e;
}

/* copy_huge_pmd(): anon THP and huge zero page mappings are copied
 * write-protected (a deposited table for the child too); a maybe-pinned
 * THP is split and copied by PTEs; a page-cache PMD is left to refault. */
static bool copy_huge_pmd(struct model *m, struct mm *child,
			  struct mm *parent, struct mvma *sv, uint64_t a,
			  struct mpmd_ent *spe)
{
	struct mfolio *f = m_folio(m, spe->folio);
	if (f->kind == M_CACHE)
		return true;
	if (f->kind == M_ANON && f->pincount) {
		m_split_huge_pmd(m, parent, sv, a);
		return false;	/* retried by PTEs */
	}
	struct mpmd_ent *dpe = m_pmd_alloc(m, child, a);
	if (!dpe)
		return true;
	if (f->kind == M_ANON)
		for (unsigned i = 0; i < M_PTRS; i++)
			f->excl[i] = 0;
	spe->write = false;
	m_pmd_set_huge(m, dpe, f, false, true);
	m_note(m, "copy_huge_pmd", f->kind == M_HZERO ? "huge zero page "
	       "shared" : "THP shared, both PMDs write-protected", a,
	       M_PMD_SIZE);
	return true;
}

/* The VMAs of parent overlapping [a, a + 2M): can the child share this
 * table whole?  Every one must be copied, and private. */
static bool table_shareable(struct mm *parent, uint64_t a)
{
	for (size_t i = 0; i < parent->nvmas; i++) {
		struct mvma *v = &parent->vmas[i];
		if (v->end <= a || v->start >= a + M_PMD_SIZE)
			continue;
		if (!needs_copy(v) || v->shared)
			return false;
	}
	return true;
}

/* copy_pmd_range() over one 2 MiB slot a of VMA sv. */
static void copy_slot(struct model *m, struct mm *child, struct mm *parent,
		      struct mvma *sv, uint64_t a, uint64_t lo, uint64_t hi)
{
	struct mpmd_ent *spe = m_pmd_lookup(parent, a);
	if (!spe || spe->type == MPMD_NONE)
		return;
	if (spe->type == MPMD_HUGE &&
	    copy_huge_pmd(m, child, parent, sv, a, spe))
		return;
	if (spe->type != MPMD_TABLE)
		return;
	struct mpmd_ent *dpe = m_pmd_alloc(m, child, a);
	if (!dpe)
		return;
	if (dpe->type == MPMD_TABLE && dpe->pt == spe->pt)
		return;		/* shared whole for an earlier VMA */
	if (dpe->type == MPMD_NONE && table_shareable(parent, a) &&
	    (!m->npinned || !pinned_anon_in(m, spe->pt))) {
		/* the lazy fork: one more user of the same table */
		struct mpte *pt = spe->pt;
		pt->users++;
		pt->fork_pending = true;
		dpe->type = MPMD_TABLE;
		dpe->pt = pt;
		m_note(m, "copy_pte_range", "PTEs copied write-protected, "
		       "mapcounts raised (table shared until written)", a,
		       M_PMD_SIZE);
		return;
	}
	struct mpte *spt = m_pte_own(m, spe);
	struct mpte *dpt = spt ? m_pte_alloc(m, child, a) : NULL;
	if (!dpt)
		return;
	unsigned copied = 0;
	for (uint64_t x = lo; x < hi; x += M_PAGE) {
		unsigned i = (unsigned)(x >> 12) & 511u;
		if (!spt->e[i])
			continue;
		dpt->e[i] = copy_pte(m, sv, &spt->e[i], x);
		copied++;
	}
	if (copied)
		m_note(m, "copy_pte_range", "PTEs copied one by one", lo,
		       hi - lo);
}

/* dup_mmap() */
struct mm *m_dup_mmap(struct model *m, struct mm *parent)
{
	struct mm *child = m_mm_new(m);
	if (!child)
		return NULL;
	for (size_t i = 0; i < parent->nvmas; i++) {
		struct mvma v = parent->vmas[i];
		if (v.flags & MV_DONTCOPY)
			continue;
		v.flags &= ~MV_LOCKED;
		if (v.flags & MV_WIPEONFORK)
			v.anon_vma = false;
		if (!m_vma_insert(m, child, &v))
			return child;
	}
	for (size_t i = 0; i < parent->nvmas; i++) {
		struct mvma *sv = &parent->vmas[i];
		if (!needs_copy(sv))
			continue;
		for (uint64_t a = sv->start & ~(M_PMD_SIZE - 1); a < sv->end;
		     a += M_PMD_SIZE) {
			uint64_t lo = a < sv->start ? sv->start : a;
			uint64_t hi = a + M_PMD_SIZE > sv->end ? sv->end :
				a + M_PMD_SIZE;
			copy_slot(m, child, parent, sv, a, lo, hi);
		}
	}
	return child;
}
