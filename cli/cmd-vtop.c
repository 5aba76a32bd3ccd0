/* cmd-vtop.c: `ptview vtop PID ADDR --core FILE` — the page-table walk
 * for one user address, level by level, like crash's vtop. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/records.h"
#include "core/error.h"
#include "core/kernel.h"
#include "core/kpage.h"
#include "core/task.h"
#include "core/walk.h"

static const struct option longopts[] = {
	PTV_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int cmd_vtop(int argc, char **argv)
{
	const struct ptv_cmd_entry *self = &ptv_cmd_vtop_entry;
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
	unsigned long long pid, addr;
	if (argc - optind != 2 || !ptv_cli_parse_u64(argv[optind], &pid) ||
	    !ptv_cli_parse_u64(argv[optind + 1], &addr) || !pid ||
	    pid >= (1u << 30))
		return ptv_cli_usage_error(self, "needs a PID and an address");
	if (!ko.core)
		return ptv_cli_usage_error(self,
			"--core FILE is needed: a live system has no readable "
			"page tables here (/proc/kcore)");
	struct ptv_kernel *k;
	struct ptv_error *err = ptv_kernel_open(&ko, &k);
	if (err)
		return ptv_cli_report(err);
	struct ptv_task t;
	struct ptv_walk_step steps[5];
	unsigned n;
	struct ptv_page page;
	err = ptv_task_walk(k, (int)pid, addr, &t, steps, &n, &page);
	if (!err) {
		static struct ptv_out out;
		ptv_out_init(&out, STDOUT_FILENO, json, ptv_cli_use_color());
		ptv_out_walk(&out, t.pid, addr, k->arch, steps, n, &page);
		ptv_out_flush(&out);
	}
	ptv_kernel_destroy(k);
	return ptv_cli_report(err);
}

const struct ptv_cmd_entry ptv_cmd_vtop_entry = {
	.name = "vtop",
	.usage = "PID ADDR --core FILE [--btf FILE --system-map FILE | "
		 "--vmlinux FILE] [--format=text|json]",
	.summary = "the page-table walk for one address, level by level",
	.exec = cmd_vtop,
};
