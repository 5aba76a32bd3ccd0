/* model-zap.c: what takes mappings away or changes them without a fault —
 * munmap (unmap_region, free_pgtables), madvise (DONTNEED, FREE, PAGEOUT,
 * COLD, WILLNEED, HUGEPAGE, NOHUGEPAGE, POPULATE_*), mprotect
 * (change_protection), mlock / munlock (populate_vma_page_range) and GUP
 * pins (pin_user_pages with FOLL_WRITE | FOLL_LONGTERM, as io_uring's
 * buffer registration takes them).  mm/memory.c, mm/madvise.c,
 * mm/mprotect.c, mm/mlock.c, mm/gup.c, mm/vmscan.c; 6.18.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"

static unsigned pte_idx(uint64_t a) { return (unsigned)(a >> 12) & 511u; }

/* Split the VMAs so that [start, end) is made of whole VMAs; false on a
 * hole (the caller decides: -ENOMEM for most calls). */
static bool split_range(struct model *m, struct mm *mm, uint64_t start,
			uint64_t end, bool *hole)
{
	*hole = false;
	if (!m_vma_split(m, mm, start) || !m_vma_split(m, mm, end))
		return false;
	uint64_t a = start;
	while (a < end) {
		struct mvma *v = m_vma_find(mm, a);
		if (!v) {
			*hole = true;
			/* next VMA above a */
			uint64_t next = end;
			for (size_t i = 0; i < mm->nvmas; i++)
				if (mm->vmas[i].start > a &&
				    mm->vmas[i].start < next)
					next = mm->vmas[i].start;
			a = next;
			continue;
		}
		a = v->end;
	}
	return true;
}

/* vma_merge() after a flags change: neighbours with equal attributes and
 * contiguous backing become one VMA again. */
static void merge_vmas(struct mm *mm)
{
	size_t j = 0;
	for (size_t i = 0; i < mm->nvmas; i++) {
		struct mvma *v = &mm->vmas[i];
		if (j) {
			struct mvma *p = &mm->vmas[j - 1];
			if (p->end == v->start && p->prot == v->prot &&
			    p->shared == v->shared && p->obj == v->obj &&
			    p->flags == v->flags &&
			    (!p->obj || p->pgoff + (p->end - p->start) /
			     M_PAGE == v->pgoff) &&
			    (p->anon_vma == v->anon_vma || !p->anon_vma ||
			     !v->anon_vma)) {
				p->end = v->end;
				p->anon_vma |= v->anon_vma;
				if (v->obj)
					v->obj->refs--;
				continue;
			}
		}
		mm->vmas[j++] = *v;
	}
	mm->nvmas = j;
}

/* Is every PTE of this table none? */
static bool table_empty(const struct mpte *pt)
{
	for (unsigned i = 0; i < M_PTRS; i++)
		if (pt->e[i])
			return false;
	return true;
}

/* zap_pmd_range / zap_pte_range over [start, end) of one VMA.  dontneed:
 * MADV_DONTNEED, whose zap frees a PTE table it emptied over a whole PMD
 * range when the kernel reclaims page tables (CONFIG_PT_RECLAIM, 6.14+). */
void m_zap_range(struct model *m, struct mm *mm, struct mvma *v,
		 uint64_t start, uint64_t end, bool dontneed)
{
	for (uint64_t a = start & ~(M_PMD_SIZE - 1); a < end;
	     a += M_PMD_SIZE) {
		uint64_t lo = a < start ? start : a;
		uint64_t hi = a + M_PMD_SIZE < end ? a + M_PMD_SIZE : end;
		struct mpmd_ent *pe = m_pmd_lookup(mm, a);
		if (!pe || pe->type == MPMD_NONE)
			continue;
		bool whole = lo == a && hi == a + M_PMD_SIZE;
		if (pe->type == MPMD_HUGE) {
			if (whole) {
				m_pmd_clear(m, pe);
				m_note(m, "zap_huge_pmd", "PMD mapping removed",
				       a, M_PMD_SIZE);
				continue;
			}
			m_split_huge_pmd(m, mm, v, lo);
		}
		bool reclaim = dontneed && whole && m->cfg.pt_reclaim;
		if (whole && pe->pt->users > 1) {
			/* every entry of a shared table goes: drop this mm's
			 * use of it instead of cloning it */
			m_pte_free(m, pe->pt);
			if (reclaim) {
				pe->type = MPMD_NONE;
				pe->pt = NULL;
				m_note(m, "zap_pte_range", "PTE table freed "
				       "(emptied by MADV_DONTNEED)", a,
				       M_PMD_SIZE);
			} else {
				pe->pt = calloc(1, sizeof(*pe->pt));
				if (!pe->pt) {
					m->oom = true;
					pe->type = MPMD_NONE;
					return;
				}
				pe->pt->users = 1;
			}
			m_note(m, "zap_pte_range", "pages unmapped", lo, hi - lo);
			continue;
		}
		struct mpte *pt = m_pte_own(m, pe);
		if (!pt)
			return;
		unsigned n = 0;
		for (uint64_t x = lo; x < hi; x += M_PAGE) {
			uint64_t *e = &pt->e[pte_idx(x)];
			if (*e) {
				m_zap_pte(m, v, e);
				n++;
			}
		}
		if (n)
			m_note(m, "zap_pte_range", "pages unmapped", lo, hi - lo);
		if (reclaim && table_empty(pt)) {
			m_pmd_clear(m, pe);
			m_note(m, "zap_pte_range", "PTE table freed (emptied by "
			       "MADV_DONTNEED)", a, M_PMD_SIZE);
		}
	}
}

/* do_vmi_munmap() → unmap_region(): zap, then free_pgtables() between the
 * neighbouring VMAs. */
int m_munmap(struct model *m, struct mm *mm, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	bool hole;
	if (!split_range(m, mm, start, end, &hole))
		return -ENOMEM;
	uint64_t first = 0, last = 0;
	for (size_t i = 0; i < mm->nvmas; i++) {
		struct mvma *v = &mm->vmas[i];
		if (v->start >= start && v->end <= end) {
			if (!last)
				first = v->start;
			last = v->end;
			m_zap_range(m, mm, v, v->start, v->end, false);
		}
	}
	if (!last)
		return 0;
	m_vma_remove(mm, start, end);
	uint64_t floor = 0, ceiling = 0;
	for (size_t i = 0; i < mm->nvmas; i++) {
		if (mm->vmas[i].end <= first)
			floor = mm->vmas[i].end;
		else if (mm->vmas[i].start >= last && !ceiling)
			ceiling = mm->vmas[i].start;
	}
	m_free_pgtables(m, mm, first, last, floor, ceiling);
	m_note(m, "unmap_region", "VMAs removed, page tables freed where no "
	       "neighbour needs them", start, len);
	return 0;
}

/* ---- GUP ------------------------------------------------------------------ */

/* __get_user_pages() over [start, end) of one mm: follow each page, fault
 * it in (faultin_page → handle_mm_fault, counted for the task) where the
 * mapping does not allow the access.  pin: FOLL_PIN | FOLL_LONGTERM, which
 * also needs the anon page exclusive (an unshare fault otherwise) and
 * takes the pin. */
static int gup_range(struct model *m, struct mtask *t, uint64_t start,
		     uint64_t end, bool write, bool pin)
{
	for (uint64_t a = start; a < end; a += M_PAGE) {
		int r = m_handle_mm_fault(m, t->mm, a, write, true);
		if (r & (MF_SIGSEGV | MF_SIGBUS))
			return -EFAULT;
		if (!(r & MF_NOFAULT)) {
			if (r & MF_MAJOR)
				t->major++;
			else
				t->minor++;
		}
		if (!pin)
			continue;
		struct mpmd_ent *pe = m_pmd_lookup(t->mm, a);
		struct mfolio *f = NULL;
		unsigned pg = 0;
		if (pe && pe->type == MPMD_HUGE) {
			f = m_folio(m, pe->folio);
			pg = pte_idx(a);
		} else if (pe && pe->type == MPMD_TABLE) {
			uint64_t e = pe->pt->e[pte_idx(a)];
			if (MPTE_TYPE(e) == MPTE_PRESENT) {
				f = m_folio(m, MPTE_ID(e));
				pg = MPTE_PAGE(e);
			}
		}
		if (f && f->kind != M_ZERO && f->kind != M_HZERO) {
			if (!f->pincount++)
				m->npinned++;
			(void)pg;
		}
	}
	return 0;
}

/* GUP faults of a range the task takes for populate / mlock (FOLL_WRITE
 * for populate_write, and for mlock of a private writable VMA). */
int m_populate(struct model *m, struct mtask *t, uint64_t start, uint64_t end,
	       bool write)
{
	int r = gup_range(m, t, start, end, write, false);
	if (!r)
		m_note(m, "faultin_page_range", write ? "populated for write" :
		       "populated for read", start, end - start);
	return r;
}

int m_pin(struct model *m, struct mtask *t, uint64_t start, uint64_t len,
	  bool pin)
{
	uint64_t end = start + len;
	if (pin) {
		for (uint64_t a = start; a < end; a += M_PAGE) {
			struct mvma *v = m_vma_find(t->mm, a);
			if (!v || !(v->prot & PTV_PROT_W))
				return -EFAULT;
		}
		int r = gup_range(m, t, start, end, true, true);
		if (!r)
			m_note(m, "pin_user_pages", "pages faulted in writable "
			       "and pinned (FOLL_LONGTERM)", start, len);
		return r;
	}
	/* unpin_user_pages(): the pins of the pages pinned then; a page no
	 * longer mapped keeps its folio until the last pin goes.  The pinned
	 * folios are found through the mapping, as the buffer recorded
	 * them. */
	for (uint64_t a = start; a < end; a += M_PAGE) {
		struct mpmd_ent *pe = m_pmd_lookup(t->mm, a);
		struct mfolio *f = NULL;
		if (pe && pe->type == MPMD_HUGE)
			f = m_folio(m, pe->folio);
		else if (pe && pe->type == MPMD_TABLE &&
			 MPTE_TYPE(pe->pt->e[pte_idx(a)]) == MPTE_PRESENT)
			f = m_folio(m, MPTE_ID(pe->pt->e[pte_idx(a)]));
		if (f && f->pincount) {
			if (!--f->pincount)
				m->npinned--;
			m_folio_put_if_unused(m, f);
		}
	}
	m_note(m, "unpin_user_pages", "pins dropped", start, len);
	return 0;
}

/* mlock / munlock: VM_LOCKED on the VMAs (split and merged), and mlock's
 * populate_vma_page_range() (FOLL_WRITE for a private writable VMA, which
 * breaks COW; nothing for PROT_NONE). */
int m_mlock(struct model *m, struct mtask *t, uint64_t start, uint64_t len,
	    bool lock)
{
	uint64_t end = start + len;
	bool hole;
	if (!split_range(m, t->mm, start, end, &hole))
		return -ENOMEM;
	if (hole)
		return -ENOMEM;
	for (size_t i = 0; i < t->mm->nvmas; i++) {
		struct mvma *v = &t->mm->vmas[i];
		if (v->start >= start && v->end <= end) {
			if (lock)
				v->flags |= MV_LOCKED;
			else
				v->flags &= ~MV_LOCKED;
		}
	}
	merge_vmas(t->mm);
	if (!lock)
		return 0;
	for (uint64_t a = start; a < end;) {
		struct mvma *v = m_vma_find(t->mm, a);
		uint64_t e = v->end < end ? v->end : end;
		if (v->prot & (PTV_PROT_R | PTV_PROT_W | PTV_PROT_X)) {
			bool w = (v->prot & PTV_PROT_W) && !v->shared;
			int r = gup_range(m, t, a, e, w, false);
			if (r)
				return -ENOMEM;
			m_note(m, "populate_vma_page_range", w ? "mlock: "
			       "faulted in for write" : "mlock: faulted in",
			       a, e - a);
		}
		a = e;
	}
	return 0;
}

/* ---- mprotect ------------------------------------------------------------- */

/* can_change_pte_writable() for a private mapping: an exclusive anon
 * page.  A shared tmpfs mapping needs no write notification, so its new
 * protection makes its PTEs writable directly. */
static bool can_make_writable(struct model *m, struct mvma *v, uint64_t e)
{
	if (v->shared)
		return true;
	struct mfolio *f = m_folio(m, MPTE_ID(e));
	return f && f->kind == M_ANON && f->excl[MPTE_PAGE(e)];
}

/* mprotect_fixup() + change_protection() */
int m_mprotect(struct model *m, struct mm *mm, uint64_t start, uint64_t len,
	       unsigned prot)
{
	uint64_t end = start + len;
	bool hole;
	if (!split_range(m, mm, start, end, &hole))
		return -ENOMEM;
	if (hole)
		return -ENOMEM;
	bool w = prot & PTV_PROT_W;
	for (size_t i = 0; i < mm->nvmas; i++) {
		struct mvma *v = &mm->vmas[i];
		if (v->start < start || v->end > end)
			continue;
		v->prot = prot;
		for (uint64_t a = v->start & ~(M_PMD_SIZE - 1); a < v->end;
		     a += M_PMD_SIZE) {
			uint64_t lo = a < v->start ? v->start : a;
			uint64_t hi = a + M_PMD_SIZE < v->end ? a + M_PMD_SIZE :
				v->end;
			struct mpmd_ent *pe = m_pmd_lookup(mm, a);
			if (!pe || pe->type == MPMD_NONE)
				continue;
			if (pe->type == MPMD_HUGE) {
				if (lo == a && hi == a + M_PMD_SIZE) {
					/* change_huge_pmd */
					struct mfolio *f = m_folio(m, pe->folio);
					pe->write = w && f->kind == M_ANON &&
						f->excl[0] && !v->shared;
					continue;
				}
				m_split_huge_pmd(m, mm, v, lo);
			}
			struct mpte *pt = m_pte_own(m, pe);
			if (!pt)
				return -ENOMEM;
			for (uint64_t x = lo; x < hi; x += M_PAGE) {
				uint64_t *e = &pt->e[pte_idx(x)];
				if (MPTE_TYPE(*e) != MPTE_PRESENT)
					continue;
				if (!w)
					*e &= ~MPTE_WRITE;
				else if (!(*e & MPTE_WRITE) &&
					 can_make_writable(m, v, *e))
					*e |= MPTE_WRITE;
			}
		}
	}
	merge_vmas(mm);
	m_note(m, "change_protection", w ? "PTEs of exclusive anon pages made "
	       "writable, others stay write-protected" : "PTEs "
	       "write-protected", start, len);
	return 0;
}

/* ---- madvise -------------------------------------------------------------- */

/* split_folio(): a large folio not mapped by a PMD becomes small folios,
 * when nothing but its mappings holds it. */
static bool split_folio(struct model *m, struct mm *mm, struct mfolio *f)
{
	if (!f->order || f->entire || f->pincount || f->obj || f->swapcache)
		return false;
	uint64_t nr = UINT64_C(1) << f->order;
	/* every mapping must be in this mm's tables at the folio's place */
	unsigned here = 0;
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t *e = m_pte_lookup(mm, f->vaddr + i * M_PAGE);
		here += e && MPTE_TYPE(*e) == MPTE_PRESENT &&
			MPTE_ID(*e) == f->id;
	}
	if (here != f->total)
		return false;
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t a = f->vaddr + i * M_PAGE;
		struct mpmd_ent *pe = m_pmd_lookup(mm, a);
		uint64_t *e = m_pte_lookup(mm, a);
		if (!e || MPTE_TYPE(*e) != MPTE_PRESENT || MPTE_ID(*e) != f->id)
			continue;
		struct mpte *pt = m_pte_own(m, pe);
		e = &pt->e[pte_idx(a)];
		struct mvma *v = m_vma_find(mm, a);
		if (m->cfg.split_zero_remap && m->cfg.zero_page_maps &&
		    !f->data[MPTE_PAGE(*e)] && v && !(v->flags & MV_LOCKED)) {
			/* remap_page(RMP_USE_SHARED_ZEROPAGE): an all-zero
			 * page is not kept */
			*e = MPTE_MKPRESENT(m->zero, 0, 0);
			continue;
		}
		struct mfolio *n = m_folio_new(m, M_ANON, 0);
		if (!n)
			return false;
		n->vaddr = a;
		n->excl[0] = f->excl[MPTE_PAGE(*e)];
		n->data[0] = f->data[MPTE_PAGE(*e)];
		n->lazyfree = f->lazyfree;
		n->one_map = 1;
		n->total = 1;
		*e = MPTE_MKPRESENT(n->id, 0, *e & (MPTE_WRITE | MPTE_DIRTY));
	}
	f->total = 0;
	memset(f->mapcount, 0, nr * sizeof(*f->mapcount));
	m_note(m, "split_folio", m->cfg.split_zero_remap ? "large folio split "
	       "into small folios, all-zero pages mapped to the zero page" :
	       "large folio split into small folios", f->vaddr, nr * M_PAGE);
	m_folio_put_if_unused(m, f);
	return true;
}

/* The folio mapped at addr and how many of its pages lie in [addr, end)
 * mapped in order from this PTE on (folio_pte_batch). */
static unsigned pte_batch(struct mpte *pt, uint64_t addr, uint64_t end,
			  uint32_t id)
{
	unsigned n = 0;
	unsigned pg0 = MPTE_PAGE(pt->e[pte_idx(addr)]);
	for (uint64_t x = addr; x < end && pte_idx(x) >= pte_idx(addr) &&
	     (x == addr || pte_idx(x) != 0); x += M_PAGE) {
		uint64_t e = pt->e[pte_idx(x)];
		if (MPTE_TYPE(e) != MPTE_PRESENT || MPTE_ID(e) != id ||
		    MPTE_PAGE(e) != pg0 + n)
			break;
		n++;
	}
	return n;
}

/* madvise_free_pte_range() / madvise_free_huge_pmd(). */
static void madv_free(struct model *m, struct mm *mm, struct mvma *v,
		      uint64_t start, uint64_t end)
{
	for (uint64_t a = start & ~(M_PMD_SIZE - 1); a < end;
	     a += M_PMD_SIZE) {
		uint64_t lo = a < start ? start : a;
		uint64_t hi = a + M_PMD_SIZE < end ? a + M_PMD_SIZE : end;
		struct mpmd_ent *pe = m_pmd_lookup(mm, a);
		if (!pe || pe->type == MPMD_NONE)
			continue;
		if (pe->type == MPMD_HUGE) {
			struct mfolio *f = m_folio(m, pe->folio);
			if (f->kind != M_ANON)
				continue;
			if (lo == a && hi == a + M_PMD_SIZE) {
				if (f->total == 1)
					f->lazyfree = true;
				m_note(m, "madvise_free_huge_pmd", "THP marked "
				       "lazily freeable", a, M_PMD_SIZE);
				continue;
			}
			if (f->total != 1)
				continue;
			/* split_folio() of a PMD-mapped THP */
			m_split_huge_pmd(m, mm, v, lo);
			split_folio(m, mm, f);
		}
		if (pe->type != MPMD_TABLE)
			continue;
		struct mpte *pt = m_pte_own(m, pe);
		if (!pt)
			return;
		for (uint64_t x = lo; x < hi; x += M_PAGE) {
			uint64_t *e = &pt->e[pte_idx(x)];
			if (MPTE_TYPE(*e) == MPTE_SWAP) {
				m_zap_pte(m, v, e);
				m_note(m, "madvise_free_pte_range", "swap entry "
				       "freed", x, M_PAGE);
				continue;
			}
			if (MPTE_TYPE(*e) != MPTE_PRESENT)
				continue;
			struct mfolio *f = m_folio(m, MPTE_ID(*e));
			if (!f || f->kind != M_ANON)
				continue;
			if (f->order) {
				unsigned nr = pte_batch(pt, x, hi, f->id);
				if (nr < (1u << f->order)) {
					if (m_folio_mapped_elsewhere(m, pt, f,
								     nr))
						continue;
					if (!split_folio(m, mm, f))
						continue;
					x -= M_PAGE;	/* again, small */
					continue;
				}
				if (f->total != (1u << f->order))
					goto skip;
				f->lazyfree = true;
				x += (uint64_t)(nr - 1) * M_PAGE;
				continue;
			}
			if (f->total != 1 || (pt->users > 1))
				goto skip;
			f->lazyfree = true;
			continue;
skip:
			;
		}
		m_note(m, "madvise_free_pte_range", "pages marked lazily "
		       "freeable (stay mapped until reclaim)", lo, hi - lo);
	}
}

/* shrink_folio_list() for one folio MADV_PAGEOUT isolated: an anon folio
 * goes to swap (its PTEs become swap entries, exclusive when the page was
 * AnonExclusive) if there is swap; a page-cache folio is unmapped and
 * written to swap (tmpfs) if there is swap, else stays cached. */
static void reclaim_folio_held(struct model *m, struct mm *mm,
			       struct mfolio *f);

static void reclaim_folio(struct model *m, struct mm *mm, struct mfolio *f)
{
	/* folio_isolate_lru()'s reference: f outlives its last unmap here */
	f->hold++;
	reclaim_folio_held(m, mm, f);
	f->hold--;
	m_folio_put_if_unused(m, f);
}

static void reclaim_folio_held(struct model *m, struct mm *mm,
			       struct mfolio *f)
{
	uint64_t nr = UINT64_C(1) << f->order;
	if (f->pincount)
		return;		/* try_to_unmap fails on a pinned page */
	if (f->kind == M_ANON) {
		if (!m->swap_pages)
			return;
		uint32_t slots[M_PTRS];
		for (uint64_t i = 0; i < nr; i++)
			if (!(slots[i] = m_swap_alloc(m)))
				return;
		for (uint64_t i = 0; i < nr; i++) {
			uint64_t a = f->vaddr + i * M_PAGE;
			struct mpmd_ent *pe = m_pmd_lookup(mm, a);
			if (!pe || pe->type != MPMD_TABLE)
				continue;
			struct mpte *pt = m_pte_own(m, pe);
			uint64_t *e = &pt->e[pte_idx(a)];
			if (MPTE_TYPE(*e) != MPTE_PRESENT || MPTE_ID(*e) != f->id)
				continue;
			unsigned pg = MPTE_PAGE(*e);
			bool excl = f->excl[pg];
			*e = MPTE_MKSWAP(slots[pg], excl ? MPTE_SWP_EXCL : 0);
			m->swap[slots[pg]].count++;
			m->swap[slots[pg]].data = f->data[pg];
			m_unmap_page(m, f, pg);
		}
		m_note(m, "shrink_folio_list", "written to swap, PTEs now swap "
		       "entries", f->vaddr, nr * M_PAGE);
		return;
	}
	/* page cache (tmpfs): unmapped from every PTE of this mm */
	struct mobj *o = f->obj;
	for (size_t i = 0; i < mm->nvmas; i++) {
		struct mvma *v = &mm->vmas[i];
		if (v->obj != o)
			continue;
		for (uint64_t p = 0; p < nr; p++) {
			uint64_t idx = f->index + p;
			if (idx < v->pgoff ||
			    idx >= v->pgoff + (v->end - v->start) / M_PAGE)
				continue;
			uint64_t a = v->start + (idx - v->pgoff) * M_PAGE;
			struct mpmd_ent *pe = m_pmd_lookup(mm, a);
			if (!pe || pe->type != MPMD_TABLE)
				continue;
			struct mpte *pt = m_pte_own(m, pe);
			uint64_t *e = &pt->e[pte_idx(a)];
			if (MPTE_TYPE(*e) == MPTE_PRESENT &&
			    MPTE_ID(*e) == f->id)
				m_zap_pte(m, v, e);
		}
	}
	if (f->total || !m->swap_pages)
		return;
	/* shmem_writeout(): the cache slot becomes a swap entry */
	for (uint64_t p = 0; p < nr; p++) {
		uint32_t s = m_swap_alloc(m);
		if (!s)
			return;
		m->swap[s].count = 1;
		m->swap[s].data = f->data[p];
		o->pc[f->index + p].swap = s;
		o->pc[f->index + p].folio = 0;
	}
	f->obj = NULL;
	m_note(m, "shrink_folio_list", "page-cache page written to swap",
	       f->vaddr, nr * M_PAGE);
	m_folio_put_if_unused(m, f);
}

/* madvise_cold_or_pageout_pte_range(). */
static void madv_cold_pageout(struct model *m, struct mm *mm, struct mvma *v,
			      uint64_t start, uint64_t end, bool pageout)
{
	for (uint64_t a = start & ~(M_PMD_SIZE - 1); a < end;
	     a += M_PMD_SIZE) {
		uint64_t lo = a < start ? start : a;
		uint64_t hi = a + M_PMD_SIZE < end ? a + M_PMD_SIZE : end;
		struct mpmd_ent *pe = m_pmd_lookup(mm, a);
		if (!pe || pe->type == MPMD_NONE)
			continue;
		if (pe->type == MPMD_HUGE) {
			struct mfolio *f = m_folio(m, pe->folio);
			if (f->kind == M_HZERO || f->total > 1)
				continue;
			if (lo == a && hi == a + M_PMD_SIZE) {
				if (pageout && f->kind == M_ANON &&
				    m->swap_pages) {
					m_split_huge_pmd(m, mm, v, a);
					reclaim_folio(m, mm, f);
				}
				continue;
			}
			m_split_huge_pmd(m, mm, v, lo);
			if (!split_folio(m, mm, f))
				continue;
		}
		if (pe->type != MPMD_TABLE)
			continue;
		struct mpte *pt = m_pte_own(m, pe);
		if (!pt)
			return;
		for (uint64_t x = lo; x < hi; x += M_PAGE) {
			uint64_t e = pt->e[pte_idx(x)];
			if (MPTE_TYPE(e) != MPTE_PRESENT)
				continue;
			struct mfolio *f = m_folio(m, MPTE_ID(e));
			if (!f || f->kind == M_ZERO)
				continue;
			if (f->order && !f->obj) {
				unsigned nr = pte_batch(pt, x, hi, f->id);
				if (m_folio_mapped_elsewhere(m, pt, f, nr))
					break;
				if (nr < (1u << f->order)) {
					if (split_folio(m, mm, f))
						x -= M_PAGE;
					continue;
				}
				x += (uint64_t)(nr - 1) * M_PAGE;
			}
			/* only folios this mm alone maps */
			if (f->total != (1u << f->order) || pt->users > 1)
				continue;
			if (pageout)
				reclaim_folio(m, mm, f);
			pt = pe->type == MPMD_TABLE ? pe->pt : NULL;
			if (!pt)
				break;
		}
	}
	m_note(m, pageout ? "madvise_pageout" : "madvise_cold", pageout ?
	       "folios mapped by this mm alone reclaimed" :
	       "folios deactivated (no visible change)", start, end - start);
}

/* read_swap_cache_async(): slot's page read into the swap cache. */
static void swapcache_read(struct model *m, uint32_t slot, uint64_t addr)
{
	struct mfolio *f = m_folio_new(m, M_ANON, 0);
	if (!f)
		return;
	f->vaddr = addr;
	f->swapcache = true;
	f->swap = slot;
	f->data[0] = m->swap[slot].data;
	m->swap[slot].cache = f->id;
}

/* madvise_willneed(): swapped-out pages read into the swap cache (anon) or
 * back into the page cache (shmem), not mapped. */
static void madv_willneed(struct model *m, struct mm *mm, struct mvma *v,
			  uint64_t start, uint64_t end)
{
	if (v->obj) {
		/* shmem_swapin_range(): into the swap cache; the page cache
		 * keeps the swap entries until a fault takes them */
		uint64_t i0 = m_vma_index(v, start), i1 = m_vma_index(v, end);
		for (uint64_t i = i0; i < i1 && i < v->obj->npages; i++) {
			struct mslot *s = &v->obj->pc[i];
			if (s->swap && !m->swap[s->swap].cache)
				swapcache_read(m, s->swap, 0);
		}
		m_note(m, "shmem_swapin_range", "swapped pages read into the "
		       "swap cache", start, end - start);
		return;
	}
	for (uint64_t a = start; a < end; a += M_PAGE) {
		uint64_t *e = m_pte_lookup(mm, a);
		if (!e || MPTE_TYPE(*e) != MPTE_SWAP)
			continue;
		if (!m->swap[MPTE_ID(*e)].cache)
			swapcache_read(m, MPTE_ID(*e), a);
	}
	m_note(m, "swapin_walk_pmd_entry", "swap entries read into the swap "
	       "cache", start, end - start);
}

int m_madvise(struct model *m, struct mtask *t, uint64_t start, uint64_t len,
	      enum ptv_trace_advice adv)
{
	struct mm *mm = t->mm;
	uint64_t end = start + len;
	bool hole = false;
	switch (adv) {
	case PTV_ADV_HUGEPAGE:
	case PTV_ADV_NOHUGEPAGE:
		if (!split_range(m, mm, start, end, &hole))
			return -ENOMEM;
		for (size_t i = 0; i < mm->nvmas; i++) {
			struct mvma *v = &mm->vmas[i];
			if (v->start < start || v->end > end)
				continue;
			if (adv == PTV_ADV_HUGEPAGE) {
				v->flags |= MV_HUGEPAGE;
				v->flags &= ~MV_NOHUGEPAGE;
			} else {
				v->flags |= MV_NOHUGEPAGE;
				v->flags &= ~MV_HUGEPAGE;
			}
		}
		merge_vmas(mm);
		m_note(m, "hugepage_madvise", adv == PTV_ADV_HUGEPAGE ?
		       "VM_HUGEPAGE set" : "VM_NOHUGEPAGE set", start, len);
		return hole ? -ENOMEM : 0;
	case PTV_ADV_POPULATE_READ:
	case PTV_ADV_POPULATE_WRITE: {
		for (uint64_t a = start; a < end; a += M_PAGE)
			if (!m_vma_find(mm, a))
				return -ENOMEM;
		return m_populate(m, t, start, end,
				  adv == PTV_ADV_POPULATE_WRITE);
	}
	case PTV_ADV_COLLAPSE: {
		for (uint64_t a = start; a < end; a += M_PAGE)
			if (!m_vma_find(mm, a))
				return -ENOMEM;
		return m_madvise_collapse(m, mm, start, end);
	}
	default:
		break;
	}
	/* the per-VMA advices: walk the VMAs of [start, end) */
	int err = 0;
	for (uint64_t a = start; a < end;) {
		struct mvma *v = m_vma_find(mm, a);
		if (!v) {
			hole = true;
			a += M_PAGE;
			continue;
		}
		uint64_t lo = a, hi = v->end < end ? v->end : end;
		switch (adv) {
		case PTV_ADV_DONTNEED:
			if (v->flags & MV_LOCKED)
				return -EINVAL;
			m_zap_range(m, mm, v, lo, hi, true);
			break;
		case PTV_ADV_FREE:
			if (v->obj || v->shared)
				return -EINVAL;
			madv_free(m, mm, v, lo, hi);
			break;
		case PTV_ADV_PAGEOUT:
		case PTV_ADV_COLD:
			if (v->flags & MV_LOCKED)
				return -EINVAL;
			madv_cold_pageout(m, mm, v, lo, hi,
					  adv == PTV_ADV_PAGEOUT);
			break;
		case PTV_ADV_WILLNEED:
			madv_willneed(m, mm, v, lo, hi);
			break;
		default:
			break;
		}
		a = hi;
	}
	return hole ? -ENOMEM : err;
}
