/* summary.c: smaps-compatible totals from page records. */
#include "core/page.h"
#include "core/summary.h"
#include "core/vma.h"

void ptv_summary_add_page(struct ptv_summary *s, const struct ptv_vma *vma,
			  const struct ptv_page *p)
{
	ptv_summary_add_pages(s, vma, p, 1);
}

void ptv_summary_add_pages(struct ptv_summary *s, const struct ptv_vma *vma,
			   const struct ptv_page *p, uint64_t n)
{
	uint64_t kb = 4 * n;
	s->pages += n;
	if (p->state == PTV_STATE_SWAP) {
		s->swap_kb += kb;
		return;
	}
	if (p->state != PTV_STATE_PRESENT || !ptv_vma_has_normal_pages(vma))
		return;
	if (ptv_page_is(p, PTV_B_ZERO_PAGE) ||
	    ptv_page_is(p, PTV_B_HUGE_ZERO_PAGE))
		return;
	s->rss_kb += kb;
	if (ptv_page_is(p, PTV_B_ANON)) {
		s->anon_kb += kb;
		if ((p->has & PTV_HAS_LEVEL) && p->level == PTV_LEVEL_PMD)
			s->anon_huge_kb += kb;
	} else if (ptv_page_is(p, PTV_B_SHMEM)) {
		s->shmem_kb += kb;
	} else {
		s->file_kb += kb;
	}
}

void ptv_summary_add(struct ptv_summary *t, const struct ptv_summary *s)
{
	t->rss_kb += s->rss_kb;
	t->anon_kb += s->anon_kb;
	t->file_kb += s->file_kb;
	t->shmem_kb += s->shmem_kb;
	t->swap_kb += s->swap_kb;
	t->anon_huge_kb += s->anon_huge_kb;
	t->pages += s->pages;
	t->has_tables |= s->has_tables;
	t->pte_tables += s->pte_tables;
	t->pmd_tables += s->pmd_tables;
}
