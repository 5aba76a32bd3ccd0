/* trace-import.h: turn `perf script` output into a ptview trace.
 *
 * The input is the text `perf script` prints for a recording of the
 * tracepoints exceptions:page_fault_user, sched:sched_process_fork and
 * sched:sched_process_exit (other events may be in it: they are skipped
 * and counted).  The output is a trace in the language of
 * ../shared/spec/trace.md, version 1, that refers to memory by absolute
 * address (`t0 touch 0x7f3a12000000 write`), the way an imported trace
 * names the VMAs of a snapshot.  It always parses with ptv_trace_parse().
 *
 * Lines perf script prints for an event, with any of its columns left out
 * except the thread id (perf's -F selects them):
 *
 *	COMM PID/TID [CPU] SECS.USECS: EVENT: FIELDS     (-F +pid)
 *	COMM TID [CPU] SECS.USECS: EVENT: FIELDS         (the default)
 *
 * COMM may contain spaces.  The first event line fixes which columns
 * there are; every later event line must have the same ones.  Blank
 * lines, `#` lines (--header) and callchain lines (tab-indented, after an
 * event recorded with -g) are ignored.  Anything else is an error that
 * names the input, line and column.
 *
 * Tasks: the first process seen (or opts->pid) is t0; a fork by a known
 * task creates the next one, t1, t2, ... in creation order.  Without the
 * PID column a new thread looks exactly like a forked child; it is told
 * apart when it exits (group_dead=false, Linux 6.x prints it) and its
 * events then count as its process's.  With PID/TID it is told apart at
 * its first event.
 */
#ifndef PTV_TRACE_IMPORT_H
#define PTV_TRACE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ptv_error;

#define PTV_IMPORT_MAX_LINE 65536u	/* bytes in one input line */
#define PTV_IMPORT_MAX_LINES 0x7fffffffu	/* lines in the input */
#define PTV_IMPORT_MAX_TIDS 4096u	/* threads and processes followed */

struct ptv_trace_import_opts {
	const char *name;	/* the input's name, for errors and the header */
	bool has_pid;		/* t0 is the process pid, not the first seen */
	int32_t pid;
};

struct ptv_trace_import_stats {
	unsigned lines;
	/* Events that became (part of) a statement or decided a task. */
	uint64_t faults, forks, exits, threads;
	/* Events skipped: of tasks that are not t0 or its descendants; faults
	 * in kernel mode (error_code bit 2 clear) or beyond the 47-bit user
	 * address space; events of other kinds. */
	uint64_t other_task, kernel_mode, beyond, other_event;
	size_t tasks;		/* t0, t1, ... in the trace */
	size_t stmts;		/* statements written, the header and check
				 * included */
};

/* Read perf script output from in up to EOF and translate it.  On success
 * *text_ret holds the trace, NUL-terminated, *len_ret bytes long, owned by
 * the caller (free()); *stats_ret, when not NULL, says what was used.
 * Nothing is returned on failure.  Reads only from in; writes nothing. */
struct ptv_error *ptv_trace_import_perf(FILE *in,
					const struct ptv_trace_import_opts *opts,
					char **text_ret, size_t *len_ret,
					struct ptv_trace_import_stats *stats_ret);

#endif /* PTV_TRACE_IMPORT_H */
