/* trace.h: the ptview trace language, version 1 (../shared/spec/trace.md).
 *
 * A trace is parsed whole before anything runs: ptv_trace_parse() checks
 * every rule the spec states (names, reserved words, sizes, placement,
 * task and region lifetimes, pin/unpin pairing, unique labels) and resolves
 * every name, so executors and the model never see an unchecked statement.
 * Every error names "FILE:LINE:COLUMN: reason".
 *
 * Limits (absurd inputs are refused with an error, never truncated):
 * PTV_TRACE_MAX_* below.
 */
#ifndef PTV_TRACE_H
#define PTV_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ptv_error;

#define PTV_TRACE_MAX_BYTES (16u << 20)	/* a trace file */
#define PTV_TRACE_MAX_LINE 4096u	/* characters in one line */
#define PTV_TRACE_MAX_STMTS 100000u
#define PTV_TRACE_MAX_TASKS 64u		/* tasks ever created, t0 included */
#define PTV_TRACE_MAX_REGIONS 1024u
#define PTV_TRACE_MAX_FILES 64u
#define PTV_TRACE_MAX_SET 16u		/* KEY=VALUE pairs in one `set` */
#define PTV_TRACE_MAX_PINS 256u		/* pins one task holds at once */
/* Without at=, a region fits its 1 GiB slot (spec); with at= it may be
 * larger, up to this.  Files are bounded the same way. */
#define PTV_TRACE_SLOT (UINT64_C(1) << 30)
#define PTV_TRACE_MAX_SIZE (UINT64_C(64) << 30)
#define PTV_TRACE_MAX_FILE_SIZE (UINT64_C(1) << 30)
/* The first region without at= goes here, the k-th k GiB above it. */
#define PTV_TRACE_BASE UINT64_C(0x200000000000)
/* Addresses stay in the 47-bit user address space every x86_64 and
 * arm64 (48-bit VA) kernel gives a process by default. */
#define PTV_TRACE_ADDR_LIMIT (UINT64_C(1) << 47)

enum ptv_trace_op {
	PTV_TRACE_SET,
	PTV_TRACE_FILE,
	PTV_TRACE_MAP,
	PTV_TRACE_TOUCH,
	PTV_TRACE_MADVISE,
	PTV_TRACE_MPROTECT,
	PTV_TRACE_MUNMAP,
	PTV_TRACE_MLOCK,
	PTV_TRACE_MUNLOCK,
	PTV_TRACE_PIN,
	PTV_TRACE_UNPIN,
	PTV_TRACE_FORK,
	PTV_TRACE_EXIT,
	PTV_TRACE_CHECK,
};

enum ptv_trace_advice {
	PTV_ADV_DONTNEED,
	PTV_ADV_FREE,
	PTV_ADV_PAGEOUT,
	PTV_ADV_COLD,
	PTV_ADV_WILLNEED,
	PTV_ADV_HUGEPAGE,
	PTV_ADV_NOHUGEPAGE,
	PTV_ADV_COLLAPSE,
	PTV_ADV_POPULATE_READ,
	PTV_ADV_POPULATE_WRITE,
};

/* `set` keys.  Values are kept as the text the sysfs file takes, already
 * checked against the key's domain. */
enum ptv_trace_key {
	PTV_KEY_THP,
	PTV_KEY_THP_DEFRAG,
	PTV_KEY_USE_ZERO_PAGE,
	PTV_KEY_MAX_PTES_NONE,
	PTV_KEY_MAX_PTES_SWAP,
	PTV_KEY_MAX_PTES_SHARED,
	PTV_KEY_FAULT_AROUND_BYTES,
	PTV_KEY_MTHP,		/* mthp.SIZE; the size is in mthp_size */
};

struct ptv_trace_setting {
	enum ptv_trace_key key;
	uint64_t mthp_size;	/* bytes, PTV_KEY_MTHP only */
	char value[24];		/* "madvise", "511", "65536", ... */
};

enum ptv_trace_backing {
	PTV_TRACE_ANON,
	PTV_TRACE_SHMEM,	/* a fresh memfd of the region's size */
	PTV_TRACE_FILE_BACKED,	/* a `file`, from file_off */
};

/* PROT bits as the trace spells them (r, w, x). */
enum {
	PTV_PROT_R = 1u << 0,
	PTV_PROT_W = 1u << 1,
	PTV_PROT_X = 1u << 2,
};

struct ptv_trace_file {
	char *name;		/* owned */
	uint64_t size;
	bool cached;		/* cached=all (default) or cached=none */
	unsigned line;
};

struct ptv_trace_region {
	char *name;		/* owned */
	size_t index;		/* k: which map statement made it (0, 1, ...) */
	uint64_t addr, size;
	unsigned prot;		/* PTV_PROT_* */
	bool shared;
	enum ptv_trace_backing backing;
	size_t file;		/* index into files, PTV_TRACE_FILE_BACKED */
	uint64_t file_off;
	uint64_t align;		/* 0 when align= was not given */
	size_t task;		/* the task that mapped it */
	unsigned line;
};

struct ptv_trace_task {
	char *name;		/* owned */
	size_t parent;		/* SIZE_MAX for t0 */
	unsigned line;		/* where fork made it; 0 for t0 */
	unsigned exit_line;	/* where it exited; 0 while it lives */
	/* Its regions in map order: those inherited from its parent at the
	 * fork, then its own. */
	size_t *regions, nregions;
};

struct ptv_trace_stmt {
	enum ptv_trace_op op;
	unsigned line;
	size_t task;		/* SIZE_MAX for set, file and check */
	/* map: the region made.  Statements with a PLACE: the region it
	 * names, SIZE_MAX for an absolute address. */
	size_t region;
	uint64_t addr;		/* the PLACE, resolved to an address */
	uint64_t len;		/* LEN (touch: 4096 by default) */
	bool write;		/* touch write (else read) */
	unsigned prot;		/* mprotect */
	enum ptv_trace_advice advice;
	size_t child;		/* fork: the new task */
	size_t file;		/* file: index into files */
	char *label;		/* check: owned; "L<line>" when not given */
	struct ptv_trace_setting *set;	/* set: owned array of nset */
	size_t nset;
};

struct ptv_trace {
	char *path;		/* owned: the name errors use */
	struct ptv_trace_stmt *stmts;
	size_t nstmts;
	struct ptv_trace_task *tasks;
	size_t ntasks;
	struct ptv_trace_region *regions;
	size_t nregions;
	struct ptv_trace_file *files;
	size_t nfiles;
	unsigned last_line;	/* the line count, for the final record */
};

/* Parse text[0..len) (need not be NUL-terminated); name is the file name
 * errors carry.  On success the caller owns *ret (ptv_trace_destroy()). */
struct ptv_error *ptv_trace_parse(const char *text, size_t len,
				  const char *name, struct ptv_trace **ret);

/* Read path (opened read-only, at most PTV_TRACE_MAX_BYTES) and parse it. */
struct ptv_error *ptv_trace_load(const char *path, struct ptv_trace **ret);

void ptv_trace_destroy(struct ptv_trace *t);

/* The statement's keyword ("touch", "map", ...); the advice's
 * ("dontneed", ...); the key's sysfs-facing name ("thp", "mthp", ...). */
const char *ptv_trace_op_name(enum ptv_trace_op op);
const char *ptv_trace_advice_name(enum ptv_trace_advice a);
const char *ptv_trace_key_name(enum ptv_trace_key k);

#endif /* PTV_TRACE_H */
