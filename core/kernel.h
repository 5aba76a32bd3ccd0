/* kernel.h: the kernel inside a memory image — its types, symbols and
 * layout, and reads of its virtual memory.
 *
 * A struct ptv_kernel ties a memory image (core/image.h) to the kernel's
 * own type information (BTF or DWARF, core/types.h) and symbols
 * (core/symbols.h), works out where the kernel lives (KASLR offset,
 * phys_base, the direct map, paging levels) from VMCOREINFO — the file's,
 * or the kernel's own copy found in memory — and translates kernel virtual
 * addresses through the kernel's page tables when no shortcut applies.
 */
#ifndef PTV_KERNEL_H
#define PTV_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"

struct ptv_error;
struct ptv_image;
struct ptv_symbols;
struct ptv_types;
struct ptv_vmcoreinfo;

struct ptv_kernel_opts {
	const char *core;	/* memory image: ELF vmcore, kcore, kdump */
	const char *vmlinux;	/* DWARF types and its symtab */
	const char *btf;	/* BTF types (raw, or an ELF with .BTF) */
	const char *system_map;	/* symbols */
	const char *kallsyms;	/* symbols, relocated (live: /proc/kallsyms) */
};

struct ptv_kernel {
	struct ptv_image *img;
	struct ptv_types *types;
	struct ptv_symbols *syms;
	struct ptv_vmcoreinfo *vi;	/* NULL when none was found */
	char *vmcoreinfo_text;		/* owned; NULL when none */
	bool vmcoreinfo_from_memory;	/* found by scanning, not in the file */
	const struct ptv_arch *arch;
	struct ptv_arch_params params;
	char release[65];		/* OSRELEASE */
	unsigned major, minor;
	uint64_t kaslr_offset;
	/* VMCOREINFO OFFSET()/SIZE() lines the types were checked against,
	 * and how many disagreed (tolerated below a few) */
	unsigned types_checked, types_mismatched;
	uint64_t vmemmap;		/* struct page of PFN 0 */
	uint64_t top_phys;		/* the kernel's top-level table */
	/* translation cache: one leaf of the kernel's page tables */
	uint64_t tlb_vaddr, tlb_size, tlb_phys;
};

/* Open o->core with the types and symbols o names.  Errors name the file
 * and what is missing ("no VMCOREINFO and none found in memory", "struct
 * task_struct has no member 'mm' (BTF file ...)").  The caller owns
 * *ret (ptv_kernel_destroy()). */
struct ptv_error *ptv_kernel_open(const struct ptv_kernel_opts *o,
				  struct ptv_kernel **ret);
void ptv_kernel_destroy(struct ptv_kernel *k);

/* Kernel virtual to physical.  PTV_ERR_NO_MEMORY when not mapped,
 * PTV_ERR_EXCLUDED when a table on the way is not in the dump. */
struct ptv_error *ptv_kernel_vtop(struct ptv_kernel *k, uint64_t vaddr,
				  uint64_t *phys_ret);

/* Read kernel virtual memory [vaddr, vaddr + len); errors name the address. */
struct ptv_error *ptv_kernel_read(struct ptv_kernel *k, uint64_t vaddr,
				  void *buf, size_t len);
struct ptv_error *ptv_kernel_read_u64(struct ptv_kernel *k, uint64_t vaddr,
				      uint64_t *ret);
/* An unsigned integer of size 1, 2, 4 or 8 bytes. */
struct ptv_error *ptv_kernel_read_uint(struct ptv_kernel *k, uint64_t vaddr,
				       size_t size, uint64_t *ret);
/* A NUL-terminated string of at most max - 1 bytes into buf. */
struct ptv_error *ptv_kernel_read_string(struct ptv_kernel *k, uint64_t vaddr,
					 char *buf, size_t max);

/* The walk for one address under the top-level table top_phys (an mm's
 * pgd, or the kernel's own): see ptv_walk_one(). */
struct ptv_walk_step;
struct ptv_page;
struct ptv_error *ptv_kernel_walk(struct ptv_kernel *k, uint64_t top_phys,
				  uint64_t vaddr, struct ptv_walk_step *steps,
				  unsigned *n_ret, struct ptv_page *page_ret);

/* Physical reads, for page tables: the image's, with the kernel's errors. */
struct ptv_error *ptv_kernel_read_phys(void *k, uint64_t phys, void *buf,
				       size_t len);

/* A symbol's address; the error names it. */
struct ptv_error *ptv_kernel_symbol(struct ptv_kernel *k, const char *name,
				    uint64_t *ret);

/* Offset of a member ("mm_struct", "pgd"); the error names both. */
struct ptv_error *ptv_kernel_offsetof(struct ptv_kernel *k, const char *type,
				      const char *member, uint64_t *ret);

#endif /* PTV_KERNEL_H */
