/* t-kpage: the two ways to a struct page agree — the vmemmap and the
 * mem_section table of classic sparsemem that VMCOREINFO describes — and
 * both lead to the same decoded frame.
 *
 * usage: t-kpage CORE BTF SYSTEM_MAP
 *
 * tests/cli/t0300-page-core.sh runs it on deb61-basic, whose x86_64 kernel
 * has a vmemmap: the sections path is forced with ptv_kpage_use_sections().
 */
#include <stdbool.h>
#include <string.h>

#include "core/error.h"
#include "core/kernel.h"
#include "core/kpage.h"
#include "tests/tap.h"

/* Padding may differ: compare field by field. */
static bool same_frame(const struct ptv_frame *a, const struct ptv_frame *b)
{
	return a->pfn == b->pfn && a->page == b->page && a->has == b->has &&
	       a->flags == b->flags && a->mapping == b->mapping &&
	       a->index == b->index && a->refcount == b->refcount &&
	       a->mapcount == b->mapcount &&
	       a->total_mapcount == b->total_mapcount &&
	       a->head_pfn == b->head_pfn &&
	       a->folio_order == b->folio_order &&
	       a->entire_mapcount == b->entire_mapcount &&
	       a->pincount == b->pincount && a->anon == b->anon &&
	       a->large == b->large && a->anon_exclusive == b->anon_exclusive;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		printf("Bail out! usage: t-kpage CORE BTF SYSTEM_MAP\n");
		return 1;
	}
	struct ptv_kernel_opts o = { .core = argv[1], .btf = argv[2],
				     .system_map = argv[3] };
	struct ptv_kernel *k;
	struct ptv_error *err = ptv_kernel_open(&o, &k);
	if (err) {
		printf("Bail out! %s\n", err->message);
		return 1;
	}
	plan(7);
	static struct ptv_kpage_info vm, sec;
	ptv_kpage_info_init(k, &vm);
	ptv_kpage_info_init(k, &sec);
	ok(vm.layout_ok && vm.memmap == PTV_MEMMAP_VMEMMAP,
	   "the vmemmap is found");
	ok(vm.max_pfn_known && vm.max_pfn > 1000, "max_pfn is read");
	err = ptv_kpage_use_sections(k, &sec);
	ok(!err && sec.memmap == PTV_MEMMAP_SECTIONS,
	   "mem_section is described by VMCOREINFO");
	if (err)
		printf("# %s\n", err->message);
	ptv_error_destroy(err);
	ok(sec.sections_extreme && sec.sections_per_root > 1,
	   "SPARSEMEM_EXTREME is recognised");

	uint64_t bad = 0, frames_bad = 0, n = 0;
	for (uint64_t pfn = 0; pfn < vm.max_pfn; pfn++, n++) {
		uint64_t a, b;
		struct ptv_error *e1 = ptv_kpage_addr(k, &vm, pfn, &a);
		struct ptv_error *e2 = ptv_kpage_addr(k, &sec, pfn, &b);
		if (e1 || e2 || a != b) {
			if (bad++ < 3)
				printf("# PFN %" PRIu64 ": %s / %s\n", pfn,
				       e1 ? e1->message : "ok",
				       e2 ? e2->message : "ok");
		}
		ptv_error_destroy(e1);
		ptv_error_destroy(e2);
		if (pfn % 61)
			continue;
		struct ptv_frame f1, f2;
		e1 = ptv_frame_read(k, &vm, pfn, &f1);
		e2 = ptv_frame_read(k, &sec, pfn, &f2);
		if (e1 || e2 || !same_frame(&f1, &f2))
			frames_bad++;
		ptv_error_destroy(e1);
		ptv_error_destroy(e2);
	}
	is_int(bad, 0, "every PFN's struct page is at the same address both ways");
	is_int(frames_bad, 0, "sampled frames decode the same both ways");

	uint64_t addr;
	err = ptv_kpage_addr(k, &sec, UINT64_C(1) << 40, &addr);
	ok(err && err->code == PTV_ERR_NO_MEMORY && strstr(err->message, "beyond"),
	   "a PFN past the last section is beyond memory");
	ptv_error_destroy(err);
	ptv_kernel_destroy(k);
	(void)n;
	return exit_status();
}
