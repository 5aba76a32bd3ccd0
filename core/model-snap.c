/* model-snap.c: the model's t0 from a snapshot (`replay --from PID` or
 * `--from FILE.ptsnap`, core/snapshot.h): its VMAs, and for every page the
 * snapshot saw, the mapping — folios rebuilt from PFNs (a folio is
 * physically aligned to its size, so head = PFN rounded down to the folio
 * order), anonymous or page cache from kpageflags, mapcounts from
 * kpagecount (mappings by processes outside the model are kept as external
 * counts, so a page shared with another process stays shared), swap
 * entries from their (type, offset).
 *
 * What pagemap does not show is assumed the way a kernel usually leaves
 * it, and said here: an anonymous page mapped once is AnonExclusive and
 * writable when its VMA is; page-cache pages of private mappings are
 * read-only; a swap entry mapped here is exclusive when its slot appears
 * once; page tables exist exactly where some page or swap entry is.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/kpageflags.h"
#include "core/model.h"
#include "core/snapshot.h"

#define KPF_SWAPCACHE_BIT 13	/* include/uapi/linux/kernel-page-flags.h */
/* The model keeps a file's page cache as an array from offset 0: a VMA
 * mapping beyond 256 GiB of its file is refused. */
#define MAX_OBJ_PAGES (UINT64_C(1) << 26)

struct pfn_map {
	uint64_t *keys;		/* head PFN + 1; 0 = empty */
	uint32_t *ids;
	size_t cap;
};

static size_t pfn_slot(const struct pfn_map *h, uint64_t key)
{
	size_t i = (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 20) &
		(h->cap - 1);
	while (h->keys[i] && h->keys[i] != key)
		i = (i + 1) & (h->cap - 1);
	return i;
}

static bool pfn_map_init(struct pfn_map *h, size_t n)
{
	h->cap = 64;
	while (h->cap < n * 2)
		h->cap *= 2;
	h->keys = calloc(h->cap, sizeof(*h->keys));
	h->ids = calloc(h->cap, sizeof(*h->ids));
	return h->keys && h->ids;
}

static void pfn_map_free(struct pfn_map *h)
{
	free(h->keys);
	free(h->ids);
}

static struct mobj *obj_for(struct model *m, const struct ptv_snapshot *s,
			    size_t vi, struct mobj **objs)
{
	const struct ptv_snap_vma *sv = &s->vmas[vi];
	for (size_t i = 0; i < vi; i++) {
		const struct ptv_snap_vma *o = &s->vmas[i];
		if (objs[i] && o->dev == sv->dev && o->ino == sv->ino &&
		    o->backing == sv->backing)
			return objs[i];
	}
	/* the file's size is not in the snapshot: large enough for every
	 * VMA that maps it */
	uint64_t pages = 0;
	for (size_t i = 0; i < s->nvmas; i++) {
		const struct ptv_snap_vma *o = &s->vmas[i];
		if (o->dev != sv->dev || o->ino != sv->ino ||
		    o->backing != sv->backing)
			continue;
		uint64_t end = o->pgoff + (o->end - o->start) / M_PAGE;
		if (end > pages)
			pages = end;
	}
	if (pages > MAX_OBJ_PAGES)
		return NULL;
	return m_obj_new(m, pages, sv->backing == PTV_SNAP_SHMEM);
}

static unsigned vmflags(uint32_t f)
{
	unsigned r = 0;
	if (f & PTV_SNAP_VM_HUGEPAGE)
		r |= MV_HUGEPAGE;
	if (f & PTV_SNAP_VM_NOHUGEPAGE)
		r |= MV_NOHUGEPAGE;
	if (f & PTV_SNAP_VM_LOCKED)
		r |= MV_LOCKED;
	if (f & PTV_SNAP_VM_DONTCOPY)
		r |= MV_DONTCOPY;
	if (f & PTV_SNAP_VM_WIPEONFORK)
		r |= MV_WIPEONFORK;
	return r;
}

/* The folio holding page p, made on first sight. */
static struct mfolio *folio_of(struct model *m, struct pfn_map *h,
			       const struct ptv_snap_page *p, struct mobj *obj,
			       uint64_t index, unsigned *pg)
{
	unsigned order = p->folio_order <= M_PMD_ORDER ? p->folio_order : 0;
	uint64_t nr = UINT64_C(1) << order;
	uint64_t head = p->pfn & ~(nr - 1);
	*pg = (unsigned)(p->pfn - head);
	size_t i = pfn_slot(h, head + 1);
	if (h->keys[i]) {
		/* the snapshot said another order before: not a page of it */
		struct mfolio *f = m_folio(m, h->ids[i]);
		return f && *pg < (1u << f->order) ? f : NULL;
	}
	bool anon = p->kflags & PTV_KPF(ANON);
	struct mfolio *f = m_folio_new(m, anon ? M_ANON : M_CACHE, order);
	if (!f)
		return NULL;
	h->keys[i] = head + 1;
	h->ids[i] = f->id;
	f->vaddr = p->addr - (uint64_t)*pg * M_PAGE;
	memset(f->data, 1, nr);		/* contents unknown: not zero */
	if (!anon && obj) {
		f->obj = obj;
		f->shmem = obj->shmem;
		f->index = index - *pg;
		for (uint64_t k = 0; k < nr; k++)
			if (f->index + k < obj->npages)
				obj->pc[f->index + k].folio = f->id;
	}
	if (p->kflags & (UINT64_C(1) << KPF_SWAPCACHE_BIT))
		f->swapcache = true;	/* no slot known: never freed by it */
	return f;
}

struct ptv_error *m_import_snapshot(struct model *m, struct mm *mm,
				    const struct ptv_snapshot *s)
{
	struct ptv_error *err = NULL;
	struct mobj **objs = calloc(s->nvmas ? s->nvmas : 1, sizeof(*objs));
	struct pfn_map h = { 0 }, occ = { 0 }, swaps = { 0 };
	if (!objs || !pfn_map_init(&h, s->npages + 1)) {
		err = ptv_enomem;
		goto out;
	}
	for (size_t i = 0; i < s->nvmas; i++) {
		const struct ptv_snap_vma *sv = &s->vmas[i];
		if (sv->start >= PTV_TRACE_ADDR_LIMIT)
			continue;	/* [vsyscall]: not in the page tables */
		struct mvma v = {
			.start = sv->start, .end = sv->end, .prot = sv->prot,
			.shared = sv->shared, .flags = vmflags(sv->vmflags),
			.anon_vma = sv->anon_vma,
		};
		if (sv->backing == PTV_SNAP_FILE || sv->backing == PTV_SNAP_SHMEM) {
			if (!(objs[i] = obj_for(m, s, i, objs))) {
				err = m->oom ? ptv_enomem :
					ptv_error_create(PTV_ERR_UNSUPPORTED,
						"the VMA at %#" PRIx64 " maps its "
						"file beyond 256 GiB, more than "
						"the model holds", sv->start);
				goto out;
			}
			v.obj = objs[i];
			v.pgoff = sv->pgoff;
		}
		if (!m_vma_insert(m, mm, &v)) {
			err = ptv_enomem;
			goto out;
		}
	}
	/* how often each PFN is mapped in the snapshot's own process, so
	 * that kpagecount less that is the mappings outside the model */
	if (!pfn_map_init(&occ, s->npages + 1)) {
		err = ptv_enomem;
		goto out;
	}
	for (size_t k = 0; k < s->npages; k++) {
		const struct ptv_snap_page *p = &s->pages[k];
		if (p->state != PTV_SNAP_PRESENT || p->zero || p->hzero)
			continue;
		size_t i = pfn_slot(&occ, p->pfn + 1);
		occ.keys[i] = p->pfn + 1;
		occ.ids[i]++;
	}
	/* swap slots by (type, offset) */
	if (!pfn_map_init(&swaps, s->npages + 1)) {
		err = ptv_enomem;
		goto out;
	}
	for (size_t k = 0; k < s->npages && !err; k++) {
		const struct ptv_snap_page *p = &s->pages[k];
		struct mvma *v = m_vma_find(mm, p->addr);
		if (!v)
			continue;
		if (p->state == PTV_SNAP_SWAP) {
			uint64_t key = ((uint64_t)p->swap_type << 58 |
					p->swap_off) + 1;
			size_t i = pfn_slot(&swaps, key);
			uint32_t slot;
			if (swaps.keys[i]) {
				slot = swaps.ids[i];
			} else if ((slot = m_swap_alloc(m))) {
				swaps.keys[i] = key;
				swaps.ids[i] = slot;
				m->swap[slot].data = true;
			} else {
				continue;	/* more than the swap the model has */
			}
			struct mpte *pt = m_pte_alloc(m, mm, p->addr);
			if (!pt) {
				if (m->oom) {
					err = ptv_enomem;
					break;
				}
				continue;	/* under a PMD mapping */
			}
			m->swap[slot].count++;
			pt->e[(p->addr >> 12) & 511u] = MPTE_MKSWAP(slot,
				m->swap[slot].count == 1 ? MPTE_SWP_EXCL : 0);
			continue;
		}
		if (p->zero || p->hzero) {
			if (p->hzero && p->pmd) {
				struct mpmd_ent *pe = m_pmd_alloc(m, mm, p->addr);
				if (pe && pe->type == MPMD_NONE)
					m_pmd_set_huge(m, pe,
						       m_folio(m, m->hzero),
						       false, true);
				continue;
			}
			struct mpte *pt = m_pte_alloc(m, mm, p->addr);
			if (!pt) {
				if (m->oom) {
					err = ptv_enomem;
					break;
				}
				continue;	/* under a PMD mapping */
			}
			pt->e[(p->addr >> 12) & 511u] = MPTE_MKPRESENT(m->zero,
								       0, 0);
			continue;
		}
		unsigned pg;
		uint64_t index = v->obj ? m_vma_index(v, p->addr) : 0;
		struct mfolio *f = folio_of(m, &h, p, v->obj, index, &pg);
		if (!f) {
			if (m->oom) {
				err = ptv_enomem;
				break;
			}
			continue;	/* inconsistent with an earlier page */
		}
		bool anon = f->kind == M_ANON;
		bool excl = anon && p->mapcount <= 1;
		/* the first time a PFN is seen, the mappings of it outside
		 * the model (kpagecount less this process's) */
		size_t oi = pfn_slot(&occ, p->pfn + 1);
		uint32_t ext = 0;
		if (occ.keys[oi] && !(occ.ids[oi] & 0x80000000u)) {
			uint32_t own = occ.ids[oi];
			ext = p->mapcount > own ? p->mapcount - own : 0;
			occ.ids[oi] |= 0x80000000u;
		}
		if (ext) {
			if (!m_folio_set_external(m, f, pg, ext)) {
				err = ptv_enomem;
				break;
			}
			f->mapcount[pg] += ext;
			f->total += ext;
		}
		f->excl[pg] = excl;
		if (p->pmd && f->order == M_PMD_ORDER) {
			struct mpmd_ent *pe = m_pmd_alloc(m, mm, p->addr);
			if (!pe) {
				err = ptv_enomem;
				break;
			}
			if (pe->type == MPMD_NONE)
				m_pmd_set_huge(m, pe, f,
					       (v->prot & PTV_PROT_W) &&
					       (excl || v->shared), anon);
			continue;
		}
		struct mpte *pt = m_pte_alloc(m, mm, p->addr);
		if (!pt) {
			if (m->oom) {
				err = ptv_enomem;
				break;
			}
			continue;	/* under a PMD mapping already */
		}
		bool w = (v->prot & PTV_PROT_W) && (v->shared || excl);
		pt->e[(p->addr >> 12) & 511u] = MPTE_MKPRESENT(f->id, pg,
			w ? MPTE_WRITE | MPTE_DIRTY : 0);
		m_map_page(m, f, pg);
	}
out:
	pfn_map_free(&swaps);
	pfn_map_free(&occ);
	pfn_map_free(&h);
	free(objs);
	return err;
}
