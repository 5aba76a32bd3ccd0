/* x86_64.c: x86-64 page tables, 4- and 5-level.
 *
 * Entry bits are arch/x86/include/asm/pgtable_types.h's: P 0, RW 1, US 2,
 * PWT 3, PCD 4, A 5, D 6, PSE 7 (PAT on 4 KiB PTEs), G 8, SOFTW1 9
 * (special), SOFTW2 10 (uffd-wp), SOFTW3 11 (soft-dirty), PAT_LARGE 12 on
 * huge leaves, SOFTW4 58 (devmap), PKEY 59-62, NX 63; the frame is bits
 * 12-51.  A non-present entry with G set is PROT_NONE (_PAGE_PROTNONE ==
 * _PAGE_GLOBAL): pte_present() still holds and, since the L1TF fix in
 * 4.18 (commit 6b28baca9b1f), its frame bits are stored inverted, as are
 * swap offsets (pgtable_64.h: offset inverted in bits 9-58, type in 59-63;
 * swap flags soft-dirty = RW, uffd-wp = US, exclusive = PWT since 5.19).
 */
#include <stdbool.h>

#include "core/arch.h"

#define BIT(n) (UINT64_C(1) << (n))
#define X86_P BIT(0)
#define X86_RW BIT(1)
#define X86_US BIT(2)
#define X86_PWT BIT(3)
#define X86_A BIT(5)
#define X86_D BIT(6)
#define X86_PSE BIT(7)
#define X86_G BIT(8)
#define X86_PROTNONE X86_G
#define X86_UFFD_WP BIT(10)
#define X86_SOFT_DIRTY BIT(11)
#define X86_NX BIT(63)
#define X86_FRAME_MASK UINT64_C(0x000ffffffffff000)

static unsigned x86_levels(const struct ptv_arch_params *p,
			   enum ptv_level ret[5])
{
	unsigned n = 0;
	ret[n++] = PTV_LEVEL_PGD;
	if (p->levels == 5)
		ret[n++] = PTV_LEVEL_P4D;	/* folded into pgd with 4 */
	ret[n++] = PTV_LEVEL_PUD;
	ret[n++] = PTV_LEVEL_PMD;
	ret[n++] = PTV_LEVEL_PTE;
	return n;
}

static unsigned x86_entry_shift(const struct ptv_arch_params *p,
				enum ptv_level level)
{
	switch (level) {
	case PTV_LEVEL_PTE: return 12;
	case PTV_LEVEL_PMD: return 21;
	case PTV_LEVEL_PUD: return 30;
	case PTV_LEVEL_P4D: return 39;
	case PTV_LEVEL_PGD: return p->levels == 5 ? 48 : 39;
	}
	return 12;
}

static uint64_t x86_user_top(const struct ptv_arch_params *p)
{
	/* TASK_SIZE_MAX: one page short of the canonical hole. */
	return (p->levels == 5 ? BIT(56) : BIT(47)) - 4096;
}

static void set_bool(struct ptv_entry *e, enum ptv_page_bool b, bool v)
{
	e->bool_known |= 1u << b;
	if (v)
		e->bool_val |= 1u << b;
}

/* A leaf: present, or PROT_NONE with its frame inverted (pte_pfn() xors
 * with protnone_mask()).  huge_shift is the leaf's size. */
static void decode_leaf(const struct ptv_arch_params *p, uint64_t raw,
			unsigned huge_shift, struct ptv_entry *e)
{
	bool present = raw & X86_P;
	uint64_t mask = X86_FRAME_MASK & ~p->phys_clear &
			~((BIT(huge_shift) - 1));
	uint64_t frame = present ? raw : ~raw;
	e->kind = PTV_ENTRY_LEAF;
	e->state = PTV_STATE_PRESENT;
	e->pfn = (frame & mask) >> 12;
	set_bool(e, PTV_B_WRITABLE, raw & X86_RW);
	set_bool(e, PTV_B_USER, raw & X86_US);
	set_bool(e, PTV_B_ACCESSED, raw & X86_A);
	set_bool(e, PTV_B_DIRTY, raw & X86_D);
	set_bool(e, PTV_B_GLOBAL, present && (raw & X86_G));
	set_bool(e, PTV_B_NX, raw & X86_NX);
	set_bool(e, PTV_B_PROTNONE, !present);
	set_bool(e, PTV_B_SOFT_DIRTY, raw & X86_SOFT_DIRTY);
	set_bool(e, PTV_B_UFFD_WP, raw & X86_UFFD_WP);
}

/* A swap-format entry: __swp_type() and __swp_offset() of pgtable_64.h,
 * after the flag bits pte_swp_clear_flags() removes. */
static void decode_swap(const struct ptv_arch_params *p, uint64_t raw,
			struct ptv_entry *e)
{
	uint64_t type = raw >> 59;
	uint64_t offset = (~raw << 5) >> 14;
	e->kind = PTV_ENTRY_NONPRESENT;
	set_bool(e, PTV_B_SOFT_DIRTY, raw & X86_RW);
	set_bool(e, PTV_B_UFFD_WP, raw & X86_US);
	set_bool(e, PTV_B_EXCLUSIVE, raw & X86_PWT);
	ptv_swap_entry_classify(p, type, offset, e);
}

static void bad(struct ptv_entry *e, const char *why)
{
	e->kind = PTV_ENTRY_BAD;
	e->why = why;
}

static void x86_decode(const struct ptv_arch_params *p, enum ptv_level level,
		       uint64_t raw, struct ptv_entry *e)
{
	*e = (struct ptv_entry){ .kind = PTV_ENTRY_NONE };
	if (!raw)
		return;
	switch (level) {
	case PTV_LEVEL_PTE:
		/* pte_present(): P or PROTNONE */
		if (raw & (X86_P | X86_PROTNONE))
			decode_leaf(p, raw, 12, e);
		else
			decode_swap(p, raw, e);
		return;
	case PTV_LEVEL_PMD:
		/* pmd_present(): P, PROTNONE or PSE (a PMD being split has
		 * P cleared but keeps PSE, pmdp_invalidate()). */
		if (raw & X86_PSE) {
			decode_leaf(p, raw, 21, e);
		} else if (raw & X86_P) {
			e->kind = PTV_ENTRY_TABLE;
			e->next_phys = raw & X86_FRAME_MASK & ~p->phys_clear;
		} else if (raw & X86_PROTNONE) {
			bad(e, "PROT_NONE without PSE at PMD level");
		} else {
			decode_swap(p, raw, e);	/* THP migration entry */
		}
		return;
	case PTV_LEVEL_PUD:
		if (!(raw & X86_P))
			bad(e, "non-present PUD entry");
		else if (raw & X86_PSE)
			decode_leaf(p, raw, 30, e);
		else {
			e->kind = PTV_ENTRY_TABLE;
			e->next_phys = raw & X86_FRAME_MASK & ~p->phys_clear;
		}
		return;
	case PTV_LEVEL_P4D:
	case PTV_LEVEL_PGD:
		if (!(raw & X86_P))
			bad(e, "non-present upper-level entry");
		else if (raw & X86_PSE)
			bad(e, "huge page bit in a PGD/P4D entry");
		else {
			e->kind = PTV_ENTRY_TABLE;
			e->next_phys = raw & X86_FRAME_MASK & ~p->phys_clear;
		}
		return;
	}
}

static size_t x86_bit_names(enum ptv_level level, uint64_t raw,
			    const char **names, size_t max)
{
	bool huge = level != PTV_LEVEL_PTE && (raw & X86_PSE);
	bool present = raw & X86_P;
	struct { uint64_t bit; const char *name; } bits[] = {
		{ X86_P, "present" }, { X86_RW, "rw" }, { X86_US, "user" },
		{ X86_PWT, "pwt" }, { BIT(4), "pcd" }, { X86_A, "accessed" },
		{ X86_D, "dirty" },
		{ X86_PSE, level == PTV_LEVEL_PTE ? "pat" : "pse" },
		{ X86_G, present || !raw ? "global" : "protnone" },
		{ BIT(9), "special" }, { X86_UFFD_WP, "uffd_wp" },
		{ X86_SOFT_DIRTY, "soft_dirty" },
		{ BIT(12), huge ? "pat_large" : NULL },
		{ BIT(58), "devmap" }, { BIT(59), "pkey0" },
		{ BIT(60), "pkey1" }, { BIT(61), "pkey2" }, { BIT(62), "pkey3" },
		{ X86_NX, "nx" },
	};
	size_t n = 0;
	/* Swap-format entries reuse the bits: name only what is meant. */
	if (!present && !(raw & X86_PROTNONE) && !(huge && raw & X86_PSE)) {
		if (n < max && (raw & X86_RW)) names[n++] = "swp_soft_dirty";
		if (n < max && (raw & X86_US)) names[n++] = "swp_uffd_wp";
		if (n < max && (raw & X86_PWT)) names[n++] = "swp_exclusive";
		return n;
	}
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]) && n < max; i++)
		if ((raw & bits[i].bit) && bits[i].name)
			names[n++] = bits[i].name;
	return n;
}

/* __START_KERNEL_map: the kernel image's mapping, 1 GiB at most with KASLR
 * (KERNEL_IMAGE_SIZE); __phys_addr_symbol() subtracts it and adds
 * phys_base. */
#define X86_START_KERNEL_MAP UINT64_C(0xffffffff80000000)

static int x86_kernel_to_phys(const struct ptv_arch_params *p, uint64_t vaddr,
			      uint64_t *phys_ret)
{
	if (vaddr >= X86_START_KERNEL_MAP) {
		*phys_ret = vaddr - X86_START_KERNEL_MAP + (uint64_t)p->phys_base;
		return 1;
	}
	/* The direct map spans 2^(MAX_PHYSMEM_BITS) bytes from
	 * page_offset_base (arch/x86/include/asm/page_64_types.h). */
	uint64_t span = UINT64_C(1) << (p->phys_bits ? p->phys_bits : 46);
	if (p->page_offset && vaddr >= p->page_offset &&
	    vaddr - p->page_offset < span) {
		*phys_ret = vaddr - p->page_offset;
		return 1;
	}
	return 0;
}

static uint64_t x86_default_page_offset(const struct ptv_arch_params *p)
{
	/* __PAGE_OFFSET_BASE_L4 / _L5, without KASLR of the memory map */
	return p->levels == 5 ? UINT64_C(0xff11000000000000) :
				UINT64_C(0xffff888000000000);
}

const struct ptv_arch ptv_arch_x86_64 = {
	.name = "x86_64",
	.elf_machine = 62,	/* EM_X86_64 */
	.page_shift = 12,
	.levels = x86_levels,
	.entry_shift = x86_entry_shift,
	.table_bits = 9,
	.decode = x86_decode,
	.bit_names = x86_bit_names,
	.user_top = x86_user_top,
	.kernel_to_phys = x86_kernel_to_phys,
	.default_page_offset = x86_default_page_offset,
	.kernel_image_base = X86_START_KERNEL_MAP,
	/* A present PTE: no inversion, every other bit decoded as is.  The
	 * SME C-bit (phys_clear) is outside the frame only when it is 0;
	 * walk.c leaves the path off otherwise. */
	.leaf_present_bits = X86_P,
	.leaf_frame_mask = X86_FRAME_MASK,
};
