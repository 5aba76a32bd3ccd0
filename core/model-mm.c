/* model-mm.c: the model's memory objects — folios, page-cache objects,
 * swap slots, VMAs and the page-table tree — and the copy-on-write sharing
 * of PTE tables between mms (see model.h, "Lazy fork").
 */
#include <stdlib.h>
#include <string.h>

#include "core/model.h"

/* ---- folios -------------------------------------------------------------- */

struct mfolio *m_folio(struct model *m, uint32_t id)
{
	return id && id < m->nfolios ? m->folios[id] : NULL;
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	uint32_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, (size_t)n * elem);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

struct mfolio *m_folio_new(struct model *m, enum m_kind kind, unsigned order)
{
	struct mfolio *f = calloc(1, sizeof(*f));
	if (!f)
		goto oom;
	unsigned nr = 1u << order;
	f->order = (uint8_t)order;
	f->kind = (uint8_t)kind;
	if (nr == 1) {
		f->mapcount = &f->one_map;
		f->excl = &f->one_excl;
		f->data = &f->one_data;
	} else {
		f->mapcount = calloc(nr, sizeof(*f->mapcount));
		f->excl = calloc(nr, 1);
		f->data = calloc(nr, 1);
		if (!f->mapcount || !f->excl || !f->data) {
			free(f->mapcount);
			free(f->excl);
			free(f->data);
			free(f);
			goto oom;
		}
	}
	uint32_t id;
	if (m->nfree) {
		id = m->free_ids[--m->nfree];
	} else {
		if (!grow((void **)&m->folios, &m->cap_folios, m->nfolios + 1,
			  sizeof(*m->folios))) {
			if (nr > 1) {
				free(f->mapcount);
				free(f->excl);
				free(f->data);
			}
			free(f);
			goto oom;
		}
		if (m->nfolios == 0)
			m->folios[m->nfolios++] = NULL;
		id = m->nfolios++;
	}
	f->id = id;
	m->folios[id] = f;
	return f;
oom:
	m->oom = true;
	return NULL;
}

static void folio_free(struct model *m, struct mfolio *f)
{
	m->folios[f->id] = NULL;
	if (grow((void **)&m->free_ids, &m->cap_free, m->nfree + 1,
		 sizeof(*m->free_ids)))
		m->free_ids[m->nfree++] = f->id;
	if (f->order) {
		free(f->mapcount);
		free(f->excl);
		free(f->data);
		free(f->chk_count);
		free(f->chk_label);
	}
	free(f->ext);
	free(f);
}

/* The last reference gone: no mapping, pin, swap cache or page cache. */
void m_folio_put_if_unused(struct model *m, struct mfolio *f)
{
	if (!f || f->kind == M_ZERO || f->kind == M_HZERO)
		return;
	if (f->total || f->pincount || f->swapcache || f->obj || f->hold)
		return;
	folio_free(m, f);
}

/* A folio's references as folio_ref_count() would read them, from the
 * stored mapcounts (callers look through a table they own). */
uint64_t m_folio_refs(const struct mfolio *f)
{
	uint64_t nr = UINT64_C(1) << f->order;
	uint64_t r = f->total;
	/* GUP_PIN_COUNTING_BIAS for small folios; large ones count pins
	 * in _pincount plus one reference each. */
	r += f->order ? f->pincount : (uint64_t)f->pincount * 1024;
	if (f->swapcache || f->obj)
		r += nr;
	return r;
}

void m_map_page(struct model *m, struct mfolio *f, unsigned pg)
{
	(void)m;
	if (f->kind == M_ZERO || f->kind == M_HZERO)
		return;
	f->mapcount[pg]++;
	f->total++;
}

void m_unmap_page(struct model *m, struct mfolio *f, unsigned pg)
{
	if (f->kind == M_ZERO || f->kind == M_HZERO)
		return;
	f->mapcount[pg]--;
	f->total--;
	if (!f->mapcount[pg] && !f->entire)
		f->excl[pg] = 0;
	m_folio_put_if_unused(m, f);
}

/* Is this page (looked at through table pt) mapped by anyone else?  The
 * test folio_mapcount() > 1 / page_mapcount() > 1 stands for. */
bool m_page_shared(struct model *m, const struct mpte *pt, struct mfolio *f,
		   unsigned pg)
{
	(void)m;
	return (pt && pt->users > 1) || f->mapcount[pg] + f->entire > 1;
}

/* folio_maybe_mapped_shared(), seen from a table pt that maps nr_here of
 * the folio's pages. */
bool m_folio_mapped_elsewhere(struct model *m, const struct mpte *pt,
			      struct mfolio *f, unsigned nr_here)
{
	(void)m;
	if (pt && pt->users > 1)
		return true;
	if (!f->order)
		return f->total > 1;
	return f->total > nr_here;
}

/* ---- swap ---------------------------------------------------------------- */

uint32_t m_swap_alloc(struct model *m)
{
	uint64_t used = 0;
	for (uint32_t i = m->swap_free_hint; i < m->nswap; i++)
		if (!m->swap[i].used) {
			m->swap[i] = (struct mswap){ .used = true };
			m->swap_free_hint = i + 1;
			return i;
		}
	for (uint32_t i = 1; i < m->nswap; i++)
		used += m->swap[i].used;
	if (used >= m->swap_pages)
		return 0;
	if (!grow((void **)&m->swap, &m->cap_swap, m->nswap + 1,
		  sizeof(*m->swap))) {
		m->oom = true;
		return 0;
	}
	if (m->nswap == 0)
		m->swap[m->nswap++] = (struct mswap){ 0 };
	m->swap[m->nswap] = (struct mswap){ .used = true };
	m->swap_free_hint = m->nswap + 1;
	return m->nswap++;
}

/* swap_free / free_swap_and_cache: drop one reference to slot; at zero the
 * slot is free, and a swap-cache folio nobody maps leaves the cache
 * (__try_to_reclaim_swap) and is freed. */
void m_swap_put(struct model *m, uint32_t slot)
{
	struct mswap *s = &m->swap[slot];
	if (s->count)
		s->count--;
	if (s->count)
		return;
	s->used = false;
	if (slot < m->swap_free_hint)
		m->swap_free_hint = slot;
	struct mfolio *f = m_folio(m, s->cache);
	s->cache = 0;
	if (f && f->swapcache) {
		/* a large folio in the cache covers several slots */
		uint32_t first = f->swap, nr = 1u << f->order;
		bool any = false;
		for (uint32_t i = first; i < first + nr && i < m->nswap; i++)
			any |= m->swap[i].count > 0;
		if (!any) {
			for (uint32_t i = first; i < first + nr &&
			     i < m->nswap; i++)
				if (m->swap[i].cache == f->id) {
					m->swap[i].cache = 0;
					m->swap[i].used = m->swap[i].count > 0;
				}
			f->swapcache = false;
			m_folio_put_if_unused(m, f);
		}
	}
}

/* ---- page-cache objects ------------------------------------------------- */

struct mobj *m_obj_new(struct model *m, uint64_t npages, bool shmem)
{
	struct mobj *o = calloc(1, sizeof(*o));
	if (!o || !(o->pc = calloc(npages ? npages : 1, sizeof(*o->pc))) ||
	    (m->nobjs == m->cap_objs &&
	     !grow((void **)&m->objs, (uint32_t *)&m->cap_objs,
		   (uint32_t)m->nobjs + 1, sizeof(*m->objs)))) {
		if (o)
			free(o->pc);
		free(o);
		m->oom = true;
		return NULL;
	}
	o->npages = npages;
	o->shmem = shmem;
	m->objs[m->nobjs++] = o;
	return o;
}

/* ---- VMAs ---------------------------------------------------------------- */

struct mm *m_mm_new(struct model *m)
{
	struct mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		m->oom = true;
	return mm;
}

struct mvma *m_vma_find(struct mm *mm, uint64_t addr)
{
	size_t lo = 0, hi = mm->nvmas;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct mvma *v = &mm->vmas[mid];
		if (addr < v->start)
			hi = mid;
		else if (addr >= v->end)
			lo = mid + 1;
		else
			return v;
	}
	return NULL;
}

struct mvma *m_vma_insert(struct model *m, struct mm *mm,
			  const struct mvma *v)
{
	if (mm->nvmas == mm->cap) {
		size_t n = mm->cap ? mm->cap * 2 : 16;
		struct mvma *p = realloc(mm->vmas, n * sizeof(*p));
		if (!p) {
			m->oom = true;
			return NULL;
		}
		mm->vmas = p;
		mm->cap = n;
	}
	size_t i = 0;
	while (i < mm->nvmas && mm->vmas[i].start < v->start)
		i++;
	memmove(&mm->vmas[i + 1], &mm->vmas[i],
		(mm->nvmas - i) * sizeof(*mm->vmas));
	mm->vmas[i] = *v;
	mm->nvmas++;
	if (v->obj)
		v->obj->refs++;
	return &mm->vmas[i];
}

/* __split_vma at addr when addr falls inside a VMA. */
bool m_vma_split(struct model *m, struct mm *mm, uint64_t addr)
{
	struct mvma *v = m_vma_find(mm, addr);
	if (!v || v->start == addr)
		return true;
	struct mvma hi = *v;
	hi.start = addr;
	if (hi.obj)
		hi.pgoff += (addr - v->start) / M_PAGE;
	v->end = addr;
	return m_vma_insert(m, mm, &hi) != NULL;
}

void m_vma_remove(struct mm *mm, uint64_t start, uint64_t end)
{
	size_t j = 0;
	for (size_t i = 0; i < mm->nvmas; i++) {
		struct mvma *v = &mm->vmas[i];
		if (v->start >= start && v->end <= end) {
			if (v->obj)
				v->obj->refs--;
			continue;
		}
		mm->vmas[j++] = *v;
	}
	mm->nvmas = j;
}

bool m_vma_is_anon(const struct mvma *v)
{
	return !v->obj;
}

/* linear_page_index(): the page-cache index addr maps. */
uint64_t m_vma_index(const struct mvma *v, uint64_t addr)
{
	return v->pgoff + (addr - v->start) / M_PAGE;
}

/* ---- page tables --------------------------------------------------------- */

#define PGD_IDX(a) ((unsigned)((a) >> 39) & 255u)
#define PUD_IDX(a) ((unsigned)((a) >> 30) & 511u)
#define PMD_IDX(a) ((unsigned)((a) >> 21) & 511u)
#define PTE_IDX(a) ((unsigned)((a) >> 12) & 511u)

struct mpmd_ent *m_pmd_lookup(struct mm *mm, uint64_t addr)
{
	struct mpud *pud = mm->pgd[PGD_IDX(addr)];
	if (!pud)
		return NULL;
	struct mpmd *pmd = pud->e[PUD_IDX(addr)];
	return pmd ? &pmd->e[PMD_IDX(addr)] : NULL;
}

struct mpmd_ent *m_pmd_alloc(struct model *m, struct mm *mm, uint64_t addr)
{
	struct mpud **pudp = &mm->pgd[PGD_IDX(addr)];
	if (!*pudp && !(*pudp = calloc(1, sizeof(**pudp))))
		goto oom;
	struct mpmd **pmdp = &(*pudp)->e[PUD_IDX(addr)];
	if (!*pmdp) {
		if (!(*pmdp = calloc(1, sizeof(**pmdp))))
			goto oom;
		(*pudp)->used++;
	}
	return &(*pmdp)->e[PMD_IDX(addr)];
oom:
	m->oom = true;
	return NULL;
}


/* copy_pte_range()'s effect on one entry, due since the fork: the entry
 * write-protected (is_cow_mapping), the page no longer AnonExclusive
 * (folio_try_dup_anon_rmap_pte), a swap entry no longer exclusive. */
static uint64_t fork_effect(struct model *m, uint64_t e)
{
	switch (MPTE_TYPE(e)) {
	case MPTE_PRESENT: {
		struct mfolio *f = m_folio(m, MPTE_ID(e));
		if (f && f->kind == M_ANON)
			f->excl[MPTE_PAGE(e)] = 0;
		return e & ~MPTE_WRITE;
	}
	case MPTE_SWAP:
		return e & ~MPTE_SWP_EXCL;
	}
	return e;
}

/* Take one more reference for a copied entry: mapcount or swap count. */
void m_entry_dup(struct model *m, uint64_t e)
{
	if (MPTE_TYPE(e) == MPTE_PRESENT) {
		struct mfolio *f = m_folio(m, MPTE_ID(e));
		if (f)
			m_map_page(m, f, MPTE_PAGE(e));
	} else if (MPTE_TYPE(e) == MPTE_SWAP) {
		m->swap[MPTE_ID(e)].count++;
	}
}

/* Make pe's PTE table the caller's own (see model.h): clone a shared one,
 * or apply the pending fork effects to the last user's. */
struct mpte *m_pte_own(struct model *m, struct mpmd_ent *pe)
{
	struct mpte *pt = pe->pt;
	if (pt->users > 1) {
		struct mpte *c = malloc(sizeof(*c));
		if (!c) {
			m->oom = true;
			return NULL;
		}
		c->users = 1;
		c->fork_pending = false;
		for (unsigned i = 0; i < M_PTRS; i++) {
			uint64_t e = pt->e[i];
			if (e) {
				e = fork_effect(m, e);
				m_entry_dup(m, e);
			}
			c->e[i] = e;
		}
		pt->users--;
		pe->pt = c;
		return c;
	}
	if (pt->fork_pending) {
		for (unsigned i = 0; i < M_PTRS; i++)
			if (pt->e[i])
				pt->e[i] = fork_effect(m, pt->e[i]);
		pt->fork_pending = false;
	}
	return pt;
}

struct mpte *m_pte_alloc(struct model *m, struct mm *mm, uint64_t addr)
{
	struct mpmd_ent *pe = m_pmd_alloc(m, mm, addr);
	if (!pe)
		return NULL;
	if (pe->type == MPMD_HUGE)
		return NULL;
	if (pe->type == MPMD_NONE) {
		struct mpte *pt = calloc(1, sizeof(*pt));
		if (!pt) {
			m->oom = true;
			return NULL;
		}
		pt->users = 1;
		pe->type = MPMD_TABLE;
		pe->pt = pt;
		return pt;
	}
	return m_pte_own(m, pe);
}

/* The PTE for addr, for reading only (NULL when there is no table). */
uint64_t *m_pte_lookup(struct mm *mm, uint64_t addr)
{
	struct mpmd_ent *pe = m_pmd_lookup(mm, addr);
	if (!pe || pe->type != MPMD_TABLE)
		return NULL;
	return &pe->pt->e[PTE_IDX(addr)];
}

/* zap one PTE (zap_present_ptes / zap_nonpresent_ptes). */
void m_zap_pte(struct model *m, struct mvma *v, uint64_t *e)
{
	(void)v;
	uint64_t x = *e;
	*e = 0;
	if (MPTE_TYPE(x) == MPTE_PRESENT) {
		struct mfolio *f = m_folio(m, MPTE_ID(x));
		if (f)
			m_unmap_page(m, f, MPTE_PAGE(x));
	} else if (MPTE_TYPE(x) == MPTE_SWAP) {
		m_swap_put(m, MPTE_ID(x));
	}
}

/* Drop one user of a PTE table; the last one releases its entries. */
void m_pte_free(struct model *m, struct mpte *pt)
{
	if (--pt->users)
		return;
	for (unsigned i = 0; i < M_PTRS; i++)
		if (pt->e[i])
			m_zap_pte(m, NULL, &pt->e[i]);
	free(pt);
}

/* Clear a PMD entry: a PTE table (this mm's use of it) or a huge mapping
 * (zap_huge_pmd); a deposited table goes with it. */
void m_pmd_clear(struct model *m, struct mpmd_ent *pe)
{
	if (pe->type == MPMD_TABLE) {
		m_pte_free(m, pe->pt);
	} else if (pe->type == MPMD_HUGE) {
		struct mfolio *f = m_folio(m, pe->folio);
		if (f && f->kind != M_HZERO) {
			f->entire--;
			f->total--;
			m_folio_put_if_unused(m, f);
		}
	}
	memset(pe, 0, sizeof(*pe));
}

/* free_pgd_range() (mm/memory.c): free the page tables that map only
 * [addr, end), as far as floor and ceiling (the neighbouring VMAs) allow:
 * PTE tables, then a PMD table whose whole PUD range is free, then a PUD
 * table likewise (P4D is folded on 4-level paging). */
void m_free_pgtables(struct model *m, struct mm *mm, uint64_t addr,
		     uint64_t end, uint64_t floor, uint64_t ceiling)
{
	addr &= ~(M_PMD_SIZE - 1);
	if (addr < floor) {
		addr += M_PMD_SIZE;
		if (!addr)
			return;
	}
	if (ceiling) {
		ceiling &= ~(M_PMD_SIZE - 1);
		if (!ceiling)
			return;
	}
	if (end - 1 > ceiling - 1)
		end -= M_PMD_SIZE;
	if (addr > end - 1)
		return;
	/* free_pte_range for each PMD entry in [addr, end) */
	for (uint64_t a = addr; a < end && a >= addr; a += M_PMD_SIZE) {
		struct mpmd_ent *pe = m_pmd_lookup(mm, a);
		if (pe && pe->type == MPMD_TABLE)
			m_pmd_clear(m, pe);
	}
	/* free_pmd_range's tail, per PUD entry touched */
	for (uint64_t a = addr & ~(M_PUD_SIZE - 1); a < end;
	     a += M_PUD_SIZE) {
		uint64_t start = a < addr ? addr : a;
		uint64_t pend = a + M_PUD_SIZE < end ? a + M_PUD_SIZE : end;
		uint64_t s = start & ~(M_PUD_SIZE - 1);
		if (s < floor)
			continue;
		if (ceiling) {
			uint64_t c = ceiling & ~(M_PUD_SIZE - 1);
			if (!c || pend - 1 > c - 1)
				continue;
		}
		struct mpud *pud = mm->pgd[PGD_IDX(a)];
		if (!pud || !pud->e[PUD_IDX(a)])
			continue;
		struct mpmd *pmd = pud->e[PUD_IDX(a)];
		for (unsigned i = 0; i < M_PTRS; i++)
			if (pmd->e[i].type != MPMD_NONE)
				m_pmd_clear(m, &pmd->e[i]);
		free(pmd);
		pud->e[PUD_IDX(a)] = NULL;
		pud->used--;
	}
	/* free_pud_range's tail, per PGD entry touched */
	for (uint64_t a = addr & ~(M_PGD_SIZE - 1); a < end;
	     a += M_PGD_SIZE) {
		uint64_t start = a < addr ? addr : a;
		uint64_t pend = a + M_PGD_SIZE < end ? a + M_PGD_SIZE : end;
		uint64_t s = start & ~(M_PGD_SIZE - 1);
		if (s < floor)
			continue;
		if (ceiling) {
			uint64_t c = ceiling & ~(M_PGD_SIZE - 1);
			if (!c || pend - 1 > c - 1)
				continue;
		}
		struct mpud *pud = mm->pgd[PGD_IDX(a)];
		if (!pud || pud->used)
			continue;
		free(pud);
		mm->pgd[PGD_IDX(a)] = NULL;
	}
}

/* exit_mmap(): every mapping zapped, every table freed. */
void m_mm_destroy(struct model *m, struct mm *mm)
{
	if (!mm)
		return;
	for (unsigned g = 0; g < 256; g++) {
		struct mpud *pud = mm->pgd[g];
		if (!pud)
			continue;
		for (unsigned u = 0; u < M_PTRS; u++) {
			struct mpmd *pmd = pud->e[u];
			if (!pmd)
				continue;
			for (unsigned i = 0; i < M_PTRS; i++)
				m_pmd_clear(m, &pmd->e[i]);
			free(pmd);
		}
		free(pud);
	}
	for (size_t i = 0; i < mm->nvmas; i++)
		if (mm->vmas[i].obj)
			mm->vmas[i].obj->refs--;
	free(mm->vmas);
	free(mm);
}


/* set_pmd_at() of a huge mapping in a none PMD entry, with a deposited
 * PTE table when the kernel deposits one (anon THPs, the huge zero page). */
void m_pmd_set_huge(struct model *m, struct mpmd_ent *pe, struct mfolio *f,
		    bool write, bool deposit)
{
	(void)m;
	pe->type = MPMD_HUGE;
	pe->folio = f->id;
	pe->write = write;
	pe->deposit = deposit;
	pe->pt = NULL;
	if (f->kind != M_HZERO) {
		f->entire++;
		f->total++;
	}
}

/* Record n mappings of page pg by processes outside the model. */
bool m_folio_set_external(struct model *m, struct mfolio *f, unsigned pg,
			  uint32_t n)
{
	if (!f->ext && !(f->ext = calloc(UINT64_C(1) << f->order,
					 sizeof(*f->ext)))) {
		m->oom = true;
		return false;
	}
	f->ext[pg] = n;
	return true;
}
