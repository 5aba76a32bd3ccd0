/* replay.h: the records `ptview replay` writes, and the live executor.
 *
 * The records are ../shared/spec/trace.md's: one per statement (an event),
 * and at every `check` and at the end, one per page of every region of
 * every live task followed by one counters record per task.  Executors
 * (the live one here, the model later) hand them to a sink; cli/ prints.
 */
#ifndef PTV_REPLAY_H
#define PTV_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

struct ptv_error;
struct ptv_snapshot;
struct ptv_trace;

/* One decision of the kernel for one page or range: the function whose
 * logic decided it, and what it did (the model's events only). */
struct ptv_replay_outcome {
	const char *fn;
	const char *what;
	uint64_t addr, len;
};

struct ptv_replay_event {
	unsigned line;
	const char *task;	/* NULL for set and file */
	const char *event;	/* the statement's keyword */
	int64_t ret;		/* 0 or -errno */
	bool has_faults;	/* faults taken inside the statement */
	uint64_t minor, major;
	const struct ptv_replay_outcome *outcomes;	/* the model's */
	size_t noutcomes;
};

enum ptv_replay_state {
	PTV_REPLAY_NONE,
	PTV_REPLAY_PRESENT,
	PTV_REPLAY_SWAP,
};

struct ptv_replay_page {
	const char *check, *task, *region;
	uint64_t off;
	enum ptv_replay_state state;
	/* present pages only: */
	char frame[16];		/* "F1", "zero", "hzero" */
	bool anon, exclusive, thp, pmd;
	uint64_t mapcount;
};

struct ptv_replay_counters {
	const char *check, *task;
	/* /proc/PID/status minus the task's figures before the trace */
	int64_t rss_anon_kb, rss_file_kb, rss_shmem_kb, swap_kb, pgtables_kb;
	uint64_t minor, major;	/* since the task's previous record */
};

/* Where records go; each callback may fail, which stops the replay. */
struct ptv_replay_sink {
	void *arg;
	struct ptv_error *(*event)(void *arg, const struct ptv_replay_event *e);
	struct ptv_error *(*page)(void *arg, const struct ptv_replay_page *p);
	struct ptv_error *(*counters)(void *arg,
				      const struct ptv_replay_counters *c);
};

/* Run trace t on the running kernel (`ptview replay --live`): one agent
 * process per task, every statement as the real system call, records read
 * from /proc.  Needs root: PTV_ERR_PERM before anything runs otherwise.
 * Every sysfs value it changes is restored before it returns, and on
 * SIGINT, SIGTERM and SIGHUP (then the signal is re-raised). */
struct ptv_error *ptv_replay_live(const struct ptv_trace *t,
				  const struct ptv_replay_sink *sink);

/* How the model is set up (`ptview replay` without --live). */
struct ptv_replay_model_opts {
	/* "6.1", "6.18.44", ...: the kernel whose rules to follow, with
	 * upstream behaviour (the zero page on); NULL: the running kernel,
	 * probed. */
	const char *kernel;
	/* -1: as above; 0 or 1: whether anon read faults map the zero page
	 * (a snapshot records it; unit tests set it) */
	int zero_page_maps;
	/* false: the running system's free swap; true: swap_pages pages */
	bool swap_known;
	uint64_t swap_pages;
	/* --from: t0 starts as this snapshot's process (its kernel and
	 * settings too, unless kernel is given); NULL: t0 starts empty */
	const struct ptv_snapshot *from;
};

/* Predict trace t's records with the model of the kernel (core/model*.c).
 * Settings the trace does not `set` are the running system's. */
struct ptv_error *ptv_replay_model(const struct ptv_trace *t,
				   const struct ptv_replay_model_opts *o,
				   const struct ptv_replay_sink *sink);

#endif /* PTV_REPLAY_H */
