/* page.c: names and run rules for struct ptv_page. */
#include <string.h>

#include "core/page.h"

static const char *const bool_names[PTV_B_COUNT] = {
	[PTV_B_WRITABLE] = "writable",
	[PTV_B_DIRTY] = "dirty",
	[PTV_B_ACCESSED] = "accessed",
	[PTV_B_USER] = "user",
	[PTV_B_NX] = "nx",
	[PTV_B_GLOBAL] = "global",
	[PTV_B_PROTNONE] = "protnone",
	[PTV_B_SOFT_DIRTY] = "soft_dirty",
	[PTV_B_UFFD_WP] = "uffd_wp",
	[PTV_B_EXCLUSIVE] = "exclusive",
	[PTV_B_ANON] = "anon",
	[PTV_B_SHMEM] = "shmem",
	[PTV_B_ZERO_PAGE] = "zero_page",
	[PTV_B_HUGE_ZERO_PAGE] = "huge_zero_page",
	[PTV_B_THP] = "thp",
	[PTV_B_THP_HEAD] = "thp_head",
	[PTV_B_KSM] = "ksm",
	[PTV_B_ANON_EXCLUSIVE] = "anon_exclusive",
	[PTV_B_SWAPCACHE] = "swapcache",
};

const char *ptv_page_bool_name(enum ptv_page_bool b)
{
	return b < PTV_B_COUNT ? bool_names[b] : "?";
}

const char *ptv_page_state_name(enum ptv_page_state s)
{
	switch (s) {
	case PTV_STATE_NONE: return "none";
	case PTV_STATE_PRESENT: return "present";
	case PTV_STATE_SWAP: return "swap";
	case PTV_STATE_MIGRATION: return "migration";
	case PTV_STATE_DEVICE_PRIVATE: return "device_private";
	case PTV_STATE_DEVICE_EXCLUSIVE: return "device_exclusive";
	case PTV_STATE_HWPOISON: return "hwpoison";
	case PTV_STATE_MARKER: return "marker";
	case PTV_STATE_EXCLUDED: return "excluded";
	case PTV_STATE_UNREADABLE: return "unreadable";
	}
	return "?";
}

const char *ptv_level_name(enum ptv_level l)
{
	switch (l) {
	case PTV_LEVEL_PTE: return "pte";
	case PTV_LEVEL_PMD: return "pmd";
	case PTV_LEVEL_PUD: return "pud";
	case PTV_LEVEL_P4D: return "p4d";
	case PTV_LEVEL_PGD: return "pgd";
	}
	return "?";
}

bool ptv_page_continues(const struct ptv_page *prev,
			const struct ptv_page *next)
{
	if (next->vaddr != prev->vaddr + 4096 || next->state != prev->state ||
	    next->pfn_same != prev->pfn_same ||
	    next->has != prev->has || next->bool_known != prev->bool_known ||
	    next->bool_val != prev->bool_val)
		return false;
	/* Every page of a run of zero-page mappings has the same PFN: the
	 * run record says so with "pfn_step":0. */
	if ((next->has & PTV_HAS_PFN) &&
	    next->pfn != prev->pfn + !(ptv_page_is(next, PTV_B_ZERO_PAGE) ||
				       prev->pfn_same))
		return false;
	if ((next->has & PTV_HAS_SWAP) &&
	    (next->swap_type != prev->swap_type ||
	     next->swap_offset != prev->swap_offset + 1))
		return false;
	if ((next->has & PTV_HAS_LEVEL) && next->level != prev->level)
		return false;
	if ((next->has & PTV_HAS_ORDER) &&
	    next->folio_order != prev->folio_order)
		return false;
	if ((next->has & (PTV_HAS_MAPCOUNT | PTV_HAS_KPAGECOUNT)) &&
	    next->mapcount != prev->mapcount)
		return false;
	if ((next->has & PTV_HAS_KPAGEFLAGS) &&
	    next->kpageflags != prev->kpageflags)
		return false;
	if ((next->has & PTV_HAS_PAGE_FLAGS) &&
	    next->page_flags != prev->page_flags)
		return false;
	if ((next->has & PTV_HAS_REFCOUNT) && next->refcount != prev->refcount)
		return false;
	return true;
}
