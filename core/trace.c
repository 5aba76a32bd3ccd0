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
#include "core/trace-parse.h"

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

static size_t find_task(const struct ptv_trace *t, const struct tok *k)
{
	for (size_t i = 0; i < t->ntasks; i++)
		if (ptv_trace_tok_is(k, t->tasks[i].name))
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

static bool task_has_region(const struct ptv_trace_task *task, size_t r)
{
	for (size_t i = 0; i < task->nregions; i++)
		if (task->regions[i] == r)
			return true;
	return false;
}

static bool reserved_task_name(const struct tok *k)
{
	return ptv_trace_tok_is(k, "set") || ptv_trace_tok_is(k, "file") || ptv_trace_tok_is(k, "check") ||
	       ptv_trace_tok_is(k, "ptview");
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
		if ((err = ptv_trace_parse_num(p, k->s, k->len, k->col, false, &a)))
			return err;
		if (a & 4095)
			return ptv_trace_perr(p, k->col, "address %#llx is not a multiple "
				    "of 4 KiB", (unsigned long long)a);
		if (a >= PTV_TRACE_ADDR_LIMIT ||
		    len > PTV_TRACE_ADDR_LIMIT - a)
			return ptv_trace_perr(p, k->col, "address %#llx is beyond the "
				    "user address space (%#llx)",
				    (unsigned long long)a,
				    (unsigned long long)PTV_TRACE_ADDR_LIMIT);
		st->region = SIZE_MAX;
		st->addr = a;
		return NULL;
	}
	const char *plus = memchr(k->s, '+', k->len);
	size_t nlen = plus ? (size_t)(plus - k->s) : k->len;
	if (!ptv_trace_valid_name(k->s, nlen))
		return ptv_trace_perr(p, k->col, TOKF " is not a place (REGION, "
			    "REGION+OFFSET or 0xADDR)", TOKA(k));
	size_t r = find_region(t, k->s, nlen);
	if (r == SIZE_MAX)
		return ptv_trace_perr(p, k->col, "no region '%.*s'", (int)nlen, k->s);
	if (!task_has_region(&t->tasks[task], r))
		return ptv_trace_perr(p, k->col, "task '%s' has no region '%s' (task "
			    "'%s' mapped it at line %u)", t->tasks[task].name,
			    t->regions[r].name,
			    t->tasks[t->regions[r].task].name,
			    t->regions[r].line);
	const struct ptv_trace_region *reg = &t->regions[r];
	uint64_t off = 0;
	if (plus) {
		unsigned ocol = k->col + (unsigned)nlen + 1;
		if ((err = ptv_trace_parse_num(p, plus + 1, k->len - nlen - 1, ocol, true,
				     &off)))
			return err;
		if (off & 4095)
			return ptv_trace_perr(p, ocol, "offset %#llx is not a multiple "
				    "of 4 KiB", (unsigned long long)off);
		if (off >= reg->size)
			return ptv_trace_perr(p, ocol, "offset %#llx is past the end of "
				    "region '%s' (%#llx bytes)",
				    (unsigned long long)off, reg->name,
				    (unsigned long long)reg->size);
	}
	if (len > reg->size - off)
		return ptv_trace_perr(p, k->col, "%#llx bytes from " TOKF " run past the "
			    "end of region '%s' (%#llx bytes)",
			    (unsigned long long)len, TOKA(k), reg->name,
			    (unsigned long long)reg->size);
	st->region = r;
	st->addr = reg->addr + off;
	return NULL;
}

struct ptv_error *ptv_trace_new_stmt(struct parser *p, enum ptv_trace_op op,
				  size_t task, struct ptv_trace_stmt **ret)
{
	struct ptv_trace *t = p->t;
	if (t->nstmts >= PTV_TRACE_MAX_STMTS)
		return ptv_trace_perr(p, 1, "more than %u statements",
			    PTV_TRACE_MAX_STMTS);
	struct ptv_error *err = ptv_trace_grow((void **)&t->stmts, t->nstmts,
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
			if ((err = ptv_trace_parse_num(p, k->s + 3, k->len - 3, k->col + 3,
					     false, at)))
				return err;
			if (*at == 0 || (*at & 4095))
				return ptv_trace_perr(p, k->col + 3, "at=%#llx is not a "
					    "non-zero multiple of 4 KiB",
					    (unsigned long long)*at);
			*have_at = true;
		} else if (k->len > 6 && memcmp(k->s, "align=", 6) == 0 &&
			   !have_align) {
			if ((err = ptv_trace_parse_num(p, k->s + 6, k->len - 6, k->col + 6,
					     true, align)))
				return err;
			if (!ptv_trace_is_pow2(*align) || *align < 4096)
				return ptv_trace_perr(p, k->col + 6, "align=%#llx is not "
					    "a power of two of at least 4K",
					    (unsigned long long)*align);
			have_align = true;
			*align_col = k->col;
		} else {
			return ptv_trace_perr(p, k->col, "unexpected " TOKF " (map takes "
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
	struct ptv_error *err = ptv_trace_want_tokens(p, 7, 9, MAP_USAGE);
	if (err)
		return err;
	const struct tok *name = &p->tok[2], *bk = &p->tok[5];
	if (!ptv_trace_valid_name(name->s, name->len))
		return ptv_trace_perr(p, name->col, TOKF " is not a region name "
			    "([A-Za-z_][A-Za-z0-9_]*)", TOKA(name));
	size_t dup = find_region(t, name->s, name->len);
	if (dup != SIZE_MAX)
		return ptv_trace_perr(p, name->col, "region '%s' is already mapped at "
			    "line %u (region names are unique in a trace)",
			    t->regions[dup].name, t->regions[dup].line);
	if (t->nregions >= PTV_TRACE_MAX_REGIONS)
		return ptv_trace_perr(p, name->col, "more than %u regions",
			    PTV_TRACE_MAX_REGIONS);
	struct ptv_trace_region r = { .task = task, .line = p->line,
				      .index = p->nmaps };
	if ((err = ptv_trace_parse_size(p, p->tok[3].s, p->tok[3].len, p->tok[3].col,
			      PTV_TRACE_MAX_SIZE, "region size", &r.size)) ||
	    (err = ptv_trace_parse_prot(p, &p->tok[4], &r.prot)))
		return err;
	if (ptv_trace_tok_is(bk, "shared"))
		r.shared = true;
	else if (!ptv_trace_tok_is(bk, "private"))
		return ptv_trace_perr(p, bk->col, "expected private or shared, got "
			    TOKF, TOKA(bk));
	bk = &p->tok[6];
	if (ptv_trace_tok_is(bk, "anon")) {
		r.backing = PTV_TRACE_ANON;
	} else if (ptv_trace_tok_is(bk, "shmem")) {
		r.backing = PTV_TRACE_SHMEM;
	} else if (bk->len > 5 && memcmp(bk->s, "file:", 5) == 0) {
		r.backing = PTV_TRACE_FILE_BACKED;
		const char *at = memchr(bk->s, '@', bk->len);
		size_t nlen = (at ? (size_t)(at - bk->s) : bk->len) - 5;
		r.file = ptv_trace_find_file(t, bk->s + 5, nlen);
		if (r.file == SIZE_MAX)
			return ptv_trace_perr(p, bk->col + 5, "no file '%.*s' (make it "
				    "with a file statement first)", (int)nlen,
				    bk->s + 5);
		if (at) {
			unsigned ocol = bk->col + 5 + (unsigned)nlen + 1;
			if ((err = ptv_trace_parse_num(p, at + 1, bk->len - nlen - 6,
					     ocol, true, &r.file_off)))
				return err;
			if (r.file_off & 4095)
				return ptv_trace_perr(p, ocol, "file offset %#llx is not "
					    "a multiple of 4 KiB",
					    (unsigned long long)r.file_off);
		}
		uint64_t fsize = t->files[r.file].size;
		if (r.file_off > fsize || r.size > fsize - r.file_off)
			return ptv_trace_perr(p, bk->col, "region '%.*s' (%#llx bytes "
				    "from offset %#llx) runs past the end of "
				    "file '%s' (%#llx bytes)", (int)name->len,
				    name->s, (unsigned long long)r.size,
				    (unsigned long long)r.file_off,
				    t->files[r.file].name,
				    (unsigned long long)fsize);
	} else {
		return ptv_trace_perr(p, bk->col, "expected anon, shmem or file:NAME, "
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
			return ptv_trace_perr(p, name->col, "region '%.*s' at %#llx "
				    "(%#llx bytes) is beyond the user address "
				    "space", (int)name->len, name->s,
				    (unsigned long long)r.addr,
				    (unsigned long long)r.size);
	} else {
		if (r.size > PTV_TRACE_SLOT)
			return ptv_trace_perr(p, p->tok[3].col, "region '%.*s' is larger "
				    "than 1 GiB; larger regions need at=ADDR",
				    (int)name->len, name->s);
		r.addr = PTV_TRACE_BASE + (uint64_t)p->nmaps * PTV_TRACE_SLOT;
	}
	if (r.align && (r.addr & (r.align - 1)))
		return ptv_trace_perr(p, align_col, "region '%.*s' at %#llx is not "
			    "aligned to %#llx", (int)name->len, name->s,
			    (unsigned long long)r.addr,
			    (unsigned long long)r.align);
	struct ptv_trace_task *tk = &t->tasks[task];
	if ((err = ptv_trace_grow((void **)&t->regions, t->nregions,
			sizeof(*t->regions))) ||
	    (err = ptv_trace_grow((void **)&tk->regions, tk->nregions,
			sizeof(*tk->regions))))
		return err;
	struct ptv_trace_stmt *st;
	if ((err = ptv_trace_new_stmt(p, PTV_TRACE_MAP, task, &st)))
		return err;
	if (!(r.name = ptv_trace_tok_dup(name)))
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
	struct ptv_error *err = ptv_trace_want_tokens(p, 3, 3, "TASK fork CHILD");
	if (err)
		return err;
	const struct tok *k = &p->tok[2];
	if (!ptv_trace_valid_name(k->s, k->len))
		return ptv_trace_perr(p, k->col, TOKF " is not a task name "
			    "([A-Za-z_][A-Za-z0-9_]*)", TOKA(k));
	if (reserved_task_name(k))
		return ptv_trace_perr(p, k->col, TOKF " cannot be a task name (set, file, "
			    "check and ptview are reserved)", TOKA(k));
	size_t dup = find_task(t, k);
	if (dup != SIZE_MAX)
		return ptv_trace_perr(p, k->col, "task " TOKF " already exists (made at "
			    "line %u)", TOKA(k), t->tasks[dup].line);
	if (t->ntasks >= PTV_TRACE_MAX_TASKS)
		return ptv_trace_perr(p, k->col, "more than %u tasks",
			    PTV_TRACE_MAX_TASKS);
	if ((err = ptv_trace_grow((void **)&t->tasks, t->ntasks, sizeof(*t->tasks))))
		return err;
	struct ptv_trace_task *c = &t->tasks[t->ntasks];
	memset(c, 0, sizeof(*c));
	c->parent = task;
	c->line = p->line;
	const struct ptv_trace_task *par = &t->tasks[task];
	if (!(c->name = ptv_trace_tok_dup(k)))
		return ptv_enomem;
	/* The region list's capacity follows ptv_trace_grow()'s doubling rule. */
	size_t cap = 8;
	while (cap < par->nregions)
		cap *= 2;
	if (!(c->regions = malloc(cap * sizeof(*c->regions)))) {
		free(c->name);
		return ptv_enomem;
	}
	if (par->nregions)	/* par->regions may be NULL */
		memcpy(c->regions, par->regions,
		       par->nregions * sizeof(size_t));
	c->nregions = par->nregions;
	struct ptv_trace_stmt *st;
	if ((err = ptv_trace_new_stmt(p, PTV_TRACE_FORK, task, &st))) {
		free(c->regions);
		free(c->name);
		return err;
	}
	st->child = t->ntasks++;
	return NULL;
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
		return ptv_trace_perr(p, k->col, "unpin must name exactly the range of "
			    "an earlier pin by task '%s', and none is pinned "
			    "at %#llx (%#llx bytes)", p->t->tasks[st->task].name,
			    (unsigned long long)st->addr,
			    (unsigned long long)st->len);
	}
	size_t held = 0;
	for (size_t i = 0; i < p->npins; i++)
		held += p->pins[i].task == st->task;
	if (held >= PTV_TRACE_MAX_PINS)
		return ptv_trace_perr(p, k->col, "task '%s' holds more than %u pins",
			    p->t->tasks[st->task].name, PTV_TRACE_MAX_PINS);
	struct ptv_error *err = ptv_trace_grow((void **)&p->pins, p->npins,
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
	if (!ptv_trace_valid_name(k->s, k->len))
		return ptv_trace_perr(p, k->col, TOKF " is not a statement or a task "
			    "name", TOKA(k));
	size_t task = find_task(t, k);
	if (task == SIZE_MAX)
		return ptv_trace_perr(p, k->col, "no task " TOKF " (t0 and the tasks "
			    "fork makes)", TOKA(k));
	if (t->tasks[task].exit_line)
		return ptv_trace_perr(p, k->col, "task " TOKF " exited at line %u",
			    TOKA(k), t->tasks[task].exit_line);
	if (p->ntok < 2)
		return ptv_trace_perr(p, k->col + (unsigned)k->len, "missing statement "
			    "after task '%s'", t->tasks[task].name);
	if (ptv_trace_tok_is(verb, "map"))
		return parse_map(p, task);
	if (ptv_trace_tok_is(verb, "fork"))
		return parse_fork(p, task);
	struct ptv_error *err;
	struct ptv_trace_stmt tmp = { .task = task, .line = p->line,
				      .region = SIZE_MAX, .child = SIZE_MAX,
				      .file = SIZE_MAX };
	if (ptv_trace_tok_is(verb, "exit")) {
		if ((err = ptv_trace_want_tokens(p, 2, 2, "TASK exit")))
			return err;
		tmp.op = PTV_TRACE_EXIT;
	} else if (ptv_trace_tok_is(verb, "touch")) {
		const char *u = "TASK touch PLACE [LEN] read|write";
		if ((err = ptv_trace_want_tokens(p, 4, 5, u)))
			return err;
		const struct tok *rw = &p->tok[p->ntok - 1];
		tmp.op = PTV_TRACE_TOUCH;
		tmp.len = 4096;
		if (p->ntok == 5 &&
		    (err = ptv_trace_parse_size(p, p->tok[3].s, p->tok[3].len,
				      p->tok[3].col, PTV_TRACE_MAX_SIZE,
				      "length", &tmp.len)))
			return err;
		if (ptv_trace_tok_is(rw, "write"))
			tmp.write = true;
		else if (!ptv_trace_tok_is(rw, "read"))
			return ptv_trace_perr(p, rw->col, "expected read or write, got "
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
		while (i < n && !ptv_trace_tok_is(verb, ranged[i].verb))
			i++;
		if (i == n)
			return ptv_trace_perr(p, verb->col, "unknown statement " TOKF
				    " (map, touch, madvise, mprotect, munmap, "
				    "mlock, munlock, pin, unpin, fork, exit)",
				    TOKA(verb));
		tmp.op = ranged[i].op;
		size_t nt = tmp.op == PTV_TRACE_MADVISE ||
			    tmp.op == PTV_TRACE_MPROTECT ? 5 : 4;
		if ((err = ptv_trace_want_tokens(p, nt, nt, ranged[i].usage)) ||
		    (err = ptv_trace_parse_size(p, p->tok[3].s, p->tok[3].len,
				      p->tok[3].col, PTV_TRACE_MAX_SIZE,
				      "length", &tmp.len)))
			return err;
		if (tmp.op == PTV_TRACE_MADVISE &&
		    (err = ptv_trace_parse_advice(p, &p->tok[4], &tmp.advice)))
			return err;
		if (tmp.op == PTV_TRACE_MPROTECT &&
		    (err = ptv_trace_parse_prot(p, &p->tok[4], &tmp.prot)))
			return err;
	}
	if (tmp.op != PTV_TRACE_EXIT &&
	    (err = parse_place(p, task, &p->tok[2], tmp.len, &tmp)))
		return err;
	if ((tmp.op == PTV_TRACE_PIN || tmp.op == PTV_TRACE_UNPIN) &&
	    (err = track_pin(p, &tmp)))
		return err;
	struct ptv_trace_stmt *st;
	if ((err = ptv_trace_new_stmt(p, tmp.op, task, &st)))
		return err;
	*st = tmp;
	if (tmp.op == PTV_TRACE_EXIT) {
		t->tasks[task].exit_line = p->line;
		drop_pins(p, task);
	}
	return NULL;
}

static struct ptv_error *parse_line(struct parser *p)
{
	const struct tok *k = &p->tok[0];
	if (!p->header) {
		if (!ptv_trace_tok_is(k, "ptview-trace"))
			return ptv_trace_perr(p, k->col, "the first statement must be "
				    "'ptview-trace 1', not " TOKF, TOKA(k));
		struct ptv_error *err = ptv_trace_want_tokens(p, 2, 2, "ptview-trace 1");
		if (err)
			return err;
		if (!ptv_trace_tok_is(&p->tok[1], "1"))
			return ptv_trace_perr(p, p->tok[1].col, "trace language version "
				    TOKF " is not supported (this ptview reads "
				    "version 1)", TOKA(&p->tok[1]));
		p->header = true;
		return NULL;
	}
	if (ptv_trace_tok_is(k, "ptview-trace"))
		return ptv_trace_perr(p, k->col, "'ptview-trace' may only be the first "
			    "statement");
	if (ptv_trace_tok_is(k, "set"))
		return ptv_trace_parse_set(p);
	if (ptv_trace_tok_is(k, "file"))
		return ptv_trace_parse_file(p);
	if (ptv_trace_tok_is(k, "check"))
		return ptv_trace_parse_check(p);
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
			err = ptv_trace_perr(&p, (unsigned)(nul - text - pos) + 1,
				   "NUL byte");
			goto out;
		}
		if (llen > PTV_TRACE_MAX_LINE) {
			err = ptv_trace_perr(&p, PTV_TRACE_MAX_LINE + 1, "line longer "
				   "than %u characters", PTV_TRACE_MAX_LINE);
			goto out;
		}
		if ((err = ptv_trace_tokenize(&p, text + pos, llen)))
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
		err = ptv_trace_perr(&p, 1, "empty trace: the first statement must be "
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
