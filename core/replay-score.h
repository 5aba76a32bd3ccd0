/* replay-score.h: score predicted check records against observed ones
 * (../shared/spec/trace.md, "Scoring").
 *
 * Only check records count.  A page record is keyed by (check, task,
 * region, off), a counters record by (check, task); every other key of an
 * observed record is one field, the nested counters and faults objects one
 * field per key.  A field matches when the predicted record has the same
 * key with an equal JSON value.  Observed records the prediction lacks
 * count all their fields as mismatches; extra predicted records cost
 * nothing but are reported.
 */
#ifndef PTV_REPLAY_SCORE_H
#define PTV_REPLAY_SCORE_H

#include <stdint.h>
#include <stdio.h>

struct ptv_error;

enum ptv_score_kind {
	PTV_SCORE_MISMATCH,	/* one field differs or is missing */
	PTV_SCORE_MISSING,	/* an observed record the prediction lacks */
	PTV_SCORE_EXTRA,	/* a predicted record nobody observed */
};

/* One difference, valid only during the callback. */
struct ptv_score_diff {
	enum ptv_score_kind kind;
	const char *key;	/* "check=c task=t0 region=a off=4096" */
	const char *field;	/* MISMATCH: "frame", "counters.swap_kb" */
	const char *observed;	/* MISMATCH: compact JSON */
	const char *predicted;	/* MISMATCH: compact JSON, NULL if absent */
	uint64_t fields;	/* MISSING: the fields it costs */
};

struct ptv_score {
	uint64_t matched, total;
	uint64_t missing, extra;	/* records */
};

/* Score the JSON-lines file predicted against observed.  Lines that are not
 * check records (events) are skipped; a line that is not a JSON object, a
 * check record without its key fields, or a key seen twice in one file is
 * an error naming the file and line.  diff (may be NULL) is called for
 * every difference, in observed order, then for the extra records. */
struct ptv_error *ptv_replay_score(const char *observed, const char *predicted,
				   void (*diff)(void *arg,
						const struct ptv_score_diff *d),
				   void *arg, struct ptv_score *ret);

/* The same on open streams (read to their end, not closed); the names are
 * what errors call them. */
struct ptv_error *ptv_replay_score_files(FILE *observed, const char *oname,
					 FILE *predicted, const char *pname,
					 void (*diff)(void *arg,
						const struct ptv_score_diff *d),
					 void *arg, struct ptv_score *ret);

#endif /* PTV_REPLAY_SCORE_H */
