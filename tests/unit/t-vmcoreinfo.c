/* Unit tests for core/vmcoreinfo.c: parsing, typed lookups, bad input. */
#include <stdlib.h>

#include "core/vmcoreinfo.h"
#include "tests/tap.h"

/* Lines as Linux 6.1 x86_64 (deb61-basic) and arm64 (deb61-arm64) write
 * them, plus junk a damaged or hand-made copy may hold. */
static const char sample[] =
	"OSRELEASE=6.1.0-56-amd64\n"
	"BUILD-ID=eb4fbcd037e7253717950bf2b93bd5566f47c56f\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_top_pgt)=ffffffffaac10000\n"
	"SIZE(page)=64\n"
	"OFFSET(page.flags)=0\n"
	"OFFSET(page._refcount)=52\n"
	"LENGTH(zone.free_area)=11\n"
	"NUMBER(phys_base)=-603979776\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(kimage_voffset)=0xffffcf23a0000000\n"
	"NUMBER(bad)=12x\n"
	"NUMBER(huge)=99999999999999999999\n"
	"SYMBOL(bad)=xyz\n"
	"this line is junk\n"
	"=no key\n"
	"with space=1\n"
	"KERNELOFFSET=28200000\r\n"
	"CRASHTIME=1\n"
	"CRASHTIME=2\n";

static void test_sample(void)
{
	struct ptv_vmcoreinfo *vi = NULL;
	struct ptv_error *err = ptv_vmcoreinfo_parse(sample, sizeof(sample) - 1,
						     &vi);
	ok(!err, "sample parses");
	if (err) {
		diag(err->message);
		return;
	}
	is_int(ptv_vmcoreinfo_count(vi), 16, "junk lines skipped, duplicate keys merged");
	is_str(ptv_vmcoreinfo_get(vi, "OSRELEASE"), "6.1.0-56-amd64", "raw string");
	is_str(ptv_vmcoreinfo_get(vi, "CRASHTIME"), "2", "the last of a repeated key wins");
	ok(ptv_vmcoreinfo_get(vi, "NOPE") == NULL, "absent key is NULL");

	uint64_t u = 0;
	int64_t s = 0;
	ok(!ptv_vmcoreinfo_symbol(vi, "init_top_pgt", &u) &&
	   u == 0xffffffffaac10000ull, "SYMBOL is hex");
	ok(!ptv_vmcoreinfo_size(vi, "page", &u) && u == 64, "SIZE");
	ok(!ptv_vmcoreinfo_offset(vi, "page", "_refcount", &u) && u == 52, "OFFSET");
	ok(!ptv_vmcoreinfo_length(vi, "zone.free_area", &u) && u == 11, "LENGTH");
	ok(!ptv_vmcoreinfo_number(vi, "phys_base", &s) && s == -603979776,
	   "NUMBER(phys_base) may be negative (KASLR below the link address)");
	ok(!ptv_vmcoreinfo_number(vi, "kimage_voffset", &s) &&
	   (uint64_t)s == 0xffffcf23a0000000ull, "arm64's 0x NUMBER keeps its bits");
	ok(!ptv_vmcoreinfo_kerneloffset(vi, &u) && u == 0x28200000,
	   "KERNELOFFSET is hex, CR trimmed");
	ok(!ptv_vmcoreinfo_pagesize(vi, &u) && u == 4096, "PAGESIZE");

	u = 7;
	err = ptv_vmcoreinfo_symbol(vi, "missing", &u);
	ok(err == ptv_not_found && u == 7, "absent SYMBOL: ptv_not_found, out-param untouched");
	err = ptv_vmcoreinfo_number(vi, "bad", &s);
	ok(err && err->code == PTV_ERR_FORMAT && strstr(err->message, "NUMBER(bad)=12x"),
	   "bad NUMBER: format error naming key and value");
	ptv_error_destroy(err);
	err = ptv_vmcoreinfo_number(vi, "huge", &s);
	ok(err && err->code == PTV_ERR_FORMAT, "overflowing NUMBER rejected");
	ptv_error_destroy(err);
	err = ptv_vmcoreinfo_symbol(vi, "bad", &u);
	ok(err && err->code == PTV_ERR_FORMAT, "bad SYMBOL rejected");
	ptv_error_destroy(err);
	ptv_vmcoreinfo_destroy(vi);
}

static void test_bad_input(void)
{
	struct ptv_vmcoreinfo *vi = NULL;
	struct ptv_error *err = ptv_vmcoreinfo_parse("", 0, &vi);
	ok(err && err->code == PTV_ERR_FORMAT && !vi, "empty text rejected");
	ptv_error_destroy(err);

	err = ptv_vmcoreinfo_parse("junk\nmore junk\n", 15, &vi);
	ok(err && err->code == PTV_ERR_FORMAT, "text without KEY=VALUE rejected");
	ptv_error_destroy(err);

	size_t big = PTV_VMCOREINFO_MAX_BYTES + 1;
	char *text = malloc(big);
	memset(text, 'A', big);
	text[0] = 'K';
	text[1] = '=';
	err = ptv_vmcoreinfo_parse(text, big, &vi);
	ok(err && err->code == PTV_ERR_FORMAT, "more than 1 MiB rejected");
	ptv_error_destroy(err);

	/* A NUL ends the text: what follows is not parsed. */
	memcpy(text, "A=1\nB=2\0C=3\n", 12);
	err = ptv_vmcoreinfo_parse(text, big, &vi);
	ok(!err && ptv_vmcoreinfo_get(vi, "B") && !ptv_vmcoreinfo_get(vi, "C"),
	   "text stops at NUL, so a huge buffer with a short text is fine");
	ptv_error_destroy(err);
	ptv_vmcoreinfo_destroy(vi);
	free(text);

	/* No newline at the end, value with '=' inside. */
	err = ptv_vmcoreinfo_parse("PAGESIZE=3000\nX=a=b", 19, &vi);
	ok(!err, "last line without newline");
	if (!err) {
		is_str(ptv_vmcoreinfo_get(vi, "X"), "a=b", "value keeps later '='");
		uint64_t u;
		err = ptv_vmcoreinfo_pagesize(vi, &u);
		ok(err && err->code == PTV_ERR_FORMAT, "PAGESIZE not a power of two rejected");
		ptv_error_destroy(err);
		ptv_vmcoreinfo_destroy(vi);
	}
}

int main(void)
{
	test_sample();
	test_bad_input();
	plan_no_plan_end();
	return exit_status();
}
