/* replay-agent.h: the process that plays one task of a trace for
 * `ptview replay --live` (core/replay-live.c drives it over pipes).
 *
 * Private to core/replay-live.c and core/replay-agent.c.
 */
#ifndef PTV_REPLAY_AGENT_H
#define PTV_REPLAY_AGENT_H

#include <stddef.h>
#include <stdint.h>

struct ptv_trace;

/* Controller -> agent: run statement stmt of the trace. */
struct ptv_agent_cmd {
	uint32_t stmt;
};

/* Agent -> controller, after each statement, after a forked child agent is
 * ready (ret 0, pid its pid), and from the fatal-signal handler (signo). */
struct ptv_agent_reply {
	int64_t ret;		/* 0 or -errno; fork: the child's pid */
	uint64_t minor, major;	/* faults inside the statement */
	int32_t signo;		/* a fatal signal the agent took, else 0 */
	int32_t pad;
	uint64_t fault_addr;	/* with signo: si_addr */
};

/* One pipe pair per task, made by the controller before the first agent. */
struct ptv_agent_pipes {
	int cmd[2];		/* controller writes cmd[1], agent reads cmd[0] */
	int reply[2];		/* agent writes reply[1], controller reads [0] */
};

/* The body of task `task`'s agent, in a process just forked from the
 * controller: pre-fault its own memory, say it is ready, then run
 * statements as told until the command pipe closes.  file_fds[i] is the
 * open trace file i.  Never returns. */
_Noreturn void ptv_agent_main(const struct ptv_trace *t, size_t task,
			      struct ptv_agent_pipes *pipes,
			      const int *file_fds);

#endif /* PTV_REPLAY_AGENT_H */
