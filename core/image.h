/* Memory images: physical (and, where the file has them, kernel-virtual)
 * reads from an ELF vmcore, /proc/kcore or a kdump-compressed file.
 *
 * An image is opened read-only and read on demand (pread, or libkdumpfile
 * for kdump files): a file of many GiB costs no more than its headers until
 * it is read.  One image is not safe to use from two threads at once.
 *
 * Formats, told apart by content, not by name:
 *   - ELF ET_CORE from QEMU dump-guest-memory, kdump's /proc/vmcore or
 *     makedumpfile -E: PT_LOAD p_paddr is physical; p_vaddr, when it is
 *     neither 0 nor p_paddr, is kernel-virtual.
 *   - /proc/kcore (an ET_CORE with an NT_TASKSTRUCT note): p_vaddr is
 *     kernel-virtual; p_paddr is physical for direct-map and kernel-text
 *     segments and 0 or -1 elsewhere.
 *   - kdump-compressed ("KDUMP   ": makedumpfile, QEMU dump-guest-memory
 *     -z/-l/-s): see core/image-kdump.c.
 */
#ifndef PTV_IMAGE_H
#define PTV_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct ptv_image;

enum ptv_image_format {
	PTV_IMAGE_ELF_VMCORE,
	PTV_IMAGE_KCORE,
	PTV_IMAGE_KDUMP,
};

enum ptv_byte_order {
	PTV_BYTE_ORDER_UNKNOWN,
	PTV_LITTLE_ENDIAN,
	PTV_BIG_ENDIAN,
};

/* A half-open range of physical addresses [start, end). */
struct ptv_phys_range {
	uint64_t start, end;
};

/* Open path, detect its format and read its headers and notes.  Fails with
 * PTV_ERR_FORMAT for a file that is empty, truncated, of no known format or
 * inconsistent (an ELF core without PT_LOAD, a bad kdump header, absurd
 * sizes or counts), PTV_ERR_UNSUPPORTED for a known format ptview cannot
 * read (makedumpfile's flattened stream, ELF that is not a core file), and
 * PTV_ERR_OS / PTV_ERR_PERM when the file cannot be opened.  Every message
 * names the file.  On success *ret is owned by the caller: release it with
 * ptv_image_destroy(). */
struct ptv_error *ptv_image_open(const char *path, struct ptv_image **ret);

/* Close the file and free everything; NULL is ignored. */
void ptv_image_destroy(struct ptv_image *img);

enum ptv_image_format ptv_image_format(const struct ptv_image *img);

/* "ELF vmcore", "/proc/kcore" or "kdump-compressed". */
const char *ptv_image_format_name(enum ptv_image_format format);

/* The path given to ptv_image_open().  Owned by img. */
const char *ptv_image_path(const struct ptv_image *img);

/* Read physical memory [paddr, paddr + len).  Errors (buf contents are then
 * unspecified): PTV_ERR_NO_MEMORY when part of the range is not in the
 * image, PTV_ERR_EXCLUDED when the image knows the memory but left it out
 * (makedumpfile -d filtering, or a segment whose p_filesz < p_memsz),
 * PTV_ERR_FORMAT when the stored data is damaged (short file,
 * decompression failure).  The message names the file and the first
 * address that failed.  Repeated reads of the same kdump page are served
 * from libkdumpfile's cache of decompressed pages. */
struct ptv_error *ptv_image_read_phys(struct ptv_image *img, uint64_t paddr,
				      void *buf, size_t len);

/* Read kernel-virtual memory through the image's virtual PT_LOADs
 * (/proc/kcore; ELF vmcores whose p_vaddr is set).  This is no page-table
 * walk: PTV_ERR_NO_MEMORY when no segment covers the range, which is every
 * address when ptv_image_has_kvirt() is false. */
struct ptv_error *ptv_image_read_kvirt(struct ptv_image *img, uint64_t vaddr,
				       void *buf, size_t len);
bool ptv_image_has_kvirt(const struct ptv_image *img);

/* The VMCOREINFO text stored in the file (the ELF note named "VMCOREINFO",
 * or the kdump sub-header's copy), NUL-terminated with trailing NULs
 * dropped, or NULL when the file has none.  Owned by img. */
const char *ptv_image_vmcoreinfo(const struct ptv_image *img);

/* Search physical memory for the kernel's own copy of VMCOREINFO, for
 * dumps taken without it (QEMU without -device vmcoreinfo): a block that
 * starts with "OSRELEASE=", holds "PAGESIZE=" and one of "SYMBOL(",
 * "NUMBER(phys_base)" or "KERNELOFFSET=", and is printable text up to a
 * NUL.  A copy wrapped in an ELF note named "VMCOREINFO" (the kernel's
 * vmcoreinfo_note, what QEMU would have saved) is preferred over a bare
 * one (vmcoreinfo_data).  Reads the held memory once, in 4 MiB chunks,
 * plus a few pages per candidate; unreadable pages are skipped.  PTV_ERR_NOT_FOUND when there is none.  On success
 * *text_ret is a NUL-terminated copy owned by the caller (free()). */
struct ptv_error *ptv_image_find_vmcoreinfo(struct ptv_image *img,
					    char **text_ret);

/* The physical ranges whose contents the image holds, sorted, disjoint,
 * for scanning.  A kdump file lists the pages it kept (filtered pages are
 * not held; past 2^20 runs the rest is one range, holes and all); an ELF
 * file its PT_LOADs' file-backed parts.  Owned by img;
 * valid until ptv_image_destroy(). */
const struct ptv_phys_range *ptv_image_ranges(const struct ptv_image *img,
					      size_t *nranges_ret);
size_t ptv_image_nranges(const struct ptv_image *img);

/* What the image says about the machine, or the "unknown" value when it
 * says nothing: e_machine for ELF (EM_X86_64, EM_AARCH64, ...; EM_NONE when
 * unknown; a kdump file's utsname.machine, else VMCOREINFO's arch-only keys,
 * are mapped to it), pointer size in bytes (0 when unknown) and byte
 * order. */
uint16_t ptv_image_machine(const struct ptv_image *img);
unsigned int ptv_image_pointer_size(const struct ptv_image *img);
enum ptv_byte_order ptv_image_byte_order(const struct ptv_image *img);

/* ---- Backend interface: core/image*.c only ------------------------------
 * The backends define PTV_IMAGE_BACKEND before including this header.
 */
#ifdef PTV_IMAGE_BACKEND

struct ptv_image_ops {
	struct ptv_error *(*read_phys)(struct ptv_image *img, uint64_t paddr,
				       void *buf, size_t len);
	struct ptv_error *(*read_kvirt)(struct ptv_image *img, uint64_t vaddr,
					void *buf, size_t len);
	/* Frees priv; the fd and the common fields are freed by the caller. */
	void (*destroy)(struct ptv_image *img);
};

struct ptv_image {
	char *path;
	int fd;
	uint64_t file_size;	/* st_size */
	enum ptv_image_format format;
	const struct ptv_image_ops *ops;
	void *priv;		/* the backend's state */
	char *vmcoreinfo;	/* owned, or NULL */
	struct ptv_phys_range *ranges;	/* owned, sorted, disjoint */
	size_t nranges;
	uint16_t machine;
	uint8_t pointer_size;
	enum ptv_byte_order byte_order;
	bool has_kvirt;
};

/* Fill img from its open fd (img->path, fd, file_size are set).  On
 * failure the backend has freed whatever it allocated. */
struct ptv_error *ptv_image_elf_open(struct ptv_image *img);
struct ptv_error *ptv_image_kdump_open(struct ptv_image *img);

/* pread exactly len bytes at offset, or fail with PTV_ERR_FORMAT (short
 * file) / PTV_ERR_OS, naming img->path and what was read. */
struct ptv_error *ptv_image_pread(struct ptv_image *img, void *buf,
				  size_t len, uint64_t offset,
				  const char *what);

/* Copy text[0, len) trimmed at its first NUL into a new string; NULL when
 * nothing is left or no memory. */
char *ptv_image_dup_text(const char *text, size_t len);

/* Guess e_machine from VMCOREINFO keys only one architecture writes. */
uint16_t ptv_image_machine_from_vmcoreinfo(const char *text);

#endif /* PTV_IMAGE_BACKEND */

#endif /* PTV_IMAGE_H */
