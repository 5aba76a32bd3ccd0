/* cmd-trace.c: `ptview trace ACTION` — work on traces without running
 * them.  The one action so far is `import`: `perf script` output ->
 * a ptview trace (core/trace-import.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/trace-import.h"

static const struct option import_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "pid", required_argument, NULL, 'p' },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Write the trace only once it is whole, so a failed import leaves an
 * existing OUT as it was. */
static struct ptv_error *write_out(const char *path, const char *text,
				   size_t len)
{
	FILE *f = path ? fopen(path, "w") : stdout;
	if (!f)
		return ptv_error_os(errno, "%s", path);
	bool ok = fwrite(text, 1, len, f) == len;
	ok = fflush(f) == 0 && ok && !ferror(f);
	if (path && fclose(f) != 0)
		ok = false;
	if (!ok)
		return ptv_error_os(errno ? errno : EIO, "writing %s",
				    path ? path : "the trace");
	return NULL;
}

static int trace_import(const struct ptv_cmd_entry *self, int argc,
			char **argv)
{
	struct ptv_trace_import_opts o = { 0 };
	const char *out = NULL;
	unsigned long long pid;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":ho:p:", import_longopts,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'p':
			if (!ptv_cli_parse_u64(optarg, &pid) || pid == 0 ||
			    pid > INT32_MAX)
				return ptv_cli_usage_error(self, "--pid takes a "
					"process id, not '%s'", optarg);
			o.has_pid = true;
			o.pid = (int32_t)pid;
			break;
		case 'f':
			if (strcmp(optarg, "perf") != 0)
				return ptv_cli_usage_error(self, "--format takes "
					"perf (perf script output), not '%s'",
					optarg);
			break;
		case 'h':
			printf("usage: ptview trace %s\n", self->usage);
			return PTV_EXIT_OK;
		case ':':
			return ptv_cli_usage_error(self, "%s needs an argument",
						   argv[optind - 1]);
		default:
			return ptv_cli_usage_error(self, "unknown option '%s'",
						   argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return ptv_cli_usage_error(self, "import takes one "
					   "PERF_SCRIPT_FILE");
	const char *path = argc - optind == 1 ? argv[optind] : "-";
	FILE *in = stdin;
	o.name = "<stdin>";
	if (strcmp(path, "-") != 0) {
		in = fopen(path, "r");
		if (!in)
			return ptv_cli_report(ptv_error_os(errno, "%s", path));
		o.name = path;
	}
	char *text;
	size_t len;
	struct ptv_error *err = ptv_trace_import_perf(in, &o, &text, &len,
						      NULL);
	if (in != stdin)
		fclose(in);
	if (err)
		return ptv_cli_report(err);
	err = write_out(out, text, len);
	free(text);
	return ptv_cli_report(err);
}

static int cmd_trace(int argc, char **argv)
{
	const struct ptv_cmd_entry *self = &ptv_cmd_trace_entry;
	if (argc < 2)
		return ptv_cli_usage_error(self, "needs an action (import)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: ptview trace %s\n", self->usage);
		return PTV_EXIT_OK;
	}
	if (strcmp(argv[1], "import") == 0)
		return trace_import(self, argc - 1, argv + 1);
	return ptv_cli_usage_error(self, "unknown action '%s' (import)",
				   argv[1]);
}

const struct ptv_cmd_entry ptv_cmd_trace_entry = {
	.name = "trace",
	.usage = "import [PERF_SCRIPT_FILE|-] [-o OUT.trace] [--pid PID] "
		 "[--format=perf]",
	.summary = "turn perf script output into a ptview trace",
	.exec = cmd_trace,
};
