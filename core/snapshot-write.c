/* snapshot-write.c: encode a struct ptv_snapshot as a .ptsnap file
 * (man/ptview-snapshot.5), streamed through a buffer with running CRCs. */
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
	k->crc = ptv_snap_crc32(k->crc, data, n);
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



static void write_meta(struct sink *k, const struct ptv_snapshot *s)
{
	const char *base = (const char *)s;
	for (size_t i = 0; i < ptv_snap_nmeta; i++) {
		const struct meta_field *f = &ptv_snap_meta_fields[i];
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
	memcpy(header, ptv_snap_magic, 8);
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
	uint32_t crc = ptv_snap_crc32(0, header, 24);
	crc = ptv_snap_crc32(crc, header + HEADER_SIZE, 3 * SECTION_ENTRY_SIZE);
	put_le(header + 24, crc, 4);
}

struct ptv_error *ptv_snapshot_encode(const struct ptv_snapshot *s,
				      void **buf_ret, size_t *len_ret)
{
	struct ptv_error *err = ptv_snap_check(s);
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
	struct ptv_error *err = ptv_snap_check(s);
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
