/* replay-guard.c: what `ptview replay --live` changes outside itself, and
 * how it is put back on every way out.
 *
 * Saved sysfs values and agent pids live in static storage so that the
 * SIGINT, SIGTERM and SIGHUP handler can restore the values and kill the
 * agents with async-signal-safe calls only (open, write, close, kill,
 * waitpid).  One run at a time per process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"
#include "core/replay-guard.h"
#include "core/trace.h"

struct saved_setting {
	char path[128];
	char value[64];		/* as read, the selected word of a [choice] */
	bool changed;
};

static struct saved_setting saved[2 * PTV_TRACE_MAX_SET + 16];
static size_t nsaved;
static pid_t agent_pids[PTV_TRACE_MAX_TASKS];	/* alive */
/* Every agent ever started, for ptv_guard_reap_agents(). */
static pid_t started_pids[PTV_TRACE_MAX_TASKS];

/* Async-signal-safe: open, write, close. */
int ptv_guard_write_raw(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(value);
	ssize_t r = write(fd, value, len);
	int e = r < 0 ? errno : 0;
	close(fd);
	return r < 0 ? -e : 0;
}

void ptv_guard_restore(void)
{
	for (size_t i = nsaved; i-- > 0;) {
		if (saved[i].changed && ptv_guard_write_raw(saved[i].path,
						      saved[i].value) == 0)
			saved[i].changed = false;
	}
}

void ptv_guard_kill_agents(void)
{
	for (size_t i = 0; i < PTV_TRACE_MAX_TASKS; i++)
		if (agent_pids[i] > 0)
			kill(agent_pids[i], SIGKILL);
}

/* Reap every agent ever started, all killed or exited by now.  t0 is our
 * child; an agent whose parent agent has died is our orphan (we are the
 * subreaper), and going in creation order reaps a parent before its
 * children, so each child is ours, or auto-reaped, by the time we ask.
 * Only agents: the process may have children that are not ours to wait
 * for (a shell's `exec` leaves them). */

void ptv_guard_reap_agents(void)
{
	for (size_t i = 0; i < PTV_TRACE_MAX_TASKS; i++) {
		if (started_pids[i] <= 0)
			continue;
		while (waitpid(started_pids[i], NULL, 0) < 0 && errno == EINTR)
			;
		started_pids[i] = 0;
	}
}

static void on_signal(int sig)
{
	ptv_guard_kill_agents();
	ptv_guard_restore();
	ptv_guard_reap_agents();
	raise(sig);	/* SA_RESETHAND: the default action now */
}

static const int caught_signals[] = { SIGINT, SIGTERM, SIGHUP };

void ptv_guard_catch_signals(bool on)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_signal : SIG_DFL;
	sa.sa_flags = on ? SA_RESETHAND | SA_NODEFER : 0;
	for (size_t i = 0; i < 3; i++)
		sigaction(caught_signals[i], &sa, NULL);
}

/* Read a sysfs value: the bracketed word of "a [b] c", else the text. */
static struct ptv_error *read_setting(const char *path, char *buf,
				      size_t size)
{
	char text[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ptv_error_os(errno, "%s", path);
	ssize_t r = read(fd, text, sizeof(text) - 1);
	int e = errno;
	close(fd);
	if (r < 0)
		return ptv_error_os(e, "%s", path);
	text[r] = '\0';
	const char *lb = strchr(text, '['), *rb = lb ? strchr(lb, ']') : NULL;
	const char *s = text;
	size_t len = strcspn(text, "\n");
	if (lb && rb) {
		s = lb + 1;
		len = (size_t)(rb - s);
	}
	if (len == 0 || len >= size)
		return ptv_error_create(PTV_ERR_FORMAT, "%s: unexpected value "
					"'%.40s'", path, text);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return NULL;
}

static struct saved_setting *find_saved(const char *path)
{
	for (size_t i = 0; i < nsaved; i++)
		if (strcmp(saved[i].path, path) == 0)
			return &saved[i];
	return NULL;
}

/* Remember path's value, once; it must be writable. */
struct ptv_error *ptv_guard_save(const char *path)
{
	if (find_saved(path))
		return NULL;
	if (nsaved == sizeof(saved) / sizeof(*saved))
		return ptv_error_create(PTV_ERR_UNSUPPORTED, "too many "
					"settings to save");
	struct saved_setting *s = &saved[nsaved];
	snprintf(s->path, sizeof(s->path), "%s", path);
	struct ptv_error *err = read_setting(path, s->value, sizeof(s->value));
	int fd = err ? -1 : open(path, O_WRONLY | O_CLOEXEC);
	if (!err && fd < 0)
		err = ptv_error_os(errno, "%s", path);
	if (fd >= 0)
		close(fd);
	if (err)
		return err;
	s->changed = false;
	nsaved++;
	return NULL;
}


bool ptv_guard_saved(const char *path)
{
	return find_saved(path) != NULL;
}

int ptv_guard_set(const char *path, const char *value)
{
	struct saved_setting *s = find_saved(path);
	if (s)
		s->changed = true;
	return ptv_guard_write_raw(path, value);
}

void ptv_guard_reset(void)
{
	nsaved = 0;
	memset(agent_pids, 0, sizeof(agent_pids));
	memset(started_pids, 0, sizeof(started_pids));
}

void ptv_guard_agent_started(size_t task, pid_t pid)
{
	agent_pids[task] = started_pids[task] = pid;
}

void ptv_guard_agent_gone(size_t task)
{
	agent_pids[task] = 0;
}
