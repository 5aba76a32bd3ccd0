/* libFuzzer target: the .ptsnap reader (core/snapshot.c).
 *
 * Each input is parsed twice: as it is, which exercises the header and
 * checksum checks, and with its checksums recomputed, so that mutations
 * reach the checks of every count and run behind them.  Whatever parses
 * must encode again and parse back to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
