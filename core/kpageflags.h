/* kpageflags.h: the bits of /proc/kpageflags and their names.
 *
 * Bits 0-26 are the stable ABI of include/uapi/linux/kernel-page-flags.h;
 * 32 and up are the kernel-internal ones fs/proc/page.c also exports
 * (include/linux/kernel-page-flags.h).  Names are the KPF_ names without
 * the prefix, as page-types prints them in upper case.
 */
#ifndef PTV_KPAGEFLAGS_H
#define PTV_KPAGEFLAGS_H

#include <stdint.h>

enum {
	PTV_KPF_LOCKED = 0,
	PTV_KPF_ANON = 12,
	PTV_KPF_SWAPBACKED = 14,
	PTV_KPF_COMPOUND_HEAD = 15,
	PTV_KPF_COMPOUND_TAIL = 16,
	PTV_KPF_HUGE = 17,
	PTV_KPF_NOPAGE = 20,
	PTV_KPF_KSM = 21,
	PTV_KPF_THP = 22,
	PTV_KPF_ZERO_PAGE = 24,
};

#define PTV_KPF(bit) (UINT64_C(1) << PTV_KPF_##bit)

/* The name of bit b, or NULL when the bit has none. */
const char *ptv_kpageflags_name(unsigned b);

#endif /* PTV_KPAGEFLAGS_H */
