/* perf-script.h: reading the text `perf script` prints, line by line.
 *
 * The lexical layer of core/trace-import.c: event lines split into their
 * columns and key=value fields, with every error naming the input, line
 * and column.  What the events mean is trace-import.c's business.
 *
 * An event line is [COMM] PID/TID|TID [[CPU]] [SECS.FRAC:] EVENT: FIELDS
 * (perf script's -F picks the columns; COMM may hold spaces).  The first
 * event line fixes the columns and every later one must have the same.
 */
#ifndef PTV_PERF_SCRIPT_H
#define PTV_PERF_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ptv_error;

enum ptv_perf_idkind { PTV_PERF_ID_NONE, PTV_PERF_ID_TID, PTV_PERF_ID_PIDTID };

/* The columns before the event name. */
struct ptv_perf_shape {
	bool comm, cpu, time;
	enum ptv_perf_idkind id;
};

struct ptv_perf_reader {
	const char *name;	/* the input's name, for errors */
	FILE *in;
	char *line;		/* the current line, NUL-terminated; owned */
	size_t len;
	unsigned lineno;
	bool have_shape;	/* shape is set (by the first event line) */
	struct ptv_perf_shape shape;
	unsigned shape_line;
};

/* One event line, split; pointers are into the reader's line. */
struct ptv_perf_event {
	int32_t pid, tid;	/* pid == tid without a PID column */
	const char *comm;	/* not NUL-terminated */
	size_t comm_len;
	const char *event;	/* "sched:sched_process_fork:", ... */
	size_t event_len;
	size_t fields;		/* offset of the fields in the line */
};

/* A field: where its key and its value are in the line. */
struct ptv_perf_field {
	size_t key, off, len;
};

/* Allocate the line buffer (PTV_IMPORT_MAX_LINE); _deinit frees it. */
struct ptv_error *ptv_perf_reader_init(struct ptv_perf_reader *rd,
				       const char *name, FILE *in);
void ptv_perf_reader_deinit(struct ptv_perf_reader *rd);

/* "NAME:LINE:COL: message" at the current line, PTV_ERR_FORMAT. */
struct ptv_error *ptv_perf_error(struct ptv_perf_reader *rd, size_t col,
				 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Read the next line (without its newline and a trailing CR); ptv_stop at
 * the end of the input.  NUL bytes and over-long lines are errors. */
struct ptv_error *ptv_perf_read_line(struct ptv_perf_reader *rd);

/* Lines that carry no event: blank, `#` (--header), callchain entries. */
bool ptv_perf_ignored_line(const struct ptv_perf_reader *rd);

/* Split the current line as an event line, or say why it is not one. */
struct ptv_error *ptv_perf_split_event(struct ptv_perf_reader *rd,
				       struct ptv_perf_event *ret);

/* Where " key=" occurs at or after from; SIZE_MAX when it does not. */
size_t ptv_perf_find_key(const struct ptv_perf_reader *rd, size_t from,
			 const char *key);
/* The field key= at or after from, its value up to the next space; an
 * error names it when it is missing. */
struct ptv_error *ptv_perf_field(struct ptv_perf_reader *rd, size_t from,
				 const char *key, struct ptv_perf_field *ret);
/* A string field (comm=), whose value may hold spaces: it runs up to the
 * next key, next_key, returned in *next_ret. */
struct ptv_error *ptv_perf_string_field(struct ptv_perf_reader *rd,
					size_t from, const char *key,
					const char *next_key,
					struct ptv_perf_field *ret,
					struct ptv_perf_field *next_ret);
/* A field's value as 0x hex (at most 64 bits) or as a process id. */
struct ptv_error *ptv_perf_field_hex(struct ptv_perf_reader *rd,
				     const struct ptv_perf_field *f,
				     const char *key, uint64_t *ret);
struct ptv_error *ptv_perf_field_id(struct ptv_perf_reader *rd,
				    const struct ptv_perf_field *f,
				    const char *key, int32_t *ret);

/* Copy s[0..n) to dst as printable ASCII ('?' for the rest), truncated to
 * size - 1 bytes and NUL-terminated. */
void ptv_perf_sanitize(char *dst, size_t size, const char *s, size_t n);

#endif /* PTV_PERF_SCRIPT_H */
