/* page.h: one page as every source reports it (live pagemap, crash dumps).
 *
 * A struct ptv_page describes one 4 KiB virtual page of one VMA: its state
 * and whatever the source knows about the entry and the frame.  `has` says
 * which optional fields and booleans are known; booleans that are known
 * have their value in `bits`.  Output layers print only what is known, so
 * one schema serves every source (../shared/spec/cli.md, "page" records).
 */
#ifndef PTV_PAGE_H
#define PTV_PAGE_H

#include <stdbool.h>
#include <stdint.h>

enum ptv_page_state {
	PTV_STATE_NONE,
	PTV_STATE_PRESENT,
	PTV_STATE_SWAP,
	PTV_STATE_MIGRATION,
	PTV_STATE_DEVICE_PRIVATE,
	PTV_STATE_DEVICE_EXCLUSIVE,
	PTV_STATE_HWPOISON,
	PTV_STATE_MARKER,
	PTV_STATE_EXCLUDED,
	PTV_STATE_UNREADABLE,
};

enum ptv_level {
	PTV_LEVEL_PTE,
	PTV_LEVEL_PMD,
	PTV_LEVEL_PUD,
	PTV_LEVEL_P4D,
	PTV_LEVEL_PGD,
};

/* Boolean attributes, in the order records print them. */
enum ptv_page_bool {
	PTV_B_WRITABLE,
	PTV_B_DIRTY,
	PTV_B_ACCESSED,
	PTV_B_USER,
	PTV_B_NX,
	PTV_B_GLOBAL,
	PTV_B_PROTNONE,
	PTV_B_SOFT_DIRTY,
	PTV_B_UFFD_WP,
	PTV_B_EXCLUSIVE,	/* PM_MMAP_EXCLUSIVE live; swap-exclusive bit in dumps */
	PTV_B_ANON,
	PTV_B_SHMEM,		/* page cache of tmpfs/shmem (not anon) */
	PTV_B_ZERO_PAGE,
	PTV_B_HUGE_ZERO_PAGE,
	PTV_B_THP,		/* belongs to a large folio */
	PTV_B_THP_HEAD,		/* first page of its large folio */
	PTV_B_KSM,
	PTV_B_ANON_EXCLUSIVE,	/* PageAnonExclusive (dumps: struct page) */
	PTV_B_SWAPCACHE,	/* in the swap cache (dumps: struct page) */
	PTV_B_COUNT
};

/* Optional non-boolean fields. */
enum {
	PTV_HAS_PFN = 1u << 0,
	PTV_HAS_SWAP = 1u << 1,		/* swap_type and swap_offset */
	PTV_HAS_LEVEL = 1u << 2,
	PTV_HAS_RAW = 1u << 3,
	PTV_HAS_ORDER = 1u << 4,	/* folio_order */
	PTV_HAS_MAPCOUNT = 1u << 5,	/* struct page mapcount (dumps) */
	PTV_HAS_KPAGECOUNT = 1u << 6,	/* /proc/kpagecount, in .mapcount */
	PTV_HAS_KPAGEFLAGS = 1u << 7,
	PTV_HAS_PAGE_FLAGS = 1u << 8,	/* page_flags (dumps: PG_* bits) */
	PTV_HAS_REFCOUNT = 1u << 9,	/* struct page _refcount (dumps) */
};

struct ptv_page {
	uint64_t vaddr;
	enum ptv_page_state state;
	uint32_t has;		/* PTV_HAS_* */
	uint32_t bool_known;	/* 1 << PTV_B_*: the boolean is known */
	uint32_t bool_val;	/* 1 << PTV_B_*: ... and true */
	enum ptv_level level;
	uint16_t folio_order;
	/* For a range of pages reported at once (core/walk.h): set when
	 * every page maps the same frame (a run of zero-page PTEs), clear
	 * when the PFN advances by one per page.  Records print it as
	 * "pfn_step":0. */
	uint8_t pfn_same;
	uint64_t pfn;
	union {				/* by state, so never both: */
		uint64_t swap_type;	/* swap, migration (PTV_HAS_SWAP) */
		int64_t refcount;	/* present, dumps (PTV_HAS_REFCOUNT):
					   struct page _refcount */
	};
	uint64_t swap_offset;
	uint64_t raw;
	uint64_t mapcount;	/* dumps: what page_mapcount() returns */
	union {				/* by source, so never both: */
		uint64_t kpageflags;	/* live (PTV_HAS_KPAGEFLAGS) */
		uint64_t page_flags;	/* dumps (PTV_HAS_PAGE_FLAGS): the PG_*
					   bits of page->flags; the writer
					   names them (struct ptv_out) */
	};
};

/* The walker zeroes one of these per page-table entry: GCC (x86-64, -O2)
 * does that with plain stores up to 80 bytes and with `rep stos`, several
 * times slower in that loop, above.  Grow it only with a measurement. */
_Static_assert(sizeof(struct ptv_page) <= 80,
	       "struct ptv_page must stay within 80 bytes");

static inline void ptv_page_set(struct ptv_page *p, enum ptv_page_bool b,
				bool v)
{
	p->bool_known |= 1u << b;
	if (v)
		p->bool_val |= 1u << b;
	else
		p->bool_val &= ~(1u << b);
}

static inline bool ptv_page_known(const struct ptv_page *p,
				  enum ptv_page_bool b)
{
	return p->bool_known & (1u << b);
}

static inline bool ptv_page_is(const struct ptv_page *p, enum ptv_page_bool b)
{
	return p->bool_val & (1u << b);
}

/* The record key of a boolean ("writable", "zero_page", ...). */
const char *ptv_page_bool_name(enum ptv_page_bool b);
/* "present", "swap", ...; "pte", "pmd", ... */
const char *ptv_page_state_name(enum ptv_page_state s);
const char *ptv_level_name(enum ptv_level l);

/* Whether next continues the run that prev belongs to: next is the page
 * after prev, all keys are equal except that pfn and swap_offset advance by
 * one (../shared/spec/cli.md, "run" records) -- except for the shared zero
 * page, whose PFN stays the same (records mark such runs "pfn_step":0).
 * raw is not compared: its frame or offset bits change from page to page
 * in an arch-specific way, and every bit it holds is decoded into the
 * other keys; a run carries its first page's raw entry.  The struct page
 * keys of dumps (page_flags, refcount, mapcount) are compared like any
 * other: a run is pages that agree on every key, so a THP's head and its
 * tails, or a pinned page among unpinned ones, are runs of their own. */
bool ptv_page_continues(const struct ptv_page *prev,
			const struct ptv_page *next);

#endif /* PTV_PAGE_H */
