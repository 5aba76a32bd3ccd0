/* snapshot-read.c: the .ptsnap reader.  The file is untrusted: every
 * count is bounded by the bytes that hold it and every error names the
 * file, the byte offset and the reason. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/snapshot-format.h"
#include "core/snapshot.h"

/* --- the reader ----------------------------------------------------------- */

struct reader {
	const uint8_t *buf;
	size_t len;		/* of the file */
	const char *name;
	size_t pos, end;	/* within the current section */
};

static struct ptv_error *bad(const struct reader *r, uint64_t off,
			     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct ptv_error *bad(const struct reader *r, uint64_t off,
			     const char *fmt, ...)
{
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ptv_enomem;
	struct ptv_error *err = ptv_error_create(PTV_ERR_FORMAT,
		"%s: offset %" PRIu64 ": %s", r->name, off, msg);
	free(msg);
	return err;
}

static struct ptv_error *need(const struct reader *r, size_t n,
			      const char *what)
{
	if (r->end - r->pos < n)
		return bad(r, r->pos, "truncated %s (%zu bytes left in the "
			   "section, %zu needed)", what, r->end - r->pos, n);
	return NULL;
}

static uint64_t take_le(struct reader *r, unsigned n)
{
	uint64_t v = get_le(r->buf + r->pos, n);
	r->pos += n;
	return v;
}

static struct ptv_error *take_varint(struct reader *r, const char *what,
				     uint64_t *ret)
{
	size_t start = r->pos;
	uint64_t v = 0;
	for (unsigned i = 0; i < 10; i++) {
		if (r->pos >= r->end)
			return bad(r, start, "truncated %s", what);
		uint8_t b = r->buf[r->pos++];
		if (i == 9 && b > 1)
			return bad(r, start, "%s does not fit in 64 bits", what);
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*ret = v;
			return NULL;
		}
	}
	return bad(r, start, "%s does not fit in 64 bits", what);
}

struct section_in {
	uint32_t type, crc;
	uint64_t offset, length;
	uint64_t entry_off;	/* of its table entry */
	bool found;
};

static const char *section_name(uint32_t type)
{
	return type == SEC_META ? "META" : type == SEC_VMAS ? "VMAS" : "PAGES";
}

static struct ptv_error *read_header(struct reader *r,
				     struct section_in sec[3])
{
	if (r->len < HEADER_SIZE)
		return bad(r, 0, "truncated header: the file is %zu bytes, "
			   "a snapshot has at least %u", r->len, HEADER_SIZE);
	if (memcmp(r->buf, ptv_snap_magic, 8))
		return bad(r, 0, "not a ptview snapshot (bad magic)");
	uint32_t version = (uint32_t)get_le(r->buf + 8, 4);
	if (version != PTV_SNAP_VERSION) {
		struct ptv_error *err = bad(r, 8, "format version %" PRIu32
			" is not supported (this ptview reads version %u)",
			version, PTV_SNAP_VERSION);
		if (err != ptv_enomem)
			err->code = PTV_ERR_UNSUPPORTED;
		return err;
	}
	uint32_t nsec = (uint32_t)get_le(r->buf + 12, 4);
	uint64_t fsize = get_le(r->buf + 16, 8);
	if (nsec < 3 || nsec > MAX_SECTIONS)
		return bad(r, 12, "%" PRIu32 " sections (3 to %u expected)",
			   nsec, MAX_SECTIONS);
	if (fsize != r->len)
		return bad(r, 16, "the header says the file is %" PRIu64
			   " bytes, it is %zu (%s)", fsize, r->len,
			   fsize > r->len ? "truncated" : "trailing data");
	size_t tend = HEADER_SIZE + (size_t)nsec * SECTION_ENTRY_SIZE;
	if (r->len < tend)
		return bad(r, HEADER_SIZE, "truncated section table");
	uint32_t crc = ptv_snap_crc32(0, r->buf, 24);
	crc = ptv_snap_crc32(crc, r->buf + HEADER_SIZE, tend - HEADER_SIZE);
	if (crc != (uint32_t)get_le(r->buf + 24, 4))
		return bad(r, 24, "header checksum mismatch (damaged file)");
	for (uint32_t i = 0; i < nsec; i++) {
		size_t eo = HEADER_SIZE + (size_t)i * SECTION_ENTRY_SIZE;
		const uint8_t *e = r->buf + eo;
		uint32_t type = (uint32_t)get_le(e, 4);
		uint64_t off = get_le(e + 8, 8), len = get_le(e + 16, 8);
		if (off < tend || off > r->len || len > r->len - off)
			return bad(r, eo + 8, "section %" PRIu32 " (type %" PRIu32
				   ") lies outside the file", i, type);
		if (type < SEC_META || type > SEC_PAGES)
			continue;	/* a later version's: skipped */
		struct section_in *s = &sec[type - 1];
		if (s->found)
			return bad(r, eo, "a second %s section",
				   section_name(type));
		s->found = true;
		s->type = type;
		s->crc = (uint32_t)get_le(e + 4, 4);
		s->offset = off;
		s->length = len;
		s->entry_off = eo;
	}
	for (int i = 0; i < 3; i++) {
		if (!sec[i].found)
			return bad(r, HEADER_SIZE, "no %s section",
				   section_name((uint32_t)i + 1));
		if (ptv_snap_crc32(0, r->buf + sec[i].offset, sec[i].length) !=
		    sec[i].crc)
			return bad(r, sec[i].offset, "%s section checksum "
				   "mismatch (damaged file)",
				   section_name(sec[i].type));
	}
	return NULL;
}

static void enter(struct reader *r, const struct section_in *s)
{
	r->pos = s->offset;
	r->end = s->offset + s->length;
}

static struct ptv_error *read_meta(struct reader *r, const struct section_in *sec,
				   struct ptv_snapshot *s)
{
	enter(r, sec);
	struct ptv_error *err = need(r, META_V1_SIZE, "META section");
	if (err)
		return err;
	char *base = (char *)s;
	for (size_t i = 0; i < ptv_snap_nmeta; i++) {
		const struct meta_field *f = &ptv_snap_meta_fields[i];
		void *p = base + f->offset;
		size_t at = r->pos;
		switch (f->kind) {
		case F_U32: *(uint32_t *)p = (uint32_t)take_le(r, 4); break;
		case F_I32: *(int *)p = (int)(int32_t)take_le(r, 4); break;
		case F_U64: *(uint64_t *)p = take_le(r, 8); break;
		case F_I64: *(int64_t *)p = (int64_t)take_le(r, 8); break;
		case F_STR:
			if (!memchr(r->buf + at, '\0', f->size))
				return bad(r, at, "%s is not NUL-terminated",
					   f->name);
			memcpy(p, r->buf + at, f->size);
			r->pos += f->size;
			break;
		}
	}
	/* Bytes past the fields this version knows: a later writer's. */
	if (!ptv_snap_page_size_ok(s->page_size))
		return bad(r, sec->offset, "page size %" PRIu64 " is not "
			   "supported (a power of two from 4096 to 65536)",
			   s->page_size);
	if (s->zero_page_maps < -1 || s->zero_page_maps > 1)
		return bad(r, sec->offset + 20, "zero_page_maps is %d "
			   "(-1, 0 or 1 expected)", s->zero_page_maps);
	return NULL;
}

static struct ptv_error *read_vmas(struct reader *r, const struct section_in *sec,
				   struct ptv_snapshot *s)
{
	enter(r, sec);
	struct ptv_error *err = need(r, 8, "VMAS header");
	if (err)
		return err;
	size_t at = r->pos;
	uint32_t n = (uint32_t)take_le(r, 4), rsize = (uint32_t)take_le(r, 4);
	if (rsize < VMA_RECORD_V1 || rsize > VMA_RECORD_MAX)
		return bad(r, at + 4, "VMA record size %" PRIu32 " (%u to %u "
			   "expected)", rsize, VMA_RECORD_V1, VMA_RECORD_MAX);
	if (n > PTV_SNAP_MAX_VMAS || (uint64_t)n * rsize > r->end - r->pos)
		return bad(r, at, "%" PRIu32 " VMAs do not fit in the section "
			   "(%zu bytes) or exceed the limit of %u", n,
			   r->end - r->pos, PTV_SNAP_MAX_VMAS);
	s->vmas = calloc(n ? n : 1, sizeof(*s->vmas));
	if (!s->vmas)
		return ptv_enomem;
	uint64_t mask = s->page_size - 1, prev_end = 0;
	for (uint32_t i = 0; i < n; i++) {
		at = r->pos;
		if ((err = need(r, rsize, "VMA record")))
			return err;
		const uint8_t *p = r->buf + at;
		struct ptv_snap_vma *v = &s->vmas[i];
		v->start = get_le(p, 8);
		v->end = get_le(p + 8, 8);
		v->pgoff = get_le(p + 16, 8);
		v->dev = get_le(p + 24, 8);
		v->ino = get_le(p + 32, 8);
		v->vmflags = (uint32_t)get_le(p + 40, 4);
		v->prot = p[44];
		v->shared = p[45] & 1;
		v->anon_vma = p[45] & 2;
		uint8_t backing = p[46];
		uint32_t plen = (uint32_t)get_le(p + 48, 4);
		r->pos += rsize;
		s->nvmas = i + 1;	/* path is freed from here on */
		if (v->start >= v->end || ((v->start | v->end) & mask))
			return bad(r, at, "VMA %" PRIu32 ": impossible range "
				   "0x%" PRIx64 "-0x%" PRIx64, i, v->start,
				   v->end);
		if (v->start < prev_end)
			return bad(r, at, "VMA %" PRIu32 " at 0x%" PRIx64
				   " is out of order or overlaps the one "
				   "before", i, v->start);
		prev_end = v->end;
		if (v->prot > 7)
			return bad(r, at + 44, "VMA %" PRIu32 ": protection "
				   "0x%x is not r/w/x bits", i, v->prot);
		if (backing > PTV_SNAP_SPECIAL)
			return bad(r, at + 46, "VMA %" PRIu32 ": unknown "
				   "backing %u", i, backing);
		v->backing = backing;
		if (plen > PTV_SNAP_MAX_PATH)
			return bad(r, at + 48, "VMA %" PRIu32 ": path of %"
				   PRIu32 " bytes (at most %u)", i, plen,
				   PTV_SNAP_MAX_PATH);
		if ((err = need(r, plen, "VMA path")))
			return err;
		if (plen) {
			if (memchr(r->buf + r->pos, '\0', plen))
				return bad(r, r->pos, "VMA %" PRIu32 ": NUL in "
					   "its path", i);
			v->path = strndup((const char *)r->buf + r->pos, plen);
			if (!v->path)
				return ptv_enomem;
			r->pos += plen;
		}
	}
	if (r->pos != r->end)
		return bad(r, r->pos, "%zu bytes after the last VMA",
			   r->end - r->pos);
	return NULL;
}

static struct ptv_error *read_run(struct reader *r, struct ptv_snapshot *s,
				  struct run_state *st, size_t *vi,
				  uint64_t npages)
{
	size_t at = r->pos;
	uint64_t gap, n, f, ps = s->page_size;
	struct ptv_error *err;
	if ((err = take_varint(r, "run gap", &gap)) ||
	    (err = take_varint(r, "run length", &n)) ||
	    (err = take_varint(r, "run flags", &f)))
		return err;
	if (f & ~(uint64_t)RUN_KNOWN)
		return bad(r, at, "unknown run flags 0x%" PRIx64, f);
	bool swap = f & RUN_SWAP;
	if (swap && (f & RUN_PRESENT_ONLY))
		return bad(r, at, "run flags 0x%" PRIx64 " mix swap and "
			   "present-page bits", f);
	if ((f & RUN_ZERO) && (f & RUN_HZERO))
		return bad(r, at, "a run is both zero page and huge zero page");
	if (n == 0 || n > npages - s->npages)
		return bad(r, at, "run of %" PRIu64 " pages: %s", n,
			   n ? "more pages than the section declares" :
			       "empty run");
	if (gap > (UINT64_MAX - st->end) / ps)
		return bad(r, at, "run address overflows");
	uint64_t addr = st->end + gap * ps;
	/* n <= PTV_SNAP_MAX_PAGES and ps <= 64 KiB: n * ps cannot wrap */
	if (n * ps > UINT64_MAX - addr)
		return bad(r, at, "run at 0x%" PRIx64 " overflows", addr);
	uint64_t end = addr + n * ps;
	while (*vi < s->nvmas && s->vmas[*vi].end <= addr)
		(*vi)++;
	if (*vi == s->nvmas || addr < s->vmas[*vi].start ||
	    end > s->vmas[*vi].end)
		return bad(r, at, "pages 0x%" PRIx64 "-0x%" PRIx64 " lie "
			   "outside the VMAs (or span two)", addr, end);
	uint64_t delta, seq, type = 0, v;
	bool same = f & RUN_SAME;
	if (swap) {
		if ((err = take_varint(r, "swap type", &type)))
			return err;
		if (type >= SWAP_TYPE_LIMIT)
			return bad(r, at, "swap type %" PRIu64 " (below %u "
				   "expected)", type, SWAP_TYPE_LIMIT);
	}
	if ((err = take_varint(r, swap ? "swap offset" : "PFN", &delta)))
		return err;
	seq = (swap ? st->next_swap : st->next_pfn) + (uint64_t)unzigzag(delta);
	uint64_t limit = swap ? SWAP_OFF_LIMIT : PFN_LIMIT;
	if (seq >= limit || (!same && n - 1 >= limit - seq))
		return bad(r, at, "%s 0x%" PRIx64 " (+%" PRIu64 " pages) is "
			   "out of range", swap ? "swap offset" : "PFN", seq, n);
	if (f & RUN_KFLAGS) {
		if ((err = take_varint(r, "kpageflags", &v)))
			return err;
		st->kflags = v;
	}
	if (f & RUN_MAPCOUNT) {
		if ((err = take_varint(r, "map count", &v)))
			return err;
		if (v > UINT32_MAX)
			return bad(r, at, "map count %" PRIu64 " is too large", v);
		st->mapcount = (uint32_t)v;
	}
	if (f & RUN_ORDER) {
		if ((err = take_varint(r, "folio order", &v)))
			return err;
		if (v > ORDER_LIMIT)
			return bad(r, at, "folio order %" PRIu64 " is too large", v);
		st->order = (uint8_t)v;
	}
	uint64_t last = same ? seq : seq + n - 1;
	for (uint64_t i = 0; i < n; i++) {
		struct ptv_snap_page *p = &s->pages[s->npages++];
		memset(p, 0, sizeof(*p));
		p->addr = addr + i * ps;
		p->exclusive = f & RUN_EXCLUSIVE;
		p->soft_dirty = f & RUN_SOFT_DIRTY;
		p->uffd_wp = f & RUN_UFFD_WP;
		if (swap) {
			p->state = PTV_SNAP_SWAP;
			p->swap_type = (uint32_t)type;
			p->swap_off = same ? seq : seq + i;
		} else {
			p->state = PTV_SNAP_PRESENT;
			p->pfn = same ? seq : seq + i;
			p->kflags = st->kflags;
			p->mapcount = st->mapcount;
			p->folio_order = st->order;
			p->pmd = f & RUN_PMD;
			p->zero = f & RUN_ZERO;
			p->hzero = f & RUN_HZERO;
		}
	}
	if (swap)
		st->next_swap = last + 1;
	else
		st->next_pfn = last + 1;
	st->end = end;
	return NULL;
}

static struct ptv_error *read_pages(struct reader *r,
				    const struct section_in *sec,
				    struct ptv_snapshot *s)
{
	enter(r, sec);
	struct ptv_error *err = need(r, 8, "PAGES header");
	if (err)
		return err;
	size_t at = r->pos;
	uint64_t npages = take_le(r, 8);
	uint64_t allowed = PTV_SNAP_PAGES_BASE;
	uint64_t body = r->end - r->pos;
	allowed += body > (PTV_SNAP_MAX_PAGES / PTV_SNAP_PAGES_PER_BYTE) ?
		PTV_SNAP_MAX_PAGES : body * PTV_SNAP_PAGES_PER_BYTE;
	if (allowed > PTV_SNAP_MAX_PAGES)
		allowed = PTV_SNAP_MAX_PAGES;
	if (npages > allowed)
		return bad(r, at, "%" PRIu64 " pages exceed the limit of %"
			   PRIu64 " for a section of %" PRIu64 " bytes",
			   npages, allowed, body);
	s->pages = calloc(npages ? (size_t)npages : 1, sizeof(*s->pages));
	if (!s->pages)
		return ptv_enomem;
	struct run_state st = { 0 };
	size_t vi = 0;
	while (r->pos < r->end) {
		if ((err = read_run(r, s, &st, &vi, npages)))
			return err;
	}
	if (s->npages != npages)
		return bad(r, at, "the section declares %" PRIu64 " pages, "
			   "its runs hold %zu", npages, s->npages);
	return NULL;
}

struct ptv_error *ptv_snapshot_parse(const void *buf, size_t len,
				     const char *name,
				     struct ptv_snapshot **ret)
{
	struct reader r = { .buf = buf, .len = len, .name = name };
	struct section_in sec[3];
	memset(sec, 0, sizeof(sec));
	if (len > PTV_SNAP_MAX_FILE)
		return bad(&r, 0, "%zu bytes is larger than the limit of %"
			   PRIu64, len, PTV_SNAP_MAX_FILE);
	struct ptv_error *err = read_header(&r, sec);
	if (err)
		return err;
	struct ptv_snapshot *s = calloc(1, sizeof(*s));
	if (!s)
		return ptv_enomem;
	s->version = PTV_SNAP_VERSION;
	if ((err = read_meta(&r, &sec[0], s)) ||
	    (err = read_vmas(&r, &sec[1], s)) ||
	    (err = read_pages(&r, &sec[2], s))) {
		ptv_snapshot_destroy(s);
		return err;
	}
	*ret = s;
	return NULL;
}

struct ptv_error *ptv_snapshot_read(const char *path,
				    struct ptv_snapshot **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ptv_error_os(errno, "%s", path);
	struct stat st;
	struct ptv_error *err = NULL;
	if (fstat(fd, &st)) {
		err = ptv_error_os(errno, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = ptv_error_create(PTV_ERR_FORMAT,
				       "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > PTV_SNAP_MAX_FILE) {
		err = ptv_error_create(PTV_ERR_FORMAT,
			"%s: %" PRIu64 " bytes is larger than the limit of %"
			PRIu64, path, (uint64_t)st.st_size, PTV_SNAP_MAX_FILE);
		goto out;
	}
	size_t size = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) {
		err = ptv_enomem;
		goto out;
	}
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = ptv_error_os(errno, "%s: offset %zu", path, got);
			break;
		}
		if (n == 0)
			break;	/* shrank meanwhile: the checks see it */
		got += (size_t)n;
	}
	if (!err)
		err = ptv_snapshot_parse(buf, got, path, ret);
	free(buf);
out:
	close(fd);
	return err;
}
