/* kdump-compressed memory images ("KDUMP   " diskdump files written by
 * makedumpfile and by QEMU dump-guest-memory -z/-l/-s).
 *
 * Choice: pages are read with libkdumpfile (0.5.1), which knows every
 * compression (zlib, lzo, snappy, zstd) and caches decompressed pages; the
 * headers are read and checked here first, so that no damaged or hostile
 * header reaches the library, and two of its limits with QEMU's files are
 * worked around:
 *
 *  - QEMU 7.2 leaves the header's utsname empty but for machine, and
 *    libkdumpfile then sets no arch.name; anything that needs the
 *    architecture (kernel-physical reads, vmcoreinfo helpers) fails, which
 *    is drgn's "kdump_get_string_attr(KDUMP_ATTR_ARCH_NAME): Key has no
 *    value".  We read KDUMP_MACHPHYSADDR, which needs no architecture and
 *    equals the kernel-physical address outside Xen, and take the
 *    VMCOREINFO text from the sub-header ourselves.
 *  - For aarch64 guests QEMU writes 64 KiB dump blocks (its
 *    TARGET_PAGE_SIZE) whatever the guest's page size, and libkdumpfile
 *    replaces the page size with VMCOREINFO's PAGESIZE=4096, so every PFN
 *    is off by 16 ("Out-of-bounds PFN").  The diskdump format counts PFNs
 *    in block_size units, so we set arch.page_size back to block_size.
 *
 * Layout (makedumpfile's diskdump_mod.h, 64-bit writers): block 0 is
 * struct disk_dump_header, then sub_hdr_size blocks of struct
 * kdump_sub_header, then bitmap_blocks blocks holding two bitmaps of
 * max_mapnr bits (RAM, then dumped), then one 24-byte page_desc per dumped
 * page.
 */
#include <elf.h>
#include <libkdumpfile/kdumpfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PTV_IMAGE_BACKEND
#include "core/image.h"
#include "core/vmcoreinfo.h"

/* struct disk_dump_header field offsets (64-bit: struct timeval is 16
 * bytes, 8-aligned, after 6 * 65 bytes of utsname). */
#define DH_VERSION	8
#define DH_MACHINE	(12 + 4 * 65)
#define DH_STATUS	424
#define DH_BLOCK_SIZE	428
#define DH_SUB_HDR_SIZE	432
#define DH_BITMAP_BLOCKS 436
#define DH_MAX_MAPNR	440
#define DH_SIZE		464

/* struct kdump_sub_header field offsets (64-bit). */
#define SH_OFFSET_VMCOREINFO	32	/* header_version >= 3 */
#define SH_SIZE_VMCOREINFO	40
#define SH_OFFSET_NOTE		48	/* header_version >= 4 */
#define SH_SIZE_NOTE		56
#define SH_OFFSET_ERASEINFO	64	/* header_version >= 5 */
#define SH_SIZE_ERASEINFO	72
#define SH_MAX_MAPNR_64		96	/* header_version >= 6 */
#define SH_SIZE			104

/* Notes for 8192 CPUs fit many times over. */
#define KDUMP_MAX_BLOB	(64u << 20)

#define PAGE_DESC_SIZE	24	/* offset, size, flags, page_flags */

/* Frames above 2^52 bytes of physical memory exceed every MMU we know. */
#define KDUMP_MAX_PHYS_BITS 52

struct kdump_header {
	bool big_endian;
	uint32_t version, block_size, sub_hdr_size, bitmap_blocks;
	uint64_t max_mapnr;
	char machine[66];
};

struct kdump_image {
	kdump_ctx_t *ctx;
	kdump_bmp_t *ram;	/* memory.pagemap: frames that are RAM */
	uint64_t page_size;	/* = block_size */
	uint64_t max_pfn;
};

static uint32_t get32(const unsigned char *p, bool be)
{
	if (be)
		return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
}

static uint64_t get64(const unsigned char *p, bool be)
{
	uint64_t hi = get32(be ? p : p + 4, be), lo = get32(be ? p + 4 : p, be);
	return hi << 32 | lo;
}

static struct ptv_error *bad_header(struct ptv_image *img, const char *what,
				    unsigned long long value)
{
	return ptv_error_create(PTV_ERR_FORMAT,
				"%s: bad kdump header: %s 0x%llx", img->path,
				what, value);
}

/* Count the set bits of the dumped bitmap below max_mapnr, reading it in
 * pieces: bounded by the bitmap's size, which fits in the file. */
static struct ptv_error *count_dumped(struct ptv_image *img,
				      const struct kdump_header *h,
				      uint64_t *count_ret)
{
	uint64_t bitmap_bytes = (uint64_t)h->bitmap_blocks * h->block_size;
	uint64_t start = (uint64_t)(1 + h->sub_hdr_size) * h->block_size +
			 bitmap_bytes / 2;
	uint64_t bytes = (h->max_mapnr + 7) / 8, count = 0;
	unsigned char buf[65536];
	for (uint64_t off = 0; off < bytes;) {
		size_t n = bytes - off < sizeof(buf) ? bytes - off : sizeof(buf);
		struct ptv_error *err = ptv_image_pread(img, buf, n, start + off,
							"kdump bitmap");
		if (err)
			return err;
		for (size_t i = 0; i < n; i++) {
			unsigned char b = buf[i];
			/* Bits past max_mapnr in the last byte do not count. */
			if (off + i == bytes - 1 && h->max_mapnr % 8)
				b &= (1u << (h->max_mapnr % 8)) - 1;
			count += __builtin_popcount(b);
		}
		off += n;
	}
	*count_ret = count;
	return NULL;
}

/* libkdumpfile reads the sub-header's blobs (VMCOREINFO, ELF notes,
 * eraseinfo) into memory whole: each must lie in the file and be of a size
 * a kernel could write. */
static struct ptv_error *check_blob(struct ptv_image *img,
				    const struct kdump_header *h,
				    const unsigned char *sh, unsigned version,
				    size_t at, const char *what)
{
	if (h->version < version)
		return NULL;
	uint64_t off = get64(sh + at, h->big_endian);
	uint64_t size = get64(sh + at + 8, h->big_endian);
	if (size == 0)
		return NULL;
	if (size > KDUMP_MAX_BLOB || off > img->file_size ||
	    size > img->file_size - off)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: bad kdump sub-header: %s at offset 0x%llx, 0x%llx bytes, is outside the file (%llu bytes)",
					img->path, what,
					(unsigned long long)off,
					(unsigned long long)size,
					(unsigned long long)img->file_size);
	return NULL;
}

/* Read and check block 0 and the sub-header; read the VMCOREINFO copy. */
static struct ptv_error *read_header(struct ptv_image *img,
				     struct kdump_header *h)
{
	unsigned char dh[DH_SIZE], sh[SH_SIZE];
	if (img->file_size < DH_SIZE)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: kdump header truncated (file has %llu bytes)",
					img->path,
					(unsigned long long)img->file_size);
	struct ptv_error *err = ptv_image_pread(img, dh, sizeof(dh), 0,
						"kdump header");
	if (err)
		return err;
	/* The header is in the dumped machine's byte order; a version
	 * counts up from 1, so it tells. */
	uint32_t v = get32(dh + DH_VERSION, false);
	h->big_endian = v == 0 || v > 0xffff;
	h->version = get32(dh + DH_VERSION, h->big_endian);
	if (h->version == 0 || h->version > 64)
		return bad_header(img, "header_version", h->version);
	h->block_size = get32(dh + DH_BLOCK_SIZE, h->big_endian);
	h->sub_hdr_size = get32(dh + DH_SUB_HDR_SIZE, h->big_endian);
	h->bitmap_blocks = get32(dh + DH_BITMAP_BLOCKS, h->big_endian);
	h->max_mapnr = get32(dh + DH_MAX_MAPNR, h->big_endian);
	memcpy(h->machine, dh + DH_MACHINE, 65);
	h->machine[65] = '\0';

	/* Dump blocks are pages: 4 KiB to 1 MiB on every Linux architecture.
	 * libkdumpfile 0.5.1 misreads smaller blocks (fuzz-kdump: 1 KiB
	 * blocks made it read a 2 TiB bitmap, then crash). */
	if (h->block_size < 4096 || h->block_size > (1u << 20) ||
	    (h->block_size & (h->block_size - 1)))
		return bad_header(img, "block_size", h->block_size);
	uint64_t bs = h->block_size;
	uint64_t blocks = img->file_size / bs;
	if (h->sub_hdr_size > blocks)
		return bad_header(img, "sub_hdr_size", h->sub_hdr_size);
	if (h->bitmap_blocks == 0 || h->bitmap_blocks > blocks ||
	    1 + (uint64_t)h->sub_hdr_size + h->bitmap_blocks > blocks)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: bad kdump header: 1 + %u header blocks + %u bitmap blocks of %u bytes do not fit the file (%llu bytes)",
					img->path, h->sub_hdr_size,
					h->bitmap_blocks, h->block_size,
					(unsigned long long)img->file_size);

	img->vmcoreinfo = NULL;
	/* Block 1 exists (bitmap_blocks >= 1); libkdumpfile reads it as the
	 * sub-header whatever sub_hdr_size says. */
	err = ptv_image_pread(img, sh, sizeof(sh), bs,
			      "kdump sub-header");
	if (err)
		return err;
	if ((err = check_blob(img, h, sh, 3, SH_OFFSET_VMCOREINFO, "VMCOREINFO")) ||
	    (err = check_blob(img, h, sh, 4, SH_OFFSET_NOTE, "ELF notes")) ||
	    (err = check_blob(img, h, sh, 5, SH_OFFSET_ERASEINFO, "eraseinfo")))
		return err;
	if (h->version >= 6 && get64(sh + SH_MAX_MAPNR_64, h->big_endian))
		h->max_mapnr = get64(sh + SH_MAX_MAPNR_64, h->big_endian);
	uint64_t bitmap_bits = (uint64_t)h->bitmap_blocks * bs * 8 / 2;
	if (h->max_mapnr == 0 || h->max_mapnr > bitmap_bits ||
	    h->max_mapnr > (1ull << KDUMP_MAX_PHYS_BITS) / bs)
		return bad_header(img, "max_mapnr", h->max_mapnr);

	uint64_t dumped;
	err = count_dumped(img, h, &dumped);
	if (err)
		return err;
	uint64_t descs = (1 + (uint64_t)h->sub_hdr_size + h->bitmap_blocks) * bs;
	if (dumped > (img->file_size - descs) / PAGE_DESC_SIZE)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: kdump file truncated: %llu page descriptors at offset 0x%llx do not fit its %llu bytes",
					img->path, (unsigned long long)dumped,
					(unsigned long long)descs,
					(unsigned long long)img->file_size);

	if (h->version >= 3) {
		uint64_t off = get64(sh + SH_OFFSET_VMCOREINFO, h->big_endian);
		uint64_t size = get64(sh + SH_SIZE_VMCOREINFO, h->big_endian);
		if (size == 0)
			return NULL;
		if (size > PTV_VMCOREINFO_MAX_BYTES)
			return bad_header(img, "VMCOREINFO size", size);
		char *text = malloc(size);
		if (!text)
			return ptv_enomem;
		err = ptv_image_pread(img, text, size, off, "VMCOREINFO");
		if (!err)
			img->vmcoreinfo = ptv_image_dup_text(text, size);
		free(text);
	}
	return err;
}

static uint16_t machine_from_uts(const char *m)
{
	static const struct {
		const char *name;
		uint16_t machine;
	} table[] = {
		{ "x86_64", EM_X86_64 }, { "aarch64", EM_AARCH64 },
		{ "arm64", EM_AARCH64 }, { "i386", EM_386 },
		{ "i486", EM_386 }, { "i586", EM_386 }, { "i686", EM_386 },
		{ "ppc64", EM_PPC64 }, { "ppc64le", EM_PPC64 },
		{ "s390x", EM_S390 }, { "riscv64", EM_RISCV },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcasecmp(m, table[i].name) == 0)
			return table[i].machine;
	}
	if (strncmp(m, "arm", 3) == 0)
		return EM_ARM;
	return EM_NONE;
}

static struct ptv_error *kdump_error(struct ptv_image *img,
				     struct kdump_image *kd,
				     enum ptv_error_code code,
				     kdump_status status, const char *what)
{
	const char *detail = kdump_get_err(kd->ctx);
	return ptv_error_create(code, "%s: %s: %s", img->path, what,
				detail ? detail : kdump_strerror(status));
}

static bool pfn_is_ram(struct kdump_image *kd, uint64_t pfn)
{
	kdump_addr_t idx = pfn;
	if (pfn >= kd->max_pfn || !kd->ram)
		return false;
	return kdump_bmp_find_set(kd->ram, &idx) == KDUMP_OK && idx == pfn;
}

static struct ptv_error *kdump_read_phys(struct ptv_image *img,
					 uint64_t paddr, void *buf, size_t len)
{
	struct kdump_image *kd = img->priv;
	size_t done = len;
	kdump_status s = kdump_read(kd->ctx, KDUMP_MACHPHYSADDR, paddr, buf,
				    &done);
	if (s == KDUMP_OK)
		return NULL;
	uint64_t bad = paddr + (done < len ? done : 0);
	if (s == KDUMP_ERR_NODATA) {
		/* The first bitmap says whether the frame is RAM the dump
		 * left out, or no memory at all. */
		if (pfn_is_ram(kd, bad / kd->page_size))
			return ptv_error_create(PTV_ERR_EXCLUDED,
						"%s: physical address 0x%llx is excluded from the dump",
						img->path,
						(unsigned long long)bad);
		return ptv_error_create(PTV_ERR_NO_MEMORY,
					"%s: physical address 0x%llx is not in the image",
					img->path, (unsigned long long)bad);
	}
	char what[64];
	snprintf(what, sizeof(what), "physical address 0x%llx",
		 (unsigned long long)bad);
	return kdump_error(img, kd, PTV_ERR_FORMAT, s, what);
}

static void kdump_image_free(struct kdump_image *kd)
{
	if (!kd)
		return;
	if (kd->ram)
		kdump_bmp_decref(kd->ram);
	if (kd->ctx)
		kdump_free(kd->ctx);
	free(kd);
}

static void kdump_destroy(struct ptv_image *img)
{
	kdump_image_free(img->priv);
	img->priv = NULL;
}

static const struct ptv_image_ops kdump_ops = {
	.read_phys = kdump_read_phys,
	.read_kvirt = NULL,	/* a kdump file has no virtual segments */
	.destroy = kdump_destroy,
};

/* The held ranges: runs of set bits in file.pagemap.  Past
 * KDUMP_MAX_RANGES runs the rest is one range, excluded pages and all
 * (ptv_image_find_vmcoreinfo() skips what it cannot read). */
#define KDUMP_MAX_RANGES (1u << 20)

static struct ptv_error *build_ranges(struct ptv_image *img,
				      struct kdump_image *kd)
{
	kdump_attr_t attr;
	kdump_status s = kdump_get_attr(kd->ctx, KDUMP_ATTR_FILE_PAGEMAP,
					&attr);
	if (s != KDUMP_OK || attr.type != KDUMP_BITMAP)
		return kdump_error(img, kd, PTV_ERR_FORMAT, s,
				   "reading the page bitmap");
	size_t cap = 16, n = 0;
	struct ptv_phys_range *ranges = malloc(cap * sizeof(*ranges));
	if (!ranges)
		return ptv_enomem;
	kdump_addr_t pfn = 0;
	/* Each pass moves pfn past one run: at most max_pfn / 2 passes. */
	while (pfn < kd->max_pfn) {
		kdump_addr_t end;
		if (kdump_bmp_find_set(attr.val.bitmap, &pfn) != KDUMP_OK ||
		    pfn >= kd->max_pfn)
			break;
		end = pfn;
		if (n == KDUMP_MAX_RANGES - 1 ||
		    kdump_bmp_find_clear(attr.val.bitmap, &end) != KDUMP_OK ||
		    end > kd->max_pfn)
			end = kd->max_pfn;
		if (n == cap) {
			cap *= 2;
			struct ptv_phys_range *more =
				realloc(ranges, cap * sizeof(*ranges));
			if (!more) {
				free(ranges);
				return ptv_enomem;
			}
			ranges = more;
		}
		ranges[n++] = (struct ptv_phys_range){ pfn * kd->page_size,
						       end * kd->page_size };
		pfn = end;
	}
	img->ranges = ranges;
	img->nranges = n;
	return NULL;
}

static struct ptv_error *open_library(struct ptv_image *img,
				      const struct kdump_header *h,
				      struct kdump_image *kd)
{
	kd->ctx = kdump_new();
	if (!kd->ctx)
		return ptv_enomem;
	/* read(2), not mmap: a file truncated while open must give an
	 * error, not SIGBUS. */
	kdump_status s = kdump_set_number_attr(kd->ctx, KDUMP_ATTR_FILE_MMAP_POLICY,
					       KDUMP_MMAP_NEVER);
	if (s == KDUMP_OK)
		s = kdump_open_fd(kd->ctx, img->fd);
	if (s != KDUMP_OK)
		return kdump_error(img, kd, PTV_ERR_FORMAT, s, "libkdumpfile");

	kdump_num_t page_size = 0, max_pfn = 0;
	s = kdump_get_number_attr(kd->ctx, KDUMP_ATTR_PAGE_SIZE, &page_size);
	if (s == KDUMP_OK && page_size != h->block_size)
		s = kdump_set_number_attr(kd->ctx, KDUMP_ATTR_PAGE_SIZE,
					  h->block_size);
	if (s != KDUMP_OK)
		return kdump_error(img, kd, PTV_ERR_FORMAT, s,
				   "setting the page size");
	kd->page_size = h->block_size;
	s = kdump_get_number_attr(kd->ctx, "max_pfn", &max_pfn);
	if (s != KDUMP_OK || max_pfn > h->max_mapnr)
		max_pfn = h->max_mapnr;
	kd->max_pfn = max_pfn;
	/* About 8 MiB of decompressed pages: a page-table walk revisits
	 * upper-level tables constantly. */
	kdump_num_t entries = (8u << 20) / h->block_size;
	kdump_set_number_attr(kd->ctx, "cache.size", entries < 64 ? 64 : entries);

	kdump_attr_t attr;
	s = kdump_get_attr(kd->ctx, KDUMP_ATTR_MEMORY_PAGEMAP, &attr);
	if (s == KDUMP_OK && attr.type == KDUMP_BITMAP) {
		kd->ram = attr.val.bitmap;
		kdump_bmp_incref(kd->ram);
	}
	return build_ranges(img, kd);
}

struct ptv_error *ptv_image_kdump_open(struct ptv_image *img)
{
	struct kdump_header h;
	struct ptv_error *err = read_header(img, &h);
	if (err)
		goto fail;
	img->format = PTV_IMAGE_KDUMP;
	img->byte_order = h.big_endian ? PTV_BIG_ENDIAN : PTV_LITTLE_ENDIAN;
	img->machine = machine_from_uts(h.machine);
	if (img->machine == EM_NONE)
		img->machine = ptv_image_machine_from_vmcoreinfo(img->vmcoreinfo);
	/* The header layout we accepted is the 64-bit one. */
	img->pointer_size = 8;
	img->has_kvirt = false;

	struct kdump_image *kd = calloc(1, sizeof(*kd));
	if (!kd) {
		err = ptv_enomem;
		goto fail;
	}
	err = open_library(img, &h, kd);
	if (err) {
		kdump_image_free(kd);
		goto fail;
	}
	img->priv = kd;
	img->ops = &kdump_ops;
	return NULL;

fail:
	free(img->vmcoreinfo);
	img->vmcoreinfo = NULL;
	free(img->ranges);
	img->ranges = NULL;
	img->nranges = 0;
	return err;
}
