/* trace-lex.c: the trace language's lexical rules
 * (../shared/spec/trace.md, "Lexical rules"): words and their columns,
 * numbers with K/M/G, 4 KiB multiples, names, protections, advice, and the
 * "FILE:LINE:COL: reason" errors every rule reports through. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/trace-parse.h"

struct ptv_error *ptv_trace_perr(const struct parser *p, unsigned col,
			      const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ptv_error_create(PTV_ERR_FORMAT, "%s:%u:%u: %s", p->t->path,
				p->line, col, msg);
}

bool ptv_trace_tok_is(const struct tok *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->s, s, t->len) == 0;
}

bool ptv_trace_valid_name(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

char *ptv_trace_tok_dup(const struct tok *t)
{
	return strndup(t->s, t->len);
}

/* A number: decimal or 0x hex, with a K/M/G suffix when sizes is set.
 * Returns NULL or an error naming the token. */
struct ptv_error *ptv_trace_parse_num(const struct parser *p, const char *s,
				   size_t len, unsigned col, bool sizes,
				   uint64_t *ret)
{
	struct tok t = { s, len, col };
	uint64_t shift = 0;
	if (sizes && len > 1) {
		switch (s[len - 1]) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		}
		if (shift)
			len--;
	}
	unsigned base = 10;
	size_t i = 0;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return ptv_trace_perr(p, col, TOKF " is not a number", TOKA(&t));
	uint64_t v = 0;
	for (; i < len; i++) {
		unsigned d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return ptv_trace_perr(p, col, TOKF " is not a number%s", TOKA(&t),
				    sizes ? " (sizes end in K, M or G)" : "");
		if (v > (UINT64_MAX - d) / base)
			return ptv_trace_perr(p, col, TOKF " is too large", TOKA(&t));
		v = v * base + d;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return ptv_trace_perr(p, col, TOKF " is too large", TOKA(&t));
	*ret = v << shift;
	return NULL;
}

/* A size or length: a multiple of 4 KiB, 0 < v <= max. */
struct ptv_error *ptv_trace_parse_size(const struct parser *p, const char *s,
				    size_t len, unsigned col, uint64_t max,
				    const char *what, uint64_t *ret)
{
	uint64_t v;
	struct ptv_error *err = ptv_trace_parse_num(p, s, len, col, true, &v);
	if (err)
		return err;
	if (v == 0)
		return ptv_trace_perr(p, col, "%s must not be 0", what);
	if (v & 4095)
		return ptv_trace_perr(p, col, "%s %#llx is not a multiple of 4 KiB", what,
			    (unsigned long long)v);
	if (v > max)
		return ptv_trace_perr(p, col, "%s %#llx is larger than the limit %#llx",
			    what, (unsigned long long)v,
			    (unsigned long long)max);
	*ret = v;
	return NULL;
}


struct ptv_error *ptv_trace_parse_prot(const struct parser *p,
				    const struct tok *k, unsigned *ret)
{
	static const char letters[3] = { 'r', 'w', 'x' };
	unsigned prot = 0;
	if (k->len != 3)
		goto bad;
	for (int i = 0; i < 3; i++) {
		if (k->s[i] == letters[i])
			prot |= 1u << i;
		else if (k->s[i] != '-')
			goto bad;
	}
	*ret = prot;
	return NULL;
bad:
	return ptv_trace_perr(p, k->col, TOKF " is not a protection (three letters "
		    "from r, w, x or -, e.g. rw-)", TOKA(k));
}

struct ptv_error *ptv_trace_want_tokens(const struct parser *p, size_t min,
				     size_t max, const char *usage)
{
	if (p->ntok < min) {
		const struct tok *last = &p->tok[p->ntok - 1];
		return ptv_trace_perr(p, last->col + (unsigned)last->len,
			    "missing operand; usage: %s", usage);
	}
	if (p->ntok > max)
		return ptv_trace_perr(p, p->tok[max].col, "unexpected " TOKF
			    "; usage: %s", TOKA(&p->tok[max]), usage);
	return NULL;
}

/* Append room: arrays hold 8 elements, then double; n is the count before
 * the append, so the array is full exactly when n is 0 or a power of two
 * of at least 8. */
struct ptv_error *ptv_trace_grow(void **v, size_t n, size_t size)
{
	if (n != 0 && (n < 8 || !ptv_trace_is_pow2(n)))
		return NULL;
	size_t cap = n == 0 ? 8 : n * 2;
	void *nv = realloc(*v, cap * size);
	if (!nv)
		return ptv_enomem;
	*v = nv;
	return NULL;
}

struct ptv_error *ptv_trace_parse_advice(const struct parser *p,
				      const struct tok *k,
				      enum ptv_trace_advice *ret)
{
	for (size_t i = 0; i <= PTV_ADV_POPULATE_WRITE; i++) {
		if (ptv_trace_tok_is(k, ptv_trace_advice_name((enum ptv_trace_advice)i))) {
			*ret = (enum ptv_trace_advice)i;
			return NULL;
		}
	}
	return ptv_trace_perr(p, k->col, TOKF " is not an advice (dontneed, free, "
		    "pageout, cold, willneed, hugepage, nohugepage, collapse, "
		    "populate_read, populate_write)", TOKA(k));
}

/* Split one line (comment removed) into tokens. */
struct ptv_error *ptv_trace_tokenize(struct parser *p, const char *s, size_t len)
{
	p->ntok = 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		if (c == '#')
			break;
		if (c == ' ' || c == '\t') {
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return ptv_trace_perr(p, (unsigned)i + 1, "control character "
				    "0x%02x", c);
		size_t j = i;
		while (j < len && s[j] != ' ' && s[j] != '\t' && s[j] != '#' &&
		       (unsigned char)s[j] >= 0x20 && s[j] != 0x7f)
			j++;
		if (p->ntok == PTV_TRACE_MAX_TOKENS)
			return ptv_trace_perr(p, (unsigned)i + 1, "more than %d words "
				    "in one statement", PTV_TRACE_MAX_TOKENS);
		p->tok[p->ntok++] = (struct tok){ s + i, j - i,
						  (unsigned)i + 1 };
		i = j;
	}
	return NULL;
}

