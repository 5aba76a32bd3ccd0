/* model.h: ptview's model of the kernel's page-table and page decisions,
 * what `ptview replay` (without --live) runs a trace on.
 *
 * The model holds what the kernel holds, at the granularity the check
 * records show: tasks with an mm each (VMAs, a four-level page-table tree
 * whose PTE tables may be shared copy-on-write between mms, see below),
 * folios (order, anon or page cache, per-page mapcounts, AnonExclusive,
 * pins, swap cache), page-cache objects (files, shmem) and swap slots.
 * Handlers named after the kernel functions whose decisions they mirror
 * live in model-fault.c (handle_mm_fault and below), model-fork.c
 * (dup_mmap, copy_page_range), model-zap.c (munmap, madvise, mprotect,
 * mlock, GUP pins, exit) and model-collapse.c (MADV_COLLAPSE / khugepaged).
 * model.c runs a trace statement by statement and builds the check
 * records from the model's state, as --live builds them from /proc.
 *
 * Lazy fork.  A PTE table (struct mpte) may be shared by several mms: fork
 * shares a table instead of copying it when nothing in it needs a
 * per-entry decision (no pinned anon page, one copyable private VMA over
 * it), so forking millions of PTEs costs one reference per table.  The
 * kernel's copy_pte_range() effects (write-protect both sides, clear
 * AnonExclusive, one more mapcount or swap count per entry) are due from
 * the fork on and are applied when a table is first written through:
 * mpte_own() clones a shared table for the writer (applying them to the
 * clone) or, when the writer is its last user, applies them in place.
 * Invariants:
 *   - mapcounts and swap counts stored in folios and slots count table
 *     entries; the kernel's count is that sum weighted by each table's
 *     users.  So "mapped by someone else" is exact from the writer's owned
 *     table: stored count > 1, or the table has users > 1.
 *   - a shared table (users > 1) has fork_pending set, and is never
 *     changed in place.
 */
#ifndef PTV_MODEL_H
#define PTV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/replay.h"
#include "core/trace.h"

struct ptv_error;

#define M_PAGE 4096u
#define M_PTRS 512u
#define M_PMD_SIZE (UINT64_C(1) << 21)
#define M_PUD_SIZE (UINT64_C(1) << 30)
#define M_PGD_SIZE (UINT64_C(1) << 39)
#define M_PMD_ORDER 9u

/* ---- kernel profile and settings ---------------------------------------- */

enum m_thp { M_THP_NEVER, M_THP_MADVISE, M_THP_ALWAYS, M_THP_INHERIT };

struct m_cfg {
	unsigned kver;		/* (major << 16) | (minor << 8) | patch */
	/* Kernel changes the profile encodes (see model.c, m_profile()): */
	bool huge_zero_wp_alloc;	/* 6.8+: do_huge_zero_wp_pmd() */
	bool pt_reclaim;		/* 6.14+: MADV_DONTNEED frees PTE tables */
	bool mthp_anon;			/* 6.8+: multi-size THP for anon faults */
	bool swapin_skip_cache;		/* SWP_SYNCHRONOUS_IO skips swap cache */
	bool split_zero_remap;		/* 6.12+: split maps zero subpages to
					 * the zero page */
	bool pagemap_folio_excl;	/* 6.15+: PM_MMAP_EXCLUSIVE of a large
					 * folio is per folio (mapped by one
					 * mm), not per page */
	bool collapse;			/* 6.1+: MADV_COLLAPSE exists */
	bool swapin_read_writable;	/* do_swap_page maps an exclusive page
					 * writable on a read fault */
	bool collapse_ro_ok;		/* MADV_COLLAPSE of write-protected
					 * PTEs (no SCAN_PAGE_RO) */
	bool large_wp_reuse;		/* 6.13+: do_wp_page may reuse a large
					 * anon folio exclusive to the mm */
	/* Settings (sysfs, or `set`): */
	enum m_thp thp;
	bool use_zero_page;		/* the huge zero page */
	bool zero_page_maps;		/* an anon read fault maps the zero page */
	unsigned max_ptes_none, max_ptes_swap, max_ptes_shared;
	unsigned fault_around_pages;
	enum m_thp mthp[M_PMD_ORDER + 1];	/* by order; 0 unused */
	bool mthp_known[M_PMD_ORDER + 1];	/* the size exists */
	unsigned page_cluster;
};

/* ---- folios, page cache, swap ------------------------------------------- */

enum m_kind { M_ANON, M_CACHE, M_ZERO, M_HZERO };

struct mfolio {
	uint32_t id;		/* index in model's folio table; 0 = free */
	uint8_t order;
	uint8_t kind;		/* enum m_kind */
	bool shmem;		/* a page-cache folio of tmpfs/shmem */
	bool swapcache;
	bool lazyfree;		/* MADV_FREE'd, clean */
	bool readahead;		/* read ahead into the swap cache, not yet hit */
	bool freed;
	uint32_t pincount;	/* FOLL_PIN pins */
	uint32_t hold;		/* the model's own temporary references */
	uint32_t entire;	/* PMD mappings (table entries) */
	uint32_t total;		/* all mappings (table entries), PTE + PMD */
	uint32_t swap;		/* swapcache: the first slot */
	struct mobj *obj;	/* page cache: the owner, else NULL */
	uint64_t index;		/* page cache: index of page 0 */
	uint64_t vaddr;		/* anon: where page 0 was first mapped */
	/* per page: mapcount (table entries), AnonExclusive, and whether the
	 * contents are non-zero (a split maps all-zero pages of an anon THP
	 * to the zero page, 6.12+) */
	uint32_t *mapcount;
	uint8_t *excl, *data;
	uint32_t one_map;	/* storage for order 0 */
	uint8_t one_excl, one_data;
	/* mappings by processes outside the model (a snapshot's), per page;
	 * NULL when none */
	uint32_t *ext;
	/* check-time scratch: effective mapcount and frame label */
	uint32_t *chk_count, *chk_label;
	uint32_t chk_gen;
	uint32_t one_chk_count, one_chk_label;	/* storage for order 0 */
	uint32_t chk_mms, chk_task;	/* live tasks mapping it; the last */
};

/* A page-cache slot: a folio page, a swap slot (shmem), or nothing. */
struct mslot {
	uint32_t folio;		/* 0 = none */
	uint32_t swap;		/* 0 = none */
};

struct mobj {
	bool shmem;		/* tmpfs/shmem (every object the trace makes) */
	uint64_t npages;	/* size */
	struct mslot *pc;	/* npages slots */
	unsigned refs;		/* VMAs and the trace's handle */
};

struct mswap {
	uint32_t count;		/* references: table entries + shmem slots */
	uint32_t cache;		/* swap cache folio, 0 = none */
	bool used;
	bool data;		/* the page written out was not all zero */
};

/* ---- page tables -------------------------------------------------------- */

/* A PTE (64 bits): type in bits 0-1. */
enum { MPTE_NONE = 0, MPTE_PRESENT = 1, MPTE_SWAP = 2 };
#define MPTE_TYPE(e) ((unsigned)((e) & 3u))
#define MPTE_WRITE (UINT64_C(1) << 2)	/* present: writable */
#define MPTE_SWP_EXCL (UINT64_C(1) << 2)	/* swap: pte_swp_exclusive */
#define MPTE_DIRTY (UINT64_C(1) << 3)
#define MPTE_PAGE(e) ((unsigned)(((e) >> 8) & 0x3ffu))	/* page in folio */
#define MPTE_ID(e) ((uint32_t)((e) >> 32))	/* folio or swap slot */
#define MPTE_MKPRESENT(id, pg, flags) \
	(((uint64_t)(id) << 32) | ((uint64_t)(pg) << 8) | (flags) | MPTE_PRESENT)
#define MPTE_MKSWAP(slot, flags) \
	(((uint64_t)(slot) << 32) | (flags) | MPTE_SWAP)

struct mpte {
	uint64_t e[M_PTRS];
	uint32_t users;		/* mms whose PMD points here */
	bool fork_pending;	/* copy_pte_range effects not applied yet */
};

enum { MPMD_NONE, MPMD_TABLE, MPMD_HUGE };
struct mpmd_ent {
	uint8_t type;
	bool write;
	uint32_t folio;		/* MPMD_HUGE */
	struct mpte *pt;	/* MPMD_TABLE */
	bool deposit;		/* MPMD_HUGE: a deposited PTE table */
};

struct mpmd {
	struct mpmd_ent e[M_PTRS];
};

struct mpud {
	struct mpmd *e[M_PTRS];
	unsigned used;
};

/* ---- VMAs, mms, tasks --------------------------------------------------- */

enum {
	MV_HUGEPAGE = 1u << 0,
	MV_NOHUGEPAGE = 1u << 1,
	MV_LOCKED = 1u << 2,
	MV_DONTCOPY = 1u << 3,
	MV_WIPEONFORK = 1u << 4,
};

struct mvma {
	uint64_t start, end;
	unsigned prot;		/* PTV_PROT_* */
	bool shared;
	struct mobj *obj;	/* NULL: private anon */
	uint64_t pgoff;		/* page offset in obj at start */
	unsigned flags;		/* MV_* */
	bool anon_vma;
	/* swap_readahead_info: the last swap fault or hit, its window */
	bool ra_valid;
	uint64_t ra_addr;
	unsigned ra_win, ra_hits;
};

struct mm {
	struct mvma *vmas;
	size_t nvmas, cap;
	struct mpud *pgd[256];	/* the user half of a 4-level PGD */
};

struct mtask {
	struct mm *mm;		/* NULL once exited */
	uint64_t minor, major;	/* since the last counters record */
};

/* ---- the model ---------------------------------------------------------- */

struct model {
	struct m_cfg cfg;
	struct mfolio **folios;	/* by id; [0] unused */
	uint32_t nfolios, cap_folios;
	uint32_t *free_ids;	/* ids of freed folios, reused */
	uint32_t nfree, cap_free;
	uint32_t zero, hzero;	/* ids of the zero pages */
	struct mswap *swap;	/* by slot; [0] unused */
	uint32_t nswap, cap_swap, swap_free_hint;
	uint64_t swap_pages;	/* capacity; 0 = no swap */
	struct mtask tasks[PTV_TRACE_MAX_TASKS];
	struct mobj *files[PTV_TRACE_MAX_FILES];
	struct mobj **objs;	/* every object, for freeing */
	size_t nobjs, cap_objs;
	uint32_t chk_gen;
	uint32_t npinned;	/* folios with pincount > 0 */
	/* outcome sink for the current statement (model.c) */
	void (*note)(struct model *m, const char *fn, const char *what,
		     uint64_t addr, uint64_t len);
	void *note_arg;
	bool oom;		/* an allocation failed: the run stops */
};

/* Outcomes: kernel function and what it decided, for one page or range. */
#define m_note(m, fn, what, addr, len) \
	((m)->note ? (m)->note((m), (fn), (what), (addr), (len)) : (void)0)

/* model-mm.c */
struct mfolio *m_folio(struct model *m, uint32_t id);
struct mfolio *m_folio_new(struct model *m, enum m_kind kind, unsigned order);
void m_folio_put_if_unused(struct model *m, struct mfolio *f);
uint32_t m_swap_alloc(struct model *m);
void m_swap_put(struct model *m, uint32_t slot);
struct mobj *m_obj_new(struct model *m, uint64_t npages, bool shmem);
struct mm *m_mm_new(struct model *m);
void m_mm_destroy(struct model *m, struct mm *mm);
struct mvma *m_vma_find(struct mm *mm, uint64_t addr);
struct mvma *m_vma_insert(struct model *m, struct mm *mm,
			  const struct mvma *v);
bool m_vma_split(struct model *m, struct mm *mm, uint64_t addr);
void m_vma_remove(struct mm *mm, uint64_t start, uint64_t end);
bool m_vma_is_anon(const struct mvma *v);
uint64_t m_vma_index(const struct mvma *v, uint64_t addr);

struct mpmd_ent *m_pmd_lookup(struct mm *mm, uint64_t addr);
struct mpmd_ent *m_pmd_alloc(struct model *m, struct mm *mm, uint64_t addr);
struct mpte *m_pte_alloc(struct model *m, struct mm *mm, uint64_t addr);
struct mpte *m_pte_own(struct model *m, struct mpmd_ent *pe);
uint64_t *m_pte_lookup(struct mm *mm, uint64_t addr);
void m_pte_free(struct model *m, struct mpte *pt);
void m_free_pgtables(struct model *m, struct mm *mm, uint64_t addr,
		     uint64_t end, uint64_t floor, uint64_t ceiling);

void m_map_page(struct model *m, struct mfolio *f, unsigned pg);
void m_unmap_page(struct model *m, struct mfolio *f, unsigned pg);
bool m_page_shared(struct model *m, const struct mpte *pt, struct mfolio *f,
		   unsigned pg);
bool m_folio_mapped_elsewhere(struct model *m, const struct mpte *pt,
			      struct mfolio *f, unsigned nr_here);
uint64_t m_folio_refs(const struct mfolio *f);
void m_zap_pte(struct model *m, struct mvma *v, uint64_t *e);
void m_entry_dup(struct model *m, uint64_t e);
void m_pmd_clear(struct model *m, struct mpmd_ent *pe);
void m_pmd_set_huge(struct model *m, struct mpmd_ent *pe, struct mfolio *f,
		    bool write, bool deposit);

bool m_folio_set_external(struct model *m, struct mfolio *f, unsigned pg,
			  uint32_t n);

/* model-snap.c */
struct ptv_snapshot;
struct ptv_error *m_import_snapshot(struct model *m, struct mm *mm,
				    const struct ptv_snapshot *s);

/* model-fault.c */
enum { MF_OK = 0, MF_MAJOR = 1, MF_SIGSEGV = 2, MF_SIGBUS = 4,
       MF_NOFAULT = 8 };
int m_handle_mm_fault(struct model *m, struct mm *mm, uint64_t addr,
		      bool write, bool gup);
bool m_thp_allowed(const struct model *m, const struct mvma *v,
		   unsigned order, bool forced);
void m_split_huge_pmd(struct model *m, struct mm *mm, struct mvma *v,
		      uint64_t addr);
int m_swapin_page(struct model *m, struct mm *mm, struct mvma *v,
		  uint64_t addr, bool write);

/* model-fork.c */
struct mm *m_dup_mmap(struct model *m, struct mm *parent);

/* model-zap.c */
void m_zap_range(struct model *m, struct mm *mm, struct mvma *v,
		 uint64_t start, uint64_t end, bool dontneed);
int m_munmap(struct model *m, struct mm *mm, uint64_t start, uint64_t len);
int m_madvise(struct model *m, struct mtask *t, uint64_t start, uint64_t len,
	      enum ptv_trace_advice adv);
int m_mprotect(struct model *m, struct mm *mm, uint64_t start, uint64_t len,
	       unsigned prot);
int m_mlock(struct model *m, struct mtask *t, uint64_t start, uint64_t len,
	    bool lock);
int m_pin(struct model *m, struct mtask *t, uint64_t start, uint64_t len,
	  bool pin);
int m_populate(struct model *m, struct mtask *t, uint64_t start, uint64_t end,
	       bool write);

/* model-collapse.c */
int m_madvise_collapse(struct model *m, struct mm *mm, uint64_t start,
		       uint64_t end);

#endif /* PTV_MODEL_H */
