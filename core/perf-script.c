/* perf-script.c: reading the text `perf script` prints (perf-script.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/perf-script.h"
#include "core/trace-import.h"

/* Tokens before the event name: COMM (up to 16 bytes, so at most 8
 * space-separated words), PID/TID, [CPU], TIME:. */
#define MAX_HEAD_TOKENS 12

struct ptv_error *ptv_perf_reader_init(struct ptv_perf_reader *rd,
				       const char *name, FILE *in)
{
	*rd = (struct ptv_perf_reader){ .name = name, .in = in };
	rd->line = malloc(PTV_IMPORT_MAX_LINE + 1);
	return rd->line ? NULL : ptv_enomem;
}

void ptv_perf_reader_deinit(struct ptv_perf_reader *rd)
{
	free(rd->line);
	rd->line = NULL;
}

struct ptv_error *ptv_perf_error(struct ptv_perf_reader *rd, size_t col,
			      const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ptv_error_create(PTV_ERR_FORMAT, "%s:%u:%zu: %s", rd->name,
				rd->lineno, col, msg);
}

/* --- reading --------------------------------------------------------------- */

/* Read the next line into rd->line without its newline (and a trailing
 * CR).  Returns ptv_stop at the end of the input. */
struct ptv_error *ptv_perf_read_line(struct ptv_perf_reader *rd)
{
	size_t n = 0;
	int c;
	bool any = false;
	if (rd->lineno >= PTV_IMPORT_MAX_LINES)
		return ptv_error_create(PTV_ERR_FORMAT, "%s: more than %u lines",
					rd->name, PTV_IMPORT_MAX_LINES);
	rd->lineno++;
	while ((c = getc(rd->in)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0' && rd->lineno == 1 && n >= 7 &&
		    memcmp(rd->line, "PERFILE", 7) == 0)
			return ptv_perf_error(rd, 1, "a perf.data file, not perf script "
				    "output (import what `perf script -i FILE` "
				    "prints)");
		if (c == '\0')
			return ptv_perf_error(rd, n + 1, "NUL byte: not perf script text");
		if (n == PTV_IMPORT_MAX_LINE)
			return ptv_perf_error(rd, n + 1, "line longer than %u bytes",
				    PTV_IMPORT_MAX_LINE);
		rd->line[n++] = (char)c;
	}
	if (ferror(rd->in))
		return ptv_error_create(PTV_ERR_OS, "%s:%u: read error",
					rd->name, rd->lineno);
	if (!any)
		return ptv_stop;
	if (n && rd->line[n - 1] == '\r')
		n--;
	rd->line[n] = '\0';
	rd->len = n;
	return NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* A decimal thread or process id (0 .. INT32_MAX). */
static bool parse_id(const char *s, size_t n, int32_t *ret)
{
	if (!all_digits(s, n) || n > 10)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (v > INT32_MAX)
		return false;
	*ret = (int32_t)v;
	return true;
}

/* "0x" and 1-16 hex digits. */
static bool parse_hex(const char *s, size_t n, uint64_t *ret)
{
	if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	uint64_t v = 0;
	for (size_t i = 2; i < n; i++) {
		char c = s[i];
		unsigned d;
		if (is_digit(c))
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*ret = v;
	return true;
}

/* SECS.FRAC: (perf's time column, any precision). */
static bool is_time(const char *s, size_t n)
{
	if (n < 2 || s[n - 1] != ':')
		return false;
	const char *dot = memchr(s, '.', n - 1);
	if (!dot)
		return all_digits(s, n - 1);
	return all_digits(s, (size_t)(dot - s)) &&
	       all_digits(dot + 1, (size_t)(s + n - 1 - dot - 1));
}

/* Could this token be the event name?  "sys:name:", "cycles:u:",
 * "page-faults:", or one of perf's own records (--show-task-events). */
static bool is_event_name(const char *s, size_t n)
{
	if (n >= 12 && memcmp(s, "PERF_RECORD_", 12) == 0)
		return true;
	if (n < 2 || s[n - 1] != ':' || is_time(s, n))
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      is_digit(c) || c == '_' || c == '-' || c == '.' ||
		      c == ':' || c == '/'))
			return false;
	}
	return true;
}

struct tok {
	size_t off, len;
};

/* Parse the columns before a candidate event name (tokens t[0..n)) from
 * the right: [TIME:] [[CPU]] [PID/TID|TID], the rest is COMM. */
static void parse_head(const char *line, const struct tok *t, size_t n,
		       struct ptv_perf_shape *sh, struct ptv_perf_event *h)
{
	*sh = (struct ptv_perf_shape){ .id = PTV_PERF_ID_NONE };
	size_t i = n;
	if (i && is_time(line + t[i - 1].off, t[i - 1].len)) {
		sh->time = true;
		i--;
	}
	if (i && t[i - 1].len >= 3 && line[t[i - 1].off] == '[' &&
	    line[t[i - 1].off + t[i - 1].len - 1] == ']' &&
	    all_digits(line + t[i - 1].off + 1, t[i - 1].len - 2)) {
		sh->cpu = true;
		i--;
	}
	if (i) {
		const char *s = line + t[i - 1].off;
		size_t len = t[i - 1].len;
		const char *slash = memchr(s, '/', len);
		if (slash && parse_id(s, (size_t)(slash - s), &h->pid) &&
		    parse_id(slash + 1, (size_t)(s + len - slash - 1), &h->tid)) {
			sh->id = PTV_PERF_ID_PIDTID;
			i--;
		} else if (!slash && parse_id(s, len, &h->tid)) {
			h->pid = h->tid;
			sh->id = PTV_PERF_ID_TID;
			i--;
		}
	}
	sh->comm = i > 0;
	h->comm = i ? line + t[0].off : "";
	h->comm_len = i ? t[i - 1].off + t[i - 1].len - t[0].off : 0;
}

static bool same_shape(const struct ptv_perf_shape *a,
		       const struct ptv_perf_shape *b)
{
	return a->comm == b->comm && a->cpu == b->cpu && a->time == b->time &&
	       a->id == b->id;
}

/* Split an event line into its columns.  The event name is the first
 * token that looks like one and whose columns before it have the shape of
 * the first event line (a COMM may itself look like an event name). */
struct ptv_error *ptv_perf_split_event(struct ptv_perf_reader *rd,
				       struct ptv_perf_event *h)
{
	const char *line = rd->line;
	struct tok t[MAX_HEAD_TOKENS + 1];
	size_t n = 0, p = 0;
	while (n <= MAX_HEAD_TOKENS) {
		while (p < rd->len && is_space(line[p]))
			p++;
		if (p == rd->len)
			break;
		size_t start = p;
		while (p < rd->len && !is_space(line[p]))
			p++;
		t[n] = (struct tok){ start, p - start };
		struct ptv_perf_shape sh;
		if (is_event_name(line + start, p - start)) {
			parse_head(line, t, n, &sh, h);
			if (rd->have_shape ? same_shape(&sh, &rd->shape) :
					     sh.id != PTV_PERF_ID_NONE) {
				if (!rd->have_shape) {
					rd->shape = sh;
					rd->have_shape = true;
					rd->shape_line = rd->lineno;
				}
				h->event = line + start;
				h->event_len = p - start;
				while (p < rd->len && is_space(line[p]))
					p++;
				h->fields = p;
				return NULL;
			}
		}
		n++;
	}
	size_t col = 1;
	while (col <= rd->len && is_space(line[col - 1]))
		col++;
	if (!rd->have_shape)
		return ptv_perf_error(rd, col, "not a perf script event line (expected "
			    "[COMM] PID/TID or TID [CPU] [TIME:] EVENT: FIELDS; "
			    "perf script -F comm,pid,tid,time,event,trace "
			    "prints that)");
	return ptv_perf_error(rd, col, "not a perf script event line with the columns "
		    "of line %u (%s%s%s%sEVENT: FIELDS)", rd->shape_line,
		    rd->shape.comm ? "COMM " : "",
		    rd->shape.id == PTV_PERF_ID_PIDTID ? "PID/TID " : "TID ",
		    rd->shape.cpu ? "[CPU] " : "",
		    rd->shape.time ? "TIME: " : "");
}


/* Where "key=" starts at or after from, after a space (the fields always
 * follow one); SIZE_MAX when it does not occur. */
size_t ptv_perf_find_key(const struct ptv_perf_reader *rd, size_t from,
		       const char *key)
{
	size_t kl = strlen(key);
	for (size_t p = from; p + kl + 1 <= rd->len; p++) {
		if (p > 0 && is_space(rd->line[p - 1]) &&
		    memcmp(rd->line + p, key, kl) == 0 && rd->line[p + kl] == '=')
			return p;
	}
	return SIZE_MAX;
}


struct ptv_error *ptv_perf_field(struct ptv_perf_reader *rd, size_t from,
				   const char *key, struct ptv_perf_field *f)
{
	f->key = ptv_perf_find_key(rd, from, key);
	if (f->key == SIZE_MAX)
		return ptv_perf_error(rd, from + 1, "no %s= field", key);
	f->off = f->key + strlen(key) + 1;
	size_t e = f->off;
	while (e < rd->len && !is_space(rd->line[e]))
		e++;
	f->len = e - f->off;
	return NULL;
}

/* comm=VALUE up to " next_key=". */
struct ptv_error *ptv_perf_string_field(struct ptv_perf_reader *rd, size_t from,
				    const char *key, const char *next_key,
				    struct ptv_perf_field *f, struct ptv_perf_field *next)
{
	struct ptv_error *err;
	if ((err = ptv_perf_field(rd, from, key, f)) ||
	    (err = ptv_perf_field(rd, f->off, next_key, next)))
		return err;
	f->len = next->key > f->off ? next->key - 1 - f->off : 0;
	return NULL;
}

struct ptv_error *ptv_perf_field_hex(struct ptv_perf_reader *rd, const struct ptv_perf_field *f,
				   const char *key, uint64_t *ret)
{
	if (!parse_hex(rd->line + f->off, f->len, ret))
		return ptv_perf_error(rd, f->off + 1, "%s=%.*s is not a 0x hex number of "
			    "at most 64 bits", key, (int)f->len,
			    rd->line + f->off);
	return NULL;
}

struct ptv_error *ptv_perf_field_id(struct ptv_perf_reader *rd, const struct ptv_perf_field *f,
				  const char *key, int32_t *ret)
{
	if (!parse_id(rd->line + f->off, f->len, ret))
		return ptv_perf_error(rd, f->off + 1, "%s=%.*s is not a process id", key,
			    (int)f->len, rd->line + f->off);
	return NULL;
}

/* Printable ASCII only: names end up in comments of the trace. */
void ptv_perf_sanitize(char *dst, size_t size, const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n && i + 1 < size; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	dst[i] = '\0';
}

bool ptv_perf_ignored_line(const struct ptv_perf_reader *rd)
{
	size_t p = 0;
	while (p < rd->len && is_space(rd->line[p]))
		p++;
	if (p == rd->len || rd->line[p] == '#')
		return true;
	/* A callchain entry: "\t    ffffffff81000c82 sym+0x22 (dso)". */
	if (rd->line[0] != '\t')
		return false;
	size_t e = p;
	while (e < rd->len && strchr("0123456789abcdefABCDEF", rd->line[e]))
		e++;
	return e > p && (e == rd->len || is_space(rd->line[e]));
}
