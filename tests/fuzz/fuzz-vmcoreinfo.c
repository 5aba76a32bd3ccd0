/* libFuzzer target: VMCOREINFO text parsing and every typed lookup. */
#include <stddef.h>
#include <stdint.h>

#include "core/vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptv_vmcoreinfo *vi;
	struct ptv_error *err = ptv_vmcoreinfo_parse((const char *)data, size,
						     &vi);
	if (err) {
		ptv_error_destroy(err);
		return 0;
	}
	uint64_t u;
	int64_t s;
	(void)ptv_vmcoreinfo_get(vi, "OSRELEASE");
	ptv_error_destroy(ptv_vmcoreinfo_symbol(vi, "init_top_pgt", &u));
	ptv_error_destroy(ptv_vmcoreinfo_number(vi, "phys_base", &s));
	ptv_error_destroy(ptv_vmcoreinfo_size(vi, "page", &u));
	ptv_error_destroy(ptv_vmcoreinfo_offset(vi, "page", "flags", &u));
	ptv_error_destroy(ptv_vmcoreinfo_length(vi, "zone.free_area", &u));
	ptv_error_destroy(ptv_vmcoreinfo_kerneloffset(vi, &u));
	ptv_error_destroy(ptv_vmcoreinfo_pagesize(vi, &u));
	ptv_vmcoreinfo_destroy(vi);
	return 0;
}
