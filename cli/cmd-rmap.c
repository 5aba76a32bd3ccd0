/* cmd-rmap.c: `ptview rmap PFN... --core FILE` and `ptview rmap --pid P
 * --addr A --core FILE` — every mapping of a frame, from the kernel's
 * reverse maps, each checked against the page tables. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/records.h"
#include "core/error.h"
#include "core/frames.h"
#include "core/kernel.h"
#include "core/live-rmap.h"
#include "core/rmap.h"
#include "core/task.h"
#include "core/walk.h"

static const struct option longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "addr", required_argument, NULL, 'a' },
	PTV_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

/* The frame mapped at addr in pid's address space. */
static struct ptv_error *pfn_at(struct ptv_kernel *k, int pid, uint64_t addr,
				uint64_t *pfn_ret)
{
	struct ptv_task t;
	struct ptv_walk_step steps[5];
	unsigned n;
	struct ptv_page page;
	struct ptv_error *err = ptv_task_walk(k, pid, addr, &t, steps, &n, &page);
	if (err)
		return err;
	if (page.state != PTV_STATE_PRESENT || !(page.has & PTV_HAS_PFN))
		return ptv_error_create(PTV_ERR_OTHER,
			"pid %d: 0x%llx is not mapped to a frame (%s)", pid,
			(unsigned long long)addr, ptv_page_state_name(page.state));
	*pfn_ret = page.pfn;
	return NULL;
}

/* Live: the pagemaps of every process, scanned once. */
static int rmap_live(bool json, int pid, uint64_t addr, int argc, char **argv)
{
	struct ptv_live_rmap *lr;
	struct ptv_frames *fr = NULL;
	struct ptv_error *err = ptv_live_rmap_build(NULL, 0, &lr);
	if (err)
		return ptv_cli_report(err);
	err = ptv_frames_create(&fr);
	ptv_error_destroy(err);	/* kpagecount is the check, when readable */
	static struct ptv_out out;
	ptv_out_init(&out, STDOUT_FILENO, json, ptv_cli_use_color());
	int status = PTV_EXIT_OK;
	for (int i = pid ? argc - 1 : optind; i < argc; i++) {
		unsigned long long pfn = 0;
		if (pid) {
			/* the frame at addr: the scan found it */
			uint64_t f;
			if (!ptv_live_rmap_at(lr, pid, addr, &f)) {
				status = ptv_cli_report(ptv_error_create(PTV_ERR_OTHER,
					"pid %d: 0x%llx maps no frame (or the "
					"process could not be read)", pid,
					(unsigned long long)addr));
				break;
			}
			pfn = f;
		} else {
			ptv_cli_parse_u64(argv[i], &pfn);
		}
		const struct ptv_live_mapping *m;
		size_t n;
		ptv_live_rmap_lookup(lr, pfn, &m, &n);
		struct ptv_rmap r;
		memset(&r, 0, sizeof(r));
		r.pfn = r.head_pfn = pfn;
		r.via = PTV_RMAP_PAGEMAP;
		r.mapcount = -1;
		uint64_t flags, count;
		if (fr && !(err = ptv_frames_get(fr, pfn, 1, &flags, &count)))
			r.mapcount = (int)count;
		ptv_error_destroy(err);
		err = NULL;
		r.v = calloc(n ? n : 1, sizeof(*r.v));
		if (!r.v) {
			status = ptv_cli_report(ptv_enomem);
			break;
		}
		for (size_t j = 0; j < n; j++) {
			struct ptv_rmap_mapping *x = &r.v[r.n++];
			x->pid = m[j].pid;
			snprintf(x->comm, sizeof(x->comm), "%s",
				 ptv_live_rmap_comm(lr, m[j].pid));
			x->vaddr = m[j].vaddr;
			x->level = m[j].pmd ? PTV_LEVEL_PMD : PTV_LEVEL_PTE;
			x->verified = true;
		}
		ptv_out_rmap(&out, &r);
		free(r.v);
		if (pid)
			break;
	}
	ptv_out_flush(&out);
	ptv_frames_destroy(fr);
	ptv_live_rmap_destroy(lr);
	return status;
}

static int cmd_rmap(int argc, char **argv)
{
	const struct ptv_cmd_entry *self = &ptv_cmd_rmap_entry;
	struct ptv_kernel_opts ko = { 0 };
	bool json = false, have_addr = false;
	unsigned long long pid = 0, addr = 0;
	int c, status;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		int r = ptv_cli_common_opt(self, c, argv, &json, &ko, &status);
		if (r == PTV_OPT_EXIT)
			return status;
		if (r == PTV_OPT_DONE)
			continue;
		switch (c) {
		case 'p':
			if (!ptv_cli_parse_u64(optarg, &pid) || !pid ||
			    pid >= (1u << 30))
				return ptv_cli_usage_error(self,
					"'%s' is not a process ID", optarg);
			break;
		case 'a':
			if (!ptv_cli_parse_u64(optarg, &addr))
				return ptv_cli_usage_error(self,
					"'%s' is not an address", optarg);
			have_addr = true;
			break;
		default:
			return ptv_cli_usage_error(self, "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (!ptv_cli_core_opts_ok(self, &ko, &status))
		return status;
	if (!!pid != have_addr)
		return ptv_cli_usage_error(self, "--pid and --addr go together");
	if (!pid && optind >= argc)
		return ptv_cli_usage_error(self, "no PFN given");
	/* Live: the kernel's own reverse maps through /proc/kcore when it
	 * can be read, else the pagemaps of every process. */
	if (!ko.core && !ptv_cli_live_kcore(&ko))
		return rmap_live(json, (int)pid, addr, argc, argv);
	for (int i = optind; i < argc; i++) {
		unsigned long long v;
		if (!ptv_cli_parse_u64(argv[i], &v))
			return ptv_cli_usage_error(self, "'%s' is not a PFN",
						   argv[i]);
	}
	struct ptv_kernel *k;
	struct ptv_error *err = ptv_kernel_open(&ko, &k);
	if (err)
		return ptv_cli_report(err);
	struct ptv_rmap_ctx *rc;
	if ((err = ptv_rmap_ctx_create(k, &rc))) {
		ptv_kernel_destroy(k);
		return ptv_cli_report(err);
	}
	static struct ptv_out out;
	ptv_out_init(&out, STDOUT_FILENO, json, ptv_cli_use_color());
	status = PTV_EXIT_OK;
	for (int i = pid ? argc - 1 : optind; i < argc; i++) {
		unsigned long long pfn = 0;
		if (pid)
			err = pfn_at(k, (int)pid, addr, (uint64_t *)&pfn);
		else
			ptv_cli_parse_u64(argv[i], &pfn);
		struct ptv_rmap r;
		if (!err)
			err = ptv_rmap_pfn(rc, pfn, &r);
		if (err) {
			ptv_out_flush(&out);
			status = ptv_cli_report(err);
			err = NULL;
			continue;
		}
		ptv_out_rmap(&out, &r);
		ptv_rmap_deinit(&r);
		if (pid)
			break;
	}
	ptv_out_flush(&out);
	ptv_rmap_ctx_destroy(rc);
	ptv_kernel_destroy(k);
	return status;
}

const struct ptv_cmd_entry ptv_cmd_rmap_entry = {
	.name = "rmap",
	.usage = "PFN... | --pid PID --addr ADDR  [--core FILE [--btf FILE "
		 "--system-map FILE | --vmlinux FILE]] [--format=text|json]",
	.summary = "every mapping of a frame, from the kernel's reverse maps",
	.exec = cmd_rmap,
};
