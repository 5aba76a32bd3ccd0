/* libFuzzer target: the .ptsnap reader (core/snapshot.c).
 *
 * Each input is parsed twice: as it is, which exercises the header and
 * checksum checks, and with its checksums recomputed, so that mutations
 * reach the checks of every count and run behind them.  Whatever parses
 * must encode again and parse back to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/replay.h"
#include "core/snapshot.h"
#include "core/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ptv_error *no_event(void *a, const struct ptv_replay_event *e)
{
	(void)a;
	(void)e;
	return NULL;
}
static struct ptv_error *no_page(void *a, const struct ptv_replay_page *p)
{
	(void)a;
	(void)p;
	return NULL;
}
static struct ptv_error *no_counters(void *a,
				     const struct ptv_replay_counters *c)
{
	(void)a;
	(void)c;
	return NULL;
}

/* The model's import of whatever parses (replay --from) must not crash
 * either: a trace that forks and writes a little, run on it. */
static void model_one(const struct ptv_snapshot *s)
{
	static const char text[] = "ptview-trace 1\nt0 fork t1\nt1 exit\n";
	uint64_t span = 0;
	for (size_t i = 0; i < s->nvmas; i++)
		span += s->vmas[i].end - s->vmas[i].start;
	if (span > (UINT64_C(64) << 20))
		return;		/* check records for every page: slow */
	struct ptv_trace *t;
	if (ptv_trace_parse(text, sizeof(text) - 1, "fuzz", &t))
		__builtin_trap();
	struct ptv_replay_sink sink = { NULL, no_event, no_page, no_counters };
	struct ptv_replay_model_opts o = { .kernel = "6.18", .zero_page_maps = 1,
					   .swap_known = true,
					   .swap_pages = 1024, .from = s };
	struct ptv_error *err = ptv_replay_model(t, &o, &sink);
	if (err)
		ptv_error_destroy(err);
	ptv_trace_destroy(t);
}

static void parse_one(const uint8_t *data, size_t size)
{
	struct ptv_snapshot *s;
	struct ptv_error *err = ptv_snapshot_parse(data, size, "fuzz", &s);
	if (err) {
		/* every error names the file and the offset */
		if (err != ptv_enomem && strncmp(err->message, "fuzz: offset ", 13))
			__builtin_trap();
		ptv_error_destroy(err);
		return;
	}
	void *buf, *buf2;
	size_t len, len2;
	if (ptv_snapshot_encode(s, &buf, &len))
		__builtin_trap();	/* the reader let through what the writer refuses */
	struct ptv_snapshot *t;
	if (ptv_snapshot_parse(buf, len, "again", &t))
		__builtin_trap();
	if (ptv_snapshot_encode(t, &buf2, &len2) || len2 != len ||
	    memcmp(buf, buf2, len))
		__builtin_trap();
	free(buf2);
	free(buf);
	model_one(s);
	ptv_snapshot_destroy(t);
	ptv_snapshot_destroy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_one(data, size);
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	ptv_snapshot_fix_crcs(copy, size);
	parse_one(copy, size);
	free(copy);
	return 0;
}
