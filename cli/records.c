/* records.c: JSON-lines and text output of task, vma, page, run and
 * summary records. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/records.h"
#include "core/kpage.h"
#include "core/kpageflags.h"
#include "core/live-rmap.h"
#include "core/page.h"
#include "core/rmap.h"
#include "core/summary.h"
#include "core/vma.h"
#include "core/walk.h"

struct bool_json {
	char s[32];
	size_t n;
};

/* ,"name":false and ,"name":true for every boolean, made once. */
static struct bool_json bool_json[PTV_B_COUNT][2];

static void bool_json_init(void)
{
	if (bool_json[0][0].n)
		return;
	for (int b = 0; b < PTV_B_COUNT; b++)
		for (int v = 0; v < 2; v++) {
			int n = snprintf(bool_json[b][v].s,
					 sizeof(bool_json[b][v].s), ",\"%s\":%s",
					 ptv_page_bool_name(b),
					 v ? "true" : "false");
			bool_json[b][v].n = (size_t)n;
		}
}

/* The kpageflags names as JSON (,"kpageflags_names":[...]) or text
 * ( [...]) into buf; returns the length. */
static size_t render_flags(bool json, uint64_t flags, char *buf, size_t size)
{
	size_t len = 0;
	len += (size_t)snprintf(buf + len, size - len, "%s",
				json ? ",\"kpageflags_names\":[" : " [");
	bool first = true;
	for (unsigned b = 0; b < 64; b++) {
		if (!(flags & (UINT64_C(1) << b)))
			continue;
		const char *n = ptv_kpageflags_name(b);
		char unknown[16];
		if (!n) {
			snprintf(unknown, sizeof(unknown), "BIT%u", b);
			n = unknown;
		}
		len += (size_t)snprintf(buf + len, size - len, json ?
					"%s\"%s\"" : "%s%s",
					first ? "" : json ? "," : " ", n);
		first = false;
	}
	len += (size_t)snprintf(buf + len, size - len, "]");
	return len < size ? len : size - 1;
}

void ptv_out_init(struct ptv_out *o, int fd, bool json, bool color)
{
	o->fd = fd;
	o->json = json;
	o->color = color && !json;
	o->write_failed = false;
	o->len = 0;
	o->flags_cache_valid = false;
	o->pg_names = NULL;
	bool_json_init();
}

bool ptv_out_flush(struct ptv_out *o)
{
	size_t off = 0;
	while (off < o->len && !o->write_failed) {
		ssize_t r = write(o->fd, o->buf + off, o->len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			o->write_failed = true;
		else
			off += (size_t)r;
	}
	o->len = 0;
	return !o->write_failed;
}

static void put_slow(struct ptv_out *o, const char *s, size_t n)
{
	while (n) {
		if (o->len == sizeof(o->buf))
			ptv_out_flush(o);
		size_t room = sizeof(o->buf) - o->len, k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

static inline void put(struct ptv_out *o, const char *s, size_t n)
{
	if (sizeof(o->buf) - o->len >= n) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	} else {
		put_slow(o, s, n);
	}
}

/* A string literal, its length known at compile time. */
#define PUTLIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static void puts_(struct ptv_out *o, const char *s) { put(o, s, strlen(s)); }

static void reserve(struct ptv_out *o, size_t n)
{
	if (sizeof(o->buf) - o->len < n)
		ptv_out_flush(o);
}

static void putc_(struct ptv_out *o, char c)
{
	reserve(o, 1);
	o->buf[o->len++] = c;
}

static void put_u64(struct ptv_out *o, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, tmp + i, sizeof(tmp) - (size_t)i);
}

static void put_hex(struct ptv_out *o, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[18];
	int i = sizeof(tmp);
	do {
		tmp[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	put(o, tmp + i, sizeof(tmp) - (size_t)i);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n;
	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* A JSON string: control characters escaped, bytes that are not UTF-8
 * replaced by U+FFFD so the line stays valid JSON. */
static void put_jstr(struct ptv_out *o, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t left = strlen(str);
	putc_(o, '"');
	while (left) {
		size_t n = utf8_len(s, left);
		if (n == 0) {
			puts_(o, "\\ufffd");
			n = 1;
		} else if (*s == '"' || *s == '\\') {
			putc_(o, '\\');
			putc_(o, (char)*s);
		} else if (*s < 0x20) {
			char esc[8];
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			puts_(o, esc);
		} else {
			put(o, (const char *)s, n);
		}
		s += n;
		left -= n;
	}
	putc_(o, '"');
}

/* ,"key": */
static void key(struct ptv_out *o, const char *k)
{
	PUTLIT(o, ",\"");
	puts_(o, k);
	PUTLIT(o, "\":");
}

static void jhead(struct ptv_out *o, const char *type, int pid)
{
	puts_(o, "{\"type\":\"");
	puts_(o, type);
	putc_(o, '"');
	if (pid >= 0) {
		key(o, "pid");
		put_u64(o, (uint64_t)pid);
	}
}

static void kv_u64(struct ptv_out *o, const char *k, uint64_t v)
{
	if (v == UINT64_MAX)
		return;
	if (o->json) {
		key(o, k);
		put_u64(o, v);
	} else {
		putc_(o, ' ');
		puts_(o, k);
		putc_(o, ' ');
		put_u64(o, v);
	}
}

static void kv_hex(struct ptv_out *o, const char *k, uint64_t v)
{
	if (o->json) {
		key(o, k);
		putc_(o, '"');
		put_hex(o, v);
		putc_(o, '"');
	} else {
		putc_(o, ' ');
		puts_(o, k);
		putc_(o, ' ');
		put_hex(o, v);
	}
}

static void color_on(struct ptv_out *o, const char *sgr)
{
	if (o->color) {
		puts_(o, "\033[");
		puts_(o, sgr);
		putc_(o, 'm');
	}
}

static void color_off(struct ptv_out *o)
{
	if (o->color)
		puts_(o, "\033[0m");
}

void ptv_out_task(struct ptv_out *o, const struct ptv_task_rec *t)
{
	if (o->json) {
		jhead(o, "task", t->pid);
		key(o, "comm");
		put_jstr(o, t->comm);
		if (t->mm) {
			kv_hex(o, "mm", t->mm);
			kv_hex(o, "pgd", t->pgd);
			kv_hex(o, "pgd_phys", t->pgd_phys);
		}
	} else {
		color_on(o, "1");
		puts_(o, "task ");
		put_u64(o, (uint64_t)t->pid);
		putc_(o, ' ');
		puts_(o, t->comm);
		color_off(o);
		if (t->mm) {
			kv_hex(o, "mm", t->mm);
			kv_hex(o, "pgd", t->pgd);
		}
	}
	kv_u64(o, "rss_anon_kb", t->rss_anon_kb);
	kv_u64(o, "rss_file_kb", t->rss_file_kb);
	kv_u64(o, "rss_shmem_kb", t->rss_shmem_kb);
	kv_u64(o, "swap_kb", t->swap_kb);
	kv_u64(o, "pgtables_kb", t->pgtables_kb);
	puts_(o, o->json ? "}\n" : "\n");
}

void ptv_out_vma(struct ptv_out *o, int pid, const struct ptv_vma *v)
{
	const char *backing = ptv_backing_name(v->backing);
	if (o->json) {
		jhead(o, "vma", pid);
		kv_hex(o, "start", v->start);
		kv_hex(o, "end", v->end);
		key(o, "perms");
		put_jstr(o, v->perms);
		kv_u64(o, "pgoff", v->pgoff);
		key(o, "backing");
		put_jstr(o, backing);
		if (v->path) {
			key(o, "path");
			put_jstr(o, v->path);
		}
		puts_(o, "}\n");
		return;
	}
	color_on(o, "36");
	puts_(o, "  vma ");
	put_hex(o, v->start);
	putc_(o, '-');
	put_hex(o, v->end);
	color_off(o);
	putc_(o, ' ');
	puts_(o, v->perms);
	kv_u64(o, "pgoff", v->pgoff);
	putc_(o, ' ');
	puts_(o, backing);
	if (v->path) {
		putc_(o, ' ');
		puts_(o, v->path);
	}
	putc_(o, '\n');
}

static const char *state_color(enum ptv_page_state s)
{
	switch (s) {
	case PTV_STATE_PRESENT: return "32";
	case PTV_STATE_SWAP: return "33";
	case PTV_STATE_NONE: return "2";
	default: return "31";
	}
}

/* PG_* names of flags: ,"key":["PG_a",...] or text " [PG_a ...]". */
static void put_pg_names(struct ptv_out *o, const char *k, uint64_t flags,
			 const char *const *names)
{
	if (o->json) {
		key(o, k);
		putc_(o, '[');
	} else {
		PUTLIT(o, " [");
	}
	bool first = true;
	for (unsigned b = 0; b < 64; b++) {
		if (!((flags >> b) & 1) || !names[b])
			continue;
		if (!first)
			putc_(o, o->json ? ',' : ' ');
		first = false;
		if (o->json)
			put_jstr(o, names[b]);
		else
			puts_(o, names[b]);
	}
	putc_(o, ']');
}

static void kv_s64(struct ptv_out *o, const char *k, int64_t v)
{
	if (v >= 0) {
		kv_u64(o, k, (uint64_t)v);
		return;
	}
	if (o->json) {
		key(o, k);
	} else {
		putc_(o, ' ');
		puts_(o, k);
		putc_(o, ' ');
	}
	putc_(o, '-');
	put_u64(o, (uint64_t)0 - (uint64_t)v);
}

static void kv_bool(struct ptv_out *o, const char *k, bool v)
{
	if (o->json) {
		key(o, k);
		puts_(o, v ? "true" : "false");
	} else if (v) {
		putc_(o, ' ');
		puts_(o, k);
	}
}

static void page_body(struct ptv_out *o, const struct ptv_page *p)
{
	if (p->has & PTV_HAS_PFN) {
		if (o->json)	/* PFNs are decimal in JSON (spec/cli.md) */
			kv_u64(o, "pfn", p->pfn);
		else
			kv_hex(o, "pfn", p->pfn);
	}
	if (p->has & PTV_HAS_SWAP) {
		kv_u64(o, "swap_type", p->swap_type);
		kv_u64(o, "swap_offset", p->swap_offset);
	}
	if (p->has & PTV_HAS_LEVEL) {
		if (o->json) {
			key(o, "level");
			put_jstr(o, ptv_level_name(p->level));
		} else {
			putc_(o, ' ');
			puts_(o, ptv_level_name(p->level));
		}
	}
	if (p->has & PTV_HAS_RAW)
		kv_hex(o, "raw", p->raw);
	for (int b = 0; b < PTV_B_COUNT; b++) {
		if (!ptv_page_known(p, b))
			continue;
		bool v = ptv_page_is(p, b);
		if (o->json) {
			const struct bool_json *bj = &bool_json[b][v];
			put(o, bj->s, bj->n);
		} else if (v) {
			putc_(o, ' ');
			puts_(o, ptv_page_bool_name(b));
		}
	}
	if (p->has & PTV_HAS_ORDER)
		kv_u64(o, "folio_order", p->folio_order);
	if (p->has & PTV_HAS_MAPCOUNT)
		kv_u64(o, "mapcount", p->mapcount);
	if (p->has & PTV_HAS_KPAGECOUNT)
		kv_u64(o, "kpagecount", p->mapcount);
	if (p->has & PTV_HAS_REFCOUNT)
		kv_s64(o, "refcount", p->refcount);
	if ((p->has & PTV_HAS_PAGE_FLAGS) && o->pg_names)
		put_pg_names(o, "page_flags", p->page_flags, o->pg_names);
	if (p->has & PTV_HAS_KPAGEFLAGS) {
		/* Neighbouring pages mostly share their flags: render the
		 * names once per distinct word. */
		if (!o->flags_cache_valid || o->flags_cache_word != p->kpageflags ||
		    o->flags_cache_json != o->json) {
			o->flags_cache_len = render_flags(o->json, p->kpageflags,
							  o->flags_cache,
							  sizeof(o->flags_cache));
			o->flags_cache_word = p->kpageflags;
			o->flags_cache_json = o->json;
			o->flags_cache_valid = true;
		}
		if (o->json)
			kv_hex(o, "kpageflags", p->kpageflags);
		put(o, o->flags_cache, o->flags_cache_len);
	}
}

static void page_like_m(struct ptv_out *o, const char *type, int pid,
			const struct ptv_page *p, uint64_t npages,
			const struct ptv_live_mapping *m, size_t nm);

static void page_like(struct ptv_out *o, const char *type, int pid,
		      const struct ptv_page *p, uint64_t npages)
{
	page_like_m(o, type, pid, p, npages, NULL, 0);
}

/* The other mappings of a page, from a live reverse map. */
static void mappers(struct ptv_out *o, int pid, const struct ptv_page *p,
		    const struct ptv_live_mapping *m, size_t nm)
{
	bool first = true;
	puts_(o, o->json ? ",\"mappers\":[" : " mappers");
	for (size_t i = 0; i < nm; i++) {
		if (m[i].pid == pid && m[i].vaddr == p->vaddr)
			continue;
		if (o->json) {
			puts_(o, first ? "{\"pid\":" : ",{\"pid\":");
			put_u64(o, (uint64_t)m[i].pid);
			kv_hex(o, "vaddr", m[i].vaddr);
			putc_(o, '}');
		} else {
			putc_(o, ' ');
			put_u64(o, (uint64_t)m[i].pid);
			putc_(o, '@');
			put_hex(o, m[i].vaddr);
		}
		first = false;
	}
	if (o->json)
		putc_(o, ']');
}

static void page_like_m(struct ptv_out *o, const char *type, int pid,
			const struct ptv_page *p, uint64_t npages,
			const struct ptv_live_mapping *m, size_t nm)
{
	const char *state = ptv_page_state_name(p->state);
	if (o->json) {
		jhead(o, type, pid);
		kv_hex(o, "vaddr", p->vaddr);
		if (npages)
			kv_u64(o, "npages", npages);
		PUTLIT(o, ",\"state\":\"");
		puts_(o, state);
		putc_(o, '"');
		page_body(o, p);
		if (npages > 1 && (p->has & PTV_HAS_PFN) &&
		    (p->pfn_same || ptv_page_is(p, PTV_B_ZERO_PAGE)))
			kv_u64(o, "pfn_step", 0);
		if (m)
			mappers(o, pid, p, m, nm);
		puts_(o, "}\n");
		return;
	}
	puts_(o, "    ");
	put_hex(o, p->vaddr);
	if (npages) {
		char n[32];
		snprintf(n, sizeof(n), " %8" PRIu64 "x", npages);
		puts_(o, n);
	}
	putc_(o, ' ');
	color_on(o, state_color(p->state));
	puts_(o, state);
	color_off(o);
	page_body(o, p);
	if (m)
		mappers(o, pid, p, m, nm);
	putc_(o, '\n');
}

void ptv_out_page(struct ptv_out *o, int pid, const struct ptv_page *p)
{
	page_like(o, "page", pid, p, 0);
}

void ptv_out_page_mappers(struct ptv_out *o, int pid, const struct ptv_page *p,
			  const struct ptv_live_mapping *m, size_t nm)
{
	page_like_m(o, "page", pid, p, 0, m, nm);
}

void ptv_out_run(struct ptv_out *o, int pid, const struct ptv_page *first,
		 uint64_t npages)
{
	page_like(o, "run", pid, first, npages);
}

void ptv_out_summary(struct ptv_out *o, int pid, const char *scope,
		     uint64_t vma_start, const struct ptv_summary *s)
{
	bool vma = strcmp(scope, "vma") == 0;
	if (o->json) {
		jhead(o, "summary", pid);
		key(o, "scope");
		put_jstr(o, scope);
		if (vma)
			kv_hex(o, "start", vma_start);
	} else {
		puts_(o, vma ? "    summary" : "  summary task");
	}
	kv_u64(o, "rss_kb", s->rss_kb);
	kv_u64(o, "anon_kb", s->anon_kb);
	kv_u64(o, "file_kb", s->file_kb);
	kv_u64(o, "shmem_kb", s->shmem_kb);
	kv_u64(o, "swap_kb", s->swap_kb);
	kv_u64(o, "anon_huge_kb", s->anon_huge_kb);
	if (s->has_tables) {
		kv_u64(o, "pte_tables", s->pte_tables);
		kv_u64(o, "pmd_tables", s->pmd_tables);
	}
	puts_(o, o->json ? "}\n" : "\n");
}

void ptv_run_flush(struct ptv_run *r, struct ptv_out *out, int pid)
{
	if (r->len)
		ptv_out_run(out, pid, &r->first, r->len);
	r->len = 0;
}

/* The i-th page of a range that starts with p: the address advances, and
 * the PFN of a present leaf other than the zero page. */
void ptv_page_nth(const struct ptv_page *p, uint64_t i, struct ptv_page *ret)
{
	*ret = *p;
	ret->vaddr = p->vaddr + i * 4096;
	if ((p->has & PTV_HAS_PFN) && p->state == PTV_STATE_PRESENT &&
	    !p->pfn_same && !ptv_page_is(p, PTV_B_ZERO_PAGE))
		ret->pfn = p->pfn + i;
}

void ptv_run_add(struct ptv_run *r, struct ptv_out *out, int pid,
		 const struct ptv_page *p, uint64_t n)
{
	if (!n)
		return;
	if (!(r->len && ptv_page_continues(&r->last, p))) {
		ptv_run_flush(r, out, pid);
		r->first = *p;
		r->len = 0;
	}
	if (n == 1)
		r->last = *p;
	else
		ptv_page_nth(p, n - 1, &r->last);
	r->len += n;
}

void ptv_out_table(struct ptv_out *o, int pid, enum ptv_level level,
		   uint64_t phys, uint64_t vaddr, const uint64_t *entries,
		   unsigned n)
{
	if (o->json) {
		jhead(o, "table", pid);
		PUTLIT(o, ",\"level\":\"");
		puts_(o, ptv_level_name(level));
		putc_(o, '"');
		kv_hex(o, "phys", phys);
		kv_hex(o, "vaddr", vaddr);
		PUTLIT(o, ",\"entries\":[");
		bool first = true;
		for (unsigned i = 0; i < n; i++) {
			if (!entries[i])
				continue;
			puts_(o, first ? "{\"index\":" : ",{\"index\":");
			first = false;
			put_u64(o, i);
			PUTLIT(o, ",\"raw\":\"");
			put_hex(o, entries[i]);
			PUTLIT(o, "\"}");
		}
		PUTLIT(o, "]}\n");
		return;
	}
	puts_(o, "    table ");
	puts_(o, ptv_level_name(level));
	kv_hex(o, "phys", phys);
	kv_hex(o, "vaddr", vaddr);
	unsigned used = 0;
	for (unsigned i = 0; i < n; i++)
		used += entries[i] != 0;
	kv_u64(o, "entries", used);
	putc_(o, '\n');
}

void ptv_out_walk(struct ptv_out *o, int pid, uint64_t vaddr,
		  const struct ptv_arch *arch, const struct ptv_walk_step *steps,
		  unsigned n, const struct ptv_page *page)
{
	if (o->json) {
		jhead(o, "walk", pid);
		kv_hex(o, "vaddr", vaddr);
		PUTLIT(o, ",\"levels\":[");
	} else {
		puts_(o, "vtop ");
		put_hex(o, vaddr);
		putc_(o, '\n');
	}
	for (unsigned i = 0; i < n; i++) {
		const struct ptv_walk_step *s = &steps[i];
		const char *names[32];
		size_t nn = arch->bit_names(s->level, s->raw, names, 32);
		if (o->json) {
			puts_(o, i ? ",{\"level\":\"" : "{\"level\":\"");
			puts_(o, ptv_level_name(s->level));
			putc_(o, '"');
			kv_hex(o, "table_phys", s->table_phys);
			kv_u64(o, "index", s->index);
			kv_hex(o, "raw", s->raw);
			PUTLIT(o, ",\"flags\":[");
			for (size_t j = 0; j < nn; j++) {
				if (j)
					putc_(o, ',');
				put_jstr(o, names[j]);
			}
			PUTLIT(o, "]}");
		} else {
			char line[64];
			snprintf(line, sizeof(line), "  %-4s table ",
				 ptv_level_name(s->level));
			puts_(o, line);
			put_hex(o, s->table_phys);
			snprintf(line, sizeof(line), " [%3u] ", s->index);
			puts_(o, line);
			put_hex(o, s->raw);
			for (size_t j = 0; j < nn; j++) {
				putc_(o, ' ');
				puts_(o, names[j]);
			}
			putc_(o, '\n');
		}
	}
	if (o->json) {
		PUTLIT(o, "],\"page\":{\"vaddr\":\"");
		put_hex(o, page->vaddr);
		PUTLIT(o, "\",\"state\":\"");
		puts_(o, ptv_page_state_name(page->state));
		putc_(o, '"');
		page_body(o, page);
		PUTLIT(o, "}}\n");
	} else {
		puts_(o, "  page ");
		puts_(o, ptv_page_state_name(page->state));
		page_body(o, page);
		putc_(o, '\n');
	}
}

void ptv_out_rmap(struct ptv_out *o, const struct ptv_rmap *r)
{
	if (o->json) {
		jhead(o, "rmap", -1);
		kv_u64(o, "pfn", r->pfn);
		PUTLIT(o, ",\"via\":\"");
		puts_(o, ptv_rmap_via_name(r->via));
		putc_(o, '"');
		bool live = r->via == PTV_RMAP_PAGEMAP;
		if (!live) {
			kv_u64(o, "head_pfn", r->head_pfn);
			kv_hex(o, "mapping", r->mapping);
			kv_u64(o, "pgoff", r->pgoff);
		}
		kv_u64(o, live ? "kpagecount" : "mapcount",
		       (uint64_t)(r->mapcount < 0 ? 0 : r->mapcount));
		if (r->large)
			kv_u64(o, "entire_mapcount", (uint64_t)(r->entire_mapcount < 0 ?
								0 : r->entire_mapcount));
		PUTLIT(o, ",\"mappings\":[");
	} else {
		puts_(o, "rmap pfn ");
		put_hex(o, r->pfn);
		putc_(o, ' ');
		puts_(o, ptv_rmap_via_name(r->via));
		if (r->via != PTV_RMAP_PAGEMAP) {
			kv_hex(o, "mapping", r->mapping);
			kv_u64(o, "pgoff", r->pgoff);
		}
		kv_u64(o, r->via == PTV_RMAP_PAGEMAP ? "kpagecount" : "mapcount",
		       (uint64_t)(r->mapcount < 0 ? 0 : r->mapcount));
		putc_(o, '\n');
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct ptv_rmap_mapping *m = &r->v[i];
		if (o->json) {
			puts_(o, i ? ",{\"pid\":" : "{\"pid\":");
			put_u64(o, (uint64_t)m->pid);
			key(o, "comm");
			put_jstr(o, m->comm);
			if (m->mm)
				kv_hex(o, "mm", m->mm);
			kv_hex(o, "vma_start", m->vma_start);
			kv_hex(o, "vaddr", m->vaddr);
			PUTLIT(o, ",\"level\":\"");
			puts_(o, ptv_level_name(m->level));
			putc_(o, '"');
			if (m->raw)
				kv_hex(o, "raw", m->raw);
			PUTLIT(o, ",\"verified\":");
			puts_(o, m->verified ? "true}" : "false}");
		} else {
			puts_(o, "  pid ");
			put_u64(o, (uint64_t)m->pid);
			putc_(o, ' ');
			puts_(o, m->comm[0] ? m->comm : "-");
			kv_hex(o, "vaddr", m->vaddr);
			putc_(o, ' ');
			puts_(o, ptv_level_name(m->level));
			if (m->raw)
				kv_hex(o, "raw", m->raw);
			puts_(o, m->verified ? " verified\n" : " NOT MAPPED THERE\n");
		}
	}
	if (o->json)
		PUTLIT(o, "]}\n");
}

void ptv_out_mismatch(struct ptv_out *o, const char *kind, uint64_t pfn,
		      int pid, uint64_t vaddr, const char *detail)
{
	if (o->json) {
		jhead(o, "mismatch", -1);
		PUTLIT(o, ",\"kind\":\"");
		puts_(o, kind);
		putc_(o, '"');
		kv_u64(o, "pfn", pfn);
		kv_u64(o, "pid", (uint64_t)pid);
		kv_hex(o, "vaddr", vaddr);
		key(o, "detail");
		put_jstr(o, detail);
		PUTLIT(o, "}\n");
		return;
	}
	color_on(o, "31");
	puts_(o, "mismatch ");
	puts_(o, kind);
	color_off(o);
	kv_hex(o, "pfn", pfn);
	kv_u64(o, "pid", (uint64_t)pid);
	kv_hex(o, "vaddr", vaddr);
	putc_(o, ' ');
	puts_(o, detail);
	putc_(o, '\n');
}

void ptv_out_check(struct ptv_out *o, uint64_t pages, uint64_t mappings,
		   uint64_t mismatches)
{
	if (o->json)
		jhead(o, "check", -1);
	else
		puts_(o, "check");
	kv_u64(o, "pages", pages);
	kv_u64(o, "mappings", mappings);
	kv_u64(o, "mismatches", mismatches);
	puts_(o, o->json ? "}\n" : "\n");
}

void ptv_out_frame(struct ptv_out *o, const struct ptv_frame *f,
		   const char *const *flag_names)
{
	if (o->json) {
		jhead(o, "frame", -1);
		kv_u64(o, "pfn", f->pfn);
	} else {
		color_on(o, "1");
		puts_(o, "frame ");
		put_hex(o, f->pfn);
		color_off(o);
	}
	kv_hex(o, "page", f->page);
	if (flag_names)
		put_pg_names(o, "flags", f->flag_bits, flag_names);
	kv_hex(o, "raw_flags", f->flags);
	kv_hex(o, "mapping", f->mapping);
	kv_bool(o, "anon", f->anon);
	kv_bool(o, "ksm", f->ksm);
	kv_bool(o, "movable", f->movable);
	kv_u64(o, "index", f->index);
	kv_s64(o, "refcount", f->refcount);
	if (f->has & PTV_FRAME_HAS_PAGE_TYPE) {
		kv_hex(o, "page_type", f->page_type);
	} else {
		kv_s64(o, "mapcount", f->mapcount);
		kv_s64(o, "total_mapcount", f->total_mapcount);
	}
	if (f->has & PTV_FRAME_HAS_MEMCG)
		kv_hex(o, "memcg_data", f->memcg_data);
	if (f->has & PTV_FRAME_HAS_MEMCG_PTR)
		kv_hex(o, "memcg", f->memcg);
	kv_bool(o, "thp", f->large);
	kv_bool(o, "thp_head", f->large && !f->tail);
	if (f->large)
		kv_u64(o, "head_pfn", f->head_pfn);
	if (f->has & PTV_FRAME_HAS_ORDER)
		kv_u64(o, "folio_order", f->folio_order);
	if (f->has & PTV_FRAME_HAS_ENTIRE)
		kv_s64(o, "entire_mapcount", f->entire_mapcount);
	if (f->has & PTV_FRAME_HAS_LARGE_MAPCOUNT)
		kv_s64(o, "large_mapcount", f->large_mapcount);
	if (f->has & PTV_FRAME_HAS_PINCOUNT)
		kv_s64(o, "pincount", f->pincount);
	if (f->has & PTV_FRAME_HAS_NR_MAPPED)
		kv_s64(o, "nr_pages_mapped", f->nr_pages_mapped);
	if (f->has & PTV_FRAME_HAS_HUGETLB)
		kv_bool(o, "hugetlb", f->hugetlb);
	kv_bool(o, "lru", f->lru);
	kv_bool(o, "swapbacked", f->swapbacked);
	if (f->has & PTV_FRAME_HAS_SWAPCACHE)
		kv_bool(o, "swapcache", f->swapcache);
	if (f->has & PTV_FRAME_HAS_ANON_EXCL)
		kv_bool(o, "anon_exclusive", f->anon_exclusive);
	puts_(o, o->json ? "}\n" : "\n");
}
