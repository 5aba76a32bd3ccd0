/* trace-import.c: `perf script` output -> ptview trace (trace-import.h).
 *
 * Two passes over what the events say.  The first reads the input line
 * by line into a list of statements that name tasks by their index in a
 * table of thread ids; whether a cloned thread id is a process or a thread
 * may only become known later (see trace-import.h), so the second pass,
 * after the whole input is read, folds threads into their processes,
 * drops their clones, names the processes t0, t1, ... and writes the
 * text.  Both passes are linear in the input; every table is bounded.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/perf-script.h"
#include "core/trace-import.h"
#include "core/trace.h"

/* The page_fault_user error code: x86's X86_PF_* bits
 * (arch/x86/include/asm/trap_pf.h, unchanged since v5.6). */
enum {
	PF_PROT = 1u << 0,	/* the page was present: a protection fault */
	PF_WRITE = 1u << 1,
	PF_USER = 1u << 2,	/* user mode; clear for kernel-mode faults */
	PF_INSTR = 1u << 4,	/* an instruction fetch */
};

#define PAGE 4096u
/* A merged touch stays within one 1 GiB region slot: long runs of faults
 * are rare and a bounded LEN keeps every merged statement valid. */
#define MAX_MERGE PTV_TRACE_SLOT
/* Room for `ptview-trace 1` and the final `check`. */
#define MAX_STMTS (PTV_TRACE_MAX_STMTS - 2)

enum task_kind {
	TASK_PROCESS,	/* t0, or a child known to be a process */
	TASK_PENDING,	/* a clone's child not yet known to be either */
	TASK_THREAD,	/* a thread: group is its process */
};

struct task {
	int32_t tid;
	enum task_kind kind;
	size_t group;		/* TASK_THREAD: the task it belongs to */
	size_t parent;		/* the task whose clone made it; SIZE_MAX */
	bool dead;		/* this thread id exited */
	bool exited;		/* the process exited (its `exit` is out) */
	unsigned line;		/* the input line that made it */
	char comm[20];		/* sanitized, for comments */
	size_t name;		/* k of t<k>, set by the second pass */
};

enum op { OP_TOUCH, OP_FORK, OP_EXIT };

struct stmt {
	enum op op;
	bool write;
	unsigned line;		/* the input line */
	uint32_t error_code;	/* OP_TOUCH with a note (PF_PROT, PF_INSTR) */
	size_t task;		/* the acting thread, index into tasks */
	size_t child;		/* OP_FORK */
	uint64_t addr, len;	/* OP_TOUCH */
};

struct importer {
	const struct ptv_trace_import_opts *opts;
	struct ptv_perf_reader rd;
	struct task *tasks;
	size_t ntasks;
	bool have_root;
	struct stmt *stmts;
	size_t nstmts, cap;
	struct ptv_trace_import_stats st;
	/* The output under construction. */
	char *out;
	size_t outlen, outcap;
	bool out_failed;
};

/* --- tasks ------------------------------------------------------------------- */

/* The task a thread's events count for. */
static size_t task_process(const struct importer *im, size_t i)
{
	while (im->tasks[i].kind == TASK_THREAD)
		i = im->tasks[i].group;	/* always an earlier task */
	return i;
}

static size_t find_tid(const struct importer *im, int32_t tid)
{
	for (size_t i = im->ntasks; i-- > 0;)
		if (im->tasks[i].tid == tid && !im->tasks[i].dead)
			return i;
	return SIZE_MAX;
}

static struct ptv_error *new_task(struct importer *im, int32_t tid,
				  enum task_kind kind, size_t group,
				  size_t parent, const char *comm,
				  size_t comm_len, size_t *ret)
{
	if (im->ntasks == PTV_IMPORT_MAX_TIDS)
		return ptv_perf_error(&im->rd, 1, "more than %u threads and processes",
			    PTV_IMPORT_MAX_TIDS);
	if (!im->tasks) {
		im->tasks = calloc(PTV_IMPORT_MAX_TIDS, sizeof(*im->tasks));
		if (!im->tasks)
			return ptv_enomem;
	}
	size_t i = im->ntasks++;
	struct task *t = &im->tasks[i];
	*t = (struct task){ .tid = tid, .kind = kind, .parent = parent,
			    .group = kind == TASK_THREAD ? group : i,
			    .line = im->rd.lineno };
	ptv_perf_sanitize(t->comm, sizeof(t->comm), comm, comm_len);
	*ret = i;
	return NULL;
}

/* Settle a pending clone with what a PID/TID column says. */
static void classify_by_pid(struct importer *im, size_t i, int32_t pid)
{
	struct task *t = &im->tasks[i];
	if (t->kind != TASK_PENDING)
		return;
	if (pid == t->tid) {
		t->kind = TASK_PROCESS;
	} else {
		t->kind = TASK_THREAD;
		t->group = t->parent;
	}
}

/* The task an event line belongs to, creating t0 at the first related
 * event; SIZE_MAX when it is no task of the trace. */
static struct ptv_error *event_task(struct importer *im, const struct ptv_perf_event *h,
				    size_t *ret)
{
	struct ptv_error *err;
	bool pidtid = im->rd.shape.id == PTV_PERF_ID_PIDTID;
	size_t i = find_tid(im, h->tid);
	*ret = SIZE_MAX;
	if (i != SIZE_MAX) {
		if (pidtid)
			classify_by_pid(im, i, h->pid);
		if (im->tasks[task_process(im, i)].exited)
			return NULL;
		*ret = i;
		return NULL;
	}
	if (!im->have_root) {
		if (im->opts->has_pid && h->pid != im->opts->pid)
			return NULL;
		im->have_root = true;
		if ((err = new_task(im, h->pid, TASK_PROCESS, 0, SIZE_MAX,
				    h->comm, h->comm_len, ret)))
			return err;
		if (h->tid != h->pid)
			return new_task(im, h->tid, TASK_THREAD, *ret, *ret,
					h->comm, h->comm_len, ret);
		return NULL;
	}
	/* A thread whose clone the recording missed (it started earlier). */
	size_t proc;
	if (pidtid && (proc = find_tid(im, h->pid)) != SIZE_MAX &&
	    !im->tasks[task_process(im, proc)].exited)
		return new_task(im, h->tid, TASK_THREAD, task_process(im, proc),
				proc, h->comm, h->comm_len, ret);
	return NULL;
}

/* --- statements ---------------------------------------------------------- */

static struct ptv_error *new_stmt(struct importer *im, enum op op,
				  size_t task, struct stmt **ret)
{
	if (im->nstmts == MAX_STMTS)
		return ptv_perf_error(&im->rd, 1, "more than %u statements (the trace "
			    "language's limit)", MAX_STMTS);
	if (im->nstmts == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 256;
		struct stmt *s = realloc(im->stmts, cap * sizeof(*s));
		if (!s)
			return ptv_enomem;
		im->stmts = s;
		im->cap = cap;
	}
	struct stmt *s = &im->stmts[im->nstmts++];
	*s = (struct stmt){ .op = op, .task = task, .line = im->rd.lineno,
			    .child = SIZE_MAX };
	*ret = s;
	return NULL;
}

/* exceptions:page_fault_user: address=0x... ip=0x... error_code=0x... */
static struct ptv_error *do_page_fault(struct importer *im,
				       const struct ptv_perf_event *h)
{
	struct ptv_perf_field fa, fi, fe;
	uint64_t addr, ip, ec;
	struct ptv_error *err;
	size_t task;
	if ((err = ptv_perf_field(&im->rd, h->fields, "address", &fa)) ||
	    (err = ptv_perf_field_hex(&im->rd, &fa, "address", &addr)) ||
	    (err = ptv_perf_field(&im->rd, fa.off, "ip", &fi)) ||
	    (err = ptv_perf_field_hex(&im->rd, &fi, "ip", &ip)) ||
	    (err = ptv_perf_field(&im->rd, fi.off, "error_code", &fe)) ||
	    (err = ptv_perf_field_hex(&im->rd, &fe, "error_code", &ec)))
		return err;
	if ((err = event_task(im, h, &task)))
		return err;
	if (task == SIZE_MAX) {
		im->st.other_task++;
		return NULL;
	}
	if (!(ec & PF_USER)) {
		im->st.kernel_mode++;
		return NULL;
	}
	if (addr >= PTV_TRACE_ADDR_LIMIT) {	/* vsyscall, 5-level paging */
		im->st.beyond++;
		return NULL;
	}
	im->st.faults++;
	uint64_t page = addr & ~(uint64_t)(PAGE - 1);
	bool write = ec & PF_WRITE;
	uint32_t note = (uint32_t)(ec & (PF_PROT | PF_INSTR));
	if (im->nstmts) {
		struct stmt *last = &im->stmts[im->nstmts - 1];
		if (!note && last->op == OP_TOUCH && !last->error_code &&
		    last->task == task && last->write == write &&
		    last->addr + last->len == page && last->len < MAX_MERGE) {
			last->len += PAGE;
			return NULL;
		}
	}
	struct stmt *s;
	if ((err = new_stmt(im, OP_TOUCH, task, &s)))
		return err;
	s->addr = page;
	s->len = PAGE;
	s->write = write;
	s->error_code = note ? (uint32_t)(ec & 0xffffffffu) : 0;
	return NULL;
}

/* sched:sched_process_fork: comm=C pid=P child_comm=CC child_pid=CP */
static struct ptv_error *do_fork(struct importer *im, const struct ptv_perf_event *h)
{
	struct ptv_perf_field fc, fp, fcc, fcp;
	int32_t pid, child;
	struct ptv_error *err;
	size_t task, c;
	if ((err = ptv_perf_string_field(&im->rd, h->fields, "comm", "pid", &fc, &fp)) ||
	    (err = ptv_perf_field_id(&im->rd, &fp, "pid", &pid)) ||
	    (err = ptv_perf_string_field(&im->rd, fp.off, "child_comm", "child_pid", &fcc,
			      &fcp)) ||
	    (err = ptv_perf_field_id(&im->rd, &fcp, "child_pid", &child)))
		return err;
	if ((err = event_task(im, h, &task)))
		return err;
	if (task == SIZE_MAX) {
		im->st.other_task++;
		return NULL;
	}
	if (child == im->tasks[task].tid)
		return ptv_perf_error(&im->rd, fcp.off + 1, "child_pid=%" PRId32 " is the "
			    "forking task itself", child);
	im->st.forks++;
	struct stmt *s;
	if ((err = new_task(im, child, TASK_PENDING, 0, task,
			    im->rd.line + fcc.off, fcc.len, &c)) ||
	    (err = new_stmt(im, OP_FORK, task, &s)))
		return err;
	s->child = c;
	return NULL;
}

/* sched:sched_process_exit: comm=C pid=P prio=N [group_dead=true|false]
 * (group_dead since Linux 6.x says whether the whole process is gone). */
static struct ptv_error *do_exit(struct importer *im, const struct ptv_perf_event *h)
{
	struct ptv_perf_field fc, fp, fg;
	int32_t pid;
	struct ptv_error *err;
	size_t task;
	if ((err = ptv_perf_string_field(&im->rd, h->fields, "comm", "pid", &fc, &fp)) ||
	    (err = ptv_perf_field_id(&im->rd, &fp, "pid", &pid)))
		return err;
	int dead = -1;	/* unknown */
	if (ptv_perf_find_key(&im->rd, fp.off, "group_dead") != SIZE_MAX) {
		if ((err = ptv_perf_field(&im->rd, fp.off, "group_dead", &fg)))
			return err;
		const char *v = im->rd.line + fg.off;
		if ((fg.len == 4 && memcmp(v, "true", 4) == 0) ||
		    (fg.len == 1 && v[0] == '1'))
			dead = 1;
		else if ((fg.len == 5 && memcmp(v, "false", 5) == 0) ||
			 (fg.len == 1 && v[0] == '0'))
			dead = 0;
		else
			return ptv_perf_error(&im->rd, fg.off + 1, "group_dead=%.*s is not true "
				    "or false", (int)fg.len, v);
	}
	if ((err = event_task(im, h, &task)))
		return err;
	if (task == SIZE_MAX) {
		im->st.other_task++;
		return NULL;
	}
	struct task *t = &im->tasks[task];
	if (t->kind == TASK_PENDING) {	/* no PID column to say before */
		if (dead == 0) {
			t->kind = TASK_THREAD;
			t->group = t->parent;
		} else {
			t->kind = TASK_PROCESS;
		}
	}
	t->dead = true;
	if (dead == -1)	/* older kernels: the leader's exit ends it */
		dead = t->kind != TASK_THREAD;
	if (!dead) {
		im->st.threads++;
		return NULL;
	}
	im->st.exits++;
	im->tasks[task_process(im, task)].exited = true;
	struct stmt *s;
	return new_stmt(im, OP_EXIT, task, &s);
}

static bool event_is(const struct ptv_perf_event *h, const char *name)
{
	size_t n = strlen(name);
	return h->event_len == n && memcmp(h->event, name, n) == 0;
}

static struct ptv_error *do_line(struct importer *im)
{
	if (ptv_perf_ignored_line(&im->rd))
		return NULL;
	struct ptv_perf_event h;
	struct ptv_error *err = ptv_perf_split_event(&im->rd, &h);
	if (err)
		return err;
	if (event_is(&h, "exceptions:page_fault_user:"))
		return do_page_fault(im, &h);
	if (event_is(&h, "sched:sched_process_fork:"))
		return do_fork(im, &h);
	if (event_is(&h, "sched:sched_process_exit:"))
		return do_exit(im, &h);
	im->st.other_event++;
	return NULL;
}

/* --- output ------------------------------------------------------------------ */

static void out(struct importer *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out(struct importer *im, const char *fmt, ...)
{
	if (im->out_failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = im->outcap - im->outlen;
		int n = vsnprintf(im->out ? im->out + im->outlen : NULL, room,
				  fmt, ap);
		va_end(ap);
		if (n < 0) {
			im->out_failed = true;
			return;
		}
		if ((size_t)n < room) {
			im->outlen += (size_t)n;
			return;
		}
		size_t cap = im->outcap ? im->outcap * 2 : 4096;
		while (cap - im->outlen <= (size_t)n)
			cap *= 2;
		char *o = realloc(im->out, cap);
		if (!o) {
			im->out_failed = true;
			return;
		}
		im->out = o;
		im->outcap = cap;
	}
}

/* Whether a fork statement makes a task of the trace (not a thread). */
static bool makes_process(const struct importer *im, const struct stmt *s)
{
	return s->op == OP_FORK && im->tasks[s->child].kind != TASK_THREAD;
}

static struct ptv_error *write_trace(struct importer *im)
{
	/* Name the processes in creation order: t0, then each fork. */
	size_t k = 0;
	if (im->ntasks)
		im->tasks[0].name = k++;
	for (size_t i = 0; i < im->nstmts; i++) {
		const struct stmt *s = &im->stmts[i];
		if (!makes_process(im, s))
			continue;
		if (k == PTV_TRACE_MAX_TASKS) {
			im->rd.lineno = s->line;
			return ptv_perf_error(&im->rd, 1, "the fork of pid %" PRId32 " makes "
				    "more than %u tasks (the trace language's "
				    "limit)", im->tasks[s->child].tid,
				    PTV_TRACE_MAX_TASKS);
		}
		im->tasks[s->child].name = k++;
	}
	im->st.tasks = k;

	char name[256];
	ptv_perf_sanitize(name, sizeof(name), im->rd.name, strlen(im->rd.name));
	const struct ptv_trace_import_stats *st = &im->st;
	out(im, "ptview-trace 1\n");
	out(im, "# Imported by `ptview trace import` from perf script output "
		"%s (%u lines).\n", name, st->lines);
	out(im, "# Events used: %" PRIu64 " page faults, %" PRIu64 " forks, %"
		PRIu64 " exits, %" PRIu64 " thread exits.\n", st->faults,
		st->forks, st->exits, st->threads);
	out(im, "# Events skipped: %" PRIu64 " of other tasks, %" PRIu64
		" kernel-mode faults, %" PRIu64 " faults beyond the user "
		"address space, %" PRIu64 " other events.\n", st->other_task,
		st->kernel_mode, st->beyond, st->other_event);
	if (!im->ntasks)
		out(im, "# No event of a task to follow: the trace is empty.\n");
	for (size_t i = 0; i < im->ntasks; i++) {
		const struct task *t = &im->tasks[i];
		if (t->kind == TASK_THREAD)
			out(im, "# tid %" PRId32 " (%s) is a thread of t%zu.\n",
			    t->tid, t->comm,
			    im->tasks[task_process(im, i)].name);
		else if (t->parent == SIZE_MAX)
			out(im, "# t%zu is pid %" PRId32 " (%s).\n", t->name,
			    t->tid, t->comm);
		else
			out(im, "# t%zu is pid %" PRId32 " (%s), forked by t%zu "
				"at input line %u.\n", t->name, t->tid, t->comm,
			    im->tasks[task_process(im, t->parent)].name,
			    t->line);
	}
	size_t n = 2;
	for (size_t i = 0; i < im->nstmts; i++) {
		const struct stmt *s = &im->stmts[i];
		size_t who = im->tasks[task_process(im, s->task)].name;
		switch (s->op) {
		case OP_TOUCH:
			if (s->error_code) {
				const char *a = s->error_code & PF_PROT ?
					"protection fault" : "";
				const char *b = s->error_code & PF_INSTR ?
					"instruction fetch" : "";
				out(im, "# input line %u: error_code=%#" PRIx32
					": %s%s%s\n", s->line, s->error_code,
				    a, *a && *b ? ", " : "", b);
			}
			if (s->len == PAGE)
				out(im, "t%zu touch 0x%" PRIx64 " %s\n", who,
				    s->addr, s->write ? "write" : "read");
			else
				out(im, "t%zu touch 0x%" PRIx64 " 0x%" PRIx64
					" %s\n", who, s->addr, s->len,
				    s->write ? "write" : "read");
			break;
		case OP_FORK:
			if (!makes_process(im, s))
				continue;
			out(im, "t%zu fork t%zu\n", who,
			    im->tasks[s->child].name);
			break;
		case OP_EXIT:
			out(im, "t%zu exit\n", who);
			break;
		}
		n++;
	}
	if (st->other_task)
		out(im, "# %" PRIu64 " events of other tasks were skipped.\n",
		    st->other_task);
	out(im, "check\n");
	im->st.stmts = n;
	if (im->out_failed)
		return ptv_enomem;
	return NULL;
}

struct ptv_error *ptv_trace_import_perf(FILE *in,
					const struct ptv_trace_import_opts *opts,
					char **text_ret, size_t *len_ret,
					struct ptv_trace_import_stats *stats_ret)
{
	struct importer im = { .opts = opts };
	struct ptv_error *err = ptv_perf_reader_init(&im.rd, opts->name ?
						     opts->name : "<input>", in);
	if (err)
		return err;
	while (!(err = ptv_perf_read_line(&im.rd))) {
		if ((err = do_line(&im)))
			goto out;
	}
	if (err != ptv_stop)
		goto out;
	im.st.lines = im.rd.lineno - 1;
	if ((err = write_trace(&im)))
		goto out;
	*text_ret = im.out;
	*len_ret = im.outlen;
	im.out = NULL;
	if (stats_ret)
		*stats_ret = im.st;
	err = NULL;
out:
	free(im.out);
	free(im.stmts);
	free(im.tasks);
	ptv_perf_reader_deinit(&im.rd);
	return err;
}
