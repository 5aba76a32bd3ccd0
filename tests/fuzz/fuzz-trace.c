/* libFuzzer target: the trace language parser (core/trace.c). */
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptv_trace *t;
	struct ptv_error *err = ptv_trace_parse((const char *)data, size,
						"fuzz", &t);
	if (err) {
		ptv_error_destroy(err);
		return 0;
	}
	/* Everything resolved must point inside the tables. */
	for (size_t i = 0; i < t->nstmts; i++) {
		const struct ptv_trace_stmt *st = &t->stmts[i];
		if (st->task != SIZE_MAX && st->task >= t->ntasks)
			__builtin_trap();
		if (st->region != SIZE_MAX && st->region >= t->nregions)
			__builtin_trap();
	}
	ptv_trace_destroy(t);
	return 0;
}
