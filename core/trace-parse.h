/* trace-parse.h: what core/trace.c (statements) and core/trace-lex.c
 * (tokens, numbers, names, errors) share.  Private to those two files. */
#ifndef PTV_TRACE_PARSE_H
#define PTV_TRACE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/trace.h"

struct ptv_error;

#define PTV_TRACE_MAX_TOKENS 32

/* One word of a statement and where it starts. */
struct tok {
	const char *s;
	size_t len;
	unsigned col;	/* 1-based */
};

/* A pin a task holds, so that unpin can be checked. */
struct pin {
	size_t task;
	uint64_t addr, len;
};

/* The parse so far; line and tok[] describe the current line. */
struct parser {
	struct ptv_trace *t;
	unsigned line;
	struct tok tok[PTV_TRACE_MAX_TOKENS];
	size_t ntok;
	bool header;		/* `ptview-trace 1` seen */
	size_t nmaps;		/* k for the next map statement */
	struct pin *pins;
	size_t npins;
	/* check labels: open addressing over indices into stmts + 1 */
	size_t *labels, label_cap, nlabels;
};

/* Error text shows at most 40 characters of a token. */
#define TOKF "'%.*s%s'"
#define TOKA(t) (int)((t)->len > 40 ? 40 : (t)->len), (t)->s, \
	((t)->len > 40 ? "..." : "")

static inline bool ptv_trace_is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

/* "FILE:LINE:COL: message", PTV_ERR_FORMAT. */
struct ptv_error *ptv_trace_perr(const struct parser *p, unsigned col,
				 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool ptv_trace_tok_is(const struct tok *t, const char *s);
/* [A-Za-z_][A-Za-z0-9_]*, at most 64 characters. */
bool ptv_trace_valid_name(const char *s, size_t len);
/* A NUL-terminated copy the caller owns; NULL when out of memory. */
char *ptv_trace_tok_dup(const struct tok *t);
/* Decimal or 0x hex; with sizes, a K/M/G suffix too.  Overflow is an
 * error naming the token at col. */
struct ptv_error *ptv_trace_parse_num(const struct parser *p, const char *s,
				      size_t len, unsigned col, bool sizes,
				      uint64_t *ret);
/* A size or length: a multiple of 4 KiB, 0 < v <= max; what names it in
 * errors ("region size", "length"). */
struct ptv_error *ptv_trace_parse_size(const struct parser *p, const char *s,
				       size_t len, unsigned col, uint64_t max,
				       const char *what, uint64_t *ret);
/* rwx / r-- / ---: PTV_PROT_* bits. */
struct ptv_error *ptv_trace_parse_prot(const struct parser *p,
				       const struct tok *k, unsigned *ret);
struct ptv_error *ptv_trace_parse_advice(const struct parser *p,
					 const struct tok *k,
					 enum ptv_trace_advice *ret);
/* The statement has min..max words, else an error quoting usage. */
struct ptv_error *ptv_trace_want_tokens(const struct parser *p, size_t min,
					size_t max, const char *usage);
/* Make room to append to *v, which holds n elements of size bytes. */
struct ptv_error *ptv_trace_grow(void **v, size_t n, size_t size);
/* Split one line into p->tok[], up to a comment. */
struct ptv_error *ptv_trace_tokenize(struct parser *p, const char *s,
				     size_t len);

/* core/trace.c: append a statement of kind op by task (SIZE_MAX: none),
 * operands zeroed, names SIZE_MAX; *ret stays valid until the next. */
struct ptv_error *ptv_trace_new_stmt(struct parser *p, enum ptv_trace_op op,
				     size_t task, struct ptv_trace_stmt **ret);

/* core/trace-global.c */
size_t ptv_trace_find_file(const struct ptv_trace *t, const char *s,
			   size_t len);
struct ptv_error *ptv_trace_parse_set(struct parser *p);
struct ptv_error *ptv_trace_parse_file(struct parser *p);
struct ptv_error *ptv_trace_parse_check(struct parser *p);

#endif /* PTV_TRACE_PARSE_H */
