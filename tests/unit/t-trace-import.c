/* Unit tests for core/trace-import.c: every column layout perf script
 * prints becomes the same trace, the trace always parses with
 * core/trace.c, and every bad input fails at the exact line and column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/trace-import.h"
#include "core/trace.h"
#include "tests/tap.h"

#define PF "exceptions:page_fault_user: "
#define FORK "sched:sched_process_fork: "
#define EXIT "sched:sched_process_exit: "

/* Import text; the trace (owned by the caller) or NULL and *errmsg. */
static char *import(const char *text, const struct ptv_trace_import_opts *o,
		    struct ptv_trace_import_stats *st, char *errmsg, size_t n)
{
	struct ptv_trace_import_opts def = { .name = "in" };
	FILE *f = fmemopen((void *)text, strlen(text) ? strlen(text) : 1, "r");
	if (!f) {
		snprintf(errmsg, n, "fmemopen failed");
		return NULL;
	}
	if (!*text)	/* fmemopen cannot open an empty buffer */
		fgetc(f);
	char *out;
	size_t len;
	struct ptv_error *err = ptv_trace_import_perf(f, o ? o : &def, &out,
						      &len, st);
	fclose(f);
	if (err) {
		snprintf(errmsg, n, "%s", err->message);
		ptv_error_destroy(err);
		return NULL;
	}
	if (strlen(out) != len) {
		snprintf(errmsg, n, "length %zu, strlen %zu", len, strlen(out));
		free(out);
		return NULL;
	}
	return out;
}

static bool parses(const char *trace, const char *what)
{
	struct ptv_trace *t;
	struct ptv_error *err = ptv_trace_parse(trace, strlen(trace), what, &t);
	if (err) {
		printf("# %s\n", err->message);
		ptv_error_destroy(err);
		return false;
	}
	ptv_trace_destroy(t);
	return true;
}

/* The statements only: comments dropped, so that traces imported from
 * different layouts of one recording compare equal. */
static char *statements(const char *trace)
{
	char *s = malloc(strlen(trace) + 1), *d = s;
	for (const char *p = trace; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
		if (*p != '#') {
			memcpy(d, p, n);
			d += n;
		}
		p += n;
	}
	*d = '\0';
	return s;
}

/* One recording, three events of t0, a thread, a fork, in each layout. */
static const char *const layouts[] = {
	/* perf script's default: COMM TID [CPU] TIME: */
	"            prog   100 [001]  5.000001: " PF "address=0x200000000010 ip=0x401000 error_code=0x6\n"
	"            prog   100 [001]  5.000002: " PF "address=0x200000001fff ip=0x401000 error_code=0x6\n"
	"            prog   100 [001]  5.000003:   " FORK "comm=prog pid=100 child_comm=prog child_pid=101\n"
	"            prog   101 [001]  5.000004: " PF "address=0x200000005000 ip=0x401000 error_code=0x6\n"
	"            prog   101 [001]  5.000005:   " EXIT "comm=prog pid=101 prio=120 group_dead=false\n"
	"            prog   100 [000]  5.000006:   " FORK "comm=prog pid=100 child_comm=prog child_pid=102\n"
	"            prog   102 [000]  5.000007: " PF "address=0x200000000000 ip=0x401000 error_code=0x7\n"
	"            prog   102 [000]  5.000008:   " EXIT "comm=prog pid=102 prio=120 group_dead=true\n"
	"            prog   100 [000]  5.000009: " PF "address=0x200000000000 ip=0x401000 error_code=0x7\n"
	"            prog   100 [000]  5.000010:   " EXIT "comm=prog pid=100 prio=120 group_dead=true\n",
	/* -F comm,pid,tid,cpu,time,event,trace */
	"            prog   100/100   [001]  5.000001: " PF "address=0x200000000010 ip=0x401000 error_code=0x6\n"
	"            prog   100/100   [001]  5.000002: " PF "address=0x200000001fff ip=0x401000 error_code=0x6\n"
	"            prog   100/100   [001]  5.000003:   " FORK "comm=prog pid=100 child_comm=prog child_pid=101\n"
	"            prog   100/101   [001]  5.000004: " PF "address=0x200000005000 ip=0x401000 error_code=0x6\n"
	"            prog   100/101   [001]  5.000005:   " EXIT "comm=prog pid=101 prio=120 group_dead=false\n"
	"            prog   100/100   [000]  5.000006:   " FORK "comm=prog pid=100 child_comm=prog child_pid=102\n"
	"            prog   102/102   [000]  5.000007: " PF "address=0x200000000000 ip=0x401000 error_code=0x7\n"
	"            prog   102/102   [000]  5.000008:   " EXIT "comm=prog pid=102 prio=120 group_dead=true\n"
	"            prog   100/100   [000]  5.000009: " PF "address=0x200000000000 ip=0x401000 error_code=0x7\n"
	"            prog   100/100   [000]  5.000010:   " EXIT "comm=prog pid=100 prio=120 group_dead=true\n",
	/* -F comm,pid,tid,event,trace, and no group_dead (older kernels):
	 * the PID column alone tells the thread */
	"prog 100/100 " PF "address=0x200000000010 ip=0x401000 error_code=0x6\n"
	"prog 100/100 " PF "address=0x200000001fff ip=0x401000 error_code=0x6\n"
	"prog 100/100   " FORK "comm=prog pid=100 child_comm=prog child_pid=101\n"
	"prog 100/101 " PF "address=0x200000005000 ip=0x401000 error_code=0x6\n"
	"prog 100/101   " EXIT "comm=prog pid=101 prio=120\n"
	"prog 100/100   " FORK "comm=prog pid=100 child_comm=prog child_pid=102\n"
	"prog 102/102 " PF "address=0x200000000000 ip=0x401000 error_code=0x7\n"
	"prog 102/102   " EXIT "comm=prog pid=102 prio=120\n"
	"prog 100/100 " PF "address=0x200000000000 ip=0x401000 error_code=0x7\n"
	"prog 100/100   " EXIT "comm=prog pid=100 prio=120\n",
	/* -F tid,time,event,trace --ns, callchains (-g), a --header, CRLF */
	"# ========\n# captured on    : today\n# ========\n#\n"
	"100 5.000001000: " PF "address=0x200000000010 ip=0x401000 error_code=0x6\r\n"
	"\tffffffff82241370 exc_page_fault+0x2f0 ([kernel.kallsyms])\n"
	"\t           1ab70 _start+0x0 (/usr/lib/ld.so)\n"
	"\n"
	"100 5.000002000: " PF "address=0x200000001fff ip=0x401000 error_code=0x6\n"
	"100 5.000003000:   " FORK "comm=prog pid=100 child_comm=prog child_pid=101\n"
	"101 5.000004000: " PF "address=0x200000005000 ip=0x401000 error_code=0x6\n"
	"101 5.000005000:   " EXIT "comm=prog pid=101 prio=120 group_dead=false\n"
	"100 5.000006000:   " FORK "comm=prog pid=100 child_comm=prog child_pid=102\n"
	"102 5.000007000: " PF "address=0x200000000000 ip=0x401000 error_code=0x7\n"
	"102 5.000008000:   " EXIT "comm=prog pid=102 prio=120 group_dead=true\n"
	"100 5.000009000: " PF "address=0x200000000000 ip=0x401000 error_code=0x7\n"
	"100 5.000010000:   " EXIT "comm=prog pid=100 prio=120 group_dead=true\n",
};

static const char layout_trace[] =
	"ptview-trace 1\n"
	"# Imported by `ptview trace import` from perf script output in (10 lines).\n"
	"# Events used: 5 page faults, 2 forks, 2 exits, 1 thread exits.\n"
	"# Events skipped: 0 of other tasks, 0 kernel-mode faults, 0 faults "
	"beyond the user address space, 0 other events.\n"
	"# t0 is pid 100 (prog).\n"
	"# tid 101 (prog) is a thread of t0.\n"
	"# t1 is pid 102 (prog), forked by t0 at input line 6.\n"
	"t0 touch 0x200000000000 0x2000 write\n"
	"t0 touch 0x200000005000 write\n"
	"t0 fork t1\n"
	"# input line 7: error_code=0x7: protection fault\n"
	"t1 touch 0x200000000000 write\n"
	"t1 exit\n"
	"# input line 9: error_code=0x7: protection fault\n"
	"t0 touch 0x200000000000 write\n"
	"t0 exit\n"
	"check\n";

static void test_layouts(void)
{
	char msg[512];
	char *first = NULL;
	for (size_t i = 0; i < sizeof(layouts) / sizeof(*layouts); i++) {
		char what[64];
		snprintf(what, sizeof(what), "layout %zu imports", i);
		char *t = import(layouts[i], NULL, NULL, msg, sizeof(msg));
		if (!ok(t, what)) {
			printf("# %s\n", msg);
			continue;
		}
		snprintf(what, sizeof(what), "layout %zu parses", i);
		ok(parses(t, "layout"), what);
		if (i == 0)
			is_str(t, layout_trace, "layout 0: the expected trace");
		char *s = statements(t);
		if (!first) {
			first = s;
		} else {
			snprintf(what, sizeof(what), "layout %zu: same statements "
				 "as layout 0", i);
			is_str(s, first, what);
			free(s);
		}
		free(t);
	}
	free(first);
}

/* Merging, notes, skipped events, --pid. */
static void test_rules(void)
{
	char msg[512];
	struct ptv_trace_import_stats st;
	const char *in =
		"a 7 [0] 1.0: " PF "address=0x1000 ip=0x1 error_code=0x4\n"	/* other pid */
		"a 9 [0] 1.0: " PF "address=0x1000 ip=0x1 error_code=0x4\n"
		"a 9 [0] 1.0: " PF "address=0x2000 ip=0x1 error_code=0x4\n"
		"a 7 [0] 1.0: " PF "address=0x5000 ip=0x1 error_code=0x4\n"	/* other pid */
		"a 9 [0] 1.0: " PF "address=0x3000 ip=0x1 error_code=0x4\n"	/* merges */
		"a 9 [0] 1.0: " PF "address=0x4000 ip=0x1 error_code=0x6\n"	/* write: new */
		"a 9 [0] 1.0: " PF "address=0x5000 ip=0x1 error_code=0x15\n"	/* noted */
		"a 9 [0] 1.0: " PF "address=0x6000 ip=0x1 error_code=0x4\n"	/* not into a note */
		"a 9 [0] 1.0: " PF "address=0x8000 ip=0x1 error_code=0x4\n"	/* a gap */
		"a 9 [0] 1.0: " PF "address=0x9000 ip=0x1 error_code=0x0\n"	/* kernel mode */
		"a 9 [0] 1.0: " PF "address=0xffffffffff600000 ip=0x1 error_code=0x15\n"
		"a 9 [0] 1.0: sched:sched_switch: prev_comm=a prev_pid=9\n"
		"a 9 [0] 1.0: cycles:u: ffffffff81000c82 foo\n"
		"a 9 [0] 1.0: PERF_RECORD_FORK(9:10):(9:9)\n";
	struct ptv_trace_import_opts o = { .name = "in", .has_pid = true,
					   .pid = 9 };
	char *t = import(in, &o, &st, msg, sizeof(msg));
	if (!ok(t, "rules: imports"))
		printf("# %s\n", msg);
	char *stmts = t ? statements(t) : NULL;
	if (stmts)
		is_str(stmts,
		       "ptview-trace 1\n"
		       "t0 touch 0x1000 0x3000 read\n"
		       "t0 touch 0x4000 write\n"
		       "t0 touch 0x5000 read\n"
		       "t0 touch 0x6000 read\n"
		       "t0 touch 0x8000 read\n"
		       "check\n", "rules: the statements");
	free(stmts);
	ok(t && strstr(t, "# input line 7: error_code=0x15: protection fault, "
		       "instruction fetch\nt0 touch 0x5000 read\n"),
	   "rules: the note is on the line before its touch");
	ok(t && strstr(t, "# 2 events of other tasks were skipped.\ncheck\n"),
	   "rules: a trailing comment counts other tasks' events");
	is_int(st.faults, 7, "rules: faults used");
	is_int(st.other_task, 2, "rules: events of other tasks");
	is_int(st.kernel_mode, 1, "rules: kernel-mode faults");
	is_int(st.beyond, 1, "rules: faults beyond the user address space");
	is_int(st.other_event, 3, "rules: other events");
	is_int(st.stmts, 7, "rules: statements");
	ok(t && parses(t, "rules"), "rules: parses");
	free(t);

	/* A fork of an unrelated task is skipped; a child of a child is a
	 * task; an empty input is an empty trace. */
	t = import("x 1 " FORK "comm=x pid=1 child_comm=y child_pid=2\n"
		   "y 2 " FORK "comm=y pid=2 child_comm=z child_pid=3\n"
		   "w 5 " FORK "comm=w pid=5 child_comm=v child_pid=6\n"
		   "z 3 " PF "address=0x1000 ip=0x1 error_code=0x4\n",
		   NULL, &st, msg, sizeof(msg));
	ok(t && strstr(t, "\nt0 fork t1\nt1 fork t2\nt2 touch 0x1000 read\n"
		       "# 1 events of other tasks were skipped.\ncheck\n") &&
	   parses(t, "forks"), "forks: grandchildren are tasks");
	free(t);
	t = import("", NULL, &st, msg, sizeof(msg));
	ok(t && strstr(t, "# No event of a task to follow") && parses(t, "empty"),
	   "an empty input is an empty trace");
	free(t);
	/* A thread id reused after it exited is a new task. */
	t = import("x 1 " FORK "comm=x pid=1 child_comm=x child_pid=2\n"
		   "x 2 " EXIT "comm=x pid=2 prio=1 group_dead=true\n"
		   "x 1 " FORK "comm=x pid=1 child_comm=x child_pid=2\n"
		   "x 2 " PF "address=0x1000 ip=0x1 error_code=0x6\n",
		   NULL, &st, msg, sizeof(msg));
	ok(t && strstr(t, "\nt0 fork t1\nt1 exit\nt0 fork t2\nt2 touch 0x1000 "
		       "write\n") && parses(t, "reuse"), "a reused tid is a new task");
	free(t);
	/* Page 0 is spelled 0x0 (printf's %#x would say "0"; fuzz-found). */
	t = import("a 1 " PF "address=0x10 ip=0x1 error_code=0x4\n", NULL, &st,
		   msg, sizeof(msg));
	ok(t && strstr(t, "\nt0 touch 0x0 read\n") && parses(t, "zero"),
	   "a fault on page 0");
	free(t);
	/* COMM with spaces, and one that looks like an event name. */
	t = import("Web Content 1 [0] 1.0: " PF "address=0x1000 ip=0x1 error_code=0x4\n"
		   "a:b: 1 [0] 1.0: " PF "address=0x2000 ip=0x1 error_code=0x4\n",
		   NULL, &st, msg, sizeof(msg));
	ok(t && strstr(t, "# t0 is pid 1 (Web Content).\n") &&
	   strstr(t, "t0 touch 0x1000 0x2000 read\n"), "COMM with spaces or colons");
	free(t);
}

/* A bad input (len 0: up to its NUL) and the start of its error message
 * ("in:LINE:COL: ..."). */
#define BIN(s) s, sizeof(s) - 1
static const struct {
	const char *text;
	size_t len;
	const char *want;
} bad[] = {
	{ "hello world\n", 0, "in:1:1: not a perf script event line (expected" },
	{ "  " PF "address=0x1 ip=0x1 error_code=0x4\n", 0, "in:1:3: not a perf script event line" },
	{ "p 1 " PF "address=0x1 ip=0x1 error_code=0x4\ngarbage\n", 0,
	  "in:2:1: not a perf script event line with the columns of line 1 (COMM TID EVENT: FIELDS)" },
	{ "p 1 [0] 1.5: " PF "address=0x1 ip=0x1 error_code=0x4\np 1 1.5: " PF "address=0x1\n", 0,
	  "in:2:1: not a perf script event line with the columns of line 1 (COMM TID [CPU] TIME: EVENT: FIELDS)" },
	{ "p 1 " PF "address=0xzz ip=0x1 error_code=0x4\n", 0, "in:1:41: address=0xzz is not a 0x hex number" },
	{ "p 1 " PF "address=0x11111111111111111 ip=0x1 error_code=0x4\n", 0, "in:1:41: address=0x11111111111111111 is not" },
	{ "p 1 " PF "address=12 ip=0x1 error_code=0x4\n", 0, "in:1:41: address=12 is not a 0x hex number" },
	{ "p 1 " PF "ip=0x1 error_code=0x4\n", 0, "in:1:33: no address= field" },
	{ "p 1 " PF "address=0x1 error_code=0x4\n", 0, "in:1:41: no ip= field" },
	{ "p 1 " PF "address=0x1 ip=0x1\n", 0, "in:1:48: no error_code= field" },
	{ "p 1 " PF "address=0x1 ip=0x1 error_code=\n", 0, "in:1:63: error_code= is not a 0x hex" },
	{ "p 1 " FORK "comm=p pid=1 child_comm=q\n", 0, "in:1:55: no child_pid= field" },
	{ "p 1 " FORK "comm=p pid=x child_comm=q child_pid=2\n", 0, "in:1:42: pid=x is not a process id" },
	{ "p 1 " FORK "comm=p pid=1 child_comm=q child_pid=99999999999\n", 0, "in:1:67: child_pid=99999999999 is not a process id" },
	{ "p 1 " FORK "comm=p pid=1 child_comm=q child_pid=1\n", 0, "in:1:67: child_pid=1 is the forking task itself" },
	{ "p 1 " EXIT "comm=p prio=1\n", 0, "in:1:36: no pid= field" },
	{ "p 1 " EXIT "comm=p pid=1 prio=1 group_dead=maybe\n", 0, "in:1:62: group_dead=maybe is not true or false" },
	{ BIN("p 1 " PF "address=0x1 ip=0x1 error_code=0x4\np 1 " PF "address=0\0"), "in:2:42: NUL byte" },
	{ BIN("PERFILE2\0\0\0"), "in:1:1: a perf.data file" },
	{ "p 1 cycles: 1\n" "p 1/1 " PF "address=0x1 ip=0x1 error_code=0x4\n", 0,
	  "in:2:1: not a perf script event line with the columns of line 1" },
};

static void test_bad(void)
{
	char msg[512];
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *t = bad[i].text;
		size_t len = bad[i].len ? bad[i].len : strlen(t);
		FILE *f = fmemopen((void *)t, len, "r");
		char *out;
		size_t olen;
		struct ptv_trace_import_opts o = { .name = "in" };
		struct ptv_error *err = ptv_trace_import_perf(f, &o, &out, &olen, NULL);
		fclose(f);
		char what[128];
		snprintf(what, sizeof(what), "bad %zu: %s", i, bad[i].want);
		if (!err) {
			ok(0, what);
			free(out);
			continue;
		}
		snprintf(msg, sizeof(msg), "%s", err->message);
		ptv_error_destroy(err);
		if (!ok(strncmp(msg, bad[i].want, strlen(bad[i].want)) == 0, what))
			printf("#   got \"%s\"\n", msg);
	}
}

/* Limits: a long line, too many threads. */
static void test_limits(void)
{
	char msg[512];
	size_t n = PTV_IMPORT_MAX_LINE + 10;
	char *big = malloc(n + 2);
	memset(big, 'a', n);
	big[n] = '\n';
	big[n + 1] = '\0';
	char *t = import(big, NULL, NULL, msg, sizeof(msg));
	ok(!t && strstr(msg, "in:1:65537: line longer than 65536 bytes"),
	   "a line longer than the limit");
	free(t);
	free(big);

	size_t cap = (PTV_IMPORT_MAX_TIDS + 1) * 80;
	char *in = malloc(cap), *p = in;
	for (unsigned i = 0; i <= PTV_IMPORT_MAX_TIDS; i++)
		p += sprintf(p, "x 1 " FORK "comm=x pid=1 child_comm=x child_pid=%u\n",
			     i + 2);
	t = import(in, NULL, NULL, msg, sizeof(msg));
	ok(!t && strstr(msg, "in:4096:1: more than 4096 threads and processes"),
	   "more threads than the limit");
	if (t)
		free(t);
	/* 64 tasks are the trace language's limit. */
	p = in;
	for (unsigned i = 0; i < 64; i++)
		p += sprintf(p, "x 1 " FORK "comm=x pid=1 child_comm=x child_pid=%u\n",
			     i + 2);
	t = import(in, NULL, NULL, msg, sizeof(msg));
	ok(!t && strstr(msg, "in:64:1: the fork of pid 65 makes more than 64 tasks"),
	   "more tasks than the trace language allows");
	free(t);
	free(in);
}

/* The real recordings under tests/data/perf/ (README there). */
static void test_recordings(void)
{
	const char *src = getenv("PTV_SRCDIR");
	static const char *const files[] = { "forker.txt", "forker-pidtid.txt",
					     "true-callchain.txt" };
	char *first = NULL;
	for (size_t i = 0; i < 3; i++) {
		char path[4096], what[128];
		snprintf(path, sizeof(path), "%s/tests/data/perf/%s",
			 src ? src : ".", files[i]);
		FILE *f = fopen(path, "r");
		snprintf(what, sizeof(what), "%s imports and parses", files[i]);
		if (!f) {
			ok(0, what);
			printf("# cannot open %s\n", path);
			continue;
		}
		struct ptv_trace_import_opts o = { .name = files[i] };
		struct ptv_trace_import_stats st;
		char *out;
		size_t len;
		struct ptv_error *err = ptv_trace_import_perf(f, &o, &out, &len, &st);
		fclose(f);
		if (err) {
			ok(0, what);
			printf("# %s\n", err->message);
			ptv_error_destroy(err);
			continue;
		}
		ok(parses(out, files[i]), what);
		if (i < 2) {
			ok(st.tasks == 2 && st.forks == 2 && st.threads == 1 &&
			   st.exits == 2, "forker: two processes and a thread");
			ok(strstr(out, "t0 touch 0x200000000000 0x3000 write\n"
				  "t0 touch 0x200000004000 read\n") &&
			   strstr(out, "t0 touch 0x200000005000 write\nt0 fork t1\n") &&
			   strstr(out, "t1 touch 0x200000000000 write\n"
				  "t1 touch 0x200000006000 write\nt1 exit\n"),
			   "forker: the program's own pages");
			char *s = statements(out);
			if (!first)
				first = s;
			else {
				is_str(s, first, "forker: both layouts agree");
				free(s);
			}
		}
		free(out);
	}
	free(first);
}

int main(void)
{
	test_layouts();
	test_rules();
	test_bad();
	test_limits();
	test_recordings();
	plan_no_plan_end();
	return exit_status();
}
