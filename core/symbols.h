/* Kernel symbol addresses from System.map, an ELF symbol table,
 * /proc/kallsyms or VMCOREINFO, with the KASLR offset applied where needed.
 *
 * Sources differ in what their addresses mean.  System.map and a vmlinux's
 * .symtab give link-time addresses: the running kernel has them plus the
 * KASLR offset.  /proc/kallsyms and VMCOREINFO's SYMBOL(name)= lines give
 * the running kernel's (relocated) addresses.  Every symbol keeps both
 * kinds separately, so loading e.g. System.map and kallsyms together lets
 * ptv_symbols_derive_offset() find the offset.
 *
 * ptv_symbols_lookup() answers with the relocated address: the relocated
 * one if any source gave it, else link-time + offset.  Absolute symbols
 * (type 'A') and symbols linked below _text (the zero-based x86-64 per-cpu
 * variables) are not moved: KASLR does not move them either.
 *
 * Within one kind, the first address seen for a name wins (System.map and
 * kallsyms list duplicates of static names in address order).  Loaders
 * read the whole input before adding anything: on error the table is left
 * as it was.
 */
#ifndef PTV_SYMBOLS_H
#define PTV_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct ptv_symbols;

/* An empty table with offset 0; the caller owns *ret. */
struct ptv_error *ptv_symbols_create(struct ptv_symbols **ret);
void ptv_symbols_destroy(struct ptv_symbols *s);

/* "address type name" lines, link-time addresses (nm -n output). */
struct ptv_error *ptv_symbols_load_system_map(struct ptv_symbols *s,
					      const char *path);

/* /proc/kallsyms or a saved copy: same format plus an optional
 * "[module]" column; relocated addresses.  All-zero addresses (what
 * kptr_restrict shows unprivileged readers) give a PTV_ERR_PERM error. */
struct ptv_error *ptv_symbols_load_kallsyms(struct ptv_symbols *s,
					    const char *path);

/* The .symtab of an ELF file (vmlinux or its separate debug file),
 * link-time addresses.  Global symbols win over local ones of the same
 * name; section, file and mapping ("$x") symbols are skipped. */
struct ptv_error *ptv_symbols_load_elf(struct ptv_symbols *s, const char *path);

/* VMCOREINFO text: "SYMBOL(name)=hex" lines give relocated addresses and
 * "KERNELOFFSET=hex", if present, becomes the offset.  Other lines are
 * ignored; the text may contain NUL padding and need not end in one.
 * SYMBOL(mem_section) is skipped: it is the value of the mem_section
 * pointer (the root array's address), not the address of the symbol. */
struct ptv_error *ptv_symbols_load_vmcoreinfo(struct ptv_symbols *s,
					      const char *text, size_t len);

/* Add one symbol; name is copied. */
struct ptv_error *ptv_symbols_add(struct ptv_symbols *s, const char *name,
				  uint64_t addr, bool relocated);

/* The KASLR offset: running address minus link-time address of the
 * kernel image (0, the default, for nokaslr).  Arithmetic wraps, so a
 * "negative" offset may be passed as its two's complement. */
void ptv_symbols_set_offset(struct ptv_symbols *s, uint64_t kaslr_offset);
uint64_t ptv_symbols_offset(const struct ptv_symbols *s);

/* Relocated address of name; PTV_ERR_NOT_FOUND naming it if absent. */
struct ptv_error *ptv_symbols_lookup(struct ptv_symbols *s, const char *name,
				     uint64_t *ret);

/* Link-time address of name, if a link-time source gave it. */
struct ptv_error *ptv_symbols_lookup_link(struct ptv_symbols *s,
					  const char *name, uint64_t *ret);

/* The KASLR offset implied by a symbol known both ways (e.g. "_stext"
 * from System.map and kallsyms): relocated minus link-time. */
struct ptv_error *ptv_symbols_derive_offset(struct ptv_symbols *s,
					    const char *name, uint64_t *ret);

/* The symbol at or nearest below a relocated address, for messages:
 * *name_ret (valid while s lives and is not modified) and *offset_ret =
 * addr - symbol.  Absolute and per-cpu symbols are never answers, nor is
 * the last symbol for addresses past it.  ptv_not_found if none. */
struct ptv_error *ptv_symbols_nearest(struct ptv_symbols *s, uint64_t addr,
				      const char **name_ret,
				      uint64_t *offset_ret);

/* Format addr as "name+0x10" (or "name"), falling back to "0x..." hex;
 * always NUL-terminates buf when size > 0.  Returns buf. */
char *ptv_symbols_describe(struct ptv_symbols *s, uint64_t addr, char *buf,
			   size_t size);

/* Number of distinct names. */
size_t ptv_symbols_count(const struct ptv_symbols *s);

#endif /* PTV_SYMBOLS_H */
