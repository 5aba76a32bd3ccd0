/* dump-core.c: `ptview dump --core` — a process's pages from the page
 * tables in a memory image, in the records the live dump prints. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/dump.h"
#include "cli/records.h"
#include "core/error.h"
#include "core/kernel.h"
#include "core/kpage.h"
#include "core/summary.h"
#include "core/task.h"
#include "core/walk.h"

struct core_dump {
	struct ptv_kernel *k;
	const struct dump_opts *opts;
	struct ptv_out *out;
	int pid;
	const struct ptv_vma *vma;
	struct ptv_summary *sum;
	struct ptv_run run;
	struct ptv_kpage_info pinfo;	/* zero pages, struct page layout */
};

/* What the struct page says, for a present leaf: anon or page cache
 * (page->mapping's PAGE_MAPPING_ANON bit), and the zero pages. */
static void classify(struct core_dump *d, struct ptv_page *p)
{
	if (p->state != PTV_STATE_PRESENT || !(p->has & PTV_HAS_PFN))
		return;
	const struct ptv_kpage_info *pi = &d->pinfo;
	bool zero = pi->zero_pfn_known && p->pfn == pi->zero_pfn;
	bool hzero = pi->huge_zero_known && p->pfn >= pi->huge_zero_pfn &&
		     p->pfn < pi->huge_zero_pfn + 512;
	ptv_page_set(p, PTV_B_ZERO_PAGE, zero);
	ptv_page_set(p, PTV_B_HUGE_ZERO_PAGE, hzero);
	if (zero || hzero) {
		ptv_page_set(p, PTV_B_ANON, false);
		ptv_page_set(p, PTV_B_SHMEM, false);
		return;
	}
	/* A private VMA without a file holds only anonymous pages (and the
	 * zero pages); elsewhere the struct page tells. */
	if (!d->vma->file) {
		ptv_page_set(p, PTV_B_ANON, true);
		ptv_page_set(p, PTV_B_SHMEM, false);
		return;
	}
	bool anon;
	struct ptv_error *err = ptv_kpage_is_anon(d->k, &d->pinfo, p->pfn,
						  &anon);
	if (err) {	/* the struct page is not in the dump: say nothing */
		ptv_error_destroy(err);
		return;
	}
	ptv_page_set(p, PTV_B_ANON, anon);
	ptv_page_set(p, PTV_B_SHMEM, !anon &&
		     d->vma->backing == PTV_BACKING_SHMEM);
}

static int handle(struct core_dump *d, const struct ptv_page *first,
		  uint64_t n)
{
	struct ptv_page p = *first;
	classify(d, &p);
	ptv_summary_add_pages(d->sum, d->vma, &p, n);
	if (d->opts->mode == MODE_SUMMARY)
		return 0;
	if (d->opts->mode == MODE_RUNS) {
		ptv_run_add(&d->run, d->out, d->pid, &p, n);
	} else {
		for (uint64_t i = 0; i < n && !d->out->write_failed; i++) {
			struct ptv_page q;
			ptv_page_nth(&p, i, &q);
			/* struct page keys: per page, so --pages only */
			ptv_error_destroy(ptv_kpage_fill_page(d->k, &d->pinfo,
							      &q));
			ptv_out_page(d->out, d->pid, &q);
		}
	}
	return d->out->write_failed;
}

/* Whether the frames of a range may differ in what classify() says: pages
 * of a file mapping (anon COW copies beside page cache), or a range of
 * contiguous frames that holds a zero page. */
static bool mixed(const struct core_dump *d, const struct ptv_page *p,
		  uint64_t n)
{
	if (n == 1 || p->state != PTV_STATE_PRESENT || !(p->has & PTV_HAS_PFN) ||
	    p->pfn_same)
		return false;
	const struct ptv_kpage_info *pi = &d->pinfo;
	if (d->vma->file)
		return true;
	if (pi->zero_pfn_known && pi->zero_pfn >= p->pfn &&
	    pi->zero_pfn < p->pfn + n)
		return true;
	return pi->huge_zero_known && pi->huge_zero_pfn < p->pfn + n &&
	       pi->huge_zero_pfn + 512 > p->pfn;
}

static int on_pages(void *arg, const struct ptv_page *first, uint64_t n)
{
	struct core_dump *d = arg;
	if (!mixed(d, first, n))
		return handle(d, first, n);
	for (uint64_t i = 0; i < n; i++) {
		struct ptv_page q;
		ptv_page_nth(first, i, &q);
		if (handle(d, &q, 1))
			return 1;
	}
	return 0;
}

static int on_table(void *arg, enum ptv_level level, uint64_t phys,
		    uint64_t vaddr, const uint64_t *entries, unsigned n)
{
	struct core_dump *d = arg;
	if (level == PTV_LEVEL_PTE)
		d->sum->pte_tables++;
	else if (level == PTV_LEVEL_PMD)
		d->sum->pmd_tables++;
	if (d->opts->tables) {
		ptv_run_flush(&d->run, d->out, d->pid);
		ptv_out_table(d->out, d->pid, level, phys, vaddr, entries, n);
	}
	return 0;
}

static struct ptv_error *dump_task(struct core_dump *d,
				   const struct ptv_task *t)
{
	struct ptv_kernel *k = d->k;
	struct ptv_mm mm;
	struct ptv_error *err = ptv_mm_read(k, t->mm, &mm);
	if (err)
		return ptv_error_prefix(err, "pid %d", t->pid);
	struct ptv_task_rec rec = {
		.pid = t->pid, .comm = t->comm, .mm = mm.addr, .pgd = mm.pgd,
		.pgd_phys = mm.pgd_phys,
		.rss_anon_kb = mm.anon_pages * 4,
		.rss_file_kb = mm.file_pages * 4,
		.rss_shmem_kb = mm.shmem_pages * 4,
		.swap_kb = mm.swap_entries * 4,
		.pgtables_kb = mm.pgtables_bytes / 1024,
	};
	ptv_out_task(d->out, &rec);
	struct ptv_vma_list vmas;
	ptv_vma_list_init(&vmas);
	if ((err = ptv_mm_vmas(k, &mm, &vmas))) {
		ptv_vma_list_deinit(&vmas);
		return ptv_error_prefix(err, "pid %d", t->pid);
	}
	static const struct ptv_walk_ops ops = { on_pages, on_table };
	struct ptv_walk w = {
		.arch = k->arch, .params = &k->params,
		.read_phys = ptv_kernel_read_phys, .read_arg = k,
		.ops = &ops, .ops_arg = d,
	};
	struct ptv_summary total = { .has_tables = 1 };
	d->pid = t->pid;
	for (size_t i = 0; i < vmas.n && !err && !d->out->write_failed; i++) {
		const struct ptv_vma *vma = &vmas.v[i];
		uint64_t lo = vma->start > d->opts->lo ? vma->start : d->opts->lo;
		uint64_t hi = vma->end < d->opts->hi ? vma->end : d->opts->hi;
		if (lo >= hi)
			continue;
		if (d->opts->mode != MODE_SUMMARY)
			ptv_out_vma(d->out, t->pid, vma);
		struct ptv_summary sum = { .has_tables = 1 };
		d->vma = vma;
		d->sum = &sum;
		memset(&d->run, 0, sizeof(d->run));
		err = ptv_walk_range(&w, mm.pgd_phys, lo, hi);
		ptv_run_flush(&d->run, d->out, t->pid);
		ptv_out_summary(d->out, t->pid, "vma", vma->start, &sum);
		ptv_summary_add(&total, &sum);
	}
	ptv_out_summary(d->out, t->pid, "task", 0, &total);
	ptv_vma_list_deinit(&vmas);
	if (w.bad_entries) {
		ptv_out_flush(d->out);
		ptv_cli_warn("pid %d: %" PRIu64 " page-table entries are damaged "
			     "(shown as unreadable)", t->pid, w.bad_entries);
	}
	return err;
}

int ptv_dump_core(const struct ptv_kernel_opts *ko,
		  const struct dump_opts *opts, const int *pids, size_t npids,
		  struct ptv_out *out)
{
	struct ptv_kernel *k;
	struct ptv_error *err = ptv_kernel_open(ko, &k);
	if (err)
		return ptv_cli_report(err);
	struct core_dump d = { .k = k, .opts = opts, .out = out };
	ptv_kpage_info_init(k, &d.pinfo);
	out->pg_names = d.pinfo.flag_names;
	struct ptv_task *tasks = NULL;
	size_t ntasks = 0;
	err = ptv_task_list(k, &tasks, &ntasks);
	int status = PTV_EXIT_OK;
	if (err) {
		ptv_out_flush(out);
		status = ptv_cli_report(err);
	}
	if (opts->all) {
		for (size_t i = 0; i < ntasks && !out->write_failed; i++) {
			if ((err = dump_task(&d, &tasks[i]))) {
				ptv_out_flush(out);
				status = ptv_cli_report(err);
			}
		}
	}
	for (size_t j = 0; j < npids && !out->write_failed; j++) {
		size_t i = 0;
		while (i < ntasks && tasks[i].pid != pids[j])
			i++;
		if (i == ntasks) {
			ptv_out_flush(out);
			status = ptv_cli_report(ptv_error_create(PTV_ERR_NO_SUCH_TASK,
				"%s: no process with pid %d and an address "
				"space in the dump", ko->core, pids[j]));
			continue;
		}
		if ((err = dump_task(&d, &tasks[i]))) {
			ptv_out_flush(out);
			status = ptv_cli_report(err);
		}
	}
	ptv_out_flush(out);
	free(tasks);
	ptv_kernel_destroy(k);
	if (out->write_failed && status == PTV_EXIT_OK)
		status = PTV_EXIT_ERROR;
	return status;
}
