/* walk.c: the page-table walker over a memory image.
 *
 * One function handles any level: the levels differ only in what the
 * architecture says about their entries (core/arch.h), and an arch-neutral
 * walker cannot name them the way mm/pagewalk.c's walk_pgd_range() ...
 * walk_pte_range() do.  The caller classifies (ptv_arch.decode), the
 * emitters act: present leaves, non-present entries and holes are handled
 * by separate functions, as copy_present_pte() and copy_nonpresent_pte()
 * are in mm/memory.c.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/walk.h"

#define MAX_TABLE_ENTRIES 512

struct walk_ctx {
	struct ptv_walk *w;
	enum ptv_level levels[5];
	unsigned nlevels;
	uint64_t limit;
	int stopped;
	/* Empty pages not reported yet: neighbouring holes are reported as
	 * one range, however many entries and levels they span. */
	uint64_t hole_lo, hole_hi;
	/* Present pages not reported yet: leaves of one level with equal
	 * bits whose frames follow each other (or are one frame). */
	struct ptv_page leaf;
	uint64_t leaf_n, leaf_last_pfn;
	int leaf_step;		/* -1: not known yet (one page so far) */
};

static int flush_leaf(struct walk_ctx *c)
{
	if (c->leaf_n && !c->stopped) {
		c->leaf.pfn_same = c->leaf_step == 0;
		c->stopped = c->w->ops->pages(c->w->ops_arg, &c->leaf,
					      c->leaf_n);
	}
	c->leaf_n = 0;
	return c->stopped;
}

static void flush_hole(struct walk_ctx *c)
{
	if (c->hole_hi > c->hole_lo && !c->stopped) {
		struct ptv_page p;
		memset(&p, 0, sizeof(p));
		p.vaddr = c->hole_lo;
		p.state = PTV_STATE_NONE;
		c->stopped = c->w->ops->pages(c->w->ops_arg, &p,
					      (c->hole_hi - c->hole_lo) >> 12);
	}
	c->hole_lo = c->hole_hi = 0;
}

static int emit(struct walk_ctx *c, const struct ptv_page *p, uint64_t n)
{
	if (c->stopped || !n)
		return c->stopped;
	flush_leaf(c);
	if (p->state == PTV_STATE_NONE) {
		if (c->hole_hi != p->vaddr || c->hole_hi == c->hole_lo) {
			flush_hole(c);
			c->hole_lo = p->vaddr;
		}
		c->hole_hi = p->vaddr + n * 4096;
		return c->stopped;
	}
	flush_hole(c);
	if (!c->stopped)
		c->stopped = c->w->ops->pages(c->w->ops_arg, p, n);
	return c->stopped;
}

/* A present leaf of n pages from vaddr at pfn: joins the pending range
 * when it continues it, else starts a new one. */
static int emit_leaf(struct walk_ctx *c, enum ptv_level level, uint64_t raw,
		     const struct ptv_entry *e, uint64_t vaddr, uint64_t pfn,
		     uint64_t n)
{
	if (c->stopped)
		return c->stopped;
	struct ptv_page *l = &c->leaf;
	if (c->leaf_n && l->level == level &&
	    l->vaddr + c->leaf_n * 4096 == vaddr &&
	    l->bool_known == e->bool_known && l->bool_val == e->bool_val) {
		int step = pfn == c->leaf_last_pfn + 1 ? 1 :
			   pfn == c->leaf_last_pfn && n == 1 ? 0 : -2;
		if (step >= 0 && (c->leaf_step < 0 || c->leaf_step == step)) {
			c->leaf_step = step;
			c->leaf_n += n;
			c->leaf_last_pfn = pfn + (step ? n - 1 : 0);
			return 0;
		}
	}
	flush_leaf(c);
	flush_hole(c);
	memset(l, 0, sizeof(*l));
	l->vaddr = vaddr;
	l->state = PTV_STATE_PRESENT;
	l->has = PTV_HAS_PFN | PTV_HAS_LEVEL | PTV_HAS_RAW;
	l->level = level;
	l->raw = raw;
	l->pfn = pfn;
	l->bool_known = e->bool_known;
	l->bool_val = e->bool_val;
	c->leaf_n = n;
	c->leaf_last_pfn = pfn + n - 1;
	c->leaf_step = n > 1 ? 1 : -1;
	return 0;
}

/* [lo, hi) holds no mapping, or could not be read (state says which). */
static int emit_hole(struct walk_ctx *c, uint64_t lo, uint64_t hi,
		     enum ptv_page_state state, enum ptv_level level,
		     uint64_t raw, int has_raw)
{
	struct ptv_page p;
	memset(&p, 0, sizeof(p));
	p.vaddr = lo;
	p.state = state;
	if (state != PTV_STATE_NONE) {
		p.has = PTV_HAS_LEVEL | (has_raw ? PTV_HAS_RAW : 0);
		p.level = level;
		p.raw = raw;
	}
	return emit(c, &p, (hi - lo) >> 12);
}

/* A present (or PROT_NONE) leaf mapping [lo, hi) of its entry; the entry
 * maps from entry_base, so the first PFN is offset into it. */
static int emit_present(struct walk_ctx *c, enum ptv_level level, uint64_t raw,
			const struct ptv_entry *e, uint64_t entry_base,
			uint64_t lo, uint64_t hi)
{
	return emit_leaf(c, level, raw, e, lo,
			 e->pfn + ((lo - entry_base) >> 12), (hi - lo) >> 12);
}

/* A non-present entry that is not empty: swap, migration, device, ... */
static int emit_nonpresent(struct walk_ctx *c, enum ptv_level level,
			   uint64_t raw, const struct ptv_entry *e,
			   uint64_t lo, uint64_t hi)
{
	struct ptv_page p;
	memset(&p, 0, sizeof(p));
	p.vaddr = lo;
	p.state = e->state;
	p.has = PTV_HAS_LEVEL | PTV_HAS_RAW;
	p.level = level;
	p.raw = raw;
	if (e->state != PTV_STATE_MARKER) {
		p.has |= PTV_HAS_SWAP;
		p.swap_type = e->swap_type;
		p.swap_offset = e->swap_offset;
	}
	if (e->has_pfn) {
		p.has |= PTV_HAS_PFN;
		p.pfn = e->pfn;
	}
	p.bool_known = e->bool_known;
	p.bool_val = e->bool_val;
	/* A PMD migration entry stands for 512 pages of one folio, but the
	 * swap offset it holds is the head's: report it for each page. */
	return emit(c, &p, (hi - lo) >> 12);
}

static struct ptv_error *read_table(struct walk_ctx *c, uint64_t phys,
				    uint64_t *buf, unsigned n,
				    enum ptv_page_state *state_ret)
{
	struct ptv_walk *w = c->w;
	if (w->tables[0] + w->tables[1] + w->tables[2] + w->tables[3] +
	    w->tables[4] >= c->limit)
		return ptv_error_create(PTV_ERR_FORMAT,
			"page-table walk stopped after %llu tables: the tables "
			"loop or the dump is damaged",
			(unsigned long long)c->limit);
	struct ptv_error *err = w->read_phys(w->read_arg, phys, buf,
					     (size_t)n * 8);
	if (!err) {
		*state_ret = PTV_STATE_PRESENT;
		return NULL;
	}
	*state_ret = err->code == PTV_ERR_EXCLUDED ? PTV_STATE_EXCLUDED :
						     PTV_STATE_UNREADABLE;
	snprintf(w->last_error, sizeof(w->last_error), "%s", err->message);
	ptv_error_destroy(err);
	return NULL;
}

static struct ptv_error *walk_table(struct walk_ctx *c, unsigned depth,
				    uint64_t table_phys, uint64_t table_base,
				    uint64_t lo, uint64_t hi)
{
	struct ptv_walk *w = c->w;
	enum ptv_level level = c->levels[depth];
	unsigned shift = w->arch->entry_shift(w->params, level);
	unsigned n = 1u << w->arch->table_bits;
	uint64_t entries[MAX_TABLE_ENTRIES];
	enum ptv_page_state rs;
	struct ptv_error *err = read_table(c, table_phys, entries, n, &rs);
	if (err)
		return err;
	if (rs != PTV_STATE_PRESENT) {
		/* The table is not in the image: its whole range is. */
		emit_hole(c, lo, hi, rs, level, 0, 0);
		return NULL;
	}
	w->tables[level]++;
	if (w->ops->table && !c->stopped)
		c->stopped = w->ops->table(w->ops_arg, level, table_phys,
					   table_base, entries, n);
	uint64_t span = UINT64_C(1) << shift;
	unsigned first = (unsigned)((lo - table_base) >> shift);
	/* The fast path of the last level: runs of empty entries and of
	 * present PTEs equal but for their frames skip decode(). */
	bool last = depth + 1 == c->nlevels;
	uint64_t req = w->arch->leaf_present_bits;
	uint64_t fmask = w->arch->leaf_frame_mask;
	bool fast = last && req && fmask && !w->params->phys_clear;
	for (unsigned i = first; i < n && !c->stopped; i++) {
		uint64_t base = table_base + (uint64_t)i * span;
		if (base >= hi)
			break;
		uint64_t raw = entries[i];
		if (fast && span == 4096 && base >= lo) {
			/* entries left in range from i on */
			unsigned end = (unsigned)((hi - base) >> 12);
			end = end > n - i ? n : i + end;
			if (!raw && !c->leaf_n && c->hole_hi == base &&
			    c->hole_hi > c->hole_lo) {
				unsigned j = i + 1;
				while (j < end && !entries[j])
					j++;
				c->hole_hi = base + (uint64_t)(j - i) * 4096;
				i = j - 1;
				continue;
			}
			/* the same entry again: one frame mapped on (the
			 * zero page) */
			if (c->leaf_n && raw == c->leaf.raw && c->leaf_step <= 0 &&
			    (raw & req) == req && c->leaf.level == level &&
			    c->leaf.vaddr + c->leaf_n * 4096 == base &&
			    ((raw & fmask) >> 12) == c->leaf_last_pfn) {
				unsigned j = i + 1;
				while (j < end && entries[j] == raw)
					j++;
				c->leaf_step = 0;
				c->leaf_n += j - i;
				i = j - 1;
				continue;
			}
			if (c->leaf_n && (raw & req) == req &&
			    !((raw ^ c->leaf.raw) & ~fmask) &&
			    c->leaf.vaddr + c->leaf_n * 4096 == base &&
			    c->leaf.level == level) {
				uint64_t pfn = (raw & fmask) >> 12;
				int step = pfn == c->leaf_last_pfn + 1 ? 1 :
					   pfn == c->leaf_last_pfn ? 0 : -2;
				if (step >= 0 && (c->leaf_step < 0 ||
						  c->leaf_step == step)) {
					c->leaf_step = step;
					c->leaf_n++;
					c->leaf_last_pfn = pfn;
					continue;
				}
			}
		}
		uint64_t elo = base > lo ? base : lo;
		uint64_t ehi = base + span < hi && base + span > base ?
			       base + span : hi;
		struct ptv_entry e;
		w->arch->decode(w->params, level, entries[i], &e);
		switch (e.kind) {
		case PTV_ENTRY_NONE:
			emit_hole(c, elo, ehi, PTV_STATE_NONE, level, 0, 0);
			break;
		case PTV_ENTRY_TABLE:
			if (depth + 1 >= c->nlevels) {
				w->bad_entries++;
				emit_hole(c, elo, ehi, PTV_STATE_UNREADABLE,
					  level, entries[i], 1);
				break;
			}
			err = walk_table(c, depth + 1, e.next_phys, base, elo,
					 ehi);
			if (err)
				return err;
			break;
		case PTV_ENTRY_LEAF:
			emit_present(c, level, entries[i], &e, base, elo, ehi);
			break;
		case PTV_ENTRY_NONPRESENT:
			emit_nonpresent(c, level, entries[i], &e, elo, ehi);
			break;
		case PTV_ENTRY_BAD:
			w->bad_entries++;
			emit_hole(c, elo, ehi, PTV_STATE_UNREADABLE, level,
				  entries[i], 1);
			break;
		}
	}
	return NULL;
}

static void ctx_init(struct walk_ctx *c, struct ptv_walk *w)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->nlevels = w->arch->levels(w->params, c->levels);
	c->limit = w->max_tables ? w->max_tables : UINT64_C(1) << 24;
}

struct ptv_error *ptv_walk_range(struct ptv_walk *w, uint64_t top_phys,
				 uint64_t lo, uint64_t hi)
{
	struct walk_ctx c;
	ctx_init(&c, w);
	lo &= ~UINT64_C(0xfff);
	hi = (hi + 0xfff) & ~UINT64_C(0xfff);
	if (lo >= hi)
		return NULL;
	if ((1u << w->arch->table_bits) > MAX_TABLE_ENTRIES)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s: tables of more than %d entries",
					w->arch->name, MAX_TABLE_ENTRIES);
	uint64_t top = w->arch->user_top(w->params);
	uint64_t whi = hi < top ? hi : top;
	struct ptv_error *err = NULL;
	if (lo < whi)
		err = walk_table(&c, 0, top_phys, 0, lo, whi);
	/* Above user space nothing is mapped for the process. */
	if (!err && whi < hi && lo < hi)
		emit_hole(&c, lo > whi ? lo : whi, hi, PTV_STATE_NONE,
			  PTV_LEVEL_PTE, 0, 0);
	if (!err) {
		flush_leaf(&c);
		flush_hole(&c);
	}
	return err;
}

struct ptv_error *ptv_walk_one(struct ptv_walk *w, uint64_t top_phys,
			       uint64_t vaddr, struct ptv_walk_step steps[5],
			       unsigned *n_ret, struct ptv_page *page_ret)
{
	struct walk_ctx c;
	ctx_init(&c, w);
	struct ptv_page page;
	memset(&page, 0, sizeof(page));
	page.vaddr = vaddr & ~UINT64_C(0xfff);
	page.state = PTV_STATE_NONE;
	uint64_t table = top_phys, entries[MAX_TABLE_ENTRIES];
	unsigned n = 0;
	for (unsigned d = 0; d < c.nlevels; d++) {
		enum ptv_level level = c.levels[d];
		unsigned shift = w->arch->entry_shift(w->params, level);
		unsigned idx = (unsigned)(vaddr >> shift) &
			       ((1u << w->arch->table_bits) - 1);
		enum ptv_page_state rs;
		struct ptv_error *err = read_table(&c, table, entries,
						   1u << w->arch->table_bits,
						   &rs);
		if (err)
			return err;
		if (rs != PTV_STATE_PRESENT) {
			page.state = rs;
			page.has = PTV_HAS_LEVEL;
			page.level = level;
			break;
		}
		struct ptv_walk_step *s = &steps[n++];
		s->level = level;
		s->table_phys = table;
		s->index = idx;
		s->raw = entries[idx];
		w->arch->decode(w->params, level, s->raw, &s->entry);
		const struct ptv_entry *e = &s->entry;
		if (e->kind == PTV_ENTRY_TABLE && d + 1 < c.nlevels) {
			table = e->next_phys;
			continue;
		}
		page.has = PTV_HAS_LEVEL | PTV_HAS_RAW;
		page.level = level;
		page.raw = s->raw;
		page.bool_known = e->bool_known;
		page.bool_val = e->bool_val;
		if (e->kind == PTV_ENTRY_LEAF) {
			page.state = PTV_STATE_PRESENT;
			page.has |= PTV_HAS_PFN;
			page.pfn = e->pfn + (((vaddr & ~UINT64_C(0xfff)) &
					      ((UINT64_C(1) << shift) - 1)) >> 12);
		} else if (e->kind == PTV_ENTRY_NONPRESENT) {
			page.state = e->state;
			if (e->state != PTV_STATE_MARKER) {
				page.has |= PTV_HAS_SWAP;
				page.swap_type = e->swap_type;
				page.swap_offset = e->swap_offset;
			}
			if (e->has_pfn) {
				page.has |= PTV_HAS_PFN;
				page.pfn = e->pfn;
			}
		} else if (e->kind == PTV_ENTRY_NONE) {
			page.state = PTV_STATE_NONE;
			page.has = 0;
		} else {
			page.state = PTV_STATE_UNREADABLE;
		}
		break;
	}
	*n_ret = n;
	*page_ret = page;
	return NULL;
}
