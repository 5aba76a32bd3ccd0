/* VMCOREINFO text: parsing into a sorted key table and typed lookups. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vmcoreinfo.h"

struct vmcoreinfo_entry {
	const char *key;	/* points into ptv_vmcoreinfo.text */
	const char *value;	/* likewise; NUL-terminated, trimmed */
	size_t line;		/* 0-based line number: orders duplicates */
};

struct ptv_vmcoreinfo {
	char *text;		/* private copy, '=' and '\n' replaced by NUL */
	struct vmcoreinfo_entry *entries;	/* sorted by key, unique */
	size_t nentries;
};

/* A key is printable ASCII without spaces: "OSRELEASE",
 * "SYMBOL(init_top_pgt)", "OFFSET(page.flags)", "BUILD-ID". */
static bool valid_key(const char *key, size_t len)
{
	if (len == 0 || len > 256)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (key[i] <= ' ' || key[i] > '~')
			return false;
	}
	return true;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct vmcoreinfo_entry *ea = a, *eb = b;
	int r = strcmp(ea->key, eb->key);
	if (r)
		return r;
	return ea->line < eb->line ? -1 : ea->line > eb->line;
}

/* Split one line in place into key and value; false for a junk line. */
static bool split_line(char *line, size_t len, struct vmcoreinfo_entry *ret)
{
	char *eq = memchr(line, '=', len);
	if (!eq || !valid_key(line, eq - line))
		return false;
	char *value = eq + 1;
	char *end = line + len;
	while (end > value && (end[-1] == '\r' || end[-1] == ' ' ||
			       end[-1] == '\t'))
		end--;
	*eq = '\0';
	*end = '\0';
	ret->key = line;
	ret->value = value;
	return true;
}

struct ptv_error *ptv_vmcoreinfo_parse(const char *text, size_t len,
				       struct ptv_vmcoreinfo **ret)
{
	const char *nul = memchr(text, '\0', len);
	if (nul)
		len = nul - text;
	if (len > PTV_VMCOREINFO_MAX_BYTES)
		return ptv_error_create(PTV_ERR_FORMAT,
					"VMCOREINFO: %zu bytes of text, more than the %u a kernel writes",
					len, PTV_VMCOREINFO_MAX_BYTES);

	struct ptv_vmcoreinfo *vi = calloc(1, sizeof(*vi));
	if (!vi)
		return ptv_enomem;
	vi->text = malloc(len + 1);
	if (!vi->text)
		goto enomem;
	memcpy(vi->text, text, len);
	vi->text[len] = '\0';

	/* At most one entry per line: count lines to size the table. */
	size_t nlines = 1;
	for (size_t i = 0; i < len; i++)
		nlines += vi->text[i] == '\n';
	vi->entries = calloc(nlines, sizeof(*vi->entries));
	if (!vi->entries)
		goto enomem;

	char *p = vi->text, *end = vi->text + len;
	for (size_t line = 0; p < end; line++) {
		char *nl = memchr(p, '\n', end - p);
		char *line_end = nl ? nl : end;
		struct vmcoreinfo_entry e = { .line = line };
		if (split_line(p, line_end - p, &e))
			vi->entries[vi->nentries++] = e;
		p = line_end + 1;
	}
	if (vi->nentries == 0) {
		ptv_vmcoreinfo_destroy(vi);
		return ptv_error_create(PTV_ERR_FORMAT,
					"VMCOREINFO: no KEY=VALUE line in %zu bytes",
					len);
	}

	/* Sort by key, then line; keep the last line of each key. */
	qsort(vi->entries, vi->nentries, sizeof(*vi->entries), entry_cmp);
	size_t n = 0;
	for (size_t i = 0; i < vi->nentries; i++) {
		if (n > 0 && strcmp(vi->entries[n - 1].key,
				    vi->entries[i].key) == 0)
			n--;
		vi->entries[n++] = vi->entries[i];
	}
	vi->nentries = n;
	*ret = vi;
	return NULL;

enomem:
	ptv_vmcoreinfo_destroy(vi);
	return ptv_enomem;
}

void ptv_vmcoreinfo_destroy(struct ptv_vmcoreinfo *vi)
{
	if (!vi)
		return;
	free(vi->entries);
	free(vi->text);
	free(vi);
}

size_t ptv_vmcoreinfo_count(const struct ptv_vmcoreinfo *vi)
{
	return vi->nentries;
}

const char *ptv_vmcoreinfo_get(const struct ptv_vmcoreinfo *vi,
			       const char *key)
{
	size_t lo = 0, hi = vi->nentries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(key, vi->entries[mid].key);
		if (r == 0)
			return vi->entries[mid].value;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Value parsers: the whole string must be the number, no sign games. */
static bool parse_hex(const char *s, uint64_t *ret)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s || strlen(s) > 16)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	*ret = v;
	return true;
}

static bool parse_udec(const char *s, uint64_t *ret)
{
	if (!*s)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = *s - '0';
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

static bool parse_sdec(const char *s, int64_t *ret)
{
	bool neg = *s == '-';
	uint64_t v;
	if (!parse_udec(neg ? s + 1 : s, &v))
		return false;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > INT64_MAX)
		return false;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* Find "fmt(args)" and return its value, or ptv_not_found. */
static struct ptv_error *lookup(const struct ptv_vmcoreinfo *vi,
				const char **value_ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct ptv_error *lookup(const struct ptv_vmcoreinfo *vi,
				const char **value_ret, const char *fmt, ...)
{
	char key[300];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(key))
		return ptv_not_found;
	const char *value = ptv_vmcoreinfo_get(vi, key);
	if (!value)
		return ptv_not_found;
	*value_ret = value;
	return NULL;
}

static struct ptv_error *bad_value(const char *key_fmt, const char *name,
				   const char *value, const char *want)
{
	char key[300];
	snprintf(key, sizeof(key), key_fmt, name);
	return ptv_error_create(PTV_ERR_FORMAT,
				"VMCOREINFO: %s=%s is not %s", key, value,
				want);
}

struct ptv_error *ptv_vmcoreinfo_symbol(const struct ptv_vmcoreinfo *vi,
					const char *name, uint64_t *ret)
{
	const char *value;
	struct ptv_error *err = lookup(vi, &value, "SYMBOL(%s)", name);
	if (err)
		return err;
	uint64_t v;
	if (!parse_hex(value, &v))
		return bad_value("SYMBOL(%s)", name, value, "a hex address");
	*ret = v;
	return NULL;
}

struct ptv_error *ptv_vmcoreinfo_number(const struct ptv_vmcoreinfo *vi,
					const char *name, int64_t *ret)
{
	const char *value;
	struct ptv_error *err = lookup(vi, &value, "NUMBER(%s)", name);
	if (err)
		return err;
	int64_t v;
	uint64_t u;
	if (value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
		if (!parse_hex(value, &u))
			return bad_value("NUMBER(%s)", name, value, "a number");
		v = (int64_t)u;
	} else if (!parse_sdec(value, &v)) {
		return bad_value("NUMBER(%s)", name, value, "a number");
	}
	*ret = v;
	return NULL;
}

static struct ptv_error *lookup_udec(const struct ptv_vmcoreinfo *vi,
				     const char *key_fmt, const char *name,
				     uint64_t *ret)
{
	const char *value;
	struct ptv_error *err = lookup(vi, &value, key_fmt, name);
	if (err)
		return err;
	uint64_t v;
	if (!parse_udec(value, &v))
		return bad_value(key_fmt, name, value, "a decimal number");
	*ret = v;
	return NULL;
}

struct ptv_error *ptv_vmcoreinfo_size(const struct ptv_vmcoreinfo *vi,
				      const char *type, uint64_t *ret)
{
	return lookup_udec(vi, "SIZE(%s)", type, ret);
}

struct ptv_error *ptv_vmcoreinfo_offset(const struct ptv_vmcoreinfo *vi,
					const char *type, const char *member,
					uint64_t *ret)
{
	char name[300];
	int n = snprintf(name, sizeof(name), "%s.%s", type, member);
	if (n < 0 || (size_t)n >= sizeof(name))
		return ptv_not_found;
	return lookup_udec(vi, "OFFSET(%s)", name, ret);
}

struct ptv_error *ptv_vmcoreinfo_length(const struct ptv_vmcoreinfo *vi,
					const char *name, uint64_t *ret)
{
	return lookup_udec(vi, "LENGTH(%s)", name, ret);
}

struct ptv_error *ptv_vmcoreinfo_kerneloffset(const struct ptv_vmcoreinfo *vi,
					      uint64_t *ret)
{
	const char *value = ptv_vmcoreinfo_get(vi, "KERNELOFFSET");
	if (!value)
		return ptv_not_found;
	uint64_t v;
	if (!parse_hex(value, &v))
		return ptv_error_create(PTV_ERR_FORMAT,
					"VMCOREINFO: KERNELOFFSET=%s is not a hex offset",
					value);
	*ret = v;
	return NULL;
}

struct ptv_error *ptv_vmcoreinfo_pagesize(const struct ptv_vmcoreinfo *vi,
					  uint64_t *ret)
{
	const char *value = ptv_vmcoreinfo_get(vi, "PAGESIZE");
	if (!value)
		return ptv_not_found;
	uint64_t v;
	if (!parse_udec(value, &v) || v < 1024 || v > (1u << 20) ||
	    (v & (v - 1)))
		return ptv_error_create(PTV_ERR_FORMAT,
					"VMCOREINFO: PAGESIZE=%s is not a page size",
					value);
	*ret = v;
	return NULL;
}
