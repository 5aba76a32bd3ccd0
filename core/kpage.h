/* kpage.h: struct page facts from a memory image, as far as the dump of
 * page tables needs them: the zero pages and whether a frame is anonymous. */
#ifndef PTV_KPAGE_H
#define PTV_KPAGE_H

#include <stdbool.h>
#include <stdint.h>

struct ptv_error;
struct ptv_kernel;

struct ptv_kpage_info {
	bool layout_ok;			/* sizes and offsets below are known */
	uint64_t size;			/* sizeof(struct page) */
	uint64_t off_mapping, off_compound_head;
	bool zero_pfn_known, huge_zero_known;
	uint64_t zero_pfn, huge_zero_pfn;
};

/* Look everything up once; what cannot be found stays unknown. */
void ptv_kpage_info_init(struct ptv_kernel *k, struct ptv_kpage_info *pi);

/* The address of pfn's struct page (SPARSEMEM_VMEMMAP). */
uint64_t ptv_kpage_addr(const struct ptv_kernel *k,
			const struct ptv_kpage_info *pi, uint64_t pfn);

/* Whether pfn's folio is anonymous: its head page's mapping has
 * PAGE_MAPPING_ANON (bit 0; KSM pages too). */
struct ptv_error *ptv_kpage_is_anon(struct ptv_kernel *k,
				    const struct ptv_kpage_info *pi,
				    uint64_t pfn, bool *ret);

#endif /* PTV_KPAGE_H */
