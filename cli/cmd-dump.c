/* cmd-dump.c: `ptview dump` — per process, its VMAs and the state of every
 * page in them, as runs of identical pages, single pages or summaries. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/dump.h"
#include "cli/records.h"
#include "core/kernel.h"
#include "core/error.h"
#include "core/live-rmap.h"
#include "core/live.h"
#include "core/page.h"
#include "core/summary.h"


/* Empty pages [lo, hi): one run extension, or one record per page. */
static void emit_none(struct ptv_run *run, struct ptv_out *out, int pid,
		      enum dump_mode mode, struct ptv_summary *sum,
		      const struct ptv_vma *vma, uint64_t lo, uint64_t hi)
{
	struct ptv_page p;
	memset(&p, 0, sizeof(p));
	p.state = PTV_STATE_NONE;
	p.vaddr = lo;
	uint64_t n = (hi - lo) >> 12;
	ptv_summary_add_pages(sum, vma, &p, n);
	if (mode != MODE_PAGES) {
		ptv_run_add(run, out, pid, &p, n);
		return;
	}
	for (uint64_t a = lo; a < hi && !out->write_failed; a += 4096) {
		p.vaddr = a;
		ptv_out_page(out, pid, &p);
	}
}

static struct ptv_page pages[PTV_LIVE_CHUNK];

/* Walk one VMA's pages in [lo, hi), printing runs or pages and adding them
 * to sum. */
/* --rmap: the live reverse map, built once for all processes. */
static struct ptv_live_rmap *lr;

static struct ptv_error *dump_vma(struct ptv_live *l, const struct ptv_vma *vma,
				  uint64_t lo, uint64_t hi,
				  const struct dump_opts *opts,
				  struct ptv_out *out, struct ptv_summary *sum)
{
	int pid = ptv_live_pid(l);
	if (opts->mode == MODE_SUMMARY)
		return ptv_live_summarize(l, vma, lo, hi, sum);
	struct ptv_run run = { .len = 0 };
	for (uint64_t addr = lo; addr < hi && !out->write_failed;) {
		/* Skip what PAGEMAP_SCAN says is empty, then read the rest
		 * page by page. */
		uint64_t plo, phi;
		struct ptv_error *err = ptv_live_next_populated(l, addr, hi,
								&plo, &phi);
		if (err)
			return err;
		emit_none(&run, out, pid, opts->mode, sum, vma, addr, plo);
		for (addr = plo; addr < phi && !out->write_failed;) {
			size_t n = (size_t)((phi - addr) >> 12);
			if (n > PTV_LIVE_CHUNK)
				n = PTV_LIVE_CHUNK;
			err = ptv_live_read(l, vma, addr, n, PTV_LIVE_FRAMES,
					    pages);
			if (err)
				return err;
			for (size_t i = 0; i < n; i++) {
				ptv_summary_add_page(sum, vma, &pages[i]);
				if (opts->rmap && lr &&
				    pages[i].state == PTV_STATE_PRESENT &&
				    (pages[i].has & PTV_HAS_PFN)) {
					const struct ptv_live_mapping *m;
					size_t nm;
					ptv_live_rmap_lookup(lr, pages[i].pfn,
							     &m, &nm);
					ptv_out_page_mappers(out, pid, &pages[i],
							     m, nm);
				} else if (opts->mode == MODE_PAGES)
					ptv_out_page(out, pid, &pages[i]);
				else
					ptv_run_add(&run, out, pid, &pages[i], 1);
			}
			addr += (uint64_t)n << 12;
		}
		addr = phi > addr ? phi : addr;
	}
	ptv_run_flush(&run, out, pid);
	return NULL;
}

struct dump_notes {
	bool pfns_hidden, no_frames, no_scan;
};

static struct ptv_error *dump_pid(int pid, const struct dump_opts *opts,
				  struct ptv_out *out, struct dump_notes *notes)
{
	struct ptv_live *l;
	struct ptv_error *err = ptv_live_create(pid, &l);
	if (err)
		return err;
	struct ptv_live_status st;
	if ((err = ptv_live_status(l, &st)))
		goto out;
	struct ptv_task_rec task = {
		.pid = ptv_live_pid(l),
		.comm = ptv_live_comm(l),
		.rss_anon_kb = st.rss_anon_kb,
		.rss_file_kb = st.rss_file_kb,
		.rss_shmem_kb = st.rss_shmem_kb,
		.swap_kb = st.swap_kb,
		.pgtables_kb = st.pgtables_kb,
	};
	ptv_out_task(out, &task);
	struct ptv_summary total = { 0 };
	const struct ptv_vma_list *vmas = ptv_live_vmas(l);
	for (size_t i = 0; i < vmas->n; i++) {
		const struct ptv_vma *vma = &vmas->v[i];
		uint64_t lo = vma->start > opts->lo ? vma->start : opts->lo;
		uint64_t hi = vma->end < opts->hi ? vma->end : opts->hi;
		if (lo >= hi)
			continue;
		if (opts->mode != MODE_SUMMARY)
			ptv_out_vma(out, task.pid, vma);
		struct ptv_summary sum = { 0 };
		if ((err = dump_vma(l, vma, lo, hi, opts, out, &sum)))
			goto out;
		ptv_out_summary(out, task.pid, "vma", vma->start, &sum);
		ptv_summary_add(&total, &sum);
	}
	ptv_out_summary(out, task.pid, "task", 0, &total);
	notes->pfns_hidden |= ptv_live_pfns_hidden(l);
	if (opts->mode != MODE_SUMMARY && !ptv_live_pfns_hidden(l))
		notes->no_frames |= !ptv_live_frames_readable(l);
	notes->no_scan |= !ptv_live_has_scan(l) && total.pages;
out:
	ptv_live_destroy(l);
	return err;
}

static bool parse_range(const char *arg, uint64_t *lo, uint64_t *hi)
{
	const char *dash = strchr(arg, '-');
	if (!dash || dash == arg || !dash[1])
		return false;
	char *end;
	errno = 0;
	unsigned long long a = strtoull(arg, &end, 16);
	if (errno || end != dash)
		return false;
	unsigned long long b = strtoull(dash + 1, &end, 16);
	if (errno || *end || b <= a)
		return false;
	*lo = a & ~0xfffULL;
	*hi = (b + 0xfff) & ~0xfffULL;
	return true;
}

/* Every process with an address space, in /proc order. */
static int *all_pids(size_t *n_ret)
{
	DIR *d = opendir("/proc");
	size_t n = 0, cap = 256;
	int *v = malloc(cap * sizeof(*v));
	if (!d || !v) {
		if (d)
			closedir(d);
		free(v);
		return NULL;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (n == cap) {
			int *nv = realloc(v, cap * 2 * sizeof(*v));
			if (!nv)
				break;
			v = nv;
			cap *= 2;
		}
		v[n++] = atoi(de->d_name);
	}
	closedir(d);
	*n_ret = n;
	return v;
}

static const struct option longopts[] = {
	{ "pages", no_argument, NULL, 'p' },
	{ "summary", no_argument, NULL, 's' },
	{ "range", required_argument, NULL, 'r' },
	{ "all", no_argument, NULL, 'a' },
	{ "tables", no_argument, NULL, 't' },
	{ "pagemap", no_argument, NULL, 'P' },
	{ "rmap", no_argument, NULL, 'R' },
	PTV_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int cmd_dump(int argc, char **argv)
{
	const struct ptv_cmd_entry *self = &ptv_cmd_dump_entry;
	struct dump_opts opts = { .mode = MODE_RUNS, .lo = 0,
				  .hi = UINT64_MAX };
	struct ptv_kernel_opts ko = { 0 };
	bool json = false, force_pagemap = false;
	int c, status;
	bool use_kcore = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		int r = ptv_cli_common_opt(self, c, argv, &json, &ko, &status);
		if (r == PTV_OPT_EXIT)
			return status;
		if (r == PTV_OPT_DONE)
			continue;
		switch (c) {
		case 't':
			opts.tables = true;
			break;
		case 'P':
			force_pagemap = true;
			break;
		case 'R':
			opts.rmap = true;
			opts.mode = MODE_PAGES;
			break;
		case 'p':
			opts.mode = MODE_PAGES;
			break;
		case 's':
			opts.mode = MODE_SUMMARY;
			break;
		case 'r':
			if (!parse_range(optarg, &opts.lo, &opts.hi))
				return ptv_cli_usage_error(self,
					"--range takes LO-HI in hex with LO < HI, not '%s'",
					optarg);
			break;
		case 'a':
			opts.all = true;
			break;
		default:
			return ptv_cli_usage_error(self, "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	/* GNU getopt_long permutes argv, so options may follow operands
	 * (spec/cli.md) and the operands are argv[optind..]. */
	if (!ptv_cli_core_opts_ok(self, &ko, &status))
		return status;
	/* A live system whose /proc/kcore is readable (root, no lockdown):
	 * read the real page tables through it, with the running kernel's
	 * BTF and kallsyms, unless --pagemap asks for pagemap. */
	if (opts.rmap && ko.core)
		return ptv_cli_usage_error(self, "--rmap is for live processes; "
			"with --core use ptview rmap or ptview check");
	if (!ko.core && !force_pagemap && !opts.all && !opts.rmap &&
	    ptv_cli_live_kcore(&ko))
		use_kcore = true;
	if (opts.tables && !ko.core)
		return ptv_cli_usage_error(self,
			"--tables needs a memory image (--core FILE): pagemap "
			"does not show page tables");
	int *pids = NULL;
	size_t npids = 0;
	if (opts.all && optind < argc)
		return ptv_cli_usage_error(self, "--all takes no process IDs");
	if (opts.all && !ko.core) {
		pids = all_pids(&npids);
		if (!pids)
			return ptv_cli_report(ptv_error_os(errno, "/proc"));
	} else {
		pids = calloc((size_t)argc, sizeof(*pids));
		if (!pids)
			return ptv_cli_report(ptv_enomem);
		for (int i = optind; i < argc; i++) {
			const char *a = argv[i];
			unsigned long long v;
			if (strcmp(a, "self") == 0 && ko.core && !use_kcore) {
				free(pids);
				return ptv_cli_usage_error(self,
					"'self' is not in a memory image");
			} else if (strcmp(a, "self") == 0) {
				pids[npids++] = (int)getpid();
			} else if (ptv_cli_parse_u64(a, &v) && v > 0 &&
				   v < (1u << 30)) {
				pids[npids++] = (int)v;
			} else {
				free(pids);
				return ptv_cli_usage_error(self,
					"'%s' is not a process ID", a);
			}
		}
		if (!npids && !opts.all) {
			free(pids);
			return ptv_cli_usage_error(self, "no process given");
		}
	}
	if (ko.core) {
		static struct ptv_out cout;
		ptv_out_init(&cout, STDOUT_FILENO, json, ptv_cli_use_color());
		status = ptv_dump_core(&ko, &opts, pids, npids, &cout);
		free(pids);
		return status;
	}

	if (opts.rmap) {
		struct ptv_error *err = ptv_live_rmap_build(NULL, 0, &lr);
		if (err) {
			free(pids);
			return ptv_cli_report(err);
		}
	}
	static struct ptv_out out;
	ptv_out_init(&out, STDOUT_FILENO, json, ptv_cli_use_color());
	struct dump_notes notes = { 0 };
	status = PTV_EXIT_OK;
	for (size_t i = 0; i < npids && !out.write_failed; i++) {
		struct ptv_error *err = dump_pid(pids[i], &opts, &out, &notes);
		if (!err)
			continue;
		ptv_out_flush(&out);
		/* With --all, processes come and go and kernel threads have
		 * no pagemap: leave them out silently. */
		if (opts.all && (err->code == PTV_ERR_NO_SUCH_TASK ||
				 err->code == PTV_ERR_PERM)) {
			ptv_error_destroy(err);
			continue;
		}
		int s = ptv_cli_report(err);
		if (status == PTV_EXIT_OK || s == PTV_EXIT_PERM)
			status = s;
	}
	ptv_out_flush(&out);
	free(pids);
	ptv_live_rmap_destroy(lr);
	lr = NULL;
	if (notes.pfns_hidden)
		ptv_cli_warn("the kernel hides PFNs and swap entries from "
			     "processes without CAP_SYS_ADMIN: run as root to "
			     "see them; showing everything else");
	else if (notes.no_frames)
		ptv_cli_warn("/proc/kpageflags is not readable: page flags, "
			     "map counts and folio orders are left out");
	if (notes.no_scan)
		ptv_cli_warn("this kernel has no PAGEMAP_SCAN (Linux 6.7+): "
			     "PMD mappings and zero pages are not told apart");
	if (out.write_failed && status == PTV_EXIT_OK)
		status = PTV_EXIT_ERROR;
	return status;
}

const struct ptv_cmd_entry ptv_cmd_dump_entry = {
	.name = "dump",
	.usage = "[--format=text|json] [--pages|--summary] [--range LO-HI] "
		 "[--core FILE [--btf FILE --system-map FILE | --vmlinux FILE] "
		 "[--tables]] PID...|self|--all",
	.summary = "show a process's VMAs and the state of every page",
	.exec = cmd_dump,
};
