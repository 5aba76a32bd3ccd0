/* kpage.h: struct page and its folio, read from a memory image.
 *
 * Where a PFN's struct page lives (the vmemmap, or the mem_section table
 * of classic sparsemem), and its fields decoded by name with the layout of
 * the kernel at hand: page->flags with the PG_* names of the kernel's own
 * enum pageflags, the mapping word and its tag bits, the counters, and the
 * large-folio fields that moved between versions (6.1 keeps them in the
 * first tail page under page and folio names; 6.2 renamed and added some;
 * later kernels fold the order into folio->_flags_1).  No offset or flag
 * value is hard-coded: all come from the types (BTF or DWARF), checked
 * against VMCOREINFO where it has them.  Also the zero pages, which the
 * dump of page tables needs.
 */
#ifndef PTV_KPAGE_H
#define PTV_KPAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ptv_error;
struct ptv_kernel;
struct ptv_page;

/* A member found in the types: where it is, relative to the struct page
 * the reader starts from (for folio fields: the head page), and its size
 * in bytes (1, 2, 4 or 8).  ok is false when this kernel has none. */
struct ptv_kpage_field {
	bool ok;
	uint32_t off, size;
};

/* How a PFN's struct page is found. */
enum ptv_memmap_model {
	PTV_MEMMAP_NONE,	/* unknown: see memmap_missing */
	PTV_MEMMAP_VMEMMAP,	/* SPARSEMEM_VMEMMAP: vmemmap + pfn */
	PTV_MEMMAP_SECTIONS,	/* mem_section[]->section_mem_map + pfn */
};

/* Everything looked up once per kernel (ptv_kpage_info_init()); what this
 * kernel does not have stays !ok / -1 / false.  Strings point into the
 * kernel's types and live as long as the struct ptv_kernel. */
struct ptv_kpage_info {
	bool layout_ok;			/* size and the fields of struct page
					   below that every kernel has */
	char layout_missing[160];	/* why not, when !layout_ok */
	uint64_t size;			/* sizeof(struct page) */
	struct ptv_kpage_field flags, mapping, index, mapcount, refcount,
		memcg_data, compound_head;

	/* Large folios: offsets from the head page's struct page. */
	enum { PTV_ORDER_NONE, PTV_ORDER_BYTE, PTV_ORDER_FLAGS1 } order_how;
	struct ptv_kpage_field order;	/* _folio_order / page[1].compound_order
					   or folio->_flags_1 */
	struct ptv_kpage_field entire_mapcount;	/* -1 based */
	struct ptv_kpage_field large_mapcount;	/* -1 based (v6.11+) */
	struct ptv_kpage_field pincount;
	struct ptv_kpage_field nr_pages_mapped;	/* v6.2+ */
	struct ptv_kpage_field dtor;		/* compound_dtor (to v6.8) */
	uint64_t folio_bytes;		/* bytes of struct folio (or 2 pages) */
	bool double_map;		/* PG_double_map exists: v6.1 and older
					   page_mapcount() rules */

	/* Page flags: enum pageflags, bits below nr_pageflags. */
	unsigned nr_pageflags;		/* 0 when unknown */
	const char *flag_names[64];	/* canonical name per bit, or NULL */
	int pg_head, pg_lru, pg_swapbacked, pg_swapcache, pg_anon_exclusive,
	    pg_double_map, pg_hugetlb;	/* bit numbers, -1 if none */
	int64_t hugetlb_dtor;		/* HUGETLB_PAGE_DTOR, -1 if none */
	int64_t pgty_hugetlb;		/* enum pagetype PGTY_hugetlb, -1 */
	int memcg_flag_bits;		/* __NR_MEMCG_DATA_FLAGS bits, or 0 */

	/* The memory map. */
	enum ptv_memmap_model memmap;
	char memmap_missing[160];	/* what is missing, for PTV_MEMMAP_NONE */
	bool max_pfn_known;
	uint64_t max_pfn;		/* first PFN past memory (max_pfn) */
	uint64_t mem_section;		/* &mem_section */
	bool sections_extreme;		/* mem_section is an array of roots */
	uint64_t section_roots, sections_per_root, section_size;
	uint64_t off_section_mem_map;
	unsigned pfn_section_shift;	/* SECTION_SIZE_BITS - PAGE_SHIFT */
	uint64_t section_map_mask;
	unsigned section_has_mem_map_bit;	/* SECTION_HAS_MEM_MAP */
	/* one-entry cache of the last section looked up */
	uint64_t cache_section, cache_mem_map;
	bool cache_valid;

	bool zero_pfn_known, huge_zero_known;
	uint64_t zero_pfn, huge_zero_pfn;
};

/* Look everything up once; what cannot be found stays unknown.  Never
 * fails: ptv_frame_read() reports what is missing when it matters. */
void ptv_kpage_info_init(struct ptv_kernel *k, struct ptv_kpage_info *pi);

/* Use the mem_section table even where the vmemmap is known (tests: the
 * two must agree).  An error naming what VMCOREINFO lacks otherwise. */
struct ptv_error *ptv_kpage_use_sections(struct ptv_kernel *k,
					 struct ptv_kpage_info *pi);

/* The address of pfn's struct page.  PTV_ERR_NO_MEMORY naming the PFN
 * when it is beyond memory or in a hole without a memory map;
 * PTV_ERR_UNSUPPORTED naming what is missing when no memory model is
 * known; PTV_ERR_EXCLUDED when the mem_section entry is not in the dump. */
struct ptv_error *ptv_kpage_addr(struct ptv_kernel *k,
				 struct ptv_kpage_info *pi, uint64_t pfn,
				 uint64_t *ret);

/* Whether pfn's folio is anonymous: its head page's mapping has
 * PAGE_MAPPING_ANON (bit 0; KSM pages too). */
struct ptv_error *ptv_kpage_is_anon(struct ptv_kernel *k,
				    struct ptv_kpage_info *pi,
				    uint64_t pfn, bool *ret);

/* ---- One frame, all fields decoded --------------------------------------- */

/* Fields of struct ptv_frame that not every kernel or page has. */
enum {
	PTV_FRAME_HAS_MEMCG = 1u << 0,		/* memcg_data */
	PTV_FRAME_HAS_ORDER = 1u << 1,		/* folio_order */
	PTV_FRAME_HAS_ENTIRE = 1u << 2,		/* entire_mapcount */
	PTV_FRAME_HAS_LARGE_MAPCOUNT = 1u << 3,	/* large_mapcount */
	PTV_FRAME_HAS_PINCOUNT = 1u << 4,	/* pincount */
	PTV_FRAME_HAS_NR_MAPPED = 1u << 5,	/* nr_pages_mapped */
	PTV_FRAME_HAS_PAGE_TYPE = 1u << 6,	/* page_type, not mapcount */
	PTV_FRAME_HAS_ANON_EXCL = 1u << 7,	/* anon_exclusive (anon only) */
	PTV_FRAME_HAS_SWAPCACHE = 1u << 8,	/* swapcache */
	PTV_FRAME_HAS_HUGETLB = 1u << 9,	/* hugetlb */
	PTV_FRAME_HAS_FLAG_NAMES = 1u << 10,	/* flags can be named */
	PTV_FRAME_HAS_MEMCG_PTR = 1u << 11,	/* memcg */
};

/* One struct page and what its folio says about it.  Counters are the
 * counts, not the stored values: _mapcount and the entire and large
 * mapcounts are kept minus one by the kernel and are given here plus one. */
struct ptv_frame {
	uint64_t pfn;
	uint64_t page;		/* address of its struct page */
	uint32_t has;		/* PTV_FRAME_HAS_* */
	uint64_t flags;		/* page->flags, the whole word (section,
				   node and zone bits included) */
	uint64_t flag_bits;	/* the PG_* bits: below NR_PAGEFLAGS */
	uint64_t mapping;	/* page->mapping with its tag bits */
	uint64_t index;
	int64_t refcount;	/* page->_refcount */
	int64_t mapcount;	/* page->_mapcount + 1: this page's own */
	uint32_t page_type;	/* when _mapcount holds a type (buddy, ...) */
	int64_t total_mapcount;	/* what page_mapcount() returns, as
				   /proc/kpagecount would say */
	uint64_t memcg_data;	/* raw, low bits are flags */
	uint64_t memcg;		/* memcg_data without its flag bits (a
				   mem_cgroup, or with MEMCG_DATA_OBJCGS an
				   obj_cgroup vector): PTV_FRAME_HAS_MEMCG_PTR */
	/* the folio */
	uint64_t head_pfn;	/* == pfn for a small folio or a head */
	uint64_t folio_flags;	/* head page's flags (PG_* bits only) */
	uint64_t folio_mapping;	/* head page's mapping */
	unsigned folio_order;	/* 0 for a small folio */
	int64_t entire_mapcount, large_mapcount, pincount, nr_pages_mapped;
	bool head, tail;	/* PG_head; a tail page (compound_head bit 0) */
	bool large;		/* part of a large folio (THP, hugetlb...) */
	bool anon, ksm, movable;	/* PAGE_MAPPING_* tags of the folio */
	bool lru, swapbacked, swapcache, anon_exclusive, hugetlb;
};

/* Read and decode pfn's struct page and, for a large folio, its head.
 * Errors name the PFN: PTV_ERR_EXCLUDED when the struct page is not in a
 * filtered dump, PTV_ERR_NO_MEMORY beyond memory or in a hole,
 * PTV_ERR_UNSUPPORTED when the layout is unknown.  *ret is untouched on
 * failure. */
struct ptv_error *ptv_frame_read(struct ptv_kernel *k,
				 struct ptv_kpage_info *pi, uint64_t pfn,
				 struct ptv_frame *ret);

/* The canonical PG_* names of the bits set in flags (a page->flags word or
 * its flag_bits), lowest bit first, at most max of them; returns how many
 * there are (which may exceed max).  Aliases (PG_swapcache,
 * PG_anon_exclusive...) are not listed: they share a bit with a canonical
 * name, and struct ptv_frame's booleans give their meaning.  The strings
 * live as long as the kernel's types. */
size_t ptv_frame_flag_names(const struct ptv_kpage_info *pi, uint64_t flags,
			    const char **names, size_t max);

/* Fill the struct page keys of a dump's page record from the frame of its
 * PFN: page_flags, refcount, mapcount (total), folio_order, thp, thp_head,
 * ksm, anon_exclusive, swapcache.  Pages that are not present, and the
 * zero pages, are left as they are.  An error when the frame cannot be
 * read (p is then unchanged). */
struct ptv_error *ptv_kpage_fill_page(struct ptv_kernel *k,
				      struct ptv_kpage_info *pi,
				      struct ptv_page *p);

#endif /* PTV_KPAGE_H */
