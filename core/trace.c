/* trace.c: the trace language parser (../shared/spec/trace.md, version 1).
 *
 * One pass, line by line: each line is split into tokens that remember
 * their column, the first token picks the statement, and the statement's
 * parser checks and resolves every operand at once, so the first error in
 * file order is the one reported.  Names live in small tables searched
 * linearly (the counts are bounded, see trace.h); check labels, which may
 * be as many as the statements, go through a hash set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/trace.h"

#define MAX_TOKENS 32

struct tok {
	const char *s;
	size_t len;
	unsigned col;	/* 1-based */
};

struct pin {
	size_t task;
	uint64_t addr, len;
};

struct parser {
	struct ptv_trace *t;
	unsigned line;
	struct tok tok[MAX_TOKENS];
	size_t ntok;
	bool header;		/* `ptview-trace 1` seen */
	size_t nmaps;		/* k for the next map statement */
	struct pin *pins;
	size_t npins;
	/* check labels: open addressing over indices into stmts + 1 */
	size_t *labels, label_cap, nlabels;
};

static const char *const op_names[] = {
	[PTV_TRACE_SET] = "set", [PTV_TRACE_FILE] = "file",
	[PTV_TRACE_MAP] = "map", [PTV_TRACE_TOUCH] = "touch",
	[PTV_TRACE_MADVISE] = "madvise", [PTV_TRACE_MPROTECT] = "mprotect",
	[PTV_TRACE_MUNMAP] = "munmap", [PTV_TRACE_MLOCK] = "mlock",
	[PTV_TRACE_MUNLOCK] = "munlock", [PTV_TRACE_PIN] = "pin",
	[PTV_TRACE_UNPIN] = "unpin", [PTV_TRACE_FORK] = "fork",
	[PTV_TRACE_EXIT] = "exit", [PTV_TRACE_CHECK] = "check",
};

static const char *const advice_names[] = {
	[PTV_ADV_DONTNEED] = "dontneed", [PTV_ADV_FREE] = "free",
	[PTV_ADV_PAGEOUT] = "pageout", [PTV_ADV_COLD] = "cold",
	[PTV_ADV_WILLNEED] = "willneed", [PTV_ADV_HUGEPAGE] = "hugepage",
	[PTV_ADV_NOHUGEPAGE] = "nohugepage", [PTV_ADV_COLLAPSE] = "collapse",
	[PTV_ADV_POPULATE_READ] = "populate_read",
	[PTV_ADV_POPULATE_WRITE] = "populate_write",
};

static const char *const key_names[] = {
	[PTV_KEY_THP] = "thp", [PTV_KEY_THP_DEFRAG] = "thp_defrag",
	[PTV_KEY_USE_ZERO_PAGE] = "use_zero_page",
	[PTV_KEY_MAX_PTES_NONE] = "max_ptes_none",
	[PTV_KEY_MAX_PTES_SWAP] = "max_ptes_swap",
	[PTV_KEY_MAX_PTES_SHARED] = "max_ptes_shared",
	[PTV_KEY_FAULT_AROUND_BYTES] = "fault_around_bytes",
	[PTV_KEY_MTHP] = "mthp",
};

const char *ptv_trace_op_name(enum ptv_trace_op op) { return op_names[op]; }
const char *ptv_trace_advice_name(enum ptv_trace_advice a)
{
	return advice_names[a];
}
const char *ptv_trace_key_name(enum ptv_trace_key k) { return key_names[k]; }

__attribute__((format(printf, 3, 4)))
static struct ptv_error *perr(const struct parser *p, unsigned col,
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

static bool tok_is(const struct tok *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->s, s, t->len) == 0;
}

/* Error text shows at most 40 characters of a token. */
#define TOKF "'%.*s%s'"
#define TOKA(t) (int)((t)->len > 40 ? 40 : (t)->len), (t)->s, \
	((t)->len > 40 ? "..." : "")

static bool valid_name(const char *s, size_t len)
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

static char *tok_dup(const struct tok *t)
{
	return strndup(t->s, t->len);
}

/* A number: decimal or 0x hex, with a K/M/G suffix when sizes is set.
 * Returns NULL or an error naming the token. */
static struct ptv_error *parse_num(const struct parser *p, const char *s,
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
		return perr(p, col, TOKF " is not a number", TOKA(&t));
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
			return perr(p, col, TOKF " is not a number%s", TOKA(&t),
				    sizes ? " (sizes end in K, M or G)" : "");
		if (v > (UINT64_MAX - d) / base)
			return perr(p, col, TOKF " is too large", TOKA(&t));
		v = v * base + d;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return perr(p, col, TOKF " is too large", TOKA(&t));
	*ret = v << shift;
	return NULL;
}

/* A size or length: a multiple of 4 KiB, 0 < v <= max. */
static struct ptv_error *parse_size(const struct parser *p, const char *s,
				    size_t len, unsigned col, uint64_t max,
				    const char *what, uint64_t *ret)
{
	uint64_t v;
	struct ptv_error *err = parse_num(p, s, len, col, true, &v);
	if (err)
		return err;
	if (v == 0)
		return perr(p, col, "%s must not be 0", what);
	if (v & 4095)
		return perr(p, col, "%s %#llx is not a multiple of 4 KiB", what,
			    (unsigned long long)v);
	if (v > max)
		return perr(p, col, "%s %#llx is larger than the limit %#llx",
			    what, (unsigned long long)v,
			    (unsigned long long)max);
	*ret = v;
	return NULL;
}

static bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

static size_t find_task(const struct ptv_trace *t, const struct tok *k)
{
	for (size_t i = 0; i < t->ntasks; i++)
		if (tok_is(k, t->tasks[i].name))
			return i;
	return SIZE_MAX;
}

static size_t find_region(const struct ptv_trace *t, const char *s,
			  size_t len)
{
	for (size_t i = 0; i < t->nregions; i++)
		if (strlen(t->regions[i].name) == len &&
		    memcmp(t->regions[i].name, s, len) == 0)
			return i;
	return SIZE_MAX;
}

static size_t find_file(const struct ptv_trace *t, const char *s, size_t len)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (strlen(t->files[i].name) == len &&
		    memcmp(t->files[i].name, s, len) == 0)
			return i;
	return SIZE_MAX;
}

static bool task_has_region(const struct ptv_trace_task *task, size_t r)
{
	for (size_t i = 0; i < task->nregions; i++)
		if (task->regions[i] == r)
			return true;
	return false;
}

static bool reserved_task_name(const struct tok *k)
{
	return tok_is(k, "set") || tok_is(k, "file") || tok_is(k, "check") ||
	       tok_is(k, "ptview");
}

static bool reserved_label(const char *s, size_t len)
{
	if (len == 3 && memcmp(s, "end", 3) == 0)
		return true;
	if (len < 2 || s[0] != 'L')
		return false;
	for (size_t i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* PLACE: REGION, REGION+OFFSET or 0xADDR.  For a region place, len (when
 * not 0) must stay inside the region. */
static struct ptv_error *parse_place(struct parser *p, size_t task,
				     const struct tok *k, uint64_t len,
				     struct ptv_trace_stmt *st)
{
	struct ptv_trace *t = p->t;
	struct ptv_error *err;
	if (k->len > 1 && k->s[0] == '0' && (k->s[1] == 'x' || k->s[1] == 'X')) {
		uint64_t a;
		if ((err = parse_num(p, k->s, k->len, k->col, false, &a)))
			return err;
		if (a & 4095)
			return perr(p, k->col, "address %#llx is not a multiple "
				    "of 4 KiB", (unsigned long long)a);
		if (a >= PTV_TRACE_ADDR_LIMIT ||
		    len > PTV_TRACE_ADDR_LIMIT - a)
			return perr(p, k->col, "address %#llx is beyond the "
				    "user address space (%#llx)",
				    (unsigned long long)a,
				    (unsigned long long)PTV_TRACE_ADDR_LIMIT);
		st->region = SIZE_MAX;
		st->addr = a;
		return NULL;
	}
	const char *plus = memchr(k->s, '+', k->len);
	size_t nlen = plus ? (size_t)(plus - k->s) : k->len;
	if (!valid_name(k->s, nlen))
		return perr(p, k->col, TOKF " is not a place (REGION, "
			    "REGION+OFFSET or 0xADDR)", TOKA(k));
	size_t r = find_region(t, k->s, nlen);
	if (r == SIZE_MAX)
		return perr(p, k->col, "no region '%.*s'", (int)nlen, k->s);
	if (!task_has_region(&t->tasks[task], r))
		return perr(p, k->col, "task '%s' has no region '%s' (task "
			    "'%s' mapped it at line %u)", t->tasks[task].name,
			    t->regions[r].name,
			    t->tasks[t->regions[r].task].name,
			    t->regions[r].line);
	const struct ptv_trace_region *reg = &t->regions[r];
	uint64_t off = 0;
	if (plus) {
		unsigned ocol = k->col + (unsigned)nlen + 1;
		if ((err = parse_num(p, plus + 1, k->len - nlen - 1, ocol, true,
				     &off)))
			return err;
		if (off & 4095)
			return perr(p, ocol, "offset %#llx is not a multiple "
				    "of 4 KiB", (unsigned long long)off);
		if (off >= reg->size)
			return perr(p, ocol, "offset %#llx is past the end of "
				    "region '%s' (%#llx bytes)",
				    (unsigned long long)off, reg->name,
				    (unsigned long long)reg->size);
	}
	if (len > reg->size - off)
		return perr(p, k->col, "%#llx bytes from " TOKF " run past the "
			    "end of region '%s' (%#llx bytes)",
			    (unsigned long long)len, TOKA(k), reg->name,
			    (unsigned long long)reg->size);
	st->region = r;
	st->addr = reg->addr + off;
	return NULL;
}

static struct ptv_error *parse_prot(const struct parser *p,
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
	return perr(p, k->col, TOKF " is not a protection (three letters "
		    "from r, w, x or -, e.g. rw-)", TOKA(k));
}

static struct ptv_error *want_tokens(const struct parser *p, size_t min,
				     size_t max, const char *usage)
{
	if (p->ntok < min) {
		const struct tok *last = &p->tok[p->ntok - 1];
		return perr(p, last->col + (unsigned)last->len,
			    "missing operand; usage: %s", usage);
	}
	if (p->ntok > max)
		return perr(p, p->tok[max].col, "unexpected " TOKF
			    "; usage: %s", TOKA(&p->tok[max]), usage);
	return NULL;
}

/* Append room: arrays hold 8 elements, then double; n is the count before
 * the append, so the array is full exactly when n is 0 or a power of two
 * of at least 8. */
static struct ptv_error *grow(void **v, size_t n, size_t size)
{
	if (n != 0 && (n < 8 || !is_pow2(n)))
		return NULL;
	size_t cap = n == 0 ? 8 : n * 2;
	void *nv = realloc(*v, cap * size);
	if (!nv)
		return ptv_enomem;
	*v = nv;
	return NULL;
}

static struct ptv_error *new_stmt(struct parser *p, enum ptv_trace_op op,
				  size_t task, struct ptv_trace_stmt **ret)
{
	struct ptv_trace *t = p->t;
	if (t->nstmts >= PTV_TRACE_MAX_STMTS)
		return perr(p, 1, "more than %u statements",
			    PTV_TRACE_MAX_STMTS);
	struct ptv_error *err = grow((void **)&t->stmts, t->nstmts,
				     sizeof(*t->stmts));
	if (err)
		return err;
	struct ptv_trace_stmt *st = &t->stmts[t->nstmts++];
	memset(st, 0, sizeof(*st));
	st->op = op;
	st->line = p->line;
	st->task = task;
	st->region = SIZE_MAX;
	st->child = SIZE_MAX;
	st->file = SIZE_MAX;
	*ret = st;
	return NULL;
}

/* set KEY=VALUE ... */
static struct ptv_error *parse_set(struct parser *p)
{
	struct ptv_error *err = want_tokens(p, 2, 1 + PTV_TRACE_MAX_SET,
					    "set KEY=VALUE ...");
	if (err)
		return err;
	struct ptv_trace_setting *set = calloc(p->ntok - 1, sizeof(*set));
	if (!set)
		return ptv_enomem;
	for (size_t i = 1; i < p->ntok; i++) {
		const struct tok *k = &p->tok[i];
		struct ptv_trace_setting *s = &set[i - 1];
		const char *eq = memchr(k->s, '=', k->len);
		if (!eq || eq == k->s || eq == k->s + k->len - 1) {
			err = perr(p, k->col, "expected KEY=VALUE, got " TOKF,
				   TOKA(k));
			goto fail;
		}
		size_t klen = (size_t)(eq - k->s);
		struct tok val = { eq + 1, k->len - klen - 1,
				   k->col + (unsigned)klen + 1 };
		struct tok key = { k->s, klen, k->col };
		static const char *const thp[] = { "always", "madvise", "never",
						   NULL };
		static const char *const defrag[] = { "always", "defer",
			"defer+madvise", "madvise", "never", NULL };
		static const char *const mthp[] = { "always", "inherit",
						    "madvise", "never", NULL };
		static const char *const zero[] = { "0", "1", NULL };
		const char *const *words = NULL;
		uint64_t v, max = 0;
		if (tok_is(&key, "thp")) {
			s->key = PTV_KEY_THP;
			words = thp;
		} else if (tok_is(&key, "thp_defrag")) {
			s->key = PTV_KEY_THP_DEFRAG;
			words = defrag;
		} else if (tok_is(&key, "use_zero_page")) {
			s->key = PTV_KEY_USE_ZERO_PAGE;
			words = zero;
		} else if (tok_is(&key, "max_ptes_none")) {
			s->key = PTV_KEY_MAX_PTES_NONE;
			max = 511;
		} else if (tok_is(&key, "max_ptes_swap")) {
			s->key = PTV_KEY_MAX_PTES_SWAP;
			max = 511;
		} else if (tok_is(&key, "max_ptes_shared")) {
			s->key = PTV_KEY_MAX_PTES_SHARED;
			max = 511;
		} else if (tok_is(&key, "fault_around_bytes")) {
			s->key = PTV_KEY_FAULT_AROUND_BYTES;
		} else if (klen > 5 && memcmp(key.s, "mthp.", 5) == 0) {
			s->key = PTV_KEY_MTHP;
			words = mthp;
			if ((err = parse_num(p, key.s + 5, klen - 5,
					     key.col + 5, true, &v)))
				goto fail;
			if (!is_pow2(v) || v < 8192 || v > (2u << 20)) {
				err = perr(p, key.col + 5, "mthp size %#llx "
					   "is not a power of two from 8K to "
					   "2M", (unsigned long long)v);
				goto fail;
			}
			s->mthp_size = v;
		} else {
			err = perr(p, key.col, "unknown setting " TOKF " (thp, "
				   "thp_defrag, use_zero_page, max_ptes_none, "
				   "max_ptes_swap, max_ptes_shared, "
				   "fault_around_bytes, mthp.SIZE)", TOKA(&key));
			goto fail;
		}
		if (words) {
			size_t w = 0;
			while (words[w] && !tok_is(&val, words[w]))
				w++;
			if (!words[w]) {
				err = perr(p, val.col, TOKF " is not a value of "
					   "%.*s", TOKA(&val), (int)klen, key.s);
				goto fail;
			}
			snprintf(s->value, sizeof(s->value), "%s", words[w]);
			continue;
		}
		bool sizes = s->key == PTV_KEY_FAULT_AROUND_BYTES;
		if ((err = parse_num(p, val.s, val.len, val.col, sizes, &v)))
			goto fail;
		if (sizes && ((v & 4095) || v > (2u << 20))) {
			err = perr(p, val.col, "fault_around_bytes %#llx is not "
				   "a multiple of 4 KiB up to 2M",
				   (unsigned long long)v);
			goto fail;
		}
		if (!sizes && v > max) {
			err = perr(p, val.col, "%.*s is at most %llu", (int)klen,
				   key.s, (unsigned long long)max);
			goto fail;
		}
		snprintf(s->value, sizeof(s->value), "%llu",
			 (unsigned long long)v);
	}
	struct ptv_trace_stmt *st;
	if ((err = new_stmt(p, PTV_TRACE_SET, SIZE_MAX, &st)))
		goto fail;
	st->set = set;
	st->nset = p->ntok - 1;
	return NULL;
fail:
	free(set);
	return err;
}

/* file NAME SIZE [cached=all|none] */
static struct ptv_error *parse_file(struct parser *p)
{
	struct ptv_trace *t = p->t;
	struct ptv_error *err = want_tokens(p, 3, 4,
					    "file NAME SIZE [cached=all|none]");
	if (err)
		return err;
	const struct tok *name = &p->tok[1];
	if (!valid_name(name->s, name->len))
		return perr(p, name->col, TOKF " is not a name "
			    "([A-Za-z_][A-Za-z0-9_]*)", TOKA(name));
	size_t dup = find_file(t, name->s, name->len);
	if (dup != SIZE_MAX)
		return perr(p, name->col, "file '%s' is already made at line %u",
			    t->files[dup].name, t->files[dup].line);
	if (t->nfiles >= PTV_TRACE_MAX_FILES)
		return perr(p, name->col, "more than %u files",
			    PTV_TRACE_MAX_FILES);
	uint64_t size;
	if ((err = parse_size(p, p->tok[2].s, p->tok[2].len, p->tok[2].col,
			      PTV_TRACE_MAX_FILE_SIZE, "file size", &size)))
		return err;
	bool cached = true;
	if (p->ntok == 4) {
		if (tok_is(&p->tok[3], "cached=none"))
			cached = false;
		else if (!tok_is(&p->tok[3], "cached=all"))
			return perr(p, p->tok[3].col, "expected cached=all or "
				    "cached=none, got " TOKF, TOKA(&p->tok[3]));
	}
	if ((err = grow((void **)&t->files, t->nfiles, sizeof(*t->files))))
		return err;
	struct ptv_trace_file *f = &t->files[t->nfiles];
	if (!(f->name = tok_dup(name)))
		return ptv_enomem;
	f->size = size;
	f->cached = cached;
	f->line = p->line;
	struct ptv_trace_stmt *st;
	if ((err = new_stmt(p, PTV_TRACE_FILE, SIZE_MAX, &st))) {
		free(f->name);
		return err;
	}
	st->file = t->nfiles++;
	return NULL;
}

static uint64_t label_hash(const char *s, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* Find label in the set; *slot_ret is where it is or would go. */
static size_t label_find(const struct parser *p, const char *s, size_t len,
			 size_t *slot_ret)
{
	size_t mask = p->label_cap - 1;
	for (size_t i = label_hash(s, len) & mask;; i = (i + 1) & mask) {
		size_t v = p->labels[i];
		if (!v) {
			*slot_ret = i;
			return SIZE_MAX;
		}
		const char *l = p->t->stmts[v - 1].label;
		if (strlen(l) == len && memcmp(l, s, len) == 0) {
			*slot_ret = i;
			return v - 1;
		}
	}
}

static struct ptv_error *label_add(struct parser *p, size_t stmt)
{
	if (2 * (p->nlabels + 1) > p->label_cap) {
		size_t cap = p->label_cap ? p->label_cap * 2 : 64;
		size_t *old = p->labels, oldcap = p->label_cap;
		if (!(p->labels = calloc(cap, sizeof(*p->labels)))) {
			p->labels = old;
			return ptv_enomem;
		}
		p->label_cap = cap;
		for (size_t i = 0; i < oldcap; i++) {
			if (!old[i])
				continue;
			const char *l = p->t->stmts[old[i] - 1].label;
			size_t slot;
			label_find(p, l, strlen(l), &slot);
			p->labels[slot] = old[i];
		}
		free(old);
	}
	const char *l = p->t->stmts[stmt].label;
	size_t slot;
	label_find(p, l, strlen(l), &slot);
	p->labels[slot] = stmt + 1;
	p->nlabels++;
	return NULL;
}

/* check [LABEL] */
static struct ptv_error *parse_check(struct parser *p)
{
	struct ptv_error *err = want_tokens(p, 1, 2, "check [LABEL]");
	if (err)
		return err;
	char buf[24];
	const char *label = buf;
	size_t len;
	if (p->ntok == 2) {
		const struct tok *k = &p->tok[1];
		if (!valid_name(k->s, k->len))
			return perr(p, k->col, TOKF " is not a label "
				    "([A-Za-z_][A-Za-z0-9_]*)", TOKA(k));
		if (reserved_label(k->s, k->len))
			return perr(p, k->col, "label " TOKF " is reserved "
				    "(L<digits> and end name unlabelled checks "
				    "and the final record)", TOKA(k));
		label = k->s;
		len = k->len;
		size_t slot, prev = p->label_cap ?
			label_find(p, label, len, &slot) : SIZE_MAX;
		if (prev != SIZE_MAX)
			return perr(p, k->col, "duplicate check label " TOKF
				    " (first at line %u)", TOKA(k),
				    p->t->stmts[prev].line);
	} else {
		len = (size_t)snprintf(buf, sizeof(buf), "L%u", p->line);
	}
	struct ptv_trace_stmt *st;
	if ((err = new_stmt(p, PTV_TRACE_CHECK, SIZE_MAX, &st)))
		return err;
	if (!(st->label = strndup(label, len)))
		return ptv_enomem;
	return label_add(p, p->t->nstmts - 1);
}

/* Options after map's backing: at=ADDR, align=SIZE, each at most once. */
static struct ptv_error *parse_map_opts(struct parser *p, size_t first,
					bool *have_at, uint64_t *at,
					uint64_t *align, unsigned *align_col)
{
	struct ptv_error *err;
	bool have_align = false;
	for (size_t i = first; i < p->ntok; i++) {
		const struct tok *k = &p->tok[i];
		if (k->len > 3 && memcmp(k->s, "at=", 3) == 0 && !*have_at) {
			if ((err = parse_num(p, k->s + 3, k->len - 3, k->col + 3,
					     false, at)))
				return err;
			if (*at == 0 || (*at & 4095))
				return perr(p, k->col + 3, "at=%#llx is not a "
					    "non-zero multiple of 4 KiB",
					    (unsigned long long)*at);
			*have_at = true;
		} else if (k->len > 6 && memcmp(k->s, "align=", 6) == 0 &&
			   !have_align) {
			if ((err = parse_num(p, k->s + 6, k->len - 6, k->col + 6,
					     true, align)))
				return err;
			if (!is_pow2(*align) || *align < 4096)
				return perr(p, k->col + 6, "align=%#llx is not "
					    "a power of two of at least 4K",
					    (unsigned long long)*align);
			have_align = true;
			*align_col = k->col;
		} else {
			return perr(p, k->col, "unexpected " TOKF " (map takes "
				    "at=ADDR and align=SIZE, once each)",
				    TOKA(k));
		}
	}
	return NULL;
}

#define MAP_USAGE "TASK map REGION SIZE PROT private|shared " \
	"anon|shmem|file:NAME[@OFFSET] [at=ADDR] [align=SIZE]"

static struct ptv_error *parse_map(struct parser *p, size_t task)
{
	struct ptv_trace *t = p->t;
	struct ptv_error *err = want_tokens(p, 7, 9, MAP_USAGE);
	if (err)
		return err;
	const struct tok *name = &p->tok[2], *bk = &p->tok[5];
	if (!valid_name(name->s, name->len))
		return perr(p, name->col, TOKF " is not a region name "
			    "([A-Za-z_][A-Za-z0-9_]*)", TOKA(name));
	size_t dup = find_region(t, name->s, name->len);
	if (dup != SIZE_MAX)
		return perr(p, name->col, "region '%s' is already mapped at "
			    "line %u (region names are unique in a trace)",
			    t->regions[dup].name, t->regions[dup].line);
	if (t->nregions >= PTV_TRACE_MAX_REGIONS)
		return perr(p, name->col, "more than %u regions",
			    PTV_TRACE_MAX_REGIONS);
	struct ptv_trace_region r = { .task = task, .line = p->line,
				      .index = p->nmaps };
	if ((err = parse_size(p, p->tok[3].s, p->tok[3].len, p->tok[3].col,
			      PTV_TRACE_MAX_SIZE, "region size", &r.size)) ||
	    (err = parse_prot(p, &p->tok[4], &r.prot)))
		return err;
	if (tok_is(bk, "shared"))
		r.shared = true;
	else if (!tok_is(bk, "private"))
		return perr(p, bk->col, "expected private or shared, got "
			    TOKF, TOKA(bk));
	bk = &p->tok[6];
	if (tok_is(bk, "anon")) {
		r.backing = PTV_TRACE_ANON;
	} else if (tok_is(bk, "shmem")) {
		r.backing = PTV_TRACE_SHMEM;
	} else if (bk->len > 5 && memcmp(bk->s, "file:", 5) == 0) {
		r.backing = PTV_TRACE_FILE_BACKED;
		const char *at = memchr(bk->s, '@', bk->len);
		size_t nlen = (at ? (size_t)(at - bk->s) : bk->len) - 5;
		r.file = find_file(t, bk->s + 5, nlen);
		if (r.file == SIZE_MAX)
			return perr(p, bk->col + 5, "no file '%.*s' (make it "
				    "with a file statement first)", (int)nlen,
				    bk->s + 5);
		if (at) {
			unsigned ocol = bk->col + 5 + (unsigned)nlen + 1;
			if ((err = parse_num(p, at + 1, bk->len - nlen - 6,
					     ocol, true, &r.file_off)))
				return err;
			if (r.file_off & 4095)
				return perr(p, ocol, "file offset %#llx is not "
					    "a multiple of 4 KiB",
					    (unsigned long long)r.file_off);
		}
		uint64_t fsize = t->files[r.file].size;
		if (r.file_off > fsize || r.size > fsize - r.file_off)
			return perr(p, bk->col, "region '%.*s' (%#llx bytes "
				    "from offset %#llx) runs past the end of "
				    "file '%s' (%#llx bytes)", (int)name->len,
				    name->s, (unsigned long long)r.size,
				    (unsigned long long)r.file_off,
				    t->files[r.file].name,
				    (unsigned long long)fsize);
	} else {
		return perr(p, bk->col, "expected anon, shmem or file:NAME, "
			    "got " TOKF, TOKA(bk));
	}
	bool have_at = false;
	unsigned align_col = 0;
	if ((err = parse_map_opts(p, 7, &have_at, &r.addr, &r.align,
				  &align_col)))
		return err;
	if (have_at) {
		if (r.addr >= PTV_TRACE_ADDR_LIMIT ||
		    r.size > PTV_TRACE_ADDR_LIMIT - r.addr)
			return perr(p, name->col, "region '%.*s' at %#llx "
				    "(%#llx bytes) is beyond the user address "
				    "space", (int)name->len, name->s,
				    (unsigned long long)r.addr,
				    (unsigned long long)r.size);
	} else {
		if (r.size > PTV_TRACE_SLOT)
			return perr(p, p->tok[3].col, "region '%.*s' is larger "
				    "than 1 GiB; larger regions need at=ADDR",
				    (int)name->len, name->s);
		r.addr = PTV_TRACE_BASE + (uint64_t)p->nmaps * PTV_TRACE_SLOT;
	}
	if (r.align && (r.addr & (r.align - 1)))
		return perr(p, align_col, "region '%.*s' at %#llx is not "
			    "aligned to %#llx", (int)name->len, name->s,
			    (unsigned long long)r.addr,
			    (unsigned long long)r.align);
	struct ptv_trace_task *tk = &t->tasks[task];
	if ((err = grow((void **)&t->regions, t->nregions,
			sizeof(*t->regions))) ||
	    (err = grow((void **)&tk->regions, tk->nregions,
			sizeof(*tk->regions))))
		return err;
	struct ptv_trace_stmt *st;
	if ((err = new_stmt(p, PTV_TRACE_MAP, task, &st)))
		return err;
	if (!(r.name = tok_dup(name)))
		return ptv_enomem;
	st->region = t->nregions;
	st->addr = r.addr;
	st->len = r.size;
	tk->regions[tk->nregions++] = t->nregions;
	t->regions[t->nregions++] = r;
	p->nmaps++;
	return NULL;
}

static struct ptv_error *parse_fork(struct parser *p, size_t task)
{
	struct ptv_trace *t = p->t;
	struct ptv_error *err = want_tokens(p, 3, 3, "TASK fork CHILD");
	if (err)
		return err;
	const struct tok *k = &p->tok[2];
	if (!valid_name(k->s, k->len))
		return perr(p, k->col, TOKF " is not a task name "
			    "([A-Za-z_][A-Za-z0-9_]*)", TOKA(k));
	if (reserved_task_name(k))
		return perr(p, k->col, TOKF " cannot be a task name (set, file, "
			    "check and ptview are reserved)", TOKA(k));
	size_t dup = find_task(t, k);
	if (dup != SIZE_MAX)
		return perr(p, k->col, "task " TOKF " already exists (made at "
			    "line %u)", TOKA(k), t->tasks[dup].line);
	if (t->ntasks >= PTV_TRACE_MAX_TASKS)
		return perr(p, k->col, "more than %u tasks",
			    PTV_TRACE_MAX_TASKS);
	if ((err = grow((void **)&t->tasks, t->ntasks, sizeof(*t->tasks))))
		return err;
	struct ptv_trace_task *c = &t->tasks[t->ntasks];
	memset(c, 0, sizeof(*c));
	c->parent = task;
	c->line = p->line;
	const struct ptv_trace_task *par = &t->tasks[task];
	if (!(c->name = tok_dup(k)))
		return ptv_enomem;
	/* The region list's capacity follows grow()'s doubling rule. */
	size_t cap = 8;
	while (cap < par->nregions)
		cap *= 2;
	if (!(c->regions = malloc(cap * sizeof(*c->regions)))) {
		free(c->name);
		return ptv_enomem;
	}
	memcpy(c->regions, par->regions, par->nregions * sizeof(size_t));
	c->nregions = par->nregions;
	struct ptv_trace_stmt *st;
	if ((err = new_stmt(p, PTV_TRACE_FORK, task, &st))) {
		free(c->regions);
		free(c->name);
		return err;
	}
	st->child = t->ntasks++;
	return NULL;
}

static struct ptv_error *parse_advice(const struct parser *p,
				      const struct tok *k,
				      enum ptv_trace_advice *ret)
{
	for (size_t i = 0; i < sizeof(advice_names) / sizeof(*advice_names);
	     i++) {
		if (tok_is(k, advice_names[i])) {
			*ret = (enum ptv_trace_advice)i;
			return NULL;
		}
	}
	return perr(p, k->col, TOKF " is not an advice (dontneed, free, "
		    "pageout, cold, willneed, hugepage, nohugepage, collapse, "
		    "populate_read, populate_write)", TOKA(k));
}

/* pin and unpin: a task's pins, so that unpin names an earlier pin. */
static struct ptv_error *track_pin(struct parser *p,
				   const struct ptv_trace_stmt *st)
{
	const struct tok *k = &p->tok[2];
	if (st->op == PTV_TRACE_UNPIN) {
		for (size_t i = p->npins; i-- > 0;) {
			struct pin *pn = &p->pins[i];
			if (pn->task == st->task && pn->addr == st->addr &&
			    pn->len == st->len) {
				*pn = p->pins[--p->npins];
				return NULL;
			}
		}
		return perr(p, k->col, "unpin must name exactly the range of "
			    "an earlier pin by task '%s', and none is pinned "
			    "at %#llx (%#llx bytes)", p->t->tasks[st->task].name,
			    (unsigned long long)st->addr,
			    (unsigned long long)st->len);
	}
	size_t held = 0;
	for (size_t i = 0; i < p->npins; i++)
		held += p->pins[i].task == st->task;
	if (held >= PTV_TRACE_MAX_PINS)
		return perr(p, k->col, "task '%s' holds more than %u pins",
			    p->t->tasks[st->task].name, PTV_TRACE_MAX_PINS);
	struct ptv_error *err = grow((void **)&p->pins, p->npins,
				     sizeof(*p->pins));
	if (err)
		return err;
	p->pins[p->npins++] = (struct pin){ st->task, st->addr, st->len };
	return NULL;
}

static void drop_pins(struct parser *p, size_t task)
{
	for (size_t i = p->npins; i-- > 0;)
		if (p->pins[i].task == task)
			p->pins[i] = p->pins[--p->npins];
}

/* TASK VERB ... */
static struct ptv_error *parse_task_stmt(struct parser *p)
{
	struct ptv_trace *t = p->t;
	const struct tok *k = &p->tok[0], *verb = &p->tok[1];
	if (!valid_name(k->s, k->len))
		return perr(p, k->col, TOKF " is not a statement or a task "
			    "name", TOKA(k));
	size_t task = find_task(t, k);
	if (task == SIZE_MAX)
		return perr(p, k->col, "no task " TOKF " (t0 and the tasks "
			    "fork makes)", TOKA(k));
	if (t->tasks[task].exit_line)
		return perr(p, k->col, "task " TOKF " exited at line %u",
			    TOKA(k), t->tasks[task].exit_line);
	if (p->ntok < 2)
		return perr(p, k->col + (unsigned)k->len, "missing statement "
			    "after task '%s'", t->tasks[task].name);
	if (tok_is(verb, "map"))
		return parse_map(p, task);
	if (tok_is(verb, "fork"))
		return parse_fork(p, task);
	struct ptv_error *err;
	struct ptv_trace_stmt tmp = { .task = task, .line = p->line,
				      .region = SIZE_MAX, .child = SIZE_MAX,
				      .file = SIZE_MAX };
	if (tok_is(verb, "exit")) {
		if ((err = want_tokens(p, 2, 2, "TASK exit")))
			return err;
		tmp.op = PTV_TRACE_EXIT;
	} else if (tok_is(verb, "touch")) {
		const char *u = "TASK touch PLACE [LEN] read|write";
		if ((err = want_tokens(p, 4, 5, u)))
			return err;
		const struct tok *rw = &p->tok[p->ntok - 1];
		tmp.op = PTV_TRACE_TOUCH;
		tmp.len = 4096;
		if (p->ntok == 5 &&
		    (err = parse_size(p, p->tok[3].s, p->tok[3].len,
				      p->tok[3].col, PTV_TRACE_MAX_SIZE,
				      "length", &tmp.len)))
			return err;
		if (tok_is(rw, "write"))
			tmp.write = true;
		else if (!tok_is(rw, "read"))
			return perr(p, rw->col, "expected read or write, got "
				    TOKF, TOKA(rw));
	} else {
		static const struct { const char *verb; enum ptv_trace_op op;
				      const char *usage; } ranged[] = {
			{ "madvise", PTV_TRACE_MADVISE,
			  "TASK madvise PLACE LEN ADVICE" },
			{ "mprotect", PTV_TRACE_MPROTECT,
			  "TASK mprotect PLACE LEN PROT" },
			{ "munmap", PTV_TRACE_MUNMAP, "TASK munmap PLACE LEN" },
			{ "mlock", PTV_TRACE_MLOCK, "TASK mlock PLACE LEN" },
			{ "munlock", PTV_TRACE_MUNLOCK,
			  "TASK munlock PLACE LEN" },
			{ "pin", PTV_TRACE_PIN, "TASK pin PLACE LEN" },
			{ "unpin", PTV_TRACE_UNPIN, "TASK unpin PLACE LEN" },
		};
		size_t i = 0, n = sizeof(ranged) / sizeof(*ranged);
		while (i < n && !tok_is(verb, ranged[i].verb))
			i++;
		if (i == n)
			return perr(p, verb->col, "unknown statement " TOKF
				    " (map, touch, madvise, mprotect, munmap, "
				    "mlock, munlock, pin, unpin, fork, exit)",
				    TOKA(verb));
		tmp.op = ranged[i].op;
		size_t nt = tmp.op == PTV_TRACE_MADVISE ||
			    tmp.op == PTV_TRACE_MPROTECT ? 5 : 4;
		if ((err = want_tokens(p, nt, nt, ranged[i].usage)) ||
		    (err = parse_size(p, p->tok[3].s, p->tok[3].len,
				      p->tok[3].col, PTV_TRACE_MAX_SIZE,
				      "length", &tmp.len)))
			return err;
		if (tmp.op == PTV_TRACE_MADVISE &&
		    (err = parse_advice(p, &p->tok[4], &tmp.advice)))
			return err;
		if (tmp.op == PTV_TRACE_MPROTECT &&
		    (err = parse_prot(p, &p->tok[4], &tmp.prot)))
			return err;
	}
	if (tmp.op != PTV_TRACE_EXIT &&
	    (err = parse_place(p, task, &p->tok[2], tmp.len, &tmp)))
		return err;
	if ((tmp.op == PTV_TRACE_PIN || tmp.op == PTV_TRACE_UNPIN) &&
	    (err = track_pin(p, &tmp)))
		return err;
	struct ptv_trace_stmt *st;
	if ((err = new_stmt(p, tmp.op, task, &st)))
		return err;
	*st = tmp;
	if (tmp.op == PTV_TRACE_EXIT) {
		t->tasks[task].exit_line = p->line;
		drop_pins(p, task);
	}
	return NULL;
}

/* Split one line (comment removed) into tokens. */
static struct ptv_error *tokenize(struct parser *p, const char *s, size_t len)
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
			return perr(p, (unsigned)i + 1, "control character "
				    "0x%02x", c);
		size_t j = i;
		while (j < len && s[j] != ' ' && s[j] != '\t' && s[j] != '#' &&
		       (unsigned char)s[j] >= 0x20 && s[j] != 0x7f)
			j++;
		if (p->ntok == MAX_TOKENS)
			return perr(p, (unsigned)i + 1, "more than %d words "
				    "in one statement", MAX_TOKENS);
		p->tok[p->ntok++] = (struct tok){ s + i, j - i,
						  (unsigned)i + 1 };
		i = j;
	}
	return NULL;
}

static struct ptv_error *parse_line(struct parser *p)
{
	const struct tok *k = &p->tok[0];
	if (!p->header) {
		if (!tok_is(k, "ptview-trace"))
			return perr(p, k->col, "the first statement must be "
				    "'ptview-trace 1', not " TOKF, TOKA(k));
		struct ptv_error *err = want_tokens(p, 2, 2, "ptview-trace 1");
		if (err)
			return err;
		if (!tok_is(&p->tok[1], "1"))
			return perr(p, p->tok[1].col, "trace language version "
				    TOKF " is not supported (this ptview reads "
				    "version 1)", TOKA(&p->tok[1]));
		p->header = true;
		return NULL;
	}
	if (tok_is(k, "ptview-trace"))
		return perr(p, k->col, "'ptview-trace' may only be the first "
			    "statement");
	if (tok_is(k, "set"))
		return parse_set(p);
	if (tok_is(k, "file"))
		return parse_file(p);
	if (tok_is(k, "check"))
		return parse_check(p);
	return parse_task_stmt(p);
}

void ptv_trace_destroy(struct ptv_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nstmts; i++) {
		free(t->stmts[i].label);
		free(t->stmts[i].set);
	}
	for (size_t i = 0; i < t->ntasks; i++) {
		free(t->tasks[i].name);
		free(t->tasks[i].regions);
	}
	for (size_t i = 0; i < t->nregions; i++)
		free(t->regions[i].name);
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i].name);
	free(t->stmts);
	free(t->tasks);
	free(t->regions);
	free(t->files);
	free(t->path);
	free(t);
}

struct ptv_error *ptv_trace_parse(const char *text, size_t len,
				  const char *name, struct ptv_trace **ret)
{
	struct ptv_trace *t = calloc(1, sizeof(*t));
	struct parser p = { .t = t };
	struct ptv_error *err = NULL;
	if (!t || !(t->path = strdup(name)) ||
	    !(t->tasks = calloc(8, sizeof(*t->tasks))) ||
	    !(t->tasks[0].name = strdup("t0"))) {
		err = ptv_enomem;
		goto out;
	}
	t->tasks[0].parent = SIZE_MAX;
	t->ntasks = 1;
	if (len > PTV_TRACE_MAX_BYTES) {
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: larger than %u "
				       "bytes", name, PTV_TRACE_MAX_BYTES);
		goto out;
	}
	for (size_t pos = 0; pos < len || p.line == 0;) {
		/* text may be NULL when len is 0: memchr must not see it. */
		const char *nl = len > pos ? memchr(text + pos, '\n', len - pos) :
			NULL;
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t llen = end - pos;
		p.line++;
		if (llen && text[pos + llen - 1] == '\r')
			llen--;
		const char *nul = llen ? memchr(text + pos, '\0', llen) : NULL;
		if (nul) {
			err = perr(&p, (unsigned)(nul - text - pos) + 1,
				   "NUL byte");
			goto out;
		}
		if (llen > PTV_TRACE_MAX_LINE) {
			err = perr(&p, PTV_TRACE_MAX_LINE + 1, "line longer "
				   "than %u characters", PTV_TRACE_MAX_LINE);
			goto out;
		}
		if ((err = tokenize(&p, text + pos, llen)))
			goto out;
		if (p.ntok && (err = parse_line(&p)))
			goto out;
		pos = end + 1;
		if (!nl)
			break;
	}
	t->last_line = p.line;
	if (!p.header) {
		p.line = 1;
		err = perr(&p, 1, "empty trace: the first statement must be "
			   "'ptview-trace 1'");
	}
out:
	free(p.pins);
	free(p.labels);
	if (err) {
		ptv_trace_destroy(t);
		return err;
	}
	*ret = t;
	return NULL;
}

struct ptv_error *ptv_trace_load(const char *path, struct ptv_trace **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ptv_error_os(errno, "%s", path);
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	struct ptv_error *err = NULL;
	if (!buf) {
		close(fd);
		return ptv_enomem;
	}
	for (;;) {
		if (len == cap) {
			if (cap > PTV_TRACE_MAX_BYTES) {
				err = ptv_error_create(PTV_ERR_FORMAT, "%s: "
					"larger than %u bytes", path,
					PTV_TRACE_MAX_BYTES);
				goto out;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				err = ptv_enomem;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = ptv_error_os(errno, "%s", path);
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	err = ptv_trace_parse(buf, len, path, ret);
out:
	free(buf);
	close(fd);
	return err;
}
