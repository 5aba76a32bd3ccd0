/* replay-agent.c: one task of a trace, played for real.
 *
 * The spec counts only the faults a task takes inside the trace's
 * statements: not those a real process takes for its own sake (its stack
 * after fork, its code).  So an agent
 *  - pre-faults all of its own memory before it says it is ready, and
 *    again after every fork, when fork has made its private pages
 *    copy-on-write (agent_warm(): MADV_POPULATE_WRITE / _READ over every
 *    VMA that is not a trace region);
 *  - reads its fault counters with getrusage() right before and right
 *    after the system call or the touch loop, and runs nothing in between
 *    that writes to memory it has not written since (no allocation, no
 *    stdio, raw system calls, no sanitizer instrumentation);
 *  - forks with a raw clone followed at once by getrusage, in one asm
 *    block on x86_64, because the first instruction after fork that pushes
 *    to the stack already takes a copy-on-write fault.
 * The raw clone skips glibc's fork bookkeeping: the child's cached TID is
 * its parent's, so an agent never calls raise() or abort().
 *
 * glibc (2.35+) registers an rseq area in the thread's TLS, and the kernel
 * writes it on the way back to user space after a preemption or a
 * migration (rseq_handle_notify_resume()).  After fork that page is
 * copy-on-write, so the write is a fault the parent takes inside fork,
 * when fork happened to be preempted: seen here as one extra minor fault
 * in 1 of 30 forks, in most under ASan.  Agents unregister rseq.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#endif
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/replay-agent.h"
#include "core/trace.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Agent VMAs larger than this are not pre-faulted: they are the
 * sanitizers' reserved shadow and allocator space, never touched whole. */
#define WARM_MAX (UINT64_C(64) << 20)
/* io_uring takes at most 1 GiB per registered buffer (io_buffer_validate()). */
#define PIN_IOV_MAX (UINT64_C(1) << 30)

#define NO_INSTRUMENT __attribute__((no_sanitize("address", "undefined")))

struct agent_pin {
	uint64_t addr, len;
	int ring;
};

/* Everything the agent writes lives here, so that pre-faulting .bss
 * covers it. */
static struct {
	const struct ptv_trace *t;
	size_t task;
	struct ptv_agent_pipes *pipes;
	const int *file_fds;
	int cmd_fd, reply_fd;
	struct agent_pin pins[PTV_TRACE_MAX_PINS];
	size_t npins;
	struct rusage ru0, ru1;
	struct ptv_agent_reply reply;
	struct iovec iov[64];
	char maps[256 * 1024];
} ag;

static const int advice_values[] = {
	[PTV_ADV_DONTNEED] = MADV_DONTNEED, [PTV_ADV_FREE] = MADV_FREE,
	[PTV_ADV_PAGEOUT] = MADV_PAGEOUT, [PTV_ADV_COLD] = MADV_COLD,
	[PTV_ADV_WILLNEED] = MADV_WILLNEED, [PTV_ADV_HUGEPAGE] = MADV_HUGEPAGE,
	[PTV_ADV_NOHUGEPAGE] = MADV_NOHUGEPAGE,
	[PTV_ADV_COLLAPSE] = MADV_COLLAPSE,
	[PTV_ADV_POPULATE_READ] = MADV_POPULATE_READ,
	[PTV_ADV_POPULATE_WRITE] = MADV_POPULATE_WRITE,
};

static bool write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		len -= (size_t)r;
	}
	return true;
}

static bool read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		len -= (size_t)r;
	}
	return true;
}

static bool overlaps_region(uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < ag.t->nregions; i++) {
		const struct ptv_trace_region *r = &ag.t->regions[i];
		if (lo < r->addr + r->size && r->addr < hi)
			return true;
	}
	return false;
}

static uint64_t hex(const char **s)
{
	uint64_t v = 0;
	for (;; (*s)++) {
		char c = **s;
		if (c >= '0' && c <= '9')
			v = v * 16 + (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint64_t)(c - 'a' + 10);
		else
			return v;
	}
}

/* Pre-fault every VMA of this process that is not a trace region, breaking
 * copy-on-write in the private writable ones, so that nothing the agent
 * does for itself faults later. */
static void agent_warm(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, ag.maps + len, sizeof(ag.maps) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	ag.maps[len] = '\0';
	for (const char *p = ag.maps; *p;) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			break;
		uint64_t lo = hex(&p);
		p++;
		uint64_t hi = hex(&p);
		p++;
		bool readable = p[0] == 'r';
		bool cow = p[1] == 'w' && p[3] == 'p';
		bool special = memmem(p, (size_t)(eol - p), "[vvar", 5) ||
			       memmem(p, (size_t)(eol - p), "[vsyscall]", 10);
		p = eol + 1;
		if (!readable || special || hi <= lo || hi - lo > WARM_MAX ||
		    hi > PTV_TRACE_ADDR_LIMIT || overlaps_region(lo, hi))
			continue;
		syscall(SYS_madvise, lo, hi - lo,
			cow ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	}
}

NO_INSTRUMENT static void fault_begin(void)
{
	syscall(SYS_getrusage, RUSAGE_SELF, &ag.ru0);
}

NO_INSTRUMENT static void fault_end(void)
{
	syscall(SYS_getrusage, RUSAGE_SELF, &ag.ru1);
}

static void fault_delta(void)
{
	ag.reply.minor = (uint64_t)(ag.ru1.ru_minflt - ag.ru0.ru_minflt);
	ag.reply.major = (uint64_t)(ag.ru1.ru_majflt - ag.ru0.ru_majflt);
}

/* One byte at the start of each page, in ascending order. */
NO_INSTRUMENT __attribute__((noinline))
static void touch_range(uint64_t addr, uint64_t len, bool write)
{
	for (uint64_t a = addr; a < addr + len; a += 4096) {
		if (write)
			*(volatile char *)(uintptr_t)a = 1;
		else
			(void)*(volatile char *)(uintptr_t)a;
	}
}

/* clone(SIGCHLD) and, in the parent, getrusage(RUSAGE_SELF, ru) before
 * the parent writes to any page: see the comment at the top. */
NO_INSTRUMENT __attribute__((noinline))
static long fork_measured(struct rusage *ru)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	long rdi = SIGCHLD, rsi = 0, rdx = 0;
	__asm__ volatile(
		"mov %[nr_clone], %%eax\n\t"
		"syscall\n\t"
		"mov %%rax, %%r12\n\t"
		"test %%rax, %%rax\n\t"
		"jle 1f\n\t"
		"mov %[nr_rusage], %%eax\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[ru], %%rsi\n\t"
		"syscall\n\t"
		"1:\n\t"
		"mov %%r12, %[ret]\n\t"
		: [ret] "=r"(ret), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10),
		  "+r"(r8)
		: [nr_clone] "i"(SYS_clone), [nr_rusage] "i"(SYS_getrusage),
		  [ru] "r"(ru)
		: "rax", "rcx", "r11", "r12", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
	/* Elsewhere a fault or two of the parent's own may be counted. */
	long ret = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (ret > 0)
		syscall(SYS_getrusage, RUSAGE_SELF, ru);
	return ret;
#endif
}

/* Unregister glibc's rseq area (see the top of the file).  The kernel
 * wants the length it was registered with: 32 (sizeof(struct rseq)) up to
 * glibc 2.39, __rseq_size from 2.40. */
static void agent_drop_rseq(void)
{
#if defined(RSEQ_SIG) && defined(SYS_rseq) && \
	(defined(__x86_64__) || defined(__aarch64__))
	if (__rseq_size == 0)
		return;
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) < 0)
		syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER,
			RSEQ_SIG);
#endif
}

static bool descends(size_t j, size_t i)
{
	for (; j != SIZE_MAX; j = ag.t->tasks[j].parent)
		if (j == i)
			return true;
	return false;
}

/* Keep the agent ends of the pipes of this task and of the tasks it will
 * fork (their agents inherit them); close every other end, so that a
 * pipe's reader sees EOF when the one process that should write it dies. */
static void agent_close_pipes(void)
{
	for (size_t i = 0; i < ag.t->ntasks; i++) {
		struct ptv_agent_pipes *pp = &ag.pipes[i];
		if (pp->cmd[1] >= 0)
			close(pp->cmd[1]);
		if (pp->reply[0] >= 0)
			close(pp->reply[0]);
		if (!descends(i, ag.task)) {
			if (pp->cmd[0] >= 0)
				close(pp->cmd[0]);
			if (pp->reply[1] >= 0)
				close(pp->reply[1]);
			pp->cmd[0] = pp->reply[1] = -1;
		}
		pp->cmd[1] = pp->reply[0] = -1;
	}
	ag.cmd_fd = ag.pipes[ag.task].cmd[0];
	ag.reply_fd = ag.pipes[ag.task].reply[1];
}

/* Become task `task`: in the first agent, and in a child after fork. */
static void agent_become(size_t task)
{
	ag.task = task;
	agent_close_pipes();
	for (size_t i = 0; i < ag.npins; i++)
		close(ag.pins[i].ring);	/* the parent's pins stay its own */
	ag.npins = 0;
	agent_warm();
	memset(&ag.reply, 0, sizeof(ag.reply));
	if (!write_full(ag.reply_fd, &ag.reply, sizeof(ag.reply)))
		_exit(1);
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	memset(&ag.reply, 0, sizeof(ag.reply));
	ag.reply.signo = sig;
	ag.reply.fault_addr = (uint64_t)(uintptr_t)si->si_addr;
	write_full(ag.reply_fd, &ag.reply, sizeof(ag.reply));
	_exit(128 + sig);
}

static int to_prot(unsigned p)
{
	return (p & PTV_PROT_R ? PROT_READ : 0) |
	       (p & PTV_PROT_W ? PROT_WRITE : 0) |
	       (p & PTV_PROT_X ? PROT_EXEC : 0);
}

static int64_t neg_errno(long r)
{
	return r < 0 ? -(int64_t)errno : 0;
}

static int64_t agent_map(const struct ptv_trace_stmt *st)
{
	const struct ptv_trace_region *r = &ag.t->regions[st->region];
	int flags = (r->shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED_NOREPLACE;
	int fd = -1;
	uint64_t off = 0;
	switch (r->backing) {
	case PTV_TRACE_ANON:
		flags |= MAP_ANONYMOUS;
		break;
	case PTV_TRACE_SHMEM:
		fd = (int)syscall(SYS_memfd_create, r->name, MFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (ftruncate(fd, (off_t)r->size) < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		break;
	case PTV_TRACE_FILE_BACKED:
		fd = ag.file_fds[r->file];
		off = r->file_off;
		break;
	}
	fault_begin();
	long p = syscall(SYS_mmap, r->addr, r->size, to_prot(r->prot), flags,
			 fd, off);
	fault_end();
	int64_t ret = p == -1 ? -errno : 0;
	if (r->backing == PTV_TRACE_SHMEM)
		close(fd);
	if (!ret && (uint64_t)p != r->addr) {
		/* A kernel before 4.17 takes MAP_FIXED_NOREPLACE as a hint. */
		syscall(SYS_munmap, p, r->size);
		ret = -EEXIST;
	}
	return ret;
}

static int64_t agent_pin(const struct ptv_trace_stmt *st)
{
	if (ag.npins == PTV_TRACE_MAX_PINS)
		return -ENOSPC;
	struct io_uring_params prm;
	memset(&prm, 0, sizeof(prm));
	size_t n = 0;
	for (uint64_t a = st->addr; a < st->addr + st->len; a += PIN_IOV_MAX) {
		uint64_t l = st->addr + st->len - a;
		ag.iov[n].iov_base = (void *)(uintptr_t)a;
		ag.iov[n++].iov_len = l < PIN_IOV_MAX ? l : PIN_IOV_MAX;
	}
	fault_begin();
	long ring = syscall(SYS_io_uring_setup, 1, &prm);
	long r = ring < 0 ? -1 :
		syscall(SYS_io_uring_register, ring, IORING_REGISTER_BUFFERS,
			ag.iov, n);
	fault_end();
	int64_t ret = neg_errno(ring < 0 ? ring : r);
	if (ring >= 0 && ret)
		close((int)ring);
	if (!ret)
		ag.pins[ag.npins++] = (struct agent_pin){ st->addr, st->len,
							  (int)ring };
	return ret;
}

static int64_t agent_unpin(const struct ptv_trace_stmt *st)
{
	for (size_t i = ag.npins; i-- > 0;) {
		struct agent_pin *pn = &ag.pins[i];
		if (pn->addr != st->addr || pn->len != st->len)
			continue;
		fault_begin();
		long r = syscall(SYS_io_uring_register, pn->ring,
				 IORING_UNREGISTER_BUFFERS, NULL, 0);
		fault_end();
		close(pn->ring);
		*pn = ag.pins[--ag.npins];
		return neg_errno(r);
	}
	return -ENOENT;	/* its pin failed */
}

/* fork: the parent answers with the child's pid; the child becomes its
 * task and answers on its own pipe when it is ready. */
static int64_t agent_fork(const struct ptv_trace_stmt *st)
{
	fault_begin();
	long pid = fork_measured(&ag.ru1);
	if (pid == 0) {
		agent_become(st->child);
		return INT64_MIN;	/* no reply for the parent's statement */
	}
	if (pid < 0) {
		int e = errno;
		fault_end();
		return -e;
	}
	for (size_t i = 0; i < ag.t->ntasks; i++) {
		if (i != ag.task && descends(i, st->child)) {
			close(ag.pipes[i].cmd[0]);
			close(ag.pipes[i].reply[1]);
			ag.pipes[i].cmd[0] = ag.pipes[i].reply[1] = -1;
		}
	}
	return pid;
}

static int64_t agent_syscall(const struct ptv_trace_stmt *st)
{
	long nr, a3 = 0;
	switch (st->op) {
	case PTV_TRACE_MADVISE:
		nr = SYS_madvise;
		a3 = advice_values[st->advice];
		break;
	case PTV_TRACE_MPROTECT:
		nr = SYS_mprotect;
		a3 = to_prot(st->prot);
		break;
	case PTV_TRACE_MUNMAP: nr = SYS_munmap; break;
	case PTV_TRACE_MLOCK: nr = SYS_mlock; break;
	default: nr = SYS_munlock; break;
	}
	fault_begin();
	long r = syscall(nr, st->addr, st->len, a3);
	fault_end();
	return neg_errno(r);
}

static void agent_run(const struct ptv_trace_stmt *st)
{
	int64_t ret;
	memset(&ag.reply, 0, sizeof(ag.reply));
	switch (st->op) {
	case PTV_TRACE_MAP:
		ret = agent_map(st);
		break;
	case PTV_TRACE_TOUCH:
		fault_begin();
		touch_range(st->addr, st->len, st->write);
		fault_end();
		ret = 0;
		break;
	case PTV_TRACE_PIN:
		ret = agent_pin(st);
		break;
	case PTV_TRACE_UNPIN:
		ret = agent_unpin(st);
		break;
	case PTV_TRACE_FORK:
		ret = agent_fork(st);
		if (ret == INT64_MIN)
			return;	/* the child, now ready for its own commands */
		fault_delta();
		if (ret > 0)
			agent_warm();	/* fork made our pages copy-on-write */
		ag.reply.ret = ret;
		write_full(ag.reply_fd, &ag.reply, sizeof(ag.reply));
		return;
	case PTV_TRACE_EXIT:
		syscall(SYS_exit_group, 0);
		_exit(0);
	default:
		ret = agent_syscall(st);
		break;
	}
	fault_delta();
	ag.reply.ret = ret;
	if (!write_full(ag.reply_fd, &ag.reply, sizeof(ag.reply)))
		_exit(1);
}

_Noreturn void ptv_agent_main(const struct ptv_trace *t, size_t task,
			      struct ptv_agent_pipes *pipes,
			      const int *file_fds)
{
	ag.t = t;
	ag.pipes = pipes;
	ag.file_fds = file_fds;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGCHLD, &sa, NULL);	/* forked agents reap themselves */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	agent_drop_rseq();	/* inherited by every agent it forks */
	agent_become(task);
	for (;;) {
		struct ptv_agent_cmd c;
		if (!read_full(ag.cmd_fd, &c, sizeof(c)))
			_exit(0);	/* the controller is gone */
		if (c.stmt >= ag.t->nstmts)
			_exit(1);
		agent_run(&ag.t->stmts[c.stmt]);
	}
}
