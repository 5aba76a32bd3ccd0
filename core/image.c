/* Memory images: format detection, the common accessors and the search for
 * VMCOREINFO in memory.  The formats themselves are in image-elf.c and
 * image-kdump.c. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PTV_IMAGE_BACKEND
#include "core/image.h"
#include "core/vmcoreinfo.h"

static struct ptv_error *detect_and_open(struct ptv_image *img)
{
	unsigned char magic[16];
	if (img->file_size == 0)
		return ptv_error_create(PTV_ERR_FORMAT, "%s: empty file",
					img->path);
	size_t want = img->file_size < sizeof(magic) ? img->file_size
						       : sizeof(magic);
	memset(magic, 0, sizeof(magic));
	struct ptv_error *err = ptv_image_pread(img, magic, want, 0,
						"file signature");
	if (err)
		return err;
	if (memcmp(magic, ELFMAG, SELFMAG) == 0)
		return ptv_image_elf_open(img);
	if (memcmp(magic, "KDUMP   ", 8) == 0 ||
	    memcmp(magic, "DISKDUMP", 8) == 0)
		return ptv_image_kdump_open(img);
	/* makedumpfile -F and QEMU 7.2's dump-guest-memory -z write this
	 * stream of (offset, size, data) records: "makedumpfile" then
	 * NULs. */
	if (memcmp(magic, "makedumpfile", 12) == 0)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s: makedumpfile flattened format; reassemble it first: makedumpfile -R %s.kdump < %s",
					img->path, img->path, img->path);
	return ptv_error_create(PTV_ERR_FORMAT,
				"%s: not an ELF core or kdump-compressed file (starts with %02x %02x %02x %02x)",
				img->path, magic[0], magic[1], magic[2],
				magic[3]);
}

struct ptv_error *ptv_image_open(const char *path, struct ptv_image **ret)
{
	struct ptv_image *img = calloc(1, sizeof(*img));
	if (!img)
		return ptv_enomem;
	img->fd = -1;
	img->path = strdup(path);
	if (!img->path) {
		free(img);
		return ptv_enomem;
	}
	struct ptv_error *err;
	img->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (img->fd < 0) {
		err = ptv_error_os(errno, "%s", path);
		goto fail;
	}
	struct stat st;
	if (fstat(img->fd, &st) < 0) {
		err = ptv_error_os(errno, "%s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = ptv_error_create(PTV_ERR_FORMAT,
				       "%s: not a regular file", path);
		goto fail;
	}
	img->file_size = st.st_size;
	err = detect_and_open(img);
	if (err)
		goto fail;
	*ret = img;
	return NULL;

fail:
	close(img->fd);
	free(img->path);
	free(img);
	return err;
}

void ptv_image_destroy(struct ptv_image *img)
{
	if (!img)
		return;
	if (img->ops)
		img->ops->destroy(img);
	free(img->vmcoreinfo);
	free(img->ranges);
	close(img->fd);
	free(img->path);
	free(img);
}

enum ptv_image_format ptv_image_format(const struct ptv_image *img)
{
	return img->format;
}

const char *ptv_image_format_name(enum ptv_image_format format)
{
	switch (format) {
	case PTV_IMAGE_ELF_VMCORE:
		return "ELF vmcore";
	case PTV_IMAGE_KCORE:
		return "/proc/kcore";
	case PTV_IMAGE_KDUMP:
		return "kdump-compressed";
	}
	return "unknown";
}

const char *ptv_image_path(const struct ptv_image *img)
{
	return img->path;
}

struct ptv_error *ptv_image_read_phys(struct ptv_image *img, uint64_t paddr,
				      void *buf, size_t len)
{
	if (len == 0)
		return NULL;
	if (paddr + len - 1 < paddr)
		return ptv_error_create(PTV_ERR_NO_MEMORY,
					"%s: physical range 0x%llx+0x%zx wraps around",
					img->path, (unsigned long long)paddr,
					len);
	return img->ops->read_phys(img, paddr, buf, len);
}

struct ptv_error *ptv_image_read_kvirt(struct ptv_image *img, uint64_t vaddr,
				       void *buf, size_t len)
{
	if (len == 0)
		return NULL;
	if (!img->has_kvirt || !img->ops->read_kvirt || vaddr + len - 1 < vaddr)
		return ptv_error_create(PTV_ERR_NO_MEMORY,
					"%s: kernel address 0x%llx is not in the image (it has no virtual segments)",
					img->path, (unsigned long long)vaddr);
	return img->ops->read_kvirt(img, vaddr, buf, len);
}

bool ptv_image_has_kvirt(const struct ptv_image *img)
{
	return img->has_kvirt;
}

const char *ptv_image_vmcoreinfo(const struct ptv_image *img)
{
	return img->vmcoreinfo;
}

const struct ptv_phys_range *ptv_image_ranges(const struct ptv_image *img,
					      size_t *nranges_ret)
{
	*nranges_ret = img->nranges;
	return img->ranges;
}

size_t ptv_image_nranges(const struct ptv_image *img)
{
	return img->nranges;
}

uint16_t ptv_image_machine(const struct ptv_image *img)
{
	return img->machine;
}

unsigned int ptv_image_pointer_size(const struct ptv_image *img)
{
	return img->pointer_size;
}

enum ptv_byte_order ptv_image_byte_order(const struct ptv_image *img)
{
	return img->byte_order;
}

/* ---- helpers for the backends ------------------------------------------ */

struct ptv_error *ptv_image_pread(struct ptv_image *img, void *buf,
				  size_t len, uint64_t offset,
				  const char *what)
{
	size_t done = 0;
	/* Bounded: every pass either advances, or returns. */
	while (done < len) {
		ssize_t r = pread(img->fd, (char *)buf + done, len - done,
				  offset + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ptv_error_os(errno, "%s: reading %s at offset 0x%llx",
					    img->path, what,
					    (unsigned long long)(offset + done));
		if (r == 0)
			return ptv_error_create(PTV_ERR_FORMAT,
						"%s: %s at offset 0x%llx: file ends after %zu of %zu bytes (truncated?)",
						img->path, what,
						(unsigned long long)offset,
						done, len);
		done += r;
	}
	return NULL;
}

char *ptv_image_dup_text(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	if (nul)
		len = nul - text;
	if (len == 0)
		return NULL;
	char *s = malloc(len + 1);
	if (!s)
		return NULL;
	memcpy(s, text, len);
	s[len] = '\0';
	return s;
}

/* Is "key" at the start of a line of text? */
static bool has_line(const char *text, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(text, key, n) == 0)
		return true;
	for (const char *p = strchr(text, '\n'); p; p = strchr(p + 1, '\n')) {
		if (strncmp(p + 1, key, n) == 0)
			return true;
	}
	return false;
}

uint16_t ptv_image_machine_from_vmcoreinfo(const char *text)
{
	if (!text)
		return EM_NONE;
	/* arch/x86/kernel/crash_core_64.c and arch/arm64/kernel/crash_core.c
	 * (Linux 6.1): keys no other architecture writes. */
	if (has_line(text, "SYMBOL(init_top_pgt)=") ||
	    has_line(text, "NUMBER(pgtable_l5_enabled)="))
		return EM_X86_64;
	if (has_line(text, "NUMBER(kimage_voffset)=") ||
	    has_line(text, "NUMBER(TCR_EL1_T1SZ)="))
		return EM_AARCH64;
	if (has_line(text, "NUMBER(X86_PAE)="))
		return EM_386;
	return EM_NONE;
}

/* ---- VMCOREINFO in memory ------------------------------------------------ */

#define SCAN_CHUNK	(4u << 20)
#define SCAN_PAGE	4096u
#define VMCI_NEEDLE	"OSRELEASE="
#define VMCI_MAX_TEXT	(64u << 10)	/* the kernel's is one page */
#define VMCI_MAX_CANDIDATES 4096

/* Read [paddr, paddr + len) page by page, zero-filling what cannot be read:
 * a NUL never matches the needle and ends any text. */
static void read_or_zero(struct ptv_image *img, uint64_t paddr, char *buf,
			 size_t len)
{
	struct ptv_error *err = ptv_image_read_phys(img, paddr, buf, len);
	if (!err)
		return;
	ptv_error_destroy(err);
	for (size_t off = 0; off < len;) {
		size_t n = SCAN_PAGE - (paddr + off) % SCAN_PAGE;
		if (n > len - off)
			n = len - off;
		err = ptv_image_read_phys(img, paddr + off, buf + off, n);
		if (err) {
			ptv_error_destroy(err);
			memset(buf + off, 0, n);
		}
		off += n;
	}
}

/* The text at paddr up to its NUL, if it looks like VMCOREINFO. */
static char *candidate_text(struct ptv_image *img, uint64_t paddr)
{
	char *buf = malloc(VMCI_MAX_TEXT + 1);
	if (!buf)
		return NULL;
	size_t len = 0;
	/* One page at a time, stopping at the NUL. */
	while (len < VMCI_MAX_TEXT) {
		size_t n = SCAN_PAGE - (paddr + len) % SCAN_PAGE;
		if (n > VMCI_MAX_TEXT - len)
			n = VMCI_MAX_TEXT - len;
		read_or_zero(img, paddr + len, buf + len, n);
		char *nul = memchr(buf + len, '\0', n);
		if (nul) {
			len = nul - buf;
			break;
		}
		len += n;
	}
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = buf[i];
		if (c != '\n' && c != '\t' && c != '\r' && (c < ' ' || c > '~'))
			goto no;
	}
	if (!strstr(buf, "\nPAGESIZE=") ||
	    !(strstr(buf, "\nSYMBOL(") || strstr(buf, "\nNUMBER(phys_base)=") ||
	      strstr(buf, "\nKERNELOFFSET=")))
		goto no;
	return buf;
no:
	free(buf);
	return NULL;
}

static uint32_t load32(const unsigned char *p, bool big_endian)
{
	if (big_endian)
		return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
}

/* Does an ELF note named "VMCOREINFO" end right before paddr?  Then return
 * its descsz: the kernel's vmcoreinfo_note (kernel/crash_core.c). */
static bool note_wrapped(struct ptv_image *img, uint64_t paddr,
			 uint32_t *descsz_ret)
{
	unsigned char hdr[24];	/* namesz, descsz, type, "VMCOREINFO\0" + pad */
	if (paddr < sizeof(hdr))
		return false;
	struct ptv_error *err = ptv_image_read_phys(img, paddr - sizeof(hdr),
						    hdr, sizeof(hdr));
	if (err) {
		ptv_error_destroy(err);
		return false;
	}
	if (memcmp(hdr + 12, "VMCOREINFO\0", 11) != 0)
		return false;
	bool be = img->byte_order == PTV_BIG_ENDIAN;
	if (load32(hdr, be) != 11 || load32(hdr + 8, be) != 0)
		return false;
	*descsz_ret = load32(hdr + 4, be);
	return true;
}

struct ptv_error *ptv_image_find_vmcoreinfo(struct ptv_image *img,
					    char **text_ret)
{
	const size_t keep = sizeof(VMCI_NEEDLE) - 1;
	char *chunk = malloc(keep + SCAN_CHUNK);
	if (!chunk)
		return ptv_enomem;
	char *bare = NULL, *found = NULL;
	unsigned candidates = 0;
	uint64_t scanned = 0;

	for (size_t r = 0; r < img->nranges && !found; r++) {
		const struct ptv_phys_range *range = &img->ranges[r];
		/* chunk[0, keep) holds the previous chunk's tail, so a
		 * needle across a boundary is seen; it starts zeroed. */
		memset(chunk, 0, keep);
		for (uint64_t at = range->start; at < range->end && !found;) {
			size_t n = range->end - at < SCAN_CHUNK ?
				   range->end - at : SCAN_CHUNK;
			read_or_zero(img, at, chunk + keep, n);
			scanned += n;
			char *end = chunk + keep + n;
			for (char *p = chunk;
			     (p = memmem(p, end - p, VMCI_NEEDLE, keep)) != NULL;
			     p++) {
				uint64_t paddr = at - keep + (p - chunk);
				/* The text starts a page (vmcoreinfo_data)
				 * or follows a NUL (the note's name). */
				if (paddr % SCAN_PAGE != 0 &&
				    !(p > chunk && p[-1] == '\0'))
					continue;
				if (++candidates > VMCI_MAX_CANDIDATES)
					break;
				char *text = candidate_text(img, paddr);
				if (!text)
					continue;
				uint32_t descsz;
				if (note_wrapped(img, paddr, &descsz)) {
					if (descsz < strlen(text))
						text[descsz] = '\0';
					found = text;
					break;
				}
				if (!bare)
					bare = text;
				else
					free(text);
			}
			memmove(chunk, end - keep, keep);
			at += n;
		}
	}
	free(chunk);
	if (!found)
		found = bare;
	else
		free(bare);
	if (!found)
		return ptv_error_create(PTV_ERR_NOT_FOUND,
					"%s: no VMCOREINFO text in %llu bytes of physical memory",
					img->path, (unsigned long long)scanned);
	*text_ret = found;
	return NULL;
}
