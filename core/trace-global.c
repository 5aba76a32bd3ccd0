/* trace-global.c: the statements that name no task: `set`, `file` and
 * `check` (../shared/spec/trace.md, "Statements"), and the check labels'
 * uniqueness, kept in a hash set since there may be as many checks as
 * statements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/trace-parse.h"

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

size_t ptv_trace_find_file(const struct ptv_trace *t, const char *s, size_t len)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (strlen(t->files[i].name) == len &&
		    memcmp(t->files[i].name, s, len) == 0)
			return i;
	return SIZE_MAX;
}

/* set KEY=VALUE ... */
struct ptv_error *ptv_trace_parse_set(struct parser *p)
{
	struct ptv_error *err = ptv_trace_want_tokens(p, 2, 1 + PTV_TRACE_MAX_SET,
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
			err = ptv_trace_perr(p, k->col, "expected KEY=VALUE, got " TOKF,
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
		if (ptv_trace_tok_is(&key, "thp")) {
			s->key = PTV_KEY_THP;
			words = thp;
		} else if (ptv_trace_tok_is(&key, "thp_defrag")) {
			s->key = PTV_KEY_THP_DEFRAG;
			words = defrag;
		} else if (ptv_trace_tok_is(&key, "use_zero_page")) {
			s->key = PTV_KEY_USE_ZERO_PAGE;
			words = zero;
		} else if (ptv_trace_tok_is(&key, "max_ptes_none")) {
			s->key = PTV_KEY_MAX_PTES_NONE;
			max = 511;
		} else if (ptv_trace_tok_is(&key, "max_ptes_swap")) {
			s->key = PTV_KEY_MAX_PTES_SWAP;
			max = 511;
		} else if (ptv_trace_tok_is(&key, "max_ptes_shared")) {
			s->key = PTV_KEY_MAX_PTES_SHARED;
			max = 511;
		} else if (ptv_trace_tok_is(&key, "fault_around_bytes")) {
			s->key = PTV_KEY_FAULT_AROUND_BYTES;
		} else if (klen > 5 && memcmp(key.s, "mthp.", 5) == 0) {
			s->key = PTV_KEY_MTHP;
			words = mthp;
			if ((err = ptv_trace_parse_num(p, key.s + 5, klen - 5,
					     key.col + 5, true, &v)))
				goto fail;
			if (!ptv_trace_is_pow2(v) || v < 8192 || v > (2u << 20)) {
				err = ptv_trace_perr(p, key.col + 5, "mthp size %#llx "
					   "is not a power of two from 8K to "
					   "2M", (unsigned long long)v);
				goto fail;
			}
			s->mthp_size = v;
		} else {
			err = ptv_trace_perr(p, key.col, "unknown setting " TOKF " (thp, "
				   "thp_defrag, use_zero_page, max_ptes_none, "
				   "max_ptes_swap, max_ptes_shared, "
				   "fault_around_bytes, mthp.SIZE)", TOKA(&key));
			goto fail;
		}
		if (words) {
			size_t w = 0;
			while (words[w] && !ptv_trace_tok_is(&val, words[w]))
				w++;
			if (!words[w]) {
				err = ptv_trace_perr(p, val.col, TOKF " is not a value of "
					   "%.*s", TOKA(&val), (int)klen, key.s);
				goto fail;
			}
			snprintf(s->value, sizeof(s->value), "%s", words[w]);
			continue;
		}
		bool sizes = s->key == PTV_KEY_FAULT_AROUND_BYTES;
		if ((err = ptv_trace_parse_num(p, val.s, val.len, val.col, sizes, &v)))
			goto fail;
		if (sizes && ((v & 4095) || v > (2u << 20))) {
			err = ptv_trace_perr(p, val.col, "fault_around_bytes %#llx is not "
				   "a multiple of 4 KiB up to 2M",
				   (unsigned long long)v);
			goto fail;
		}
		if (!sizes && v > max) {
			err = ptv_trace_perr(p, val.col, "%.*s is at most %llu", (int)klen,
				   key.s, (unsigned long long)max);
			goto fail;
		}
		snprintf(s->value, sizeof(s->value), "%llu",
			 (unsigned long long)v);
	}
	struct ptv_trace_stmt *st;
	if ((err = ptv_trace_new_stmt(p, PTV_TRACE_SET, SIZE_MAX, &st)))
		goto fail;
	st->set = set;
	st->nset = p->ntok - 1;
	return NULL;
fail:
	free(set);
	return err;
}

/* file NAME SIZE [cached=all|none] */
struct ptv_error *ptv_trace_parse_file(struct parser *p)
{
	struct ptv_trace *t = p->t;
	struct ptv_error *err = ptv_trace_want_tokens(p, 3, 4,
					    "file NAME SIZE [cached=all|none]");
	if (err)
		return err;
	const struct tok *name = &p->tok[1];
	if (!ptv_trace_valid_name(name->s, name->len))
		return ptv_trace_perr(p, name->col, TOKF " is not a name "
			    "([A-Za-z_][A-Za-z0-9_]*)", TOKA(name));
	size_t dup = ptv_trace_find_file(t, name->s, name->len);
	if (dup != SIZE_MAX)
		return ptv_trace_perr(p, name->col, "file '%s' is already made at line %u",
			    t->files[dup].name, t->files[dup].line);
	if (t->nfiles >= PTV_TRACE_MAX_FILES)
		return ptv_trace_perr(p, name->col, "more than %u files",
			    PTV_TRACE_MAX_FILES);
	uint64_t size;
	if ((err = ptv_trace_parse_size(p, p->tok[2].s, p->tok[2].len, p->tok[2].col,
			      PTV_TRACE_MAX_FILE_SIZE, "file size", &size)))
		return err;
	bool cached = true;
	if (p->ntok == 4) {
		if (ptv_trace_tok_is(&p->tok[3], "cached=none"))
			cached = false;
		else if (!ptv_trace_tok_is(&p->tok[3], "cached=all"))
			return ptv_trace_perr(p, p->tok[3].col, "expected cached=all or "
				    "cached=none, got " TOKF, TOKA(&p->tok[3]));
	}
	if ((err = ptv_trace_grow((void **)&t->files, t->nfiles, sizeof(*t->files))))
		return err;
	struct ptv_trace_file *f = &t->files[t->nfiles];
	if (!(f->name = ptv_trace_tok_dup(name)))
		return ptv_enomem;
	f->size = size;
	f->cached = cached;
	f->line = p->line;
	struct ptv_trace_stmt *st;
	if ((err = ptv_trace_new_stmt(p, PTV_TRACE_FILE, SIZE_MAX, &st))) {
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
struct ptv_error *ptv_trace_parse_check(struct parser *p)
{
	struct ptv_error *err = ptv_trace_want_tokens(p, 1, 2, "check [LABEL]");
	if (err)
		return err;
	char buf[24];
	const char *label = buf;
	size_t len;
	if (p->ntok == 2) {
		const struct tok *k = &p->tok[1];
		if (!ptv_trace_valid_name(k->s, k->len))
			return ptv_trace_perr(p, k->col, TOKF " is not a label "
				    "([A-Za-z_][A-Za-z0-9_]*)", TOKA(k));
		if (reserved_label(k->s, k->len))
			return ptv_trace_perr(p, k->col, "label " TOKF " is reserved "
				    "(L<digits> and end name unlabelled checks "
				    "and the final record)", TOKA(k));
		label = k->s;
		len = k->len;
		size_t slot, prev = p->label_cap ?
			label_find(p, label, len, &slot) : SIZE_MAX;
		if (prev != SIZE_MAX)
			return ptv_trace_perr(p, k->col, "duplicate check label " TOKF
				    " (first at line %u)", TOKA(k),
				    p->t->stmts[prev].line);
	} else {
		len = (size_t)snprintf(buf, sizeof(buf), "L%u", p->line);
	}
	struct ptv_trace_stmt *st;
	if ((err = ptv_trace_new_stmt(p, PTV_TRACE_CHECK, SIZE_MAX, &st)))
		return err;
	if (!(st->label = strndup(label, len)))
		return ptv_enomem;
	return label_add(p, p->t->nstmts - 1);
}

