/* VMCOREINFO: the KEY=VALUE text the kernel exports for dump tools.
 *
 * The kernel builds it in kernel/crash_core.c (crash_save_vmcoreinfo_init()
 * and arch_crash_save_vmcoreinfo()); the value formats below are the ones
 * its VMCOREINFO_* macros print (include/linux/crash_core.h, Linux 6.1):
 *
 *   OSRELEASE=6.1.0-56-amd64          raw string
 *   PAGESIZE=4096                     decimal
 *   SYMBOL(init_top_pgt)=ffffffff...  hex without "0x"
 *   SIZE(page)=64                     decimal
 *   OFFSET(page.flags)=0              decimal
 *   LENGTH(zone.free_area)=11         decimal
 *   NUMBER(phys_base)=-603979776      decimal, signed ("%ld"); arm64 prints
 *                                     some with "0x" (NUMBER(kimage_voffset))
 *   KERNELOFFSET=28200000             hex without "0x"
 *
 * A parsed table is immutable; lookups do not allocate.
 */
#ifndef PTV_VMCOREINFO_H
#define PTV_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct ptv_vmcoreinfo;

/* Longest text accepted.  The kernel limits it to one page
 * (VMCOREINFO_BYTES); QEMU to 1 MiB.  Anything longer is not VMCOREINFO. */
#define PTV_VMCOREINFO_MAX_BYTES (1u << 20)

/* Parse len bytes of text (it stops early at a NUL byte).  Lines that are
 * not KEY=VALUE are skipped; when a key repeats, the last line wins (the
 * kernel appends, e.g. CRASHTIME at panic).  Fails with PTV_ERR_FORMAT
 * when the text is longer than PTV_VMCOREINFO_MAX_BYTES or holds no
 * KEY=VALUE line at all.  On success *ret is owned by the caller: release
 * it with ptv_vmcoreinfo_destroy(). */
struct ptv_error *ptv_vmcoreinfo_parse(const char *text, size_t len,
				       struct ptv_vmcoreinfo **ret);

/* Free a table; NULL is ignored. */
void ptv_vmcoreinfo_destroy(struct ptv_vmcoreinfo *vi);

/* Number of distinct keys. */
size_t ptv_vmcoreinfo_count(const struct ptv_vmcoreinfo *vi);

/* The raw value of key (e.g. "OSRELEASE", "SYMBOL(_stext)"), or NULL.
 * Owned by vi. */
const char *ptv_vmcoreinfo_get(const struct ptv_vmcoreinfo *vi,
			       const char *key);

/* Typed lookups.  Each returns ptv_not_found when the key is absent, an
 * error with PTV_ERR_FORMAT naming the key and value when the value does
 * not parse, and leaves *ret untouched on failure. */

/* SYMBOL(name): hex address. */
struct ptv_error *ptv_vmcoreinfo_symbol(const struct ptv_vmcoreinfo *vi,
					const char *name, uint64_t *ret);
/* NUMBER(name): signed decimal, or "0x" hex whose 64 bits are taken as
 * they are (NUMBER(kimage_voffset)=0xffff... reads as a negative value;
 * cast it back to uint64_t). */
struct ptv_error *ptv_vmcoreinfo_number(const struct ptv_vmcoreinfo *vi,
					const char *name, int64_t *ret);
/* SIZE(type): decimal. */
struct ptv_error *ptv_vmcoreinfo_size(const struct ptv_vmcoreinfo *vi,
				      const char *type, uint64_t *ret);
/* OFFSET(type.member): decimal. */
struct ptv_error *ptv_vmcoreinfo_offset(const struct ptv_vmcoreinfo *vi,
					const char *type, const char *member,
					uint64_t *ret);
/* LENGTH(name): decimal; name may be "type.member". */
struct ptv_error *ptv_vmcoreinfo_length(const struct ptv_vmcoreinfo *vi,
					const char *name, uint64_t *ret);
/* KERNELOFFSET: hex (the KASLR text offset; 0 without KASLR). */
struct ptv_error *ptv_vmcoreinfo_kerneloffset(const struct ptv_vmcoreinfo *vi,
					      uint64_t *ret);
/* PAGESIZE: decimal, and must be a power of two in [1 KiB, 1 MiB]. */
struct ptv_error *ptv_vmcoreinfo_pagesize(const struct ptv_vmcoreinfo *vi,
					  uint64_t *ret);

#endif /* PTV_VMCOREINFO_H */
