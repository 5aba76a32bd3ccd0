/* Unit tests for core/snapshot.c: a snapshot survives encode and parse
 * field for field and byte for byte; damaged files (truncated, bad magic,
 * bad version, absurd counts, pages outside the VMAs, VMAs out of order,
 * flipped bytes) fail with an error that names the file and the offset,
 * and never crash. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/kpageflags.h"
#include "core/snapshot.h"
#include "core/trace.h"
#include "tests/tap.h"

#define PS 4096u
#define KPF_HEAD (PTV_KPF(COMPOUND_HEAD) | PTV_KPF(ANON) | PTV_KPF(THP))
#define KPF_TAIL (PTV_KPF(COMPOUND_TAIL) | PTV_KPF(ANON) | PTV_KPF(THP))

static struct ptv_snap_page *add_page(struct ptv_snapshot *s, uint64_t addr)
{
	struct ptv_snap_page *p = &s->pages[s->npages++];
	memset(p, 0, sizeof(*p));
	p->addr = addr;
	p->state = PTV_SNAP_PRESENT;
	return p;
}

/* A snapshot with one of everything the page encoding distinguishes. */
static struct ptv_snapshot *sample(void)
{
	struct ptv_snapshot *s = calloc(1, sizeof(*s));
	s->version = PTV_SNAP_VERSION;
	strcpy(s->kernel, "6.18.0-test");
	strcpy(s->machine, "x86_64");
	s->page_size = PS;
	s->pid = 4242;
	strcpy(s->comm, "sample comm 16ch");
	s->taken = 1700000000;
	strcpy(s->settings.thp, "madvise");
	strcpy(s->settings.thp_defrag, "defer+madvise");
	strcpy(s->settings.shmem_enabled, "within_size");
	s->settings.use_zero_page = 1;
	s->settings.max_ptes_none = 511;
	s->settings.max_ptes_swap = 64;
	s->settings.max_ptes_shared = 256;
	s->settings.pages_to_scan = 4096;
	s->settings.fault_around_bytes = 65536;
	strcpy(s->settings.mthp[3], "inherit");
	strcpy(s->settings.mthp[8], "always");
	s->zero_page_maps = 1;
	s->counters = (struct ptv_snap_counters){ 100, 200, 300, -1, 16, 0,
						  12345, 6 };
	s->nvmas = 4;
	s->vmas = calloc(s->nvmas, sizeof(*s->vmas));
	s->vmas[0] = (struct ptv_snap_vma){ .start = 0x200000000000,
		.end = 0x200000800000, .prot = PTV_PROT_R | PTV_PROT_W,
		.backing = PTV_SNAP_ANON, .vmflags = PTV_SNAP_VM_HUGEPAGE |
		PTV_SNAP_VM_ACCOUNT, .anon_vma = true };
	s->vmas[1] = (struct ptv_snap_vma){ .start = 0x200000800000,
		.end = 0x200000810000, .pgoff = 3, .prot = PTV_PROT_R,
		.shared = true, .backing = PTV_SNAP_FILE,
		.path = strdup("/tmp/a file \"quoted\""), .dev = 0xfe00,
		.ino = 987654321 };
	s->vmas[2] = (struct ptv_snap_vma){ .start = 0x300000000000,
		.end = 0x300000004000, .prot = PTV_PROT_R | PTV_PROT_W,
		.shared = true, .backing = PTV_SNAP_SHMEM,
		.path = strdup("/memfd:x (deleted)"), .ino = 7 };
	s->vmas[3] = (struct ptv_snap_vma){ .start = 0x7ffff7fc0000,
		.end = 0x7ffff7fc2000, .prot = PTV_PROT_R | PTV_PROT_X,
		.backing = PTV_SNAP_SPECIAL, .path = strdup("[vdso]") };
	s->pages = calloc(2048, sizeof(*s->pages));
	uint64_t a = s->vmas[0].start;
	/* 16 pages on consecutive frames, then 4 scattered ones */
	for (int i = 0; i < 16; i++) {
		struct ptv_snap_page *p = add_page(s, a + i * PS);
		p->pfn = 0x1000 + i;
		p->kflags = PTV_KPF(ANON);
		p->mapcount = 1;
		p->exclusive = true;
	}
	for (int i = 16; i < 20; i++) {
		struct ptv_snap_page *p = add_page(s, a + i * PS);
		p->pfn = 0x90000 - i * 77;
		p->kflags = PTV_KPF(ANON) | PTV_KPF(LOCKED);
		p->mapcount = 2;
		p->soft_dirty = i & 1;
	}
	/* 8 zero pages: the same frame over and over */
	for (int i = 32; i < 40; i++) {
		struct ptv_snap_page *p = add_page(s, a + i * PS);
		p->pfn = 0x5a5a;
		p->kflags = PTV_KPF(ZERO_PAGE);
		p->zero = true;
	}
	/* swapped pages, then a hole, then a PMD-mapped THP */
	for (int i = 40; i < 46; i++) {
		struct ptv_snap_page *p = &s->pages[s->npages++];
		memset(p, 0, sizeof(*p));
		p->addr = a + i * PS;
		p->state = PTV_SNAP_SWAP;
		p->swap_type = 1;
		p->swap_off = 500 + i;
		p->uffd_wp = i == 41;
	}
	for (int i = 512; i < 1024; i++) {
		struct ptv_snap_page *p = add_page(s, a + i * PS);
		p->pfn = 0x200000 + (i - 512);
		p->kflags = i == 512 ? KPF_HEAD : KPF_TAIL;
		p->mapcount = 1;
		p->folio_order = 9;
		p->pmd = true;
		p->exclusive = true;
	}
	/* the last page of VMA 0 and the first of VMA 1 are adjacent */
	struct ptv_snap_page *p = add_page(s, s->vmas[0].end - PS);
	p->pfn = 0x77;
	p->kflags = PTV_KPF(ANON);
	p->mapcount = 1;
	p = add_page(s, s->vmas[1].start);
	p->pfn = 0x78;
	p->kflags = PTV_KPF(ANON);
	p->mapcount = 1;
	p = add_page(s, s->vmas[2].start + PS);
	p->pfn = 0x4;
	p->kflags = PTV_KPF(SWAPBACKED);
	p->mapcount = 3;
	p = add_page(s, s->vmas[3].start);
	p->pfn = UINT64_C(1) << 40;
	p->kflags = UINT64_MAX;
	p->mapcount = UINT32_MAX;
	return s;
}

static bool same_snapshot(const struct ptv_snapshot *a,
			  const struct ptv_snapshot *b)
{
	if (a->version != b->version || strcmp(a->kernel, b->kernel) ||
	    strcmp(a->machine, b->machine) || a->page_size != b->page_size ||
	    a->pid != b->pid || strcmp(a->comm, b->comm) ||
	    a->taken != b->taken || a->zero_page_maps != b->zero_page_maps ||
	    memcmp(&a->settings, &b->settings, sizeof(a->settings)) ||
	    memcmp(&a->counters, &b->counters, sizeof(a->counters)) ||
	    a->nvmas != b->nvmas || a->npages != b->npages)
		return false;
	for (size_t i = 0; i < a->nvmas; i++) {
		const struct ptv_snap_vma *x = &a->vmas[i], *y = &b->vmas[i];
		if (x->start != y->start || x->end != y->end ||
		    x->pgoff != y->pgoff || x->prot != y->prot ||
		    x->shared != y->shared || x->backing != y->backing ||
		    x->dev != y->dev || x->ino != y->ino ||
		    x->vmflags != y->vmflags || x->anon_vma != y->anon_vma ||
		    !x->path != !y->path ||
		    (x->path && strcmp(x->path, y->path)))
			return false;
	}
	for (size_t i = 0; i < a->npages; i++) {
		const struct ptv_snap_page *x = &a->pages[i], *y = &b->pages[i];
		if (x->addr != y->addr || x->state != y->state ||
		    x->exclusive != y->exclusive || x->soft_dirty != y->soft_dirty ||
		    x->uffd_wp != y->uffd_wp)
			return false;
		if (x->state == PTV_SNAP_SWAP &&
		    (x->swap_type != y->swap_type || x->swap_off != y->swap_off))
			return false;
		if (x->state == PTV_SNAP_PRESENT &&
		    (x->pfn != y->pfn || x->kflags != y->kflags ||
		     x->mapcount != y->mapcount ||
		     x->folio_order != y->folio_order || x->pmd != y->pmd ||
		     x->zero != y->zero || x->hzero != y->hzero))
			return false;
	}
	return true;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void set_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Offset of section type's contents in an encoded file. */
static uint64_t section(const uint8_t *b, uint32_t type, uint64_t *len_ret)
{
	uint32_t n = (uint32_t)le(b + 12, 4);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = b + 32 + i * 24;
		if (le(e, 4) == type) {
			if (len_ret)
				*len_ret = le(e + 16, 8);
			return le(e + 8, 8);
		}
	}
	return 0;
}

/* Parse buf (len bytes) and expect an error whose message starts with
 * "t.ptsnap: offset OFF: " and contains want. */
static void expect_bad(const uint8_t *buf, size_t len, long long off,
		       const char *want, const char *what)
{
	struct ptv_snapshot *s = NULL;
	struct ptv_error *err = ptv_snapshot_parse(buf, len, "t.ptsnap", &s);
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "t.ptsnap: offset %lld: ", off);
	bool good = err && err != ptv_enomem &&
		    strncmp(err->message, prefix, strlen(prefix)) == 0 &&
		    strstr(err->message, want);
	ok(good, what);
	if (!good)
		printf("#   got: %s\n#   want: %s...%s\n",
		       err ? err->message : "(success)", prefix, want);
	ptv_error_destroy(err);
	ptv_snapshot_destroy(s);
}

/* A copy of the encoding, damaged by fn, with its checksums fixed. */
static uint8_t *damaged(const uint8_t *good, size_t len)
{
	uint8_t *b = malloc(len);
	memcpy(b, good, len);
	return b;
}

int main(int argc, char **argv)
{
	struct ptv_snapshot *s = sample(), *r = NULL;
	/* t-snapshot FILE: write the sample there (the fuzzer's seed) */
	if (argc == 2) {
		struct ptv_error *werr = ptv_snapshot_write(s, argv[1]);
		ptv_snapshot_destroy(s);
		if (werr)
			fprintf(stderr, "%s\n", werr->message);
		return werr ? 1 : 0;
	}
	plan(39);
	void *vbuf;
	size_t len;
	struct ptv_error *err = ptv_snapshot_encode(s, &vbuf, &len);
	ok(!err, "a valid snapshot encodes");
	if (err) {
		printf("# %s\n", err->message);
		return 1;
	}
	uint8_t *buf = vbuf;
	ok(memcmp(buf, "PTVSNAP", 8) == 0, "it starts with the magic");
	uint64_t meta_len;
	section(buf, 1, &meta_len);
	is_int(meta_len, 591, "the META section is 591 bytes (man page)");
	printf("# %zu pages in %zu bytes\n", s->npages, len);
	ok(len < 1200, "runs keep it small (a THP costs a few bytes)");

	err = ptv_snapshot_parse(buf, len, "t.ptsnap", &r);
	ok(!err, "it parses");
	ok(r && same_snapshot(s, r), "parsed equals the original, field by field");
	void *vbuf2;
	size_t len2;
	if (r && !ptv_snapshot_encode(r, &vbuf2, &len2)) {
		ok(len2 == len && memcmp(vbuf2, buf, len) == 0,
		   "encoding what was parsed gives the same bytes");
		free(vbuf2);
	} else {
		ok(0, "encoding what was parsed gives the same bytes");
	}
	ptv_snapshot_destroy(r);
	r = NULL;

	/* through a file: atomic write, read-only read */
	char dir[] = "/tmp/t-snapshot.XXXXXX", path[64], tmpl[80];
	ok(mkdtemp(dir) != NULL, "scratch directory");
	snprintf(path, sizeof(path), "%s/s.ptsnap", dir);
	err = ptv_snapshot_write(s, path);
	ok(!err, "written to a file");
	ptv_error_destroy(err);
	err = ptv_snapshot_read(path, &r);
	ok(!err && same_snapshot(s, r), "read back from the file, equal");
	ptv_error_destroy(err);
	ptv_snapshot_destroy(r);
	r = NULL;
	err = ptv_snapshot_read(dir, &r);
	ok(err && strstr(err->message, "not a regular file"),
	   "a directory is refused");
	ptv_error_destroy(err);
	unlink(path);
	snprintf(tmpl, sizeof(tmpl), "%s/missing/s.ptsnap", dir);
	err = ptv_snapshot_write(s, tmpl);
	ok(err && strstr(err->message, "missing"),
	   "a write into a missing directory names it");
	ptv_error_destroy(err);
	rmdir(dir);

	/* the writer refuses what the reader would */
	s->pages[3].addr = s->pages[2].addr;
	err = ptv_snapshot_encode(s, &vbuf2, &len2);
	ok(err && err->code == PTV_ERR_USAGE, "unsorted pages are not encoded");
	ptv_error_destroy(err);
	s->pages[3].addr = s->pages[2].addr + PS;
	s->pages[0].addr = 0x100000;
	err = ptv_snapshot_encode(s, &vbuf2, &len2);
	ok(err && err->code == PTV_ERR_USAGE,
	   "pages outside the VMAs are not encoded");
	ptv_error_destroy(err);
	s->pages[0].addr = s->vmas[0].start;

	/* truncated at every length: always an error naming an offset */
	bool all = true;
	for (size_t n = 0; n < len; n++) {
		err = ptv_snapshot_parse(buf, n, "t.ptsnap", &r);
		if (!err || !strstr(err->message, "t.ptsnap: offset ")) {
			printf("# length %zu: %s\n", n,
			       err ? err->message : "accepted");
			all = false;
		}
		ptv_error_destroy(err);
	}
	ok(all, "every truncation fails with the file and an offset");
	expect_bad(buf, 10, 0, "truncated header", "truncated header");
	expect_bad(buf, len - 1, 16, "truncated", "truncated body");

	uint8_t *b = damaged(buf, len);
	b[1] = 'X';
	expect_bad(b, len, 0, "bad magic", "bad magic");
	memcpy(b, buf, len);
	set_le(b + 8, 2, 4);
	expect_bad(b, len, 8, "format version 2 is not supported",
		   "bad version");
	err = ptv_snapshot_parse(b, len, "t.ptsnap", &r);
	ok(err && err->code == PTV_ERR_UNSUPPORTED,
	   "a bad version is 'unsupported'");
	ptv_error_destroy(err);

	memcpy(b, buf, len);
	uint64_t pages_len, pages_off = section(b, 3, &pages_len);
	b[pages_off + pages_len - 1] ^= 0x40;
	expect_bad(b, len, (long long)pages_off, "PAGES section checksum mismatch",
		   "a flipped byte fails the checksum");
	memcpy(b, buf, len);
	b[33] ^= 1;
	expect_bad(b, len, 24, "header checksum mismatch",
		   "a damaged section table fails the header checksum");

	uint8_t *longer = malloc(len + 1);
	memcpy(longer, buf, len);
	longer[len] = 0;
	expect_bad(longer, len + 1, 16, "trailing data", "trailing bytes");
	free(longer);

	/* counts too large (checksums fixed, so the counts are judged) */
	uint64_t vmas_off = section(buf, 2, NULL);
	memcpy(b, buf, len);
	set_le(b + vmas_off, 0xffffffffu, 4);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)vmas_off, "do not fit",
		   "VMA count too large");
	memcpy(b, buf, len);
	set_le(b + vmas_off + 4, 1u << 20, 4);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)vmas_off + 4, "VMA record size",
		   "VMA record size too large");
	memcpy(b, buf, len);
	set_le(b + pages_off, UINT64_C(1) << 40, 8);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)pages_off, "exceed the limit",
		   "page count too large");
	memcpy(b, buf, len);
	set_le(b + pages_off, s->npages + 1, 8);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)pages_off, "its runs hold",
		   "page count larger than the runs");
	memcpy(b, buf, len);
	set_le(b + pages_off, 3, 8);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)pages_off + 8,
		   "more pages than the section declares",
		   "page count smaller than the runs");
	uint64_t meta_off = section(buf, 1, NULL);
	memcpy(b, buf, len);
	set_le(b + 12, 1000, 4);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, 12, "sections", "section count too large");
	memcpy(b, buf, len);
	set_le(b + 32 + 8, len - 4, 8);	/* META's offset */
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, 40, "lies outside the file",
		   "a section beyond the end");
	memcpy(b, buf, len);
	set_le(b + meta_off, 12345, 8);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)meta_off, "page size 12345",
		   "an impossible page size");
	memcpy(b, buf, len);
	memset(b + meta_off + 24, 'k', 65);	/* kernel[65] without NUL */
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)meta_off + 24, "kernel is not NUL-terminated",
		   "an unterminated string");

	/* pages outside the VMAs: move VMA 0 up past its first pages */
	uint64_t rec0 = vmas_off + 8;
	memcpy(b, buf, len);
	set_le(b + rec0, s->vmas[0].start + 0x100000, 8);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)pages_off + 8, "outside the VMAs",
		   "pages outside the VMAs");
	/* VMAs out of order: VMA 1 starts below VMA 0's end */
	uint64_t rec1 = rec0 + 52;	/* VMA 0 has no path */
	memcpy(b, buf, len);
	set_le(b + rec1, s->vmas[0].start, 8);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)rec1, "out of order",
		   "VMAs out of order");
	memcpy(b, buf, len);
	b[rec0 + 46] = 9;
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)rec0 + 46, "unknown backing",
		   "an unknown backing");
	memcpy(b, buf, len);
	set_le(b + rec1 + 48, 5000, 4);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)rec1 + 48, "path of 5000 bytes",
		   "a path too long");
	/* a run's flags with bits no version 1 writer sets */
	memcpy(b, buf, len);
	uint64_t fl = pages_off + 8;	/* first run: gap, length, flags */
	for (int k = 0; k < 2; k++)
		while (b[fl++] & 0x80)
			;
	b[fl] = 0xff;
	b[fl + 1] = 0x7f;
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, (long long)pages_off + 8, "unknown run flags",
		   "unknown run flags");

	/* a section of an unknown type is skipped (forward compatibility):
	 * retype META as 99 and add nothing: then META is missing */
	memcpy(b, buf, len);
	set_le(b + 32, 99, 4);
	ptv_snapshot_fix_crcs(b, len);
	expect_bad(b, len, 32, "no META section", "a missing section");

	/* random damage behind fixed checksums: errors, never crashes */
	unsigned seed = 12345, accepted = 0, refused = 0;
	bool named = true;
	for (int i = 0; i < 20000; i++) {
		memcpy(b, buf, len);
		int nflips = 1 + (int)(rand_r(&seed) % 4);
		for (int k = 0; k < nflips; k++)
			b[rand_r(&seed) % len] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		ptv_snapshot_fix_crcs(b, len);
		err = ptv_snapshot_parse(b, len, "t.ptsnap", &r);
		if (err) {
			refused++;
			if (err != ptv_enomem &&
			    !strstr(err->message, "t.ptsnap: offset "))
				named = false;
			ptv_error_destroy(err);
		} else {
			accepted++;
			/* whatever was accepted encodes again */
			if (!ptv_snapshot_encode(r, &vbuf2, &len2))
				free(vbuf2);
			else
				named = false;
			ptv_snapshot_destroy(r);
		}
		r = NULL;
	}
	printf("# random damage: %u refused, %u accepted\n", refused, accepted);
	ok(named, "20000 damaged files: no crash, every error names the offset");

	free(b);
	free(buf);
	ptv_snapshot_destroy(s);
	return exit_status();
}
