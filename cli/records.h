/* records.h: print ptview's records as JSON lines or as text for people.
 *
 * One writer for every command and source, so a record has one shape
 * whatever produced it (../shared/spec/cli.md).  Output is buffered and
 * written with write(2); the buffer is flushed by ptv_out_flush() and at
 * ptv_out_deinit().
 */
#ifndef PTV_RECORDS_H
#define PTV_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/page.h"

struct ptv_frame;

struct ptv_summary;
struct ptv_vma;

struct ptv_out {
	int fd;
	bool json;
	bool color;
	bool write_failed;
	size_t len;
	char buf[1 << 16];
	/* the last kpageflags word rendered, and its rendering */
	bool flags_cache_valid, flags_cache_json;
	uint64_t flags_cache_word;
	size_t flags_cache_len;
	char flags_cache[1024];
	/* The PG_* name of each bit of page records' page_flags (64
	 * entries, NULL where none), or NULL to leave page_flags out; set by
	 * the caller, owned by the kernel source it came from. */
	const char *const *pg_names;
};

void ptv_out_init(struct ptv_out *o, int fd, bool json, bool color);
/* Flush; returns false when a write failed (e.g. a closed pipe). */
bool ptv_out_flush(struct ptv_out *o);

/* The task record: counters that are unknown are passed as UINT64_MAX and
 * left out; mm and pgd are 0 when unknown (live). */
struct ptv_task_rec {
	int pid;
	const char *comm;
	uint64_t mm, pgd, pgd_phys;
	uint64_t rss_anon_kb, rss_file_kb, rss_shmem_kb, swap_kb, pgtables_kb;
};

void ptv_out_task(struct ptv_out *o, const struct ptv_task_rec *t);
void ptv_out_vma(struct ptv_out *o, int pid, const struct ptv_vma *vma);
void ptv_out_page(struct ptv_out *o, int pid, const struct ptv_page *p);
/* A page record with "mappers": its other mappings m[0..nm) (live rmap). */
struct ptv_live_mapping;
void ptv_out_page_mappers(struct ptv_out *o, int pid, const struct ptv_page *p,
			  const struct ptv_live_mapping *m, size_t nm);
void ptv_out_run(struct ptv_out *o, int pid, const struct ptv_page *first,
		 uint64_t npages);
/* vma_start is ignored for scope "task". */
void ptv_out_summary(struct ptv_out *o, int pid, const char *scope,
		     uint64_t vma_start, const struct ptv_summary *s);

/* vtop: the walk for one address, level by level, and the page found. */
struct ptv_arch;
struct ptv_walk_step;
void ptv_out_walk(struct ptv_out *o, int pid, uint64_t vaddr,
		  const struct ptv_arch *arch, const struct ptv_walk_step *steps,
		  unsigned n, const struct ptv_page *page);

/* rmap, check: reverse-map answers and their back-checks. */
struct ptv_rmap;
void ptv_out_rmap(struct ptv_out *o, const struct ptv_rmap *r);
void ptv_out_mismatch(struct ptv_out *o, const char *kind, uint64_t pfn,
		      int pid, uint64_t vaddr, const char *detail);
void ptv_out_check(struct ptv_out *o, uint64_t pages, uint64_t mappings,
		   uint64_t mismatches);

/* ptview page: one struct page and its folio (spec/cli.md "frame").
 * flag_names is the PG_* name of each bit (64 entries, NULL where none),
 * or NULL when the kernel's flags cannot be named. */
void ptv_out_frame(struct ptv_out *o, const struct ptv_frame *f,
		   const char *const *flag_names);

/* A page-table page: its non-empty entries. */
void ptv_out_table(struct ptv_out *o, int pid, enum ptv_level level,
		   uint64_t phys, uint64_t vaddr, const uint64_t *entries,
		   unsigned n);

/* Runs: consecutive pages that ptv_page_continues() joins, printed as one
 * "run" record when the next page does not continue them. */
struct ptv_run {
	struct ptv_page first, last;
	uint64_t len;
};
/* Add n pages that equal p except that the address advances (and the PFN
 * of a present leaf, as in a huge mapping). */
void ptv_run_add(struct ptv_run *r, struct ptv_out *out, int pid,
		 const struct ptv_page *p, uint64_t n);
void ptv_run_flush(struct ptv_run *r, struct ptv_out *out, int pid);
/* The i-th page of such a range. */
void ptv_page_nth(const struct ptv_page *p, uint64_t i, struct ptv_page *ret);

#endif /* PTV_RECORDS_H */
