/* kframe.c: one struct page and its folio, decoded by name.
 *
 * The layout comes from kpage.c; this file reads a page (and its head's
 * first tail pages) in one read each and applies the kernel's own rules:
 * PageAnon/PageKsm/__PageMovable on the mapping tags, folio_test_swapcache
 * (PG_swapcache only counts with PG_swapbacked), PageAnonExclusive (only
 * meaningful on anonymous pages) and page_mapcount() as each version
 * computes it. */
#include <inttypes.h>
#include <string.h>

#include "core/error.h"
#include "core/kernel.h"
#include "core/kpage.h"
#include "core/page.h"

/* Tail pages point at their head at most this many pages back: a PUD-sized
 * folio (order 18) is the largest there is. */
#define MAX_FOLIO_PAGES (UINT64_C(1) << 18)
#define MAX_READ 1024

static uint64_t get(const uint8_t *buf, const struct ptv_kpage_field *f)
{
	uint64_t v = 0;
	for (uint32_t i = f->size; i-- > 0;)	/* little-endian targets */
		v = v << 8 | buf[f->off + i];
	return v;
}

/* An atomic_t (int) field, sign-extended. */
static int64_t get_int(const uint8_t *buf, const struct ptv_kpage_field *f)
{
	uint64_t v = get(buf, f);
	unsigned bits = f->size * 8;
	if (bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~UINT64_C(0) << bits;
	return (int64_t)v;
}

static bool bit(uint64_t flags, int nr)
{
	return nr >= 0 && nr < 64 && ((flags >> nr) & 1);
}

static uint64_t flag_mask(const struct ptv_kpage_info *pi)
{
	if (pi->nr_pageflags >= 64)
		return ~UINT64_C(0);
	return pi->nr_pageflags ? (UINT64_C(1) << pi->nr_pageflags) - 1 : 0;
}

/* Read [addr, addr + len) of the memory map for pfn, with errors that say
 * what was being read. */
static struct ptv_error *read_map(struct ptv_kernel *k, uint64_t pfn,
				  uint64_t addr, void *buf, size_t len)
{
	struct ptv_error *err = ptv_kernel_read(k, addr, buf, len);
	if (!err)
		return NULL;
	enum ptv_error_code code = err->code;
	ptv_error_destroy(err);
	if (code == PTV_ERR_EXCLUDED)
		return ptv_error_create(PTV_ERR_EXCLUDED,
			"PFN %" PRIu64 ": its struct page at 0x%" PRIx64
			" is not in the dump (left out when it was filtered)",
			pfn, addr);
	if (code == PTV_ERR_NO_MEMORY)
		return ptv_error_create(PTV_ERR_NO_MEMORY,
			"PFN %" PRIu64 ": no struct page at 0x%" PRIx64
			" (a hole in the memory map)", pfn, addr);
	return ptv_error_create(code, "PFN %" PRIu64 ": reading its struct "
				"page at 0x%" PRIx64 " failed", pfn, addr);
}

/* Whether the (large) folio whose head is in fb is hugetlb, as each
 * version marks it; sets *known. */
static bool folio_hugetlb(const struct ptv_kpage_info *pi, const uint8_t *fb,
			  bool *known)
{
	*known = true;
	if (pi->dtor.ok && pi->hugetlb_dtor >= 0)	/* to v6.8 */
		return (int64_t)get(fb, &pi->dtor) == pi->hugetlb_dtor;
	if (pi->pg_hugetlb >= 0) {			/* v6.9: page[1] flag */
		struct ptv_kpage_field f1 = pi->flags;
		f1.off += (uint32_t)pi->size;
		return bit(get(fb, &f1), pi->pg_hugetlb);
	}
	if (pi->pgty_hugetlb >= 0)			/* v6.10: page type */
		return (get(fb, &pi->mapcount) >> 24) ==
		       (uint64_t)pi->pgty_hugetlb;
	*known = false;
	return false;
}

/* page_mapcount() of the kernel at hand.  v6.1 and older (PG_double_map):
 * a file THP's subpages count their PMD mappings in _mapcount already;
 * anon and hugetlb add the entire mapcount, less one while the THP is
 * also PTE-mapped (PageDoubleMap, on page[1]).  v6.2+ (Hugh Dickins'
 * mapcount rework, which removed PG_double_map): _mapcount + 1 + the
 * entire mapcount, for every kind. */
static int64_t total_mapcount(const struct ptv_kpage_info *pi,
			      const struct ptv_frame *f, const uint8_t *fb)
{
	if (f->has & PTV_FRAME_HAS_PAGE_TYPE)
		return 0;
	int64_t own = f->mapcount;
	if (!f->large)
		return own;
	int64_t entire = (f->has & PTV_FRAME_HAS_ENTIRE) ? f->entire_mapcount :
							   0;
	if (!pi->double_map)
		return own + entire;
	if (!f->anon && !f->hugetlb)
		return own;
	struct ptv_kpage_field f1 = pi->flags;
	f1.off += (uint32_t)pi->size;
	return own + entire - bit(get(fb, &f1), pi->pg_double_map);
}

struct ptv_error *ptv_frame_read(struct ptv_kernel *k,
				 struct ptv_kpage_info *pi, uint64_t pfn,
				 struct ptv_frame *ret)
{
	uint64_t addr;
	struct ptv_error *err = ptv_kpage_addr(k, pi, pfn, &addr);
	if (err)
		return err;
	if (pi->size > MAX_READ / 2)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
			"sizeof(struct page) = %" PRIu64 " is too large", pi->size);
	uint8_t pb[MAX_READ / 2], fb[MAX_READ];
	if ((err = read_map(k, pfn, addr, pb, pi->size)))
		return err;

	struct ptv_frame f = { .pfn = pfn, .page = addr, .head_pfn = pfn };
	uint64_t mask = flag_mask(pi);
	f.flags = get(pb, &pi->flags);
	f.flag_bits = f.flags & mask;
	if (pi->nr_pageflags)
		f.has |= PTV_FRAME_HAS_FLAG_NAMES;
	f.mapping = get(pb, &pi->mapping);
	f.index = get(pb, &pi->index);
	f.refcount = get_int(pb, &pi->refcount);
	int64_t raw = get_int(pb, &pi->mapcount);
	/* _mapcount doubles as page_type (buddy, offline, table, ...):
	 * values below PAGE_MAPCOUNT_RESERVE (-128) are types, not counts
	 * (v4.18, commit 6e292b9be7f4; v6.12 keeps the type in the top
	 * byte, which reads as even more negative). */
	if (raw < -128) {
		f.page_type = (uint32_t)raw;
		f.has |= PTV_FRAME_HAS_PAGE_TYPE;
	} else {
		f.mapcount = raw + 1;
	}
	if (pi->memcg_data.ok) {
		f.memcg_data = get(pb, &pi->memcg_data);
		f.has |= PTV_FRAME_HAS_MEMCG;
		/* enum page_memcg_data_flags (v5.11) */
		if (pi->memcg_flag_bits) {
			f.memcg = f.memcg_data &
				  ~((UINT64_C(1) << pi->memcg_flag_bits) - 1);
			f.has |= PTV_FRAME_HAS_MEMCG_PTR;
		}
	}

	uint64_t ch = get(pb, &pi->compound_head), head_addr = addr;
	f.tail = ch & 1;
	f.head = bit(f.flags, pi->pg_head);
	if (f.tail) {
		head_addr = ch - 1;
		uint64_t back = addr - head_addr;
		if (head_addr > addr || back % pi->size ||
		    back / pi->size >= MAX_FOLIO_PAGES)
			return ptv_error_create(PTV_ERR_FORMAT,
				"PFN %" PRIu64 ": compound_head 0x%" PRIx64
				" is not a struct page before 0x%" PRIx64,
				pfn, ch, addr);
		f.head_pfn = pfn - back / pi->size;
	}
	f.large = f.head || f.tail;
	size_t flen = f.large ? pi->folio_bytes : pi->size;
	if (flen > sizeof(fb))
		flen = sizeof(fb);
	if (!f.large || !f.tail)
		memcpy(fb, pb, pi->size);
	if (f.large && (err = read_map(k, f.head_pfn, head_addr, fb, flen)))
		return err;

	f.folio_flags = get(fb, &pi->flags) & mask;
	f.folio_mapping = get(fb, &pi->mapping);
	f.anon = f.folio_mapping & 1;		/* PAGE_MAPPING_ANON */
	f.movable = (f.folio_mapping & 3) == 2;	/* PAGE_MAPPING_MOVABLE */
	f.ksm = (f.folio_mapping & 3) == 3;	/* PAGE_MAPPING_KSM */
	f.lru = bit(f.folio_flags, pi->pg_lru);
	f.swapbacked = bit(f.folio_flags, pi->pg_swapbacked);
	if (pi->pg_swapcache >= 0 && pi->pg_swapbacked >= 0) {
		f.swapcache = f.swapbacked &&
			      bit(f.folio_flags, pi->pg_swapcache);
		f.has |= PTV_FRAME_HAS_SWAPCACHE;
	}

	if (!f.large) {
		if (pi->order_how != PTV_ORDER_NONE)
			f.has |= PTV_FRAME_HAS_ORDER;
		bool known;
		folio_hugetlb(pi, fb, &known);
		if (known)
			f.has |= PTV_FRAME_HAS_HUGETLB;
	} else {
		if (pi->order_how == PTV_ORDER_BYTE) {
			f.folio_order = (unsigned)get(fb, &pi->order);
			f.has |= PTV_FRAME_HAS_ORDER;
		} else if (pi->order_how == PTV_ORDER_FLAGS1) {
			f.folio_order = (unsigned)(get(fb, &pi->order) & 0xff);
			f.has |= PTV_FRAME_HAS_ORDER;
		}
		if (pi->entire_mapcount.ok) {
			f.entire_mapcount = get_int(fb, &pi->entire_mapcount) + 1;
			f.has |= PTV_FRAME_HAS_ENTIRE;
		}
		if (pi->large_mapcount.ok) {
			f.large_mapcount = get_int(fb, &pi->large_mapcount) + 1;
			f.has |= PTV_FRAME_HAS_LARGE_MAPCOUNT;
		}
		if (pi->pincount.ok) {
			f.pincount = get_int(fb, &pi->pincount);
			f.has |= PTV_FRAME_HAS_PINCOUNT;
		}
		if (pi->nr_pages_mapped.ok) {
			f.nr_pages_mapped = get_int(fb, &pi->nr_pages_mapped);
			f.has |= PTV_FRAME_HAS_NR_MAPPED;
		}
		bool known;
		f.hugetlb = folio_hugetlb(pi, fb, &known);
		if (known)
			f.has |= PTV_FRAME_HAS_HUGETLB;
	}
	/* PageAnonExclusive: the page's own PG_anon_exclusive (v5.19,
	 * commit 6c287605fd56; in v6.1 an alias of PG_mappedtodisk), the
	 * head's for hugetlb; KSM pages are never exclusive. */
	if (f.anon && !f.ksm && pi->pg_anon_exclusive >= 0) {
		f.anon_exclusive = bit(f.hugetlb ? f.folio_flags : f.flags,
				       pi->pg_anon_exclusive);
		f.has |= PTV_FRAME_HAS_ANON_EXCL;
	}
	f.total_mapcount = total_mapcount(pi, &f, fb);
	*ret = f;
	return NULL;
}

size_t ptv_frame_flag_names(const struct ptv_kpage_info *pi, uint64_t flags,
			    const char **names, size_t max)
{
	size_t n = 0;
	for (unsigned b = 0; b < 64 && b < pi->nr_pageflags; b++) {
		if (!((flags >> b) & 1) || !pi->flag_names[b])
			continue;
		if (n < max)
			names[n] = pi->flag_names[b];
		n++;
	}
	return n;
}

struct ptv_error *ptv_kpage_fill_page(struct ptv_kernel *k,
				      struct ptv_kpage_info *pi,
				      struct ptv_page *p)
{
	if (p->state != PTV_STATE_PRESENT || !(p->has & PTV_HAS_PFN) ||
	    ptv_page_is(p, PTV_B_ZERO_PAGE) ||
	    ptv_page_is(p, PTV_B_HUGE_ZERO_PAGE))
		return NULL;
	struct ptv_frame f;
	struct ptv_error *err = ptv_frame_read(k, pi, p->pfn, &f);
	if (err)
		return err;
	if (f.has & PTV_FRAME_HAS_FLAG_NAMES) {
		p->has |= PTV_HAS_PAGE_FLAGS;
		p->page_flags = f.flag_bits;
	}
	p->has |= PTV_HAS_REFCOUNT;
	p->refcount = f.refcount;
	if (!(f.has & PTV_FRAME_HAS_PAGE_TYPE) && f.total_mapcount >= 0) {
		p->has |= PTV_HAS_MAPCOUNT;
		p->mapcount = (uint64_t)f.total_mapcount;
	}
	if (f.has & PTV_FRAME_HAS_ORDER) {
		p->has |= PTV_HAS_ORDER;
		p->folio_order = f.folio_order;
	}
	ptv_page_set(p, PTV_B_ANON, f.anon);
	ptv_page_set(p, PTV_B_THP, f.large);
	ptv_page_set(p, PTV_B_THP_HEAD, f.large && !f.tail);
	ptv_page_set(p, PTV_B_KSM, f.ksm);
	if (f.has & PTV_FRAME_HAS_ANON_EXCL)
		ptv_page_set(p, PTV_B_ANON_EXCLUSIVE, f.anon_exclusive);
	if (f.has & PTV_FRAME_HAS_SWAPCACHE)
		ptv_page_set(p, PTV_B_SWAPCACHE, f.swapcache);
	return NULL;
}
