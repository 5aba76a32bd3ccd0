/* cmd-page.c: `ptview page PFN... --core FILE` — a frame's struct page
 * and its folio, every field decoded by name, like crash's `kmem -p`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/records.h"
#include "core/error.h"
#include "core/kernel.h"
#include "core/kpage.h"

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	PTV_CLI_CORE_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int cmd_page(int argc, char **argv)
{
	const struct ptv_cmd_entry *self = &ptv_cmd_page_entry;
	struct ptv_kernel_opts ko = { 0 };
	bool json = false;
	int c, status;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (ptv_cli_core_opt(c, optarg, &ko))
			continue;
		switch (c) {
		case 'f':
			if (!ptv_cli_parse_format(optarg, &json))
				return ptv_cli_usage_error(self,
					"--format takes text or json, not '%s'",
					optarg);
			break;
		case 'h':
			printf("usage: ptview %s %s\n", self->name, self->usage);
			return PTV_EXIT_OK;
		case ':':
			return ptv_cli_usage_error(self, "%s needs an argument",
						   argv[optind - 1]);
		default:
			return ptv_cli_usage_error(self, "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (!ptv_cli_core_opts_ok(self, &ko, &status))
		return status;
	if (optind == argc)
		return ptv_cli_usage_error(self, "needs at least one PFN");
	for (int i = optind; i < argc; i++) {
		unsigned long long v;
		if (!ptv_cli_parse_u64(argv[i], &v))
			return ptv_cli_usage_error(self,
				"'%s' is not a PFN (decimal or 0x hex)", argv[i]);
	}
	if (!ko.core)
		return ptv_cli_usage_error(self,
			"--core FILE is needed: a live system's struct pages "
			"are in /proc/kpageflags (see ptview dump)");
	struct ptv_kernel *k;
	struct ptv_error *err = ptv_kernel_open(&ko, &k);
	if (err)
		return ptv_cli_report(err);
	/* Large (about 1 KiB): static, like the other commands' writers. */
	static struct ptv_kpage_info pi;
	ptv_kpage_info_init(k, &pi);
	static struct ptv_out out;
	ptv_out_init(&out, STDOUT_FILENO, json, ptv_cli_use_color());
	status = PTV_EXIT_OK;
	for (int i = optind; i < argc && !out.write_failed; i++) {
		unsigned long long pfn;
		ptv_cli_parse_u64(argv[i], &pfn);
		struct ptv_frame f;
		err = ptv_frame_read(k, &pi, pfn, &f);
		if (err) {
			ptv_out_flush(&out);
			status = ptv_cli_report(err);
			continue;
		}
		ptv_out_frame(&out, &f, (f.has & PTV_FRAME_HAS_FLAG_NAMES) ?
					pi.flag_names : NULL);
	}
	ptv_out_flush(&out);
	ptv_kernel_destroy(k);
	if (out.write_failed && status == PTV_EXIT_OK)
		status = PTV_EXIT_ERROR;
	return status;
}

const struct ptv_cmd_entry ptv_cmd_page_entry = {
	.name = "page",
	.usage = "PFN... --core FILE [--btf FILE --system-map FILE | "
		 "--vmlinux FILE] [--format=text|json]",
	.summary = "a frame's struct page and folio, decoded by name",
	.exec = cmd_page,
};
