/* libFuzzer target: the model of the kernel (core/model*.c) on any trace
 * the parser accepts.  Whatever the statements, the model must end with
 * records or an error, never a crash, a leak or a sanitizer report.
 * Traces that would touch more than 64 MiB or make files larger than
 * 64 MiB are skipped (slow, not interesting). */
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/replay.h"
#include "core/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ptv_error *ev(void *arg, const struct ptv_replay_event *e)
{
	(void)arg;
	for (size_t i = 0; i < e->noutcomes; i++)
		if (!e->outcomes[i].fn || !e->outcomes[i].what)
			__builtin_trap();
	return NULL;
}

static struct ptv_error *pg(void *arg, const struct ptv_replay_page *p)
{
	(void)arg;
	if (p->state == PTV_REPLAY_PRESENT && !p->frame[0])
		__builtin_trap();
	return NULL;
}

static struct ptv_error *ct(void *arg, const struct ptv_replay_counters *c)
{
	(void)arg;
	if (c->rss_anon_kb < 0 || c->rss_shmem_kb < 0 || c->swap_kb < 0 ||
	    c->pgtables_kb < 0)
		__builtin_trap();
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptv_trace *t;
	struct ptv_error *err = ptv_trace_parse((const char *)data, size,
						"fuzz", &t);
	if (err) {
		ptv_error_destroy(err);
		return 0;
	}
	uint64_t work = 0, files = 0, pages = 0;
	for (size_t i = 0; i < t->nstmts; i++) {
		const struct ptv_trace_stmt *st = &t->stmts[i];
		if (st->op == PTV_TRACE_TOUCH || st->op == PTV_TRACE_MADVISE ||
		    st->op == PTV_TRACE_MLOCK || st->op == PTV_TRACE_PIN ||
		    st->op == PTV_TRACE_MPROTECT || st->op == PTV_TRACE_MUNMAP)
			work += st->len;
	}
	for (size_t i = 0; i < t->nfiles; i++)
		files += t->files[i].size;
	for (size_t i = 0; i < t->nregions; i++)
		pages += t->regions[i].size;
	if (work > (UINT64_C(64) << 20) || files > (UINT64_C(64) << 20) ||
	    pages > (UINT64_C(256) << 20)) {
		ptv_trace_destroy(t);
		return 0;
	}
	struct ptv_replay_sink sink = { NULL, ev, pg, ct };
	struct ptv_replay_model_opts o = {
		.kernel = size & 1 ? "6.1" : "6.18",
		.zero_page_maps = size & 2 ? 0 : 1,
		.swap_known = true, .swap_pages = size & 4 ? 0 : 65536,
	};
	err = ptv_replay_model(t, &o, &sink);
	if (err)
		ptv_error_destroy(err);
	ptv_trace_destroy(t);
	return 0;
}
