/* Unit tests for arch/x86_64.c and core/walk.c on page tables built here
 * in a small fake physical memory: every kind of entry, 4- and 5-level. */
#include <string.h>

#include "core/arch.h"
#include "core/error.h"
#include "core/walk.h"
#include "tests/tap.h"

#define NPAGES 16
static uint64_t mem[NPAGES][512];	/* physical page i at i * 4096 */
#define EXCLUDED_PHYS (100ULL * 4096)	/* "left out of the dump" */

static struct ptv_error *read_phys(void *arg, uint64_t phys, void *buf,
				   size_t len)
{
	(void)arg;
	if (phys == EXCLUDED_PHYS)
		return ptv_error_create(PTV_ERR_EXCLUDED, "excluded 0x%llx",
					(unsigned long long)phys);
	if (phys % 4096 || phys / 4096 >= NPAGES || len != 4096)
		return ptv_error_create(PTV_ERR_NO_MEMORY, "no 0x%llx",
					(unsigned long long)phys);
	memcpy(buf, mem[phys / 4096], len);
	return NULL;
}

/* Pages reported, as ranges. */
struct got { struct ptv_page first; uint64_t n; };
static struct got got[64];
static int ngot;

static int on_pages(void *arg, const struct ptv_page *p, uint64_t n)
{
	(void)arg;
	if (ngot < 64) {
		got[ngot].first = *p;
		got[ngot].n = n;
	}
	ngot++;
	return 0;
}

static const struct got *find(uint64_t vaddr)
{
	for (int i = 0; i < ngot && i < 64; i++)
		if (got[i].first.vaddr <= vaddr &&
		    vaddr < got[i].first.vaddr + got[i].n * 4096)
			return &got[i];
	return NULL;
}

/* x86 encodings, written out the way the kernel builds them. */
#define P 0x1ULL
#define RW 0x2ULL
#define US 0x4ULL
#define PWT 0x8ULL
#define A 0x20ULL
#define D 0x40ULL
#define PSE 0x80ULL
#define PROTNONE 0x100ULL
#define FRAME 0x000ffffffffff000ULL
static uint64_t swp(uint64_t type, uint64_t offset)
{
	return (~offset << 14 >> 5) | (type << 59);	/* __swp_entry() */
}

int main(void)
{
	plan(40);
	struct ptv_arch_params params;
	memset(&params, 0, sizeof(params));
	params.levels = 4;
	params.phys_bits = 46;
	ptv_arch_params_swap_layout(&params, 6, 1);
	is_int(params.max_swapfiles, 22, "6.1: MAX_SWAPFILES is 22");
	is_int(params.type_migration_write, 25, "6.1: SWP_MIGRATION_WRITE is 25");
	is_int(params.type_pte_marker, 30, "6.1: SWP_PTE_MARKER is 30");

	const uint64_t va = 0x200000000000ULL;	/* pgd 64, pud 0, pmd 0 */
	mem[1][64] = 2 * 4096 | P | RW | US | A;	/* pgd -> pud */
	mem[2][0] = 3 * 4096 | P | RW | US | A;		/* pud -> pmd */
	mem[2][1] = 0x122;				/* non-present pud */
	mem[3][0] = 4 * 4096 | P | RW | US | A;		/* pmd -> pte */
	mem[3][1] = (0x40000ULL << 12) | P | RW | US | PSE | A | D;
	mem[3][2] = EXCLUDED_PHYS | P | RW | US | A;	/* pte table excluded */
	mem[4][0] = (0x1234ULL << 12) | P | RW | US | A | D | (1ULL << 63);
	mem[4][1] = (~(0x5678ULL << 12) & FRAME) | PROTNONE | A;
	mem[4][2] = swp(0, 0x1000) | PWT;
	mem[4][3] = swp(25, 0x999);			/* migration write */
	mem[4][5] = swp(1, 77) | RW;			/* soft-dirty swap */

	struct ptv_walk_ops ops = { .pages = on_pages };
	struct ptv_walk w = {
		.arch = &ptv_arch_x86_64, .params = &params,
		.read_phys = read_phys, .ops = &ops,
	};
	struct ptv_error *err = ptv_walk_range(&w, 1 * 4096, va,
					       va + (1ULL << 30) + (4ULL << 20));
	ok(!err, "the walk completes");
	const struct got *g = find(va);
	ok(g && g->first.state == PTV_STATE_PRESENT && g->first.pfn == 0x1234 &&
	   g->n == 1 && ptv_page_is(&g->first, PTV_B_WRITABLE) &&
	   ptv_page_is(&g->first, PTV_B_NX) && ptv_page_is(&g->first, PTV_B_DIRTY),
	   "present PTE: frame and bits");
	g = find(va + 4096);
	ok(g && g->first.state == PTV_STATE_PRESENT && g->first.pfn == 0x5678 &&
	   ptv_page_is(&g->first, PTV_B_PROTNONE) &&
	   !ptv_page_is(&g->first, PTV_B_GLOBAL),
	   "PROT_NONE PTE: the inverted frame is read back (L1TF)");
	g = find(va + 2 * 4096);
	ok(g && g->first.state == PTV_STATE_SWAP && g->first.swap_type == 0 &&
	   g->first.swap_offset == 0x1000 &&
	   ptv_page_is(&g->first, PTV_B_EXCLUSIVE) &&
	   !ptv_page_is(&g->first, PTV_B_SOFT_DIRTY),
	   "swap PTE: type, inverted offset, exclusive bit");
	g = find(va + 3 * 4096);
	ok(g && g->first.state == PTV_STATE_MIGRATION && g->first.pfn == 0x999 &&
	   (g->first.has & PTV_HAS_PFN) && ptv_page_is(&g->first, PTV_B_WRITABLE),
	   "migration-write entry: the frame it stands for");
	g = find(va + 4 * 4096);
	ok(g && g->first.state == PTV_STATE_NONE, "empty PTE");
	g = find(va + 5 * 4096);
	ok(g && g->first.state == PTV_STATE_SWAP && g->first.swap_type == 1 &&
	   g->first.swap_offset == 77 && ptv_page_is(&g->first, PTV_B_SOFT_DIRTY),
	   "swap PTE with the soft-dirty bit");
	g = find(va + (2ULL << 20));
	ok(g && g->first.state == PTV_STATE_PRESENT && g->n == 512 &&
	   g->first.pfn == 0x40000 && g->first.level == PTV_LEVEL_PMD,
	   "2 MiB leaf: one range of 512 pages");
	g = find(va + (4ULL << 20));
	ok(g && g->first.state == PTV_STATE_EXCLUDED && g->n == 512,
	   "a PTE table left out of the dump: 512 excluded pages");
	g = find(va + (6ULL << 20));
	ok(g && g->first.state == PTV_STATE_NONE, "empty PMD entries: none");
	g = find(va + (1ULL << 30));
	ok(g && g->first.state == PTV_STATE_UNREADABLE &&
	   (g->first.has & PTV_HAS_RAW) && g->first.raw == 0x122,
	   "garbage in a PUD entry: unreadable, with its raw value");
	is_int(w.bad_entries, 1, "one bad entry counted");
	is_int(w.tables[PTV_LEVEL_PTE], 1, "one PTE table read");
	is_int(w.tables[PTV_LEVEL_PMD], 1, "one PMD table read");

	uint64_t total = 0;
	for (int i = 0; i < ngot && i < 64; i++)
		total += got[i].n;
	ok(ngot < 64, "neighbouring holes come as one range");
	is_int(total, ((1ULL << 30) + (4ULL << 20)) >> 12,
	       "every page of the range is reported once");

	/* One address, level by level. */
	struct ptv_walk_step steps[5];
	unsigned n;
	struct ptv_page page;
	err = ptv_walk_one(&w, 4096, va + (2ULL << 20) + 0x5123, steps, &n,
			   &page);
	ok(!err && n == 3, "vtop in a 2 MiB leaf stops at the PMD");
	is_int(steps[0].index, 64, "pgd index");
	is_int(steps[2].raw, mem[3][1], "pmd raw entry");
	is_int(page.pfn, 0x40005, "the PFN inside the huge page");
	err = ptv_walk_one(&w, 4096, va + 2 * 4096, steps, &n, &page);
	ok(!err && n == 4 && page.state == PTV_STATE_SWAP &&
	   page.swap_offset == 0x1000, "vtop of a swap entry");
	err = ptv_walk_one(&w, 4096, va + (4ULL << 20), steps, &n, &page);
	ok(!err && page.state == PTV_STATE_EXCLUDED, "vtop into an excluded table");

	/* Above user space nothing is mapped. */
	ngot = 0;
	err = ptv_walk_range(&w, 4096, 0x7ffffffff000ULL, 0x800000001000ULL);
	ok(!err && ngot >= 1 && find(0x800000000000ULL) &&
	   find(0x800000000000ULL)->first.state == PTV_STATE_NONE,
	   "addresses above TASK_SIZE are none");

	/* A loop of tables is bounded. */
	mem[5][0] = 5 * 4096 | P | RW | US | A;		/* points at itself */
	ngot = 0;
	w.max_tables = 1000;
	err = ptv_walk_range(&w, 5 * 4096, 0, 1ULL << 39);
	ok(!err, "a self-referencing table ends at the last level");
	ok(find(0) && find(0)->first.state == PTV_STATE_PRESENT &&
	   find(0)->first.pfn == 5 && w.tables[PTV_LEVEL_PTE] == 2,
	   "... which reads its entry as a PTE: the depth bounds the walk");

	/* 5-level paging: the pgd covers 2^48 bytes a slot. */
	struct ptv_arch_params p5 = params;
	p5.levels = 5;
	memset(mem, 0, sizeof(mem));
	const uint64_t va5 = 0x1000000000000ULL + va;	/* pgd 1, p4d 64 */
	mem[1][1] = 6 * 4096 | P | RW | US;		/* pgd -> p4d */
	mem[6][64] = 2 * 4096 | P | RW | US;		/* p4d -> pud */
	mem[2][0] = 3 * 4096 | P | RW | US;
	mem[3][0] = 4 * 4096 | P | RW | US;
	mem[4][7] = (0xabcULL << 12) | P | US;
	struct ptv_walk w5 = {
		.arch = &ptv_arch_x86_64, .params = &p5,
		.read_phys = read_phys, .ops = &ops,
	};
	ngot = 0;
	err = ptv_walk_range(&w5, 4096, va5, va5 + (2ULL << 20));
	g = find(va5 + 7 * 4096);
	ok(!err && g && g->first.pfn == 0xabc && !ptv_page_is(&g->first, PTV_B_WRITABLE),
	   "5-level: the PTE under pgd -> p4d -> pud -> pmd");
	is_int(w5.tables[PTV_LEVEL_P4D], 1, "5-level: one P4D table read");
	err = ptv_walk_one(&w5, 4096, va5 + 7 * 4096, steps, &n, &page);
	ok(!err && n == 5 && steps[1].level == PTV_LEVEL_P4D && page.pfn == 0xabc,
	   "5-level vtop has five steps");

	/* Runs the fast path joins: one frame mapped 100 times (the zero
	 * page), then 50 contiguous frames, then holes. */
	memset(mem, 0, sizeof(mem));
	mem[1][64] = 2 * 4096 | P | RW | US;
	mem[2][0] = 3 * 4096 | P | RW | US;
	mem[3][0] = 4 * 4096 | P | RW | US;
	for (int i = 0; i < 100; i++)
		mem[4][i] = (0x777ULL << 12) | P | US | A;
	for (int i = 0; i < 50; i++)
		mem[4][100 + i] = ((0x1000ULL + i) << 12) | P | RW | US | A | D;
	mem[4][150] = (0x1032ULL << 12) | P | US | A | D;	/* other bits */
	ngot = 0;
	err = ptv_walk_range(&w, 4096, va, va + (2ULL << 20));
	ok(!err && ngot == 4, "fast path: four ranges");
	ok(got[0].n == 100 && got[0].first.pfn == 0x777 && got[0].first.pfn_same,
	   "100 PTEs of one frame: one range, pfn_same");
	ok(got[1].n == 50 && got[1].first.pfn == 0x1000 && !got[1].first.pfn_same &&
	   ptv_page_is(&got[1].first, PTV_B_WRITABLE),
	   "50 PTEs of contiguous frames: one advancing range");
	ok(got[2].n == 1 && !ptv_page_is(&got[2].first, PTV_B_WRITABLE),
	   "a PTE with other bits starts a new range");
	ok(got[3].first.state == PTV_STATE_NONE && got[3].n == 512 - 151,
	   "the rest is one hole");

	const char *names[16];
	size_t k = ptv_arch_x86_64.bit_names(PTV_LEVEL_PTE, (0xabcULL << 12) | P | US | (1ULL << 63),
					     names, 16);
	ok(k == 3 && !strcmp(names[0], "present") && !strcmp(names[1], "user") &&
	   !strcmp(names[2], "nx"), "bit names of a PTE");
	k = ptv_arch_x86_64.bit_names(PTV_LEVEL_PTE, swp(0, 5) | PWT, names, 16);
	ok(k == 1 && !strcmp(names[0], "swp_exclusive"), "bit names of a swap entry");
	ok(ptv_arch_by_machine(62) == &ptv_arch_x86_64 && !ptv_arch_by_machine(1),
	   "arch by ELF machine");
	struct ptv_arch_params p618;
	ptv_arch_params_swap_layout(&p618, 6, 18);
	ok(p618.type_device_exclusive_write == -1 && p618.type_swapin_error == -1,
	   "6.18: no device-exclusive or swapin-error swap types");
	return exit_status();
}
