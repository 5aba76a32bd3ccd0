/* cmd-check.c: `ptview check --core FILE [PID...]` — every mapped page
 * against the kernel's reverse maps, and every reverse-map entry against
 * the page tables and the map counts. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/records.h"
#include "core/addrset.h"
#include "core/error.h"
#include "core/kernel.h"
#include "core/kpage.h"
#include "core/rmap.h"
#include "core/task.h"
#include "core/walk.h"

/* VM_IO, VM_PFNMAP, VM_MIXEDMAP (include/linux/mm.h, stable since v2.6):
 * their frames need not have struct pages or reverse maps. */
#define VM_SPECIAL_PAGES (0x00004000 | 0x00000400 | 0x10000000)

struct checker {
	struct ptv_kernel *k;
	struct ptv_rmap_ctx *rc;
	const struct ptv_kpage_info *pi;	/* the rmap context's */
	struct ptv_out *out;
	struct ptv_addr_set seen;	/* PFNs whose rmap was checked */
	const struct ptv_task *task;
	uint64_t pages, mappings, mismatches;
};

static void mismatch(struct checker *c, const char *kind, uint64_t pfn,
		     int pid, uint64_t vaddr, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void mismatch(struct checker *c, const char *kind, uint64_t pfn,
		     int pid, uint64_t vaddr, const char *fmt, ...)
{
	char detail[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ptv_out_mismatch(c->out, kind, pfn, pid, vaddr, detail);
	c->mismatches++;
}

/* The checks that belong to the frame, not to this mapping of it: done
 * the first time the frame is met.  The rmap lists every VMA that may map
 * the frame (a file's i_mmap, a forked anon_vma); those that do are the
 * verified ones, and their number by level must equal the map counts the
 * struct page keeps (6.1 and later: a page's _mapcount counts its PTE
 * mappings, a large folio's entire mapcount its PMD mappings). */
static void check_frame(struct checker *c, const struct ptv_rmap *r)
{
	int pte = 0, pmd = 0, orphans = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct ptv_rmap_mapping *m = &r->v[i];
		c->mappings++;
		if (!m->pid)
			orphans++;	/* an mm no task owns: cannot walk it */
		else if (m->verified && m->level == PTV_LEVEL_PMD)
			pmd++;
		else if (m->verified)
			pte++;
	}
	if (orphans)
		return;
	int want_pmd = r->large ? r->entire_mapcount : 0;
	if (pte < r->mapcount || pmd < want_pmd)
		mismatch(c, "not_mapped", r->pfn, c->task->pid, 0,
			 "the struct page counts %d PTE and %d PMD mappings; the "
			 "%s leads to page tables mapping it only %d and %d times",
			 r->mapcount, want_pmd, ptv_rmap_via_name(r->via), pte,
			 pmd);
	else if (pte > r->mapcount || pmd > want_pmd)
		mismatch(c, "mapcount", r->pfn, c->task->pid, 0,
			 "the page tables map it %d times by PTE and %d by PMD; "
			 "the struct page counts %d and %d", pte, pmd,
			 r->mapcount, want_pmd);
}

static void check_page(struct checker *c, uint64_t vaddr, uint64_t pfn)
{
	c->pages++;
	struct ptv_rmap r;
	struct ptv_error *err = ptv_rmap_pfn(c->rc, pfn, &r);
	if (err) {
		mismatch(c, "unreadable", pfn, c->task->pid, vaddr, "%s",
			 err->message);
		ptv_error_destroy(err);
		return;
	}
	bool found = false;
	for (size_t i = 0; i < r.n && !found; i++)
		found = r.v[i].pid == c->task->pid && r.v[i].vaddr == vaddr &&
			r.v[i].verified;
	if (!found)
		mismatch(c, "not_in_rmap", pfn, c->task->pid, vaddr,
			 "mapped here, but the %s (mapping 0x%" PRIx64
			 ", pgoff %" PRIu64 ") lists %zu other mappings",
			 ptv_rmap_via_name(r.via), r.mapping, r.pgoff, r.n);
	if (ptv_addr_set_add(&c->seen, pfn + 1) == 0)
		check_frame(c, &r);
	ptv_rmap_deinit(&r);
}

static int on_pages(void *arg, const struct ptv_page *p, uint64_t n)
{
	struct checker *c = arg;
	if (p->state != PTV_STATE_PRESENT || !(p->has & PTV_HAS_PFN))
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pfn = p->pfn_same ? p->pfn : p->pfn + i;
		if ((c->pi->zero_pfn_known && pfn == c->pi->zero_pfn) ||
		    (c->pi->huge_zero_known && pfn >= c->pi->huge_zero_pfn &&
		     pfn < c->pi->huge_zero_pfn + 512))
			continue;	/* the zero pages have no rmap */
		check_page(c, p->vaddr + i * 4096, pfn);
	}
	return c->out->write_failed;
}

static struct ptv_error *check_task(struct checker *c,
				    const struct ptv_task *t)
{
	struct ptv_mm mm;
	struct ptv_vma_list vmas;
	ptv_vma_list_init(&vmas);
	struct ptv_error *err = ptv_mm_read(c->k, t->mm, &mm);
	if (!err)
		err = ptv_mm_vmas(c->k, &mm, &vmas);
	static const struct ptv_walk_ops ops = { .pages = on_pages };
	struct ptv_walk w = {
		.arch = c->k->arch, .params = &c->k->params,
		.read_phys = ptv_kernel_read_phys, .read_arg = c->k,
		.ops = &ops, .ops_arg = c,
	};
	c->task = t;
	for (size_t i = 0; !err && i < vmas.n; i++) {
		/* special mappings ([vdso], [vvar]) hold kernel pages that
		 * no rmap knows */
		if ((vmas.v[i].flags & VM_SPECIAL_PAGES) ||
		    vmas.v[i].backing == PTV_BACKING_VDSO ||
		    vmas.v[i].backing == PTV_BACKING_VVAR ||
		    vmas.v[i].backing == PTV_BACKING_OTHER)
			continue;
		err = ptv_walk_range(&w, mm.pgd_phys, vmas.v[i].start,
				     vmas.v[i].end);
	}
	ptv_vma_list_deinit(&vmas);
	return err ? ptv_error_prefix(err, "pid %d", t->pid) : NULL;
}

static const struct option longopts[] = {
	PTV_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int cmd_check(int argc, char **argv)
{
	const struct ptv_cmd_entry *self = &ptv_cmd_check_entry;
	struct ptv_kernel_opts ko = { 0 };
	bool json = false;
	int c, status;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		int r = ptv_cli_common_opt(self, c, argv, &json, &ko, &status);
		if (r == PTV_OPT_EXIT)
			return status;
		if (r == PTV_OPT_DONE)
			continue;
		return ptv_cli_usage_error(self, "unknown option '%s'",
					   argv[optind - 1]);
	}
	if (!ptv_cli_core_opts_ok(self, &ko, &status))
		return status;
	if (!ko.core && !ptv_cli_live_kcore(&ko))
		return ptv_cli_usage_error(self,
			"--core FILE is needed: the reverse maps are read from a "
			"memory image (or /proc/kcore, which is not readable here)");
	for (int i = optind; i < argc; i++) {
		unsigned long long v;
		if (!ptv_cli_parse_u64(argv[i], &v) || !v || v >= (1u << 30))
			return ptv_cli_usage_error(self,
				"'%s' is not a process ID", argv[i]);
	}
	struct ptv_kernel *k;
	struct ptv_error *err = ptv_kernel_open(&ko, &k);
	if (err)
		return ptv_cli_report(err);
	static struct ptv_out out;
	ptv_out_init(&out, STDOUT_FILENO, json, ptv_cli_use_color());
	struct checker ck = { .k = k, .out = &out };
	struct ptv_task *tasks = NULL;
	size_t ntasks = 0;
	if (!(err = ptv_rmap_ctx_create(k, &ck.rc))) {
		ck.pi = ptv_rmap_ctx_kpage(ck.rc);
		err = ptv_task_list(k, &tasks, &ntasks);
	}
	status = PTV_EXIT_OK;
	for (size_t i = 0; !err && i < ntasks && !out.write_failed; i++) {
		bool want = optind == argc;
		for (int j = optind; j < argc && !want; j++)
			want = atoi(argv[j]) == tasks[i].pid;
		if (want)
			err = check_task(&ck, &tasks[i]);
	}
	for (int j = optind; !err && j < argc; j++) {
		size_t i = 0;
		while (i < ntasks && tasks[i].pid != atoi(argv[j]))
			i++;
		if (i == ntasks) {
			ptv_out_flush(&out);
			status = ptv_cli_report(ptv_error_create(PTV_ERR_NO_SUCH_TASK,
				"%s: no process with pid %s and an address space",
				ko.core, argv[j]));
		}
	}
	if (!err)
		ptv_out_check(&out, ck.pages, ck.mappings, ck.mismatches);
	ptv_out_flush(&out);
	free(tasks);
	ptv_addr_set_deinit(&ck.seen);
	ptv_rmap_ctx_destroy(ck.rc);
	ptv_kernel_destroy(k);
	if (err)
		return ptv_cli_report(err);
	if (status == PTV_EXIT_OK && ck.mismatches)
		status = PTV_EXIT_MISMATCH;
	return status;
}

const struct ptv_cmd_entry ptv_cmd_check_entry = {
	.name = "check",
	.usage = "--core FILE [--btf FILE --system-map FILE | --vmlinux FILE] "
		 "[--format=text|json] [PID...]",
	.summary = "check page tables, reverse maps and map counts agree",
	.exec = cmd_check,
};
