/* dump.h: what cmd-dump.c shares with its crash-dump half (dump-core.c). */
#ifndef PTV_CLI_DUMP_H
#define PTV_CLI_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ptv_kernel_opts;
struct ptv_out;

enum dump_mode { MODE_RUNS, MODE_PAGES, MODE_SUMMARY };

struct dump_opts {
	enum dump_mode mode;
	uint64_t lo, hi;	/* --range, half-open; 0, UINT64_MAX if none */
	bool all;
	bool tables;		/* --tables: table records too */
	bool rmap;		/* --rmap: each page's other mappers (live) */
};

/* `ptview dump --core`: the processes pids[0..npids) (all with an mm when
 * opts->all) of the image ko names.  Returns an exit status. */
int ptv_dump_core(const struct ptv_kernel_opts *ko,
		  const struct dump_opts *opts, const int *pids, size_t npids,
		  struct ptv_out *out);

#endif /* PTV_CLI_DUMP_H */
