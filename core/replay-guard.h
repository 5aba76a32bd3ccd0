/* replay-guard.h: the system state `ptview replay --live` changes (sysfs
 * settings, agent processes) and its restoration on every way out,
 * signals included.  One run at a time per process. */
#ifndef PTV_REPLAY_GUARD_H
#define PTV_REPLAY_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ptv_error;

/* Forget everything saved and every agent: the start of a run. */
void ptv_guard_reset(void);

/* Remember path's value (the selected word of "a [b] c", else the text),
 * once; an error when it cannot be read or opened for writing. */
struct ptv_error *ptv_guard_save(const char *path);
bool ptv_guard_saved(const char *path);
/* Write value to path (marking it changed when saved); 0 or -errno.
 * ptv_guard_write_raw() only writes (async-signal-safe). */
int ptv_guard_set(const char *path, const char *value);
int ptv_guard_write_raw(const char *path, const char *value);
/* Put back every changed value (async-signal-safe). */
void ptv_guard_restore(void);

/* Track agents for the signal handler: started, and gone (exited). */
void ptv_guard_agent_started(size_t task, pid_t pid);
void ptv_guard_agent_gone(size_t task);
/* SIGKILL every live agent; then wait for every agent ever started. */
void ptv_guard_kill_agents(void);
void ptv_guard_reap_agents(void);

/* on: SIGINT, SIGTERM and SIGHUP kill the agents, restore, reap, and
 * re-raise; off: their default actions again. */
void ptv_guard_catch_signals(bool on);

#endif /* PTV_REPLAY_GUARD_H */
