/* libFuzzer target: BTF loading (libbpf's btf__new() behind our checks and
 * name index) and the lookups run on what loads.
 *
 * Build: ../configure --enable-fuzzers CC=clang && make tests/fuzz/fuzz-btf
 * Run:   tests/fuzz/fuzz-btf -max_len=65536 CORPUS_DIR
 * A good seed is any small BTF blob, e.g. a module's /sys/kernel/btf/<mod>
 * (split BTF: it fails cleanly on its references) or the one t-types.c
 * builds.  libbpf comes uninstrumented from the system, so coverage
 * guidance stops at its door; a crash inside it is still reported. */
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_enumerator(const char *name, int64_t value, void *arg)
{
	(*(int *)arg)++;
	return *(int *)arg > 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptv_types *t;
	struct ptv_error *err = ptv_types_open_btf_memory(data, size, "fuzz", &t);
	if (err) {
		ptv_error_destroy(err);
		return 0;
	}
	/* Names a kernel blob has, and names a tiny input can hit. */
	static const char *const names[] = {
		"page", "mm_struct", "task_struct", "list_head", "int", "a", "s",
		"outer", "pageflags",
	};
	static const char *const paths[] = {
		"flags", "_mapcount", "mm_mt.ma_root", "next", "a", "b.c", "x[1]",
		"a.b.c.d",
	};
	struct ptv_member m;
	uint64_t u;
	int64_t v;
	int n = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ptv_error_destroy(ptv_types_sizeof(t, names[i], &u));
		ptv_error_destroy(ptv_types_enum_foreach(t, names[i],
							 count_enumerator, &n));
		for (size_t j = 0; j < sizeof(paths) / sizeof(paths[0]); j++)
			ptv_error_destroy(ptv_types_member(t, names[i], paths[j], &m));
	}
	ptv_error_destroy(ptv_types_enum_value(t, NULL, "PG_locked", &v));
	ptv_error_destroy(ptv_types_enum_value(t, NULL, "A", &v));
	ptv_types_destroy(t);
	return 0;
}
