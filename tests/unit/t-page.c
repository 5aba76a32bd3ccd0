/* Unit tests for core/page.c and core/summary.c: which pages join a run,
 * and what counts in a summary. */
#include <string.h>

#include "core/page.h"
#include "core/summary.h"
#include "core/vma.h"
#include "tests/tap.h"

static struct ptv_page present(uint64_t vaddr, uint64_t pfn)
{
	struct ptv_page p;
	memset(&p, 0, sizeof(p));
	p.vaddr = vaddr;
	p.state = PTV_STATE_PRESENT;
	p.has = PTV_HAS_PFN | PTV_HAS_LEVEL;
	p.pfn = pfn;
	ptv_page_set(&p, PTV_B_ANON, true);
	return p;
}

int main(void)
{
	plan(16);
	struct ptv_page a = present(0x1000, 100), b = present(0x2000, 101);
	ok(ptv_page_continues(&a, &b), "next page, next PFN: one run");
	b.pfn = 102;
	ok(!ptv_page_continues(&a, &b), "a PFN gap breaks the run");
	b = present(0x3000, 101);
	ok(!ptv_page_continues(&a, &b), "a virtual gap breaks the run");
	b = present(0x2000, 101);
	ptv_page_set(&b, PTV_B_EXCLUSIVE, true);
	ok(!ptv_page_continues(&a, &b), "a differing boolean breaks the run");
	b = present(0x2000, 101);
	b.level = PTV_LEVEL_PMD;
	ok(!ptv_page_continues(&a, &b), "a differing level breaks the run");

	struct ptv_page z1 = present(0x1000, 7), z2 = present(0x2000, 7);
	ptv_page_set(&z1, PTV_B_ZERO_PAGE, true);
	ptv_page_set(&z2, PTV_B_ZERO_PAGE, true);
	ok(ptv_page_continues(&z1, &z2), "zero-page mappings keep one PFN");
	z2.pfn = 8;
	ok(!ptv_page_continues(&z1, &z2), "... and a zero page run does not advance");

	struct ptv_page s1, s2;
	memset(&s1, 0, sizeof(s1));
	s1.vaddr = 0x1000;
	s1.state = PTV_STATE_SWAP;
	s1.has = PTV_HAS_SWAP;
	s1.swap_type = 1;
	s1.swap_offset = 50;
	s2 = s1;
	s2.vaddr = 0x2000;
	s2.swap_offset = 51;
	ok(ptv_page_continues(&s1, &s2), "swap offsets advance by one in a run");
	s2.swap_type = 2;
	ok(!ptv_page_continues(&s1, &s2), "another swap type breaks the run");

	struct ptv_vma anon = { .start = 0, .end = 1 << 20,
				.backing = PTV_BACKING_ANON };
	struct ptv_vma vvar = { .start = 0, .end = 1 << 20,
				.backing = PTV_BACKING_VVAR };
	struct ptv_summary sum;
	memset(&sum, 0, sizeof(sum));
	struct ptv_page p = present(0x1000, 5);
	ptv_summary_add_page(&sum, &anon, &p);
	p.level = PTV_LEVEL_PMD;
	ptv_summary_add_page(&sum, &anon, &p);
	ptv_page_set(&z1, PTV_B_ANON, false);
	ptv_summary_add_page(&sum, &anon, &z1);
	ptv_summary_add_page(&sum, &anon, &s1);
	ptv_summary_add_page(&sum, &vvar, &p);
	struct ptv_page sh = present(0x1000, 9);
	ptv_page_set(&sh, PTV_B_ANON, false);
	ptv_page_set(&sh, PTV_B_SHMEM, true);
	ptv_summary_add_page(&sum, &anon, &sh);
	struct ptv_page file = present(0x1000, 10);
	ptv_page_set(&file, PTV_B_ANON, false);
	ptv_summary_add_page(&sum, &anon, &file);
	is_int(sum.rss_kb, 16, "rss: two anon, shmem and file; not zero or vvar");
	is_int(sum.anon_kb, 8, "anon");
	is_int(sum.anon_huge_kb, 4, "PMD-mapped anon is AnonHugePages");
	is_int(sum.shmem_kb, 4, "shmem");
	is_int(sum.file_kb, 4, "file");
	is_int(sum.swap_kb, 4, "swap");
	is_int(sum.pages, 7, "every page looked at is counted");
	return exit_status();
}
