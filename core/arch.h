/* arch.h: what core/ needs to know about an architecture's page tables.
 *
 * Each architecture is one file in arch/ that fills one const struct
 * ptv_arch; all are compiled in, so a dump from any of them opens on any
 * host.  core/ walks tables with these callbacks and never looks at a bit
 * of an entry itself.  Adding an architecture: arch/NAME.c, one line in
 * ptv_arch_by_machine(), its tests.
 */
#ifndef PTV_ARCH_H
#define PTV_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/page.h"

/* What the kernel behind a dump is like, as far as entries care.  Filled by
 * whoever opens the dump (from VMCOREINFO, types, the version) and passed
 * to every arch callback. */
struct ptv_arch_params {
	unsigned levels;	/* page-table levels: 4 or 5 on x86_64 */
	unsigned phys_bits;	/* MAX_PHYSMEM_BITS: bounds migration PFNs */
	uint64_t phys_clear;	/* bits to clear from entries (x86 SME C-bit) */
	/* Special swap types (include/linux/swap.h): the first type number
	 * of each kind, or -1 when the kernel has none.  Types below
	 * max_swapfiles are real swap devices. */
	int max_swapfiles;
	int type_hwpoison;
	int type_migration_read, type_migration_read_exclusive;
	int type_migration_write;
	int type_device_write, type_device_read;
	int type_device_exclusive_write, type_device_exclusive_read;
	int type_pte_marker, type_swapin_error;
	/* Where the kernel lives, for kernel_to_phys(). */
	uint64_t page_offset;	/* start of the direct map */
	int64_t phys_base;	/* x86: physical minus link-time text address */
};

enum ptv_entry_kind {
	PTV_ENTRY_NONE,		/* empty */
	PTV_ENTRY_TABLE,	/* points to the next level's table */
	PTV_ENTRY_LEAF,		/* maps memory (present or PROT_NONE) */
	PTV_ENTRY_NONPRESENT,	/* swap, migration, device, hwpoison, marker */
	PTV_ENTRY_BAD,		/* impossible here: the walk reports it */
};

/* One entry, decoded.  Booleans use enum ptv_page_bool and its bits. */
struct ptv_entry {
	enum ptv_entry_kind kind;
	uint64_t next_phys;	/* TABLE: physical address of the table */
	uint64_t pfn;		/* LEAF: first frame mapped; migration and
				   device entries: the frame they stand for */
	unsigned has_pfn;	/* NONPRESENT: pfn is meaningful */
	enum ptv_page_state state;	/* LEAF and NONPRESENT */
	uint64_t swap_type, swap_offset;	/* NONPRESENT */
	uint32_t bool_known, bool_val;
	const char *why;	/* BAD: the reason, a static string */
};

struct ptv_arch {
	const char *name;		/* "x86_64" */
	unsigned elf_machine;		/* EM_X86_64 */
	unsigned page_shift;		/* 12 */
	/* The levels a walk visits for these params, top first; returns
	 * their number (at most 5).  Folded levels are left out. */
	unsigned (*levels)(const struct ptv_arch_params *p,
			   enum ptv_level ret[5]);
	/* log2 of the bytes one entry of level maps; entries per table are
	 * 1 << table_bits. */
	unsigned (*entry_shift)(const struct ptv_arch_params *p,
				enum ptv_level level);
	unsigned table_bits;
	/* Decode raw, found at level, into *ret. */
	void (*decode)(const struct ptv_arch_params *p, enum ptv_level level,
		       uint64_t raw, struct ptv_entry *ret);
	/* Names of the hardware and software bits set in raw at level, for
	 * people ("present", "rw", "user", ...); returns how many were
	 * stored in names[0..max). */
	size_t (*bit_names)(enum ptv_level level, uint64_t raw,
			    const char **names, size_t max);
	/* The first address above user space. */
	uint64_t (*user_top)(const struct ptv_arch_params *p);
	/* Translate a kernel address that needs no page tables (the direct
	 * map, the kernel image); 0 when the address is elsewhere. */
	int (*kernel_to_phys)(const struct ptv_arch_params *p, uint64_t vaddr,
			      uint64_t *phys_ret);
	/* Defaults for kernels that do not say: the direct map's start. */
	uint64_t (*default_page_offset)(const struct ptv_arch_params *p);
	/* The link-time address of the kernel image's first byte, to which
	 * phys_base is relative. */
	uint64_t kernel_image_base;
	/* For the walker's fast path at the last level: a leaf entry with
	 * all of leaf_present_bits set decodes to the same bits as any other
	 * whose bits outside leaf_frame_mask are equal, and maps the frame
	 * (raw & leaf_frame_mask) >> page_shift.  0 disables the path. */
	uint64_t leaf_present_bits, leaf_frame_mask;
};

extern const struct ptv_arch ptv_arch_x86_64;

/* The architecture of an ELF e_machine, or NULL. */
const struct ptv_arch *ptv_arch_by_machine(unsigned elf_machine);

/* Classify a swap-format entry by type (generic swapops.h rules) and fill
 * e->state, e->swap_type, e->swap_offset, e->pfn for pfn entries.  Shared by
 * every architecture's decode(). */
void ptv_swap_entry_classify(const struct ptv_arch_params *p, uint64_t type,
			     uint64_t offset, struct ptv_entry *e);

/* Params for a kernel of the given version ("6.1.0-56-amd64" or 6.1)
 * with the usual distribution config (DEVICE_PRIVATE, MIGRATION,
 * MEMORY_FAILURE and PTE_MARKER on): the special swap types as
 * include/linux/swap.h lays them out in that version. */
void ptv_arch_params_swap_layout(struct ptv_arch_params *p, unsigned major,
				 unsigned minor);

#endif /* PTV_ARCH_H */
