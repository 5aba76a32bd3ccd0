/* cmd-ps.c: `ptview ps --core FILE` — the processes in a memory image. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/records.h"
#include "core/error.h"
#include "core/kernel.h"
#include "core/task.h"

struct ps_ctx {
	struct ptv_kernel *k;
	struct ptv_out *out;
	bool all;		/* kernel threads too */
};

static int ps_one(void *arg, const struct ptv_task *t)
{
	struct ps_ctx *c = arg;
	struct ptv_task_rec rec = {
		.pid = t->pid, .comm = t->comm,
		.rss_anon_kb = UINT64_MAX, .rss_file_kb = UINT64_MAX,
		.rss_shmem_kb = UINT64_MAX, .swap_kb = UINT64_MAX,
		.pgtables_kb = UINT64_MAX,
	};
	if (!t->mm) {
		if (c->all)
			ptv_out_task(c->out, &rec);
		return 0;
	}
	struct ptv_mm mm;
	struct ptv_error *err = ptv_mm_read(c->k, t->mm, &mm);
	if (err) {
		ptv_out_flush(c->out);
		ptv_cli_warn("pid %d: %s", t->pid, err->message);
		ptv_error_destroy(err);
		return 0;
	}
	rec.mm = mm.addr;
	rec.pgd = mm.pgd;
	rec.pgd_phys = mm.pgd_phys;
	rec.rss_anon_kb = mm.anon_pages * 4;
	rec.rss_file_kb = mm.file_pages * 4;
	rec.rss_shmem_kb = mm.shmem_pages * 4;
	rec.swap_kb = mm.swap_entries * 4;
	rec.pgtables_kb = mm.pgtables_bytes / 1024;
	ptv_out_task(c->out, &rec);
	return c->out->write_failed;
}

static const struct option longopts[] = {
	{ "kernel-threads", no_argument, NULL, 'k' },
	PTV_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int cmd_ps(int argc, char **argv)
{
	const struct ptv_cmd_entry *self = &ptv_cmd_ps_entry;
	struct ptv_kernel_opts ko = { 0 };
	bool json = false, all = false;
	int c, status;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		int r = ptv_cli_common_opt(self, c, argv, &json, &ko, &status);
		if (r == PTV_OPT_EXIT)
			return status;
		if (r == PTV_OPT_DONE)
			continue;
		switch (c) {
		case 'k':
			all = true;
			break;
		default:
			return ptv_cli_usage_error(self, "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (!ptv_cli_core_opts_ok(self, &ko, &status))
		return status;
	if (optind < argc)
		return ptv_cli_usage_error(self, "unexpected '%s'", argv[optind]);
	if (!ko.core)
		return ptv_cli_usage_error(self,
			"--core FILE is needed (a live system: see ps(1))");
	struct ptv_kernel *k;
	struct ptv_error *err = ptv_kernel_open(&ko, &k);
	if (err)
		return ptv_cli_report(err);
	static struct ptv_out out;
	ptv_out_init(&out, STDOUT_FILENO, json, ptv_cli_use_color());
	struct ps_ctx ctx = { k, &out, all };
	err = ptv_task_foreach(k, ps_one, &ctx);
	ptv_out_flush(&out);
	ptv_kernel_destroy(k);
	return err ? ptv_cli_report(err) : PTV_EXIT_OK;
}

const struct ptv_cmd_entry ptv_cmd_ps_entry = {
	.name = "ps",
	.usage = "--core FILE [--btf FILE --system-map FILE | --vmlinux FILE] "
		 "[--kernel-threads] [--format=text|json]",
	.summary = "list the processes in a memory image",
	.exec = cmd_ps,
};
