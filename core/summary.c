/* summary.c: smaps-compatible totals from page records. */
#include "core/page.h"
#include "core/summary.h"
#include "core/vma.h"

void ptv_summary_add_page(struct ptv_summary *s, const struct ptv_vma *vma,
			  const struct ptv_page *p)
{
	s->pages++;
	if (p->state == PTV_STATE_SWAP) {
		s->swap_kb += 4;
		return;
	}
	if (p->state != PTV_STATE_PRESENT || !ptv_vma_has_normal_pages(vma))
		return;
	if (ptv_page_is(p, PTV_B_ZERO_PAGE) ||
	    ptv_page_is(p, PTV_B_HUGE_ZERO_PAGE))
		return;
	s->rss_kb += 4;
	if (ptv_page_is(p, PTV_B_ANON)) {
		s->anon_kb += 4;
		if ((p->has & PTV_HAS_LEVEL) && p->level == PTV_LEVEL_PMD)
			s->anon_huge_kb += 4;
	} else if (ptv_page_is(p, PTV_B_SHMEM)) {
		s->shmem_kb += 4;
	} else {
		s->file_kb += 4;
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
}
