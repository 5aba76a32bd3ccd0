/* kpage.c: struct page lookups in a memory image.
 *
 * page->compound_head has bit 0 set in tail pages and then points at the
 * head plus one (v4.6, commit 1d798ca3f164); page->mapping has
 * PAGE_MAPPING_ANON in bit 0 for anonymous and KSM folios
 * (include/linux/page-flags.h). */
#include "core/error.h"
#include "core/kernel.h"
#include "core/kpage.h"
#include "core/types.h"

void ptv_kpage_info_init(struct ptv_kernel *k, struct ptv_kpage_info *pi)
{
	*pi = (struct ptv_kpage_info){ 0 };
	struct ptv_error *err;
	pi->layout_ok =
		!(err = ptv_types_sizeof(k->types, "page", &pi->size)) &&
		!(err = ptv_kernel_offsetof(k, "page", "mapping",
					    &pi->off_mapping)) &&
		!(err = ptv_kernel_offsetof(k, "page", "compound_head",
					    &pi->off_compound_head));
	ptv_error_destroy(err);

	uint64_t addr, phys;
	err = ptv_kernel_symbol(k, "empty_zero_page", &addr);
	if (!err)
		err = ptv_kernel_vtop(k, addr, &phys);
	if (!err) {
		pi->zero_pfn = phys >> 12;
		pi->zero_pfn_known = true;
	}
	ptv_error_destroy(err);

	/* The huge zero page: a struct page pointer up to v6.8, then a
	 * folio pointer (huge_zero_folio); NULL until first used. */
	uint64_t ptr = 0;
	const char *names[] = { "huge_zero_folio", "huge_zero_page" };
	for (int i = 0; i < 2 && !ptr; i++) {
		err = ptv_kernel_symbol(k, names[i], &addr);
		if (!err)
			err = ptv_kernel_read_u64(k, addr, &ptr);
		ptv_error_destroy(err);
	}
	if (ptr && pi->layout_ok && ptr >= k->vmemmap &&
	    (ptr - k->vmemmap) % pi->size == 0) {
		pi->huge_zero_pfn = (ptr - k->vmemmap) / pi->size;
		pi->huge_zero_known = true;
	}
}

uint64_t ptv_kpage_addr(const struct ptv_kernel *k,
			const struct ptv_kpage_info *pi, uint64_t pfn)
{
	return k->vmemmap + pfn * pi->size;
}

struct ptv_error *ptv_kpage_is_anon(struct ptv_kernel *k,
				    const struct ptv_kpage_info *pi,
				    uint64_t pfn, bool *ret)
{
	if (!pi->layout_ok)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"the struct page layout is unknown");
	uint64_t page = ptv_kpage_addr(k, pi, pfn), head, mapping;
	struct ptv_error *err = ptv_kernel_read_u64(k, page +
						    pi->off_compound_head, &head);
	if (err)
		return err;
	if (head & 1)
		page = head - 1;
	if ((err = ptv_kernel_read_u64(k, page + pi->off_mapping, &mapping)))
		return err;
	*ret = mapping & 1;
	return NULL;
}
