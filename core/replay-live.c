/* replay-live.c: `ptview replay --live`, a trace run on the running kernel.
 *
 * The controller (this file) checks everything it will need before it
 * changes anything: the sysfs files the trace sets, debugfs for
 * fault_around_bytes, swap for cached=none, io_uring for pin.  Then it
 * saves what it will change, keeps khugepaged asleep, pins itself to CPU 0
 * (the agents inherit it), makes the trace's files on a private tmpfs, and
 * starts t0's agent (core/replay-agent.c).  Each statement goes to its
 * task's agent over a pipe and comes back with its return value and the
 * faults taken inside it; `set` and `file` the controller does itself.  At
 * each check it reads every live agent through core/live.c (pagemap,
 * PAGEMAP_SCAN, kpageflags, kpagecount, status).
 *
 * What it changes outside itself, and putting it back on every way out,
 * is core/replay-guard.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/kpageflags.h"
#include "core/live.h"
#include "core/page.h"
#include "core/replay-agent.h"
#include "core/replay-guard.h"
#include "core/replay.h"
#include "core/trace.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"
#define FAULT_AROUND "/sys/kernel/debug/fault_around_bytes"
#define SCAN_SLEEP THP_DIR "/khugepaged/scan_sleep_millisecs"
/* What the recording tool used too: a day. */
#define SCAN_SLEEP_RUN "86400000"
/* How long an agent may take to answer or to exit. */
#define AGENT_TIMEOUT_MS 60000
/* Held for the whole run; see ptv_replay_live(). */
#define LIVE_LOCK "/run/ptview-replay-live.lock"

static void setting_path(const struct ptv_trace_setting *s, char *buf,
			 size_t size)
{
	switch (s->key) {
	case PTV_KEY_THP:
		snprintf(buf, size, THP_DIR "/enabled");
		break;
	case PTV_KEY_THP_DEFRAG:
		snprintf(buf, size, THP_DIR "/defrag");
		break;
	case PTV_KEY_USE_ZERO_PAGE:
		snprintf(buf, size, THP_DIR "/use_zero_page");
		break;
	case PTV_KEY_MAX_PTES_NONE:
	case PTV_KEY_MAX_PTES_SWAP:
	case PTV_KEY_MAX_PTES_SHARED:
		snprintf(buf, size, THP_DIR "/khugepaged/%s",
			 ptv_trace_key_name(s->key));
		break;
	case PTV_KEY_FAULT_AROUND_BYTES:
		snprintf(buf, size, FAULT_AROUND);
		break;
	case PTV_KEY_MTHP:
		snprintf(buf, size, THP_DIR "/hugepages-%llukB/enabled",
			 (unsigned long long)(s->mthp_size >> 10));
		break;
	}
}

/* --- checks before anything changes ---------------------------------------- */

/* A mount namespace of our own, once: for the files' tmpfs and debugfs.
 * Everything is made private so that nothing we mount propagates out.  In
 * a chroot / is no mount point and cannot be made private (EINVAL); then
 * each place we mount on is made private by itself (private_dir()). */
static bool root_private;

static struct ptv_error *private_mounts(void)
{
	static bool done;
	if (done)
		return NULL;
	if (unshare(CLONE_NEWNS) < 0)
		return ptv_error_os(errno, "unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		root_private = true;
	else if (errno != EINVAL)
		return ptv_error_os(errno, "making / private");
	done = true;
	return NULL;
}

/* Make dir a private mount point of its own, unless / already is private. */
static struct ptv_error *private_dir(const char *dir)
{
	if (root_private)
		return NULL;
	if (mount(dir, dir, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, dir, NULL, MS_PRIVATE, NULL) < 0)
		return ptv_error_os(errno, "making %s a private mount", dir);
	return NULL;
}

/* debugfs is often not mounted; mount it where only we see it. */
static struct ptv_error *find_debugfs(void)
{
	if (access(FAULT_AROUND, F_OK) == 0)
		return NULL;
	struct ptv_error *err = private_mounts();
	if (!err)
		err = private_dir("/sys/kernel/debug");
	if (!err && mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0)
		err = ptv_error_os(errno, "mount debugfs on /sys/kernel/debug");
	return err;
}

static struct ptv_error *preflight(const struct ptv_trace *t)
{
	char path[128];
	struct ptv_error *err;
	for (size_t i = 0; i < t->nstmts; i++) {
		const struct ptv_trace_stmt *st = &t->stmts[i];
		for (size_t j = 0; st->op == PTV_TRACE_SET && j < st->nset;
		     j++) {
			bool fab = st->set[j].key == PTV_KEY_FAULT_AROUND_BYTES;
			setting_path(&st->set[j], path, sizeof(path));
			err = fab ? find_debugfs() : NULL;
			if (!err)
				err = ptv_guard_save(path);
			if (err && fab) {
				/* Root cannot change a lockdown: exit 1, not
				 * the "needs privileges" 4. */
				err = ptv_error_prefix(err, "%s:%u: set "
					"fault_around_bytes needs debugfs, and "
					"this kernel refuses it (lockdown?); "
					"nothing was run", t->path, st->line);
				if (err != ptv_enomem)
					err->code = PTV_ERR_UNSUPPORTED;
				return err;
			}
			if (err)
				return ptv_error_prefix(err, "%s:%u: nothing "
					"was run", t->path, st->line);
		}
		if (st->op == PTV_TRACE_PIN) {
			struct io_uring_params p;
			memset(&p, 0, sizeof(p));
			long fd = syscall(SYS_io_uring_setup, 1, &p);
			if (fd < 0)
				return ptv_error_os(errno, "%s:%u: pin "
					"uses io_uring fixed buffers "
					"(FOLL_LONGTERM), and io_uring_setup "
					"failed; nothing was run", t->path,
					st->line);
			close((int)fd);
		}
	}
	for (size_t i = 0; i < t->nfiles; i++) {
		if (t->files[i].cached)
			continue;
		/* /proc/swaps has a header line, then one line per device. */
		char buf[4096];
		int fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
		ssize_t r = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		char *nl = r > 0 ? memchr(buf, '\n', (size_t)r) : NULL;
		if (!nl || nl + 1 >= buf + r)
			return ptv_error_create(PTV_ERR_UNSUPPORTED, "%s:%u: "
				"file '%s' cached=none starts out in swap, and "
				"this system has no swap (swapon a device); "
				"nothing was run", t->path, t->files[i].line,
				t->files[i].name);
	}
	if (access(SCAN_SLEEP, F_OK) == 0 && (err = ptv_guard_save(SCAN_SLEEP)))
		return err;
	return NULL;
}

/* --- the trace's files ------------------------------------------------------ */

/* Push a tmpfs file's pages to swap: map them, then MADV_PAGEOUT. */
static struct ptv_error *file_to_swap(const struct ptv_trace_file *f, int fd)
{
	size_t n = (size_t)(f->size >> 12);
	void *p = mmap(NULL, f->size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return ptv_error_os(errno, "file '%s': mmap", f->name);
	unsigned char *vec = malloc(n);
	struct ptv_error *err = NULL;
	size_t resident = n;
	for (int pass = 0; vec && pass < 3 && resident; pass++) {
		madvise(p, f->size, MADV_POPULATE_READ);
		madvise(p, f->size, MADV_PAGEOUT);
		resident = 0;
		if (mincore(p, f->size, vec) == 0)
			for (size_t i = 0; i < n; i++)
				resident += vec[i] & 1;
	}
	if (!vec)
		err = ptv_enomem;
	else if (resident)
		err = ptv_error_create(PTV_ERR_OTHER, "file '%s' (cached=none):"
				       " %zu of %zu pages stayed in memory "
				       "after MADV_PAGEOUT (is swap full?)",
				       f->name, resident, n);
	free(vec);
	munmap(p, f->size);
	return err;
}

/* Make each `file` on a tmpfs (huge=never) mounted in a mount namespace
 * of our own, then detach the mount at once: the open files keep it
 * alive, and nothing is left behind however the run ends. */
static struct ptv_error *make_files(const struct ptv_trace *t, int *fds)
{
	if (!t->nfiles)
		return NULL;
	struct ptv_error *err = private_mounts();
	if (err)
		return err;
	char dir[] = "/tmp/ptview-replay.XXXXXX";
	if (!mkdtemp(dir))
		return ptv_error_os(errno, "mkdtemp %s", dir);
	char *buf = NULL;
	if ((err = private_dir(dir))) {
		rmdir(dir);
		return err;
	}
	if (mount("ptview-replay", dir, "tmpfs", MS_NOSUID | MS_NODEV,
		  "huge=never,mode=0700") < 0) {
		err = ptv_error_os(errno, "mount tmpfs on %s", dir);
		rmdir(dir);
		return err;
	}
	if (!(buf = malloc(1 << 20))) {
		err = ptv_enomem;
		goto out;
	}
	for (size_t i = 0; i < (1 << 20); i++)
		buf[i] = (char)(0x41 + i % 26);	/* non-zero data */
	for (size_t i = 0; i < t->nfiles && !err; i++) {
		const struct ptv_trace_file *f = &t->files[i];
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, f->name);
		fds[i] = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fds[i] < 0) {
			err = ptv_error_os(errno, "%s", path);
			break;
		}
		for (uint64_t off = 0; off < f->size && !err;) {
			size_t chunk = f->size - off < (1 << 20) ?
				(size_t)(f->size - off) : (1 << 20);
			ssize_t r = pwrite(fds[i], buf, chunk, (off_t)off);
			if (r <= 0)
				err = ptv_error_os(r < 0 ? errno : ENOSPC,
						   "%s", path);
			else
				off += (uint64_t)r;
		}
		if (!err && !f->cached)
			err = file_to_swap(f, fds[i]);
	}
out:
	free(buf);
	umount2(dir, MNT_DETACH);
	if (!root_private)	/* the private bind under it (private_dir()) */
		umount2(dir, MNT_DETACH);
	rmdir(dir);
	return err;
}

/* --- agents ------------------------------------------------------------------ */

struct agent {
	pid_t pid;		/* 0: not born; -1: exited */
	int pidfd;
	unsigned fork_line;	/* a failed fork: where */
	struct ptv_live_status base;
	uint64_t minor, major;	/* since its last counters record */
};

struct frame_label {
	uint64_t pfn;
	uint32_t label;		/* 0: empty slot */
};

struct live_run {
	const struct ptv_trace *t;
	const struct ptv_replay_sink *sink;
	struct ptv_agent_pipes pipes[PTV_TRACE_MAX_TASKS];
	int file_fds[PTV_TRACE_MAX_FILES];
	struct agent agents[PTV_TRACE_MAX_TASKS];
	struct ptv_page *pages;	/* PTV_LIVE_CHUNK of them */
	struct frame_label *frames;
	size_t frames_cap, nframes;
};

static struct ptv_error *wait_exit(struct live_run *run, size_t task,
				   unsigned line)
{
	struct agent *a = &run->agents[task];
	struct pollfd pfd = { .fd = a->pidfd, .events = POLLIN };
	int r;
	do
		r = poll(&pfd, 1, AGENT_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	close(a->pidfd);
	ptv_guard_agent_gone(task);
	a->pid = -1;
	if (r == 0)
		return ptv_error_create(PTV_ERR_OTHER, "%s: line %u: task '%s' "
					"did not exit", run->t->path, line,
					run->t->tasks[task].name);
	return NULL;
}

/* Read one reply from task's agent; an agent that died is an error. */
static struct ptv_error *read_reply(struct live_run *run, size_t task,
				    unsigned line, struct ptv_agent_reply *rep)
{
	const char *name = run->t->tasks[task].name;
	struct pollfd pfd = { .fd = run->pipes[task].reply[0],
			      .events = POLLIN };
	int r;
	do
		r = poll(&pfd, 1, AGENT_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return ptv_error_create(PTV_ERR_OTHER, "%s: line %u: task '%s' "
					"did not answer in %d s", run->t->path,
					line, name, AGENT_TIMEOUT_MS / 1000);
	size_t got = 0;
	while (got < sizeof(*rep)) {
		ssize_t n = read(pfd.fd, (char *)rep + got, sizeof(*rep) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == sizeof(*rep) && !rep->signo)
		return NULL;
	if (got == sizeof(*rep))
		return ptv_error_create(PTV_ERR_OTHER, "%s: line %u: task '%s' "
					"was killed by %s at address %#" PRIx64
					" (an access its protection forbids?)",
					run->t->path, line, name,
					strsignal(rep->signo), rep->fault_addr);
	return ptv_error_create(PTV_ERR_OTHER, "%s: line %u: task '%s' died",
				run->t->path, line, name);
}

static struct ptv_error *start_t0(struct live_run *run)
{
	const struct ptv_trace *t = run->t;
	for (size_t i = 0; i < t->ntasks; i++) {
		if (pipe2(run->pipes[i].cmd, O_CLOEXEC) < 0 ||
		    pipe2(run->pipes[i].reply, O_CLOEXEC) < 0)
			return ptv_error_os(errno, "pipe");
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return ptv_error_os(errno, "fork");
	if (pid == 0)
		ptv_agent_main(t, 0, run->pipes, run->file_fds);
	ptv_guard_agent_started(0, pid);
	struct agent *a = &run->agents[0];
	a->pid = pid;
	for (size_t i = 0; i < t->ntasks; i++) {
		close(run->pipes[i].cmd[0]);
		close(run->pipes[i].reply[1]);
		run->pipes[i].cmd[0] = run->pipes[i].reply[1] = -1;
	}
	a->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (a->pidfd < 0)
		return ptv_error_os(errno, "pidfd_open %d", (int)pid);
	struct ptv_agent_reply rep;
	struct ptv_error *err = read_reply(run, 0, 0, &rep);
	if (err)
		return err;
	struct ptv_live *l;
	if ((err = ptv_live_create(pid, &l)))
		return err;
	err = ptv_live_status(l, &a->base);
	ptv_live_destroy(l);
	return err;
}

/* --- state records ------------------------------------------------------------ */

static uint32_t frame_label(struct live_run *run, uint64_t pfn)
{
	if (2 * (run->nframes + 1) > run->frames_cap) {
		size_t cap = run->frames_cap ? run->frames_cap * 2 : 1024;
		struct frame_label *nf = calloc(cap, sizeof(*nf));
		if (!nf)
			return 0;
		for (size_t i = 0; i < run->frames_cap; i++) {
			if (!run->frames[i].label)
				continue;
			size_t j = (run->frames[i].pfn * 0x9e3779b97f4a7c15u) &
				   (cap - 1);
			while (nf[j].label)
				j = (j + 1) & (cap - 1);
			nf[j] = run->frames[i];
		}
		free(run->frames);
		run->frames = nf;
		run->frames_cap = cap;
	}
	size_t mask = run->frames_cap - 1;
	size_t j = (pfn * 0x9e3779b97f4a7c15u) & mask;
	while (run->frames[j].label && run->frames[j].pfn != pfn)
		j = (j + 1) & mask;
	if (!run->frames[j].label) {
		run->frames[j].pfn = pfn;
		run->frames[j].label = (uint32_t)++run->nframes;
	}
	return run->frames[j].label;
}

static struct ptv_error *emit_page(struct live_run *run,
				   struct ptv_replay_page *rec,
				   const struct ptv_page *p)
{
	rec->state = p->state == PTV_STATE_PRESENT ? PTV_REPLAY_PRESENT :
		     p->state == PTV_STATE_SWAP ? PTV_REPLAY_SWAP :
		     PTV_REPLAY_NONE;
	if (rec->state == PTV_REPLAY_PRESENT) {
		bool hzero = ptv_page_is(p, PTV_B_HUGE_ZERO_PAGE);
		bool zero = ptv_page_is(p, PTV_B_ZERO_PAGE) && !hzero;
		if (hzero || zero) {
			snprintf(rec->frame, sizeof(rec->frame), "%s",
				 hzero ? "hzero" : "zero");
		} else if (p->has & PTV_HAS_PFN) {
			uint32_t n = frame_label(run, p->pfn);
			if (!n)
				return ptv_enomem;
			snprintf(rec->frame, sizeof(rec->frame), "F%u", n);
		} else {
			snprintf(rec->frame, sizeof(rec->frame), "F?");
		}
		rec->anon = !zero && !hzero &&
			    (p->kpageflags & PTV_KPF(ANON));
		rec->exclusive = ptv_page_is(p, PTV_B_EXCLUSIVE);
		rec->thp = ptv_page_is(p, PTV_B_THP) || hzero;
		rec->pmd = (p->has & PTV_HAS_LEVEL) &&
			   p->level == PTV_LEVEL_PMD;
		rec->mapcount = zero || hzero ? 0 : p->mapcount;
	}
	return run->sink->page(run->sink->arg, rec);
}

/* The page records of one region of one task. */
static struct ptv_error *emit_region(struct live_run *run, struct ptv_live *l,
				     struct ptv_replay_page *rec,
				     const struct ptv_trace_region *reg)
{
	const struct ptv_vma_list *vl = ptv_live_vmas(l);
	struct ptv_error *err;
	rec->region = reg->name;
	for (uint64_t a = reg->addr; a < reg->addr + reg->size;) {
		size_t n = (size_t)((reg->addr + reg->size - a) >> 12);
		if (n > PTV_LIVE_CHUNK)
			n = PTV_LIVE_CHUNK;
		uint64_t end = a + ((uint64_t)n << 12);
		for (size_t i = 0; i < n; i++) {
			memset(&run->pages[i], 0, sizeof(run->pages[i]));
			run->pages[i].state = PTV_STATE_NONE;
		}
		for (size_t v = 0; v < vl->n; v++) {
			uint64_t lo = vl->v[v].start > a ? vl->v[v].start : a;
			uint64_t hi = vl->v[v].end < end ? vl->v[v].end : end;
			if (lo >= hi)
				continue;
			if ((err = ptv_live_read(l, &vl->v[v], lo,
						 (size_t)((hi - lo) >> 12),
						 PTV_LIVE_FRAMES,
						 &run->pages[(lo - a) >> 12])))
				return err;
		}
		for (size_t i = 0; i < n; i++) {
			rec->off = a - reg->addr + ((uint64_t)i << 12);
			if ((err = emit_page(run, rec, &run->pages[i])))
				return err;
		}
		a = end;
	}
	return NULL;
}

static struct ptv_error *emit_state(struct live_run *run, const char *label)
{
	const struct ptv_trace *t = run->t;
	struct ptv_error *err = NULL;
	run->nframes = 0;
	if (run->frames)
		memset(run->frames, 0, run->frames_cap * sizeof(*run->frames));
	for (size_t i = 0; i < t->ntasks && !err; i++) {
		struct agent *a = &run->agents[i];
		if (a->pid <= 0)
			continue;
		struct ptv_live *l;
		if ((err = ptv_live_create(a->pid, &l)))
			break;
		struct ptv_replay_page rec = { .check = label,
					       .task = t->tasks[i].name };
		for (size_t r = 0; r < t->tasks[i].nregions && !err; r++)
			err = emit_region(run, l, &rec,
					  &t->regions[t->tasks[i].regions[r]]);
		struct ptv_live_status st;
		if (!err)
			err = ptv_live_status(l, &st);
		ptv_live_destroy(l);
		if (err)
			break;
		struct ptv_replay_counters c = {
			.check = label,
			.task = t->tasks[i].name,
			.rss_anon_kb = (int64_t)(st.rss_anon_kb - a->base.rss_anon_kb),
			.rss_file_kb = (int64_t)(st.rss_file_kb - a->base.rss_file_kb),
			.rss_shmem_kb = (int64_t)(st.rss_shmem_kb - a->base.rss_shmem_kb),
			.swap_kb = (int64_t)(st.swap_kb - a->base.swap_kb),
			.pgtables_kb = (int64_t)(st.pgtables_kb - a->base.pgtables_kb),
			.minor = a->minor,
			.major = a->major,
		};
		a->minor = a->major = 0;
		err = run->sink->counters(run->sink->arg, &c);
	}
	return err;
}

/* --- khugepaged ------------------------------------------------------------------ */

/* khugepaged's pid (a kernel thread named so), 0 when there is none. */
static pid_t khugepaged_pid(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;
	while (d && !found && (de = readdir(d))) {
		char path[300], comm[32];
		long pid = strtol(de->d_name, NULL, 10);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strcmp(comm, "khugepaged\n"))
			found = (pid_t)pid;
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* Is it asleep in its own wait (not mid-scan: a scan that sleeps waits in
 * some other function)?  Its state, wait channel and context switches. */
static bool khugepaged_state(pid_t pid, bool *idle, unsigned long *nvcsw)
{
	char path[64], line[128], wchan[64] = "";
	char state = '?';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	*nvcsw = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "State:", 6))
			sscanf(line + 6, " %c", &state);
		else if (!strncmp(line, "voluntary_ctxt_switches:", 24))
			sscanf(line + 24, "%lu", nvcsw);
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	if ((f = fopen(path, "re"))) {
		if (!fgets(wchan, sizeof(wchan), f))
			wchan[0] = 0;
		fclose(f);
	}
	/* wchan names the function it sleeps in; "0" or empty: hidden */
	bool in_own = !strcmp(wchan, "khugepaged") || !strcmp(wchan, "0") ||
		      !wchan[0];
	*idle = (state == 'S' || state == 'I') && in_own;
	return true;
}

/* Writing a khugepaged or THP setting wakes khugepaged, which then scans
 * once before it sleeps again (scan_sleep_millisecs_store() resets its
 * timer; enabling THP ends its wait).  That pass must not meet the trace's
 * processes half way: write, then, if it woke within wake_ms, wait (at
 * most two seconds) until it is back in its own wait. */
static int write_quiet(const char *path, const char *value, int wake_ms)
{
	pid_t k = khugepaged_pid();
	bool idle;
	unsigned long before = 0, now;
	bool known = k && khugepaged_state(k, &idle, &before);
	int r = ptv_guard_set(path, value);
	if (r || !known)
		return r;
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	bool woke = false;
	for (int ms = 0; ms < wake_ms && !woke; ms += 2) {
		nanosleep(&ts, NULL);
		woke = khugepaged_state(k, &idle, &now) &&
		       (now > before || !idle);
	}
	for (int i = 0, quiet = 0; woke && i < 1000 && quiet < 5; i++) {
		nanosleep(&ts, NULL);
		if (!khugepaged_state(k, &idle, &now))
			break;
		quiet = idle ? quiet + 1 : 0;
	}
	return 0;
}

/* --- statements ----------------------------------------------------------------- */

static struct ptv_error *run_set(struct live_run *run,
				 const struct ptv_trace_stmt *st)
{
	char path[128];
	int ret = 0;
	for (size_t i = 0; i < st->nset; i++) {
		setting_path(&st->set[i], path, sizeof(path));
		int r = write_quiet(path, st->set[i].value, 20);
		if (r && !ret)
			ret = r;
	}
	struct ptv_replay_event ev = { .line = st->line, .event = "set",
				       .ret = ret };
	return run->sink->event(run->sink->arg, &ev);
}

static struct ptv_error *run_task_stmt(struct live_run *run, size_t index)
{
	const struct ptv_trace *t = run->t;
	const struct ptv_trace_stmt *st = &t->stmts[index];
	struct agent *a = &run->agents[st->task];
	const char *name = t->tasks[st->task].name;
	if (a->pid == 0)
		return ptv_error_create(PTV_ERR_OTHER, "%s: line %u: task '%s' "
					"does not exist: its fork at line %u "
					"failed", t->path, st->line, name,
					a->fork_line);
	struct ptv_agent_cmd cmd = { .stmt = (uint32_t)index };
	if (write(run->pipes[st->task].cmd[1], &cmd, sizeof(cmd)) !=
	    (ssize_t)sizeof(cmd))
		return ptv_error_os(errno, "%s: line %u: task '%s'", t->path,
				    st->line, name);
	struct ptv_replay_event ev = { .line = st->line, .task = name,
				       .event = ptv_trace_op_name(st->op),
				       .has_faults = true };
	struct ptv_error *err;
	if (st->op == PTV_TRACE_EXIT) {
		if ((err = wait_exit(run, st->task, st->line)))
			return err;
		close(run->pipes[st->task].cmd[1]);
		close(run->pipes[st->task].reply[0]);
		run->pipes[st->task].cmd[1] = run->pipes[st->task].reply[0] = -1;
		return run->sink->event(run->sink->arg, &ev);
	}
	struct ptv_agent_reply rep;
	if ((err = read_reply(run, st->task, st->line, &rep)))
		return err;
	ev.ret = rep.ret;
	ev.minor = rep.minor;
	ev.major = rep.major;
	a->minor += rep.minor;
	a->major += rep.major;
	if (st->op == PTV_TRACE_MAP && rep.ret < 0) {
		const struct ptv_trace_region *r = &t->regions[st->region];
		return ptv_error_create(PTV_ERR_OTHER, "%s: line %u: map of "
					"region '%s' at %#" PRIx64 " failed: %s",
					t->path, st->line, r->name, r->addr,
					strerror((int)-rep.ret));
	}
	if (st->op == PTV_TRACE_FORK) {
		struct agent *c = &run->agents[st->child];
		if (rep.ret < 0) {
			c->fork_line = st->line;
		} else {
			c->pid = (pid_t)rep.ret;
			ptv_guard_agent_started(st->child, c->pid);
			ev.ret = 0;
			struct ptv_agent_reply ready;
			if ((err = read_reply(run, st->child, st->line, &ready)))
				return err;
			c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
			if (c->pidfd < 0)
				return ptv_error_os(errno, "pidfd_open %d",
						    (int)c->pid);
			/* The child's own memory is its parent's, pre-faulted
			 * alike: the same figures before the trace. */
			c->base = a->base;
		}
	}
	return run->sink->event(run->sink->arg, &ev);
}

static struct ptv_error *run_trace(struct live_run *run)
{
	const struct ptv_trace *t = run->t;
	struct ptv_error *err = NULL;
	for (size_t i = 0; i < t->nstmts && !err; i++) {
		const struct ptv_trace_stmt *st = &t->stmts[i];
		switch (st->op) {
		case PTV_TRACE_SET:
			err = run_set(run, st);
			break;
		case PTV_TRACE_FILE: {
			struct ptv_replay_event ev = { .line = st->line,
						       .event = "file" };
			err = run->sink->event(run->sink->arg, &ev);
			break;
		}
		case PTV_TRACE_CHECK:
			err = emit_state(run, st->label);
			break;
		default:
			err = run_task_stmt(run, i);
			break;
		}
	}
	return err ? err : emit_state(run, "end");
}

/* Close the command pipes (the agents exit on EOF), kill what is left and
 * wait until every mm is gone. */
static void stop_agents(struct live_run *run)
{
	for (size_t i = 0; i < run->t->ntasks; i++) {
		struct ptv_agent_pipes *pp = &run->pipes[i];
		if (pp->cmd[1] >= 0)
			close(pp->cmd[1]);
		if (pp->reply[0] >= 0)
			close(pp->reply[0]);
		pp->cmd[1] = pp->reply[0] = -1;
	}
	for (size_t i = 0; i < run->t->ntasks; i++) {
		struct agent *a = &run->agents[i];
		if (a->pid <= 0)
			continue;
		syscall(SYS_pidfd_send_signal, a->pidfd, SIGKILL, NULL, 0);
		wait_exit(run, i, 0);
	}
	ptv_guard_reap_agents();
}

struct ptv_error *ptv_replay_live(const struct ptv_trace *t,
				  const struct ptv_replay_sink *sink)
{
	if (geteuid() != 0)
		return ptv_error_create(PTV_ERR_PERM, "replay --live needs root "
					"(it reads PFNs, kpageflags and "
					"kpagecount, and sets THP sysfs files)");
	struct live_run *run = calloc(1, sizeof(*run));
	void *keep = MAP_FAILED;	/* see below: keeps khugepaged asleep */
	if (!run)
		return ptv_enomem;
	run->t = t;
	run->sink = sink;
	for (size_t i = 0; i < PTV_TRACE_MAX_TASKS; i++) {
		run->pipes[i].cmd[0] = run->pipes[i].cmd[1] = -1;
		run->pipes[i].reply[0] = run->pipes[i].reply[1] = -1;
		run->agents[i].pidfd = -1;
	}
	for (size_t i = 0; i < PTV_TRACE_MAX_FILES; i++)
		run->file_fds[i] = -1;
	ptv_guard_reset();
	/* Two runs at once would change each other's sysfs settings and
	 * count each other's reclaim: runs on one machine take turns. */
	int lock = open(LIVE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		struct ptv_error *lerr = ptv_error_os(errno, "%s", LIVE_LOCK);
		if (lock >= 0)
			close(lock);
		free(run);
		return lerr;
	}
	struct ptv_error *err = preflight(t);
	if (err)
		goto out;
	if (!(run->pages = calloc(PTV_LIVE_CHUNK, sizeof(*run->pages)))) {
		err = ptv_enomem;
		goto out;
	}
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus) < 0) {
		err = ptv_error_os(errno, "sched_setaffinity(CPU 0)");
		goto out;
	}
	ptv_guard_catch_signals(true);
	/* Agents whose parent task exits are reparented to us, not to an
	 * init that may never reap them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* khugepaged sleeps on its timer only while some mm is on its list;
	 * with none it waits for the first to register and scans at once,
	 * which would be the trace's first MADV_HUGEPAGE.  Keep this process
	 * on the list for the run (a VM_HUGEPAGE range, not inherited by
	 * the agents). */
	keep = mmap(NULL, 4u << 20, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (keep != MAP_FAILED) {
		char *h = (char *)(((uintptr_t)keep + (2u << 20) - 1) &
				   ~(uintptr_t)((2u << 20) - 1));
		madvise(keep, 4u << 20, MADV_DONTFORK);
		/* an anon_vma first: khugepaged_enter_vma() registers only
		 * a VMA that has one; read-only then, so that khugepaged's
		 * pass leaves it alone (SCAN_PAGE_RO) */
		h[0] = 1;
		mprotect(h, 2u << 20, PROT_READ);
		madvise(h, 2u << 20, MADV_HUGEPAGE);
	}
	if (ptv_guard_saved(SCAN_SLEEP)) {
		int r = write_quiet(SCAN_SLEEP, SCAN_SLEEP_RUN, 200);
		if (r) {
			err = ptv_error_os(-r, "%s", SCAN_SLEEP);
			goto out;
		}
	}
	if ((err = make_files(t, run->file_fds)) || (err = start_t0(run)))
		goto out;
	err = run_trace(run);
out:
	stop_agents(run);
	if (keep != MAP_FAILED)
		munmap(keep, 4u << 20);
	ptv_guard_restore();
	ptv_guard_catch_signals(false);
	for (size_t i = 0; i < PTV_TRACE_MAX_FILES; i++)
		if (run->file_fds[i] >= 0)
			close(run->file_fds[i]);
	free(run->pages);
	free(run->frames);
	free(run);
	close(lock);
	return err;
}
