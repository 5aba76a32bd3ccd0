/* ptview: the command table and the shared command-line plumbing. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/kernel.h"

static const struct ptv_cmd_entry *const commands[] = {
	&ptv_cmd_dump_entry,
	&ptv_cmd_page_entry,
	&ptv_cmd_ps_entry,
	&ptv_cmd_vtop_entry,
	&ptv_cmd_rmap_entry,
	&ptv_cmd_check_entry,
	&ptv_cmd_replay_entry,
	&ptv_cmd_trace_entry,
	&ptv_cmd_snapshot_entry,
	NULL,
};

void ptv_cli_warn(const char *fmt, ...)
{
	va_list ap;
	fputs("ptview: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ptv_cli_report(struct ptv_error *err)
{
	if (!err)
		return PTV_EXIT_OK;
	int status;
	switch (err->code) {
	case PTV_ERR_USAGE:
		status = PTV_EXIT_USAGE;
		break;
	case PTV_ERR_PERM:
		status = PTV_EXIT_PERM;
		break;
	default:
		status = PTV_EXIT_ERROR;
		break;
	}
	ptv_cli_warn("%s", err->message);
	ptv_error_destroy(err);
	return status;
}

int ptv_cli_usage_error(const struct ptv_cmd_entry *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs("ptview: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: ptview %s %s\n", cmd->name, cmd->usage);
	return PTV_EXIT_USAGE;
}

bool ptv_cli_parse_format(const char *arg, bool *json_ret)
{
	if (strcmp(arg, "json") == 0)
		*json_ret = true;
	else if (strcmp(arg, "text") == 0)
		*json_ret = false;
	else
		return false;
	return true;
}

bool ptv_cli_parse_u64(const char *s, unsigned long long *ret)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

bool ptv_cli_use_color(void)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	return isatty(STDOUT_FILENO);
}

bool ptv_cli_core_opt(int c, const char *arg, struct ptv_kernel_opts *o)
{
	switch (c) {
	case PTV_OPT_CORE: o->core = arg; return true;
	case PTV_OPT_VMLINUX: o->vmlinux = arg; return true;
	case PTV_OPT_BTF: o->btf = arg; return true;
	case PTV_OPT_SYSTEM_MAP: o->system_map = arg; return true;
	}
	return false;
}

int ptv_cli_common_opt(const struct ptv_cmd_entry *cmd, int c, char **argv,
		       bool *json, struct ptv_kernel_opts *ko,
		       int *status_ret)
{
	if (ko && ptv_cli_core_opt(c, optarg, ko))
		return PTV_OPT_DONE;
	switch (c) {
	case 'f':
		if (ptv_cli_parse_format(optarg, json))
			return PTV_OPT_DONE;
		*status_ret = ptv_cli_usage_error(cmd,
			"--format takes text or json, not '%s'", optarg);
		return PTV_OPT_EXIT;
	case 'h':
		printf("usage: ptview %s %s\n", cmd->name, cmd->usage);
		*status_ret = PTV_EXIT_OK;
		return PTV_OPT_EXIT;
	case ':':
		*status_ret = ptv_cli_usage_error(cmd, "%s needs an argument",
						  argv[optind - 1]);
		return PTV_OPT_EXIT;
	case '?':
		*status_ret = ptv_cli_usage_error(cmd, "unknown option '%s'",
						  argv[optind - 1]);
		return PTV_OPT_EXIT;
	}
	return PTV_OPT_MINE;
}

bool ptv_cli_live_kcore(struct ptv_kernel_opts *ko)
{
	if (access("/proc/kcore", R_OK) || access("/sys/kernel/btf/vmlinux", R_OK))
		return false;
	int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (fd < 0)	/* lockdown refuses the open itself */
		return false;
	close(fd);
	struct ptv_kernel_opts o = {
		.core = "/proc/kcore",
		.btf = "/sys/kernel/btf/vmlinux",
		.kallsyms = "/proc/kallsyms",
	};
	/* Only when the kernel can really be read through it; otherwise
	 * say why once and let the caller fall back to pagemap. */
	struct ptv_kernel *k;
	struct ptv_error *err = ptv_kernel_open(&o, &k);
	if (err) {
		ptv_cli_warn("/proc/kcore is readable but not usable (%s): "
			     "reading pagemap instead", err->message);
		ptv_error_destroy(err);
		return false;
	}
	ptv_kernel_destroy(k);
	*ko = o;
	return true;
}

bool ptv_cli_core_opts_ok(const struct ptv_cmd_entry *cmd,
			  const struct ptv_kernel_opts *o, int *status_ret)
{
	if (!o->core && (o->vmlinux || o->btf || o->system_map)) {
		*status_ret = ptv_cli_usage_error(cmd,
			"--vmlinux, --btf and --system-map go with --core");
		return false;
	}
	return true;
}

static void print_help(FILE *f)
{
	fprintf(f, "usage: ptview COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; commands[i]; i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n`ptview COMMAND --help` shows a command's usage; "
		   "ptview(1) has the rest.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_help(stderr);
		return PTV_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		print_help(stdout);
		return PTV_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		printf("ptview %s\n", PACKAGE_VERSION);
		return PTV_EXIT_OK;
	}
	for (size_t i = 0; commands[i]; i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i]->exec(argc - 1, argv + 1);
	}
	ptv_cli_warn("unknown command '%s'; `ptview --help` lists them", name);
	return PTV_EXIT_USAGE;
}
