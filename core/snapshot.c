/* snapshot.c: the .ptsnap file format, writer and reader
 * (man/ptview-snapshot.5 is its reference; keep the two in step).
 *
 * Little-endian throughout.  A 32-byte header and a section table; three
 * sections: META (fixed fields), VMAS (fixed records, each followed by its
 * path) and PAGES (runs of pages, varint-encoded).  Every section and the
 * header carry a CRC-32 (zlib's), so a damaged file is told from a
 * malicious one only by the checks behind the checksums, which are all
 * there anyway: the reader trusts nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/snapshot.h"
#include "core/trace.h"

static const char magic[8] = { 'P', 'T', 'V', 'S', 'N', 'A', 'P', '\0' };

#define HEADER_SIZE 32u
#define SECTION_ENTRY_SIZE 24u
#define MAX_SECTIONS 16u

enum { SEC_META = 1, SEC_VMAS = 2, SEC_PAGES = 3 };

#define VMA_RECORD_V1 52u
#define VMA_RECORD_MAX 1024u

/* Run flags of the PAGES section. */
enum {
	RUN_SWAP = 1u << 0,
	RUN_EXCLUSIVE = 1u << 1,
	RUN_PMD = 1u << 2,
	RUN_ZERO = 1u << 3,
	RUN_HZERO = 1u << 4,
	RUN_SOFT_DIRTY = 1u << 5,
	RUN_UFFD_WP = 1u << 6,
	RUN_SAME = 1u << 7,	/* pfn / swap offset does not advance */
	RUN_KFLAGS = 1u << 8,	/* a new kpageflags word follows */
	RUN_MAPCOUNT = 1u << 9,	/* a new map count follows */
	RUN_ORDER = 1u << 10,	/* a new folio order follows */
	RUN_KNOWN = (1u << 11) - 1,
	RUN_PRESENT_ONLY = RUN_PMD | RUN_ZERO | RUN_HZERO | RUN_KFLAGS |
			   RUN_MAPCOUNT | RUN_ORDER,
};

#define PFN_LIMIT (UINT64_C(1) << 55)	/* pagemap's PFN field */
#define SWAP_OFF_LIMIT (UINT64_C(1) << 50)
#define SWAP_TYPE_LIMIT 32u		/* MAX_SWAPFILES_SHIFT 5 */
#define ORDER_LIMIT 31u

/* --- CRC-32 (IEEE 802.3, reflected, as zlib's crc32()) ------------------ */

static uint32_t crc_table[256];

static void crc_init(void)
{
	if (crc_table[1])
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* crc is the running value, starting at 0. */
static uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	crc_init();
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* --- little-endian helpers ---------------------------------------------- */

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* --- the META section: one table drives writer, reader and the man page -- */

enum field_kind { F_U32, F_I32, F_U64, F_I64, F_STR };

struct meta_field {
	const char *name;
	enum field_kind kind;
	unsigned size;		/* bytes in the file */
	size_t offset;		/* in struct ptv_snapshot */
};

#define SNAP_OFF(m) offsetof(struct ptv_snapshot, m)
#define STR(m) { #m, F_STR, sizeof(((struct ptv_snapshot *)0)->m), SNAP_OFF(m) }
#define MTHP(i) { "mthp", F_STR, 16, SNAP_OFF(settings.mthp[i]) }

static const struct meta_field meta_fields[] = {
	{ "page_size", F_U64, 8, SNAP_OFF(page_size) },
	{ "taken", F_I64, 8, SNAP_OFF(taken) },
	{ "pid", F_I32, 4, SNAP_OFF(pid) },
	{ "zero_page_maps", F_I32, 4, SNAP_OFF(zero_page_maps) },
	STR(kernel),
	STR(machine),
	STR(comm),
	STR(settings.thp),
	STR(settings.thp_defrag),
	STR(settings.shmem_enabled),
	{ "use_zero_page", F_I32, 4, SNAP_OFF(settings.use_zero_page) },
	{ "max_ptes_none", F_I32, 4, SNAP_OFF(settings.max_ptes_none) },
	{ "max_ptes_swap", F_I32, 4, SNAP_OFF(settings.max_ptes_swap) },
	{ "max_ptes_shared", F_I32, 4, SNAP_OFF(settings.max_ptes_shared) },
	{ "pages_to_scan", F_U32, 4, SNAP_OFF(settings.pages_to_scan) },
	{ "fault_around_bytes", F_U64, 8, SNAP_OFF(settings.fault_around_bytes) },
	MTHP(0), MTHP(1), MTHP(2), MTHP(3), MTHP(4), MTHP(5), MTHP(6), MTHP(7),
	MTHP(8), MTHP(9), MTHP(10), MTHP(11), MTHP(12), MTHP(13), MTHP(14),
	MTHP(15),
	{ "rss_anon_kb", F_I64, 8, SNAP_OFF(counters.rss_anon_kb) },
	{ "rss_file_kb", F_I64, 8, SNAP_OFF(counters.rss_file_kb) },
	{ "rss_shmem_kb", F_I64, 8, SNAP_OFF(counters.rss_shmem_kb) },
	{ "swap_kb", F_I64, 8, SNAP_OFF(counters.swap_kb) },
	{ "pgtables_kb", F_I64, 8, SNAP_OFF(counters.pgtables_kb) },
	{ "vm_locked_kb", F_I64, 8, SNAP_OFF(counters.vm_locked_kb) },
	{ "minflt", F_U64, 8, SNAP_OFF(counters.minflt) },
	{ "majflt", F_U64, 8, SNAP_OFF(counters.majflt) },
};
#define NMETA (sizeof(meta_fields) / sizeof(meta_fields[0]))
/* The size of the fields above: what a version 1 reader requires.  New
 * fields are appended to the table and are optional for readers. */
#define META_V1_SIZE 591u

/* --- VmFlags names ------------------------------------------------------- */

static const char vmflag_names[][3] = {
	"hg", "nh", "lo", "lf", "dc", "wf", "dd", "ac", "nr", "sd", "mm", "pf",
	"io", "de", "mg", "um", "uw", "ui", "gd", "ht", "ms", "sl", "dp", "sr",
	"rr",
};

const char *ptv_snap_vmflag_name(unsigned i)
{
	return i < sizeof(vmflag_names) / sizeof(vmflag_names[0]) ?
		vmflag_names[i] : NULL;
}

/* --- validation shared by writer and reader ------------------------------ */

void ptv_snapshot_destroy(struct ptv_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nvmas; i++)
		free(s->vmas[i].path);
	free(s->vmas);
	free(s->pages);
	free(s);
}

static bool page_size_ok(uint64_t ps)
{
	return ps >= 4096 && ps <= 65536 && !(ps & (ps - 1));
}

/* What the writer requires of an in-memory snapshot: what the reader
 * would check, so that every file written reads back. */
static struct ptv_error *check_snapshot(const struct ptv_snapshot *s)
{
	if (!page_size_ok(s->page_size))
		return ptv_error_create(PTV_ERR_USAGE,
			"snapshot: page size %" PRIu64 " is not supported",
			s->page_size);
	if (s->nvmas > PTV_SNAP_MAX_VMAS || s->npages > PTV_SNAP_MAX_PAGES)
		return ptv_error_create(PTV_ERR_USAGE,
			"snapshot: %zu VMAs and %zu pages exceed the limits",
			s->nvmas, s->npages);
	uint64_t mask = s->page_size - 1, prev_end = 0;
	for (size_t i = 0; i < s->nvmas; i++) {
		const struct ptv_snap_vma *v = &s->vmas[i];
		if (v->start >= v->end || ((v->start | v->end) & mask) ||
		    v->start < prev_end || v->prot > 7 ||
		    v->backing > PTV_SNAP_SPECIAL ||
		    (v->path && (!*v->path ||
				 strlen(v->path) > PTV_SNAP_MAX_PATH)))
			return ptv_error_create(PTV_ERR_USAGE,
				"snapshot: VMA %zu (0x%" PRIx64 "-0x%" PRIx64
				") is invalid or out of order", i, v->start,
				v->end);
		prev_end = v->end;
	}
	size_t vi = 0;
	for (size_t i = 0; i < s->npages; i++) {
		const struct ptv_snap_page *p = &s->pages[i];
		while (vi < s->nvmas && s->vmas[vi].end <= p->addr)
			vi++;
		bool bad = vi == s->nvmas || p->addr < s->vmas[vi].start ||
			   (p->addr & mask) ||
			   (i && p->addr <= s->pages[i - 1].addr);
		if (p->state == PTV_SNAP_PRESENT)
			bad |= p->pfn >= PFN_LIMIT || p->folio_order > ORDER_LIMIT ||
			       (p->zero && p->hzero);
		else if (p->state == PTV_SNAP_SWAP)
			bad |= p->swap_off >= SWAP_OFF_LIMIT ||
			       p->swap_type >= SWAP_TYPE_LIMIT;
		else
			bad = true;
		if (bad)
			return ptv_error_create(PTV_ERR_USAGE,
				"snapshot: page %zu at 0x%" PRIx64 " is invalid, "
				"out of order or outside the VMAs", i, p->addr);
	}
	return NULL;
}

/* --- the writer: a sink that is a file or a growing buffer ---------------- */

struct sink {
	int fd;			/* -1: keep everything in buf */
	const char *path;
	uint8_t *buf;
	size_t len, cap;
	uint64_t pos;		/* bytes emitted so far */
	uint32_t crc;		/* of the current section */
	struct ptv_error *err;
};

#define SINK_FLUSH (1u << 20)

static void sink_flush(struct sink *k)
{
	size_t done = 0;
	while (!k->err && done < k->len) {
		ssize_t r = write(k->fd, k->buf + done, k->len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			k->err = ptv_error_os(errno, "%s", k->path);
		else
			done += (size_t)r;
	}
	k->len = 0;
}

static void sink_put(struct sink *k, const void *data, size_t n)
{
	if (k->err)
		return;
	k->crc = crc32_update(k->crc, data, n);
	k->pos += n;
	if (k->len + n > k->cap) {
		if (k->fd >= 0) {
			sink_flush(k);
		}
		if (k->len + n > k->cap) {
			size_t cap = k->cap ? k->cap : 65536;
			while (cap < k->len + n)
				cap *= 2;
			uint8_t *nb = realloc(k->buf, cap);
			if (!nb) {
				k->err = ptv_enomem;
				return;
			}
			k->buf = nb;
			k->cap = cap;
		}
	}
	memcpy(k->buf + k->len, data, n);
	k->len += n;
}

static void sink_le(struct sink *k, uint64_t v, unsigned n)
{
	uint8_t b[8];
	put_le(b, v, n);
	sink_put(k, b, n);
}

static void sink_varint(struct sink *k, uint64_t v)
{
	uint8_t b[10];
	unsigned n = 0;
	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	sink_put(k, b, n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void write_meta(struct sink *k, const struct ptv_snapshot *s)
{
	const char *base = (const char *)s;
	for (size_t i = 0; i < NMETA; i++) {
		const struct meta_field *f = &meta_fields[i];
		const void *p = base + f->offset;
		switch (f->kind) {
		case F_U32: sink_le(k, *(const uint32_t *)p, 4); break;
		case F_I32: sink_le(k, (uint32_t)*(const int *)p, 4); break;
		case F_U64: sink_le(k, *(const uint64_t *)p, 8); break;
		case F_I64: sink_le(k, (uint64_t)*(const int64_t *)p, 8); break;
		case F_STR: {
			char tmp[128] = { 0 };
			size_t n = strnlen(p, f->size - 1);
			memcpy(tmp, p, n);
			sink_put(k, tmp, f->size);
			break;
		}
		}
	}
}

static void write_vmas(struct sink *k, const struct ptv_snapshot *s)
{
	sink_le(k, s->nvmas, 4);
	sink_le(k, VMA_RECORD_V1, 4);
	for (size_t i = 0; i < s->nvmas; i++) {
		const struct ptv_snap_vma *v = &s->vmas[i];
		uint8_t r[VMA_RECORD_V1] = { 0 };
		size_t plen = v->path ? strlen(v->path) : 0;
		put_le(r, v->start, 8);
		put_le(r + 8, v->end, 8);
		put_le(r + 16, v->pgoff, 8);
		put_le(r + 24, v->dev, 8);
		put_le(r + 32, v->ino, 8);
		put_le(r + 40, v->vmflags, 4);
		r[44] = (uint8_t)v->prot;
		r[45] = (uint8_t)((v->shared ? 1 : 0) | (v->anon_vma ? 2 : 0));
		r[46] = (uint8_t)v->backing;
		put_le(r + 48, plen, 4);
		sink_put(k, r, sizeof(r));
		if (plen)
			sink_put(k, v->path, plen);
	}
}

static unsigned page_bits(const struct ptv_snap_page *p)
{
	unsigned f = 0;
	if (p->state == PTV_SNAP_SWAP)
		f |= RUN_SWAP;
	if (p->exclusive) f |= RUN_EXCLUSIVE;
	if (p->soft_dirty) f |= RUN_SOFT_DIRTY;
	if (p->uffd_wp) f |= RUN_UFFD_WP;
	if (p->state == PTV_SNAP_PRESENT) {
		if (p->pmd) f |= RUN_PMD;
		if (p->zero) f |= RUN_ZERO;
		if (p->hzero) f |= RUN_HZERO;
	}
	return f;
}

/* The number that advances along a run: the PFN or the swap offset. */
static uint64_t page_seq(const struct ptv_snap_page *p)
{
	return p->state == PTV_SNAP_SWAP ? p->swap_off : p->pfn;
}

/* Whether q may join the run [first, last] of len pages (same is the
 * run's RUN_SAME, meaningful once len >= 2). */
static bool run_continues(const struct ptv_snap_page *first,
			  const struct ptv_snap_page *last, size_t len,
			  bool same, const struct ptv_snap_page *q,
			  uint64_t vma_end, uint64_t ps)
{
	if (q->addr != last->addr + ps || q->addr >= vma_end ||
	    page_bits(q) != page_bits(first))
		return false;
	if (q->state == PTV_SNAP_SWAP) {
		if (q->swap_type != first->swap_type)
			return false;
	} else if (q->kflags != first->kflags || q->mapcount != first->mapcount ||
		   q->folio_order != first->folio_order) {
		return false;
	}
	uint64_t a = page_seq(last), b = page_seq(q);
	if (len == 1)
		return b == a || b == a + 1;
	return same ? b == a : b == a + 1;
}

struct run_state {
	uint64_t end;		/* address after the previous run */
	uint64_t next_pfn, next_swap;
	uint64_t kflags;
	uint32_t mapcount;
	uint8_t order;
};

static void write_run(struct sink *k, struct run_state *st, uint64_t ps,
		      const struct ptv_snap_page *first, size_t len, bool same)
{
	unsigned f = page_bits(first);
	if (len > 1 && same)
		f |= RUN_SAME;
	bool present = first->state == PTV_SNAP_PRESENT;
	if (present && first->kflags != st->kflags)
		f |= RUN_KFLAGS;
	if (present && first->mapcount != st->mapcount)
		f |= RUN_MAPCOUNT;
	if (present && first->folio_order != st->order)
		f |= RUN_ORDER;
	sink_varint(k, (first->addr - st->end) / ps);
	sink_varint(k, len);
	sink_varint(k, f);
	uint64_t seq = page_seq(first);
	uint64_t last = f & RUN_SAME ? seq : seq + len - 1;
	if (present) {
		sink_varint(k, zigzag((int64_t)(seq - st->next_pfn)));
		if (f & RUN_KFLAGS)
			sink_varint(k, st->kflags = first->kflags);
		if (f & RUN_MAPCOUNT)
			sink_varint(k, st->mapcount = first->mapcount);
		if (f & RUN_ORDER)
			sink_varint(k, st->order = first->folio_order);
		st->next_pfn = last + 1;
	} else {
		sink_varint(k, first->swap_type);
		sink_varint(k, zigzag((int64_t)(seq - st->next_swap)));
		st->next_swap = last + 1;
	}
	st->end = first->addr + len * ps;
}

static void write_pages(struct sink *k, const struct ptv_snapshot *s)
{
	uint64_t ps = s->page_size;
	struct run_state st = { 0 };
	sink_le(k, s->npages, 8);
	size_t vi = 0, i = 0;
	while (i < s->npages && !k->err) {
		const struct ptv_snap_page *first = &s->pages[i];
		while (s->vmas[vi].end <= first->addr)
			vi++;
		size_t len = 1;
		bool same = false;
		while (i + len < s->npages &&
		       run_continues(first, &s->pages[i + len - 1], len, same,
				     &s->pages[i + len], s->vmas[vi].end, ps)) {
			if (len == 1)
				same = page_seq(&s->pages[i + 1]) == page_seq(first);
			len++;
		}
		write_run(k, &st, ps, first, len, same);
		i += len;
	}
}

struct section_out {
	uint32_t type, crc;
	uint64_t offset, length;
};

static void encode(struct sink *k, const struct ptv_snapshot *s,
		   uint8_t header[HEADER_SIZE + 3 * SECTION_ENTRY_SIZE])
{
	const size_t hlen = HEADER_SIZE + 3 * SECTION_ENTRY_SIZE;
	memset(header, 0, hlen);
	sink_put(k, header, hlen);	/* patched at the end */
	struct section_out sec[3] = { { .type = SEC_META }, { .type = SEC_VMAS },
				      { .type = SEC_PAGES } };
	for (int i = 0; i < 3; i++) {
		sec[i].offset = k->pos;
		k->crc = 0;
		if (i == 0)
			write_meta(k, s);
		else if (i == 1)
			write_vmas(k, s);
		else
			write_pages(k, s);
		sec[i].crc = k->crc;
		sec[i].length = k->pos - sec[i].offset;
	}
	memcpy(header, magic, 8);
	put_le(header + 8, PTV_SNAP_VERSION, 4);
	put_le(header + 12, 3, 4);
	put_le(header + 16, k->pos, 8);
	for (int i = 0; i < 3; i++) {
		uint8_t *e = header + HEADER_SIZE + i * SECTION_ENTRY_SIZE;
		put_le(e, sec[i].type, 4);
		put_le(e + 4, sec[i].crc, 4);
		put_le(e + 8, sec[i].offset, 8);
		put_le(e + 16, sec[i].length, 8);
	}
	/* The header's CRC covers bytes 0-23 and the section table. */
	uint32_t crc = crc32_update(0, header, 24);
	crc = crc32_update(crc, header + HEADER_SIZE, 3 * SECTION_ENTRY_SIZE);
	put_le(header + 24, crc, 4);
}

struct ptv_error *ptv_snapshot_encode(const struct ptv_snapshot *s,
				      void **buf_ret, size_t *len_ret)
{
	struct ptv_error *err = check_snapshot(s);
	if (err)
		return err;
	struct sink k = { .fd = -1, .path = "snapshot" };
	uint8_t header[HEADER_SIZE + 3 * SECTION_ENTRY_SIZE];
	encode(&k, s, header);
	if (k.err) {
		free(k.buf);
		return k.err;
	}
	memcpy(k.buf, header, sizeof(header));
	*buf_ret = k.buf;
	*len_ret = k.len;
	return NULL;
}

struct ptv_error *ptv_snapshot_write(const struct ptv_snapshot *s,
				     const char *path)
{
	struct ptv_error *err = check_snapshot(s);
	if (err)
		return err;
	char *tmp;
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return ptv_enomem;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = ptv_error_os(errno, "%s", tmp);
		free(tmp);
		return err;
	}
	struct sink k = { .fd = fd, .path = tmp, .cap = SINK_FLUSH };
	k.buf = malloc(k.cap);
	if (!k.buf)
		k.err = ptv_enomem;
	uint8_t header[HEADER_SIZE + 3 * SECTION_ENTRY_SIZE];
	encode(&k, s, header);
	if (!k.err)
		sink_flush(&k);
	if (!k.err && pwrite(fd, header, sizeof(header), 0) != (ssize_t)sizeof(header))
		k.err = ptv_error_os(errno ? errno : EIO, "%s", tmp);
	if (!k.err && fsync(fd))
		k.err = ptv_error_os(errno, "%s", tmp);
	if (close(fd) && !k.err)
		k.err = ptv_error_os(errno, "%s", tmp);
	if (!k.err && rename(tmp, path))
		k.err = ptv_error_os(errno, "%s", path);
	if (k.err)
		unlink(tmp);
	free(k.buf);
	free(tmp);
	return k.err;
}

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
	if (memcmp(r->buf, magic, 8))
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
	uint32_t crc = crc32_update(0, r->buf, 24);
	crc = crc32_update(crc, r->buf + HEADER_SIZE, tend - HEADER_SIZE);
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
		if (crc32_update(0, r->buf + sec[i].offset, sec[i].length) !=
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
	for (size_t i = 0; i < NMETA; i++) {
		const struct meta_field *f = &meta_fields[i];
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
	if (!page_size_ok(s->page_size))
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

void ptv_snapshot_fix_crcs(void *buf, size_t len)
{
	uint8_t *b = buf;
	if (len < HEADER_SIZE || memcmp(b, magic, 8))
		return;
	uint32_t nsec = (uint32_t)get_le(b + 12, 4);
	if (nsec > MAX_SECTIONS)
		return;
	size_t tend = HEADER_SIZE + (size_t)nsec * SECTION_ENTRY_SIZE;
	if (len < tend)
		return;
	for (uint32_t i = 0; i < nsec; i++) {
		uint8_t *e = b + HEADER_SIZE + (size_t)i * SECTION_ENTRY_SIZE;
		uint64_t off = get_le(e + 8, 8), slen = get_le(e + 16, 8);
		if (off <= len && slen <= len - off)
			put_le(e + 4, crc32_update(0, b + off, slen), 4);
	}
	uint32_t crc = crc32_update(0, b, 24);
	crc = crc32_update(crc, b + HEADER_SIZE, tend - HEADER_SIZE);
	put_le(b + 24, crc, 4);
}
