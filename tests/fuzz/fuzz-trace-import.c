/* libFuzzer target: perf script import (core/trace-import.c,
 * core/perf-script.c).  Whatever the input, the import either fails with an
 * error or writes a trace that core/trace.c parses: a trace it refuses is a
 * bug of the importer, and traps. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/trace-import.h"
#include "core/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte is no input: when odd, it names a --pid (its value
	 * halved), so both ways of choosing t0 get explored. */
	if (size < 2)	/* and fmemopen refuses an empty buffer */
		return 0;
	struct ptv_trace_import_opts o = { .name = "fuzz" };
	if (data[0] & 1) {
		o.has_pid = true;
		o.pid = data[0] >> 1;
	}
	FILE *f = fmemopen((void *)(data + 1), size - 1, "r");
	if (!f)
		return 0;
	char *text;
	size_t len;
	struct ptv_error *err = ptv_trace_import_perf(f, &o, &text, &len, NULL);
	fclose(f);
	if (err) {
		ptv_error_destroy(err);
		return 0;
	}
	if (strlen(text) != len)
		__builtin_trap();
	struct ptv_trace *t;
	err = ptv_trace_parse(text, len, "imported", &t);
	if (err) {
		fprintf(stderr, "%s\n%s", err->message, text);
		__builtin_trap();
	}
	ptv_trace_destroy(t);
	free(text);
	return 0;
}
