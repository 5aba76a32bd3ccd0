/* kpageflags.c: names of /proc/kpageflags bits. */
#include <stddef.h>

#include "core/kpageflags.h"

static const char *const names[64] = {
	[0] = "LOCKED", [1] = "ERROR", [2] = "REFERENCED", [3] = "UPTODATE",
	[4] = "DIRTY", [5] = "LRU", [6] = "ACTIVE", [7] = "SLAB",
	[8] = "WRITEBACK", [9] = "RECLAIM", [10] = "BUDDY", [11] = "MMAP",
	[12] = "ANON", [13] = "SWAPCACHE", [14] = "SWAPBACKED",
	[15] = "COMPOUND_HEAD", [16] = "COMPOUND_TAIL", [17] = "HUGE",
	[18] = "UNEVICTABLE", [19] = "HWPOISON", [20] = "NOPAGE", [21] = "KSM",
	[22] = "THP", [23] = "OFFLINE", [24] = "ZERO_PAGE", [25] = "IDLE",
	[26] = "PGTABLE",
	/* kernel-internal, exported unstably */
	[32] = "RESERVED", [33] = "MLOCKED", [34] = "MAPPEDTODISK",
	[35] = "PRIVATE", [36] = "PRIVATE_2", [37] = "OWNER_PRIVATE",
	[38] = "ARCH", [39] = "UNCACHED", [40] = "SOFTDIRTY", [41] = "ARCH_2",
	[42] = "ARCH_3",
};

const char *ptv_kpageflags_name(unsigned b)
{
	return b < 64 ? names[b] : NULL;
}
