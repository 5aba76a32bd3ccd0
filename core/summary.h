/* summary.h: per-VMA and per-task totals computed from page records.
 *
 * The rules follow what /proc/PID/smaps counts (smaps_pte_entry() and
 * smaps_pmd_entry() in fs/proc/task_mmu.c) so that a live summary equals
 * the kernel's own figures: only normal pages count in Rss (the zero pages
 * and VM_PFNMAP pages are not), PMD-mapped anonymous THPs count in
 * AnonHugePages, swap entries in Swap.
 */
#ifndef PTV_SUMMARY_H
#define PTV_SUMMARY_H

#include <stdint.h>

struct ptv_page;
struct ptv_vma;

struct ptv_summary {
	uint64_t rss_kb, anon_kb, file_kb, shmem_kb, swap_kb, anon_huge_kb;
	uint64_t pages;		/* pages looked at */
	/* Page tables (memory images only): PTE and PMD tables met. */
	int has_tables;
	uint64_t pte_tables, pmd_tables;
};

void ptv_summary_add_page(struct ptv_summary *s, const struct ptv_vma *vma,
			  const struct ptv_page *page);
/* Add n pages that all look like page (vaddr is the first one's). */
void ptv_summary_add_pages(struct ptv_summary *s, const struct ptv_vma *vma,
			   const struct ptv_page *page, uint64_t n);
void ptv_summary_add(struct ptv_summary *total, const struct ptv_summary *s);

#endif /* PTV_SUMMARY_H */
