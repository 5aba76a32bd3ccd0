/* cli.h: the subcommand table and what every command shares.
 *
 * Each subcommand lives in its own file cli/cmd-NAME.c and defines exactly
 * one `const struct ptv_cmd_entry ptv_cmd_NAME_entry`.  Adding a command is
 * that file, one line in cli/main.c's table, a man page and a test.
 */
#ifndef PTV_CLI_H
#define PTV_CLI_H

#include <stdbool.h>

struct ptv_error;

/* Exit statuses, as ../shared/spec/cli.md and ptview(1) define them. */
enum {
	PTV_EXIT_OK = 0,
	PTV_EXIT_ERROR = 1,
	PTV_EXIT_USAGE = 2,
	PTV_EXIT_MISMATCH = 3,
	PTV_EXIT_PERM = 4,
};

struct ptv_cmd_entry {
	const char *name;
	const char *usage;	/* one line, after "ptview NAME " */
	const char *summary;	/* one line for `ptview --help` */
	/* argv[0] is the command name; returns an exit status. */
	int (*exec)(int argc, char **argv);
};

/* Print "ptview: MESSAGE" for err on stderr, destroy it and return the exit
 * status its code calls for. */
int ptv_cli_report(struct ptv_error *err);

/* "ptview: " + printf message + newline on stderr. */
void ptv_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a usage error for cmd and return PTV_EXIT_USAGE. */
int ptv_cli_usage_error(const struct ptv_cmd_entry *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --format=text|json: parse arg into *json_ret; false on a bad value. */
bool ptv_cli_parse_format(const char *arg, bool *json_ret);

/* Parse a decimal or 0x-hex unsigned number; false when not a number. */
bool ptv_cli_parse_u64(const char *s, unsigned long long *ret);

/* Whether colour may be used on stdout: a terminal, and NO_COLOR unset. */
bool ptv_cli_use_color(void);

/* The options that name a memory image and its types and symbols, the same
 * for every command (spec/cli.md "Sources"): put PTV_CLI_CORE_LONGOPTS in
 * a command's option table and pass each option to ptv_cli_core_opt(). */
struct ptv_kernel_opts;
enum {
	PTV_OPT_CORE = 0x100,
	PTV_OPT_VMLINUX,
	PTV_OPT_BTF,
	PTV_OPT_SYSTEM_MAP,
};
#define PTV_CLI_CORE_LONGOPTS \
	{ "core", required_argument, NULL, PTV_OPT_CORE }, \
	{ "vmlinux", required_argument, NULL, PTV_OPT_VMLINUX }, \
	{ "btf", required_argument, NULL, PTV_OPT_BTF }, \
	{ "system-map", required_argument, NULL, PTV_OPT_SYSTEM_MAP }
/* The options every command shares, handled in one place: --format, --help,
 * the source options and getopt's complaints.  Returns PTV_OPT_MINE when c
 * is the command's own to handle, PTV_OPT_DONE when it was handled, and
 * PTV_OPT_EXIT when the command must return *status_ret now. */
enum { PTV_OPT_MINE, PTV_OPT_DONE, PTV_OPT_EXIT };
int ptv_cli_common_opt(const struct ptv_cmd_entry *cmd, int c, char **argv,
		       bool *json, struct ptv_kernel_opts *ko,
		       int *status_ret);
/* The option table entries of ptv_cli_common_opt(). */
#define PTV_CLI_COMMON_LONGOPTS \
	{ "format", required_argument, NULL, 'f' }, \
	{ "help", no_argument, NULL, 'h' }, \
	PTV_CLI_CORE_LONGOPTS

/* True when c was one of them (and it is now in o). */
bool ptv_cli_core_opt(int c, const char *arg, struct ptv_kernel_opts *o);
/* On a live system whose /proc/kcore is readable (root, no lockdown), point
 * o at it, the running kernel's BTF and /proc/kallsyms: the kernel's own
 * structures can then be read as in a dump.  False otherwise. */
bool ptv_cli_live_kcore(struct ptv_kernel_opts *o);

/* A usage error unless the type/symbol options come with --core. */
bool ptv_cli_core_opts_ok(const struct ptv_cmd_entry *cmd,
			  const struct ptv_kernel_opts *o, int *status_ret);

extern const struct ptv_cmd_entry ptv_cmd_dump_entry;
extern const struct ptv_cmd_entry ptv_cmd_page_entry;
extern const struct ptv_cmd_entry ptv_cmd_ps_entry;
extern const struct ptv_cmd_entry ptv_cmd_vtop_entry;
extern const struct ptv_cmd_entry ptv_cmd_rmap_entry;
extern const struct ptv_cmd_entry ptv_cmd_check_entry;
extern const struct ptv_cmd_entry ptv_cmd_replay_entry;
extern const struct ptv_cmd_entry ptv_cmd_trace_entry;
extern const struct ptv_cmd_entry ptv_cmd_snapshot_entry;

#endif /* PTV_CLI_H */
