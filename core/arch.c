/* arch.c: the architecture registry and the generic swap-entry rules that
 * every architecture shares (include/linux/swapops.h, include/linux/swap.h). */
#include "core/arch.h"

const struct ptv_arch *ptv_arch_by_machine(unsigned elf_machine)
{
	static const struct ptv_arch *const all[] = { &ptv_arch_x86_64 };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->elf_machine == elf_machine)
			return all[i];
	return NULL;
}

void ptv_arch_params_swap_layout(struct ptv_arch_params *p, unsigned major,
				 unsigned minor)
{
	unsigned v = major * 1000 + minor;
	/* Special types are allocated downwards from 31 and counted from
	 * MAX_SWAPFILES upwards in this order: hwpoison, migration,
	 * device, PTE marker, swapin error (include/linux/swap.h). */
	int hwpoison = 1;
	int migration = v >= 5019 ? 3 : 2;	/* READ_EXCLUSIVE: v5.19 */
	/* Device-exclusive entries came in v5.14 (commit b756a3b5e7ea) and
	 * left the swap space in v6.15; device-private ones date to 4.14. */
	int device = v >= 6015 ? 2 : v >= 5014 ? 4 : 2;
	int marker = v >= 5019 ? 1 : 0;		/* CONFIG_PTE_MARKER: v5.19 */
	/* SWP_SWAPIN_ERROR: v5.19 (commit 15520a3f0469) until v6.2 made it
	 * a PTE marker. */
	int swapin_error = v >= 5019 && v < 6002 ? 1 : 0;
	int max = 32 - hwpoison - migration - device - marker - swapin_error;
	p->max_swapfiles = max;
	p->type_hwpoison = max;
	p->type_migration_read = max + hwpoison;
	p->type_migration_read_exclusive =
		migration == 3 ? max + hwpoison + 1 : -1;
	p->type_migration_write = max + hwpoison + migration - 1;
	p->type_device_write = max + hwpoison + migration;
	p->type_device_read = max + hwpoison + migration + 1;
	p->type_device_exclusive_write =
		device == 4 ? max + hwpoison + migration + 2 : -1;
	p->type_device_exclusive_read =
		device == 4 ? max + hwpoison + migration + 3 : -1;
	p->type_pte_marker = marker ? max + hwpoison + migration + device : -1;
	p->type_swapin_error = swapin_error ?
		max + hwpoison + migration + device + marker : -1;
}

void ptv_swap_entry_classify(const struct ptv_arch_params *p, uint64_t type,
			     uint64_t offset, struct ptv_entry *e)
{
	int t = (int)type;
	/* Pfn entries hold a frame in the low SWP_PFN_BITS of the offset;
	 * migration entries may keep young/dirty above it (v6.1). */
	unsigned pfn_bits = (p->phys_bits ? p->phys_bits : 52) - 12;
	uint64_t pfn = offset & ((UINT64_C(1) << pfn_bits) - 1);
	e->swap_type = type;
	e->swap_offset = offset;
	e->has_pfn = 0;
	if (t < p->max_swapfiles) {
		e->state = PTV_STATE_SWAP;
		return;
	}
	if (t == p->type_migration_read || t == p->type_migration_write ||
	    t == p->type_migration_read_exclusive) {
		e->state = PTV_STATE_MIGRATION;
		e->pfn = pfn;
		e->has_pfn = 1;
		e->bool_known |= 1u << PTV_B_WRITABLE;
		if (t == p->type_migration_write)
			e->bool_val |= 1u << PTV_B_WRITABLE;
		if (t != p->type_migration_read) {
			/* write and read-exclusive entries are exclusive */
			e->bool_known |= 1u << PTV_B_EXCLUSIVE;
			e->bool_val |= 1u << PTV_B_EXCLUSIVE;
		}
	} else if (t == p->type_device_write || t == p->type_device_read) {
		e->state = PTV_STATE_DEVICE_PRIVATE;
		e->pfn = pfn;
		e->has_pfn = 1;
		e->bool_known |= 1u << PTV_B_WRITABLE;
		if (t == p->type_device_write)
			e->bool_val |= 1u << PTV_B_WRITABLE;
	} else if (t == p->type_device_exclusive_write ||
		   t == p->type_device_exclusive_read) {
		e->state = PTV_STATE_DEVICE_EXCLUSIVE;
		e->pfn = pfn;
		e->has_pfn = 1;
		e->bool_known |= 1u << PTV_B_WRITABLE;
		if (t == p->type_device_exclusive_write)
			e->bool_val |= 1u << PTV_B_WRITABLE;
	} else if (t == p->type_hwpoison) {
		e->state = PTV_STATE_HWPOISON;
		e->pfn = pfn;
		e->has_pfn = 1;
	} else if (t == p->type_pte_marker || t == p->type_swapin_error) {
		e->state = PTV_STATE_MARKER;
	} else {
		e->kind = PTV_ENTRY_BAD;
		e->why = "swap entry of a type this kernel does not use";
	}
}
