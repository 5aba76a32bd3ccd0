/* libFuzzer target for ptv_image_open() and reads: built twice, as
 * fuzz-elf (-DFUZZ_ELF: ELF cores and their notes) and fuzz-kdump
 * (-DFUZZ_KDUMP: diskdump headers, bitmaps, page descriptors).
 *
 * Input: byte 0 picks the mode.  Odd: the rest is the whole file.  Even: a
 * small valid file built here (so the fuzzer starts deep, not at "bad
 * magic") is patched by 3-byte records (16-bit little-endian offset, new
 * byte); bit 1 set truncates it at the first record's offset.  The file
 * is a memfd opened through /proc/self/fd.  FUZZ_DEBUG=1 prints the open
 * error; FUZZ_DUMP=path saves the file built from an input.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/image.h"
#include "core/vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGE 4096u

/* libkdumpfile 0.5.1 leaks a 24 KiB buffer per makedumpfile dump it
 * opens, even after kdump_free(); LeakSanitizer, when linked in, reads
 * this hook.  Our own leaks are still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libkdumpfile.so\n";
}
#define TEMPLATE_MAX (12 * PAGE)

static const char vmci[] =
	"OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff82000000\n"
	"NUMBER(phys_base)=-603979776\nKERNELOFFSET=28200000\n";

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

#ifdef FUZZ_ELF
/* ELF64 core, phdrs at 192 like QEMU: PT_NOTE (VMCOREINFO), a physical
 * PT_LOAD and one with a direct-map p_vaddr and p_filesz < p_memsz. */
static size_t build_template(unsigned char *f)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = 192;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + 192);
	size_t notes = 192 + 3 * sizeof(Elf64_Phdr);
	unsigned char *n = f + notes;
	put32(n, 11);
	put32(n + 4, sizeof(vmci) - 1);
	put32(n + 8, 0);
	memcpy(n + 12, "VMCOREINFO", 11);
	memcpy(n + 24, vmci, sizeof(vmci) - 1);
	size_t nsz = 24 + ((sizeof(vmci) - 1 + 3) & ~3u);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes, .p_filesz = nsz };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 2 * PAGE,
			      .p_paddr = 0, .p_filesz = 2 * PAGE, .p_memsz = 2 * PAGE };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 4 * PAGE,
			      .p_vaddr = 0xffff888000100000, .p_paddr = 0x100000,
			      .p_filesz = PAGE, .p_memsz = 2 * PAGE };
	memset(f + 2 * PAGE, 0x11, 3 * PAGE);
	/* A bare copy of the text in "memory" for the in-memory search. */
	memcpy(f + 3 * PAGE, vmci, sizeof(vmci) - 1);
	return 5 * PAGE;
}
#else
static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* diskdump v6, 4 KiB blocks: header, sub-header (VMCOREINFO inside),
 * bitmaps for 16 frames (all RAM, 0-3 dumped), 4 descriptors, 4 pages of
 * which one claims zlib. */
static size_t build_template(unsigned char *f)
{
	memcpy(f, "KDUMP   ", 8);
	put32(f + 8, 6);
	memcpy(f + 12 + 4 * 65, "x86_64", 6);
	put32(f + 428, PAGE);
	put32(f + 432, 1);
	put32(f + 436, 1);
	put32(f + 440, 16);
	put32(f + 460, 1);
	unsigned char *sh = f + PAGE;
	put32(sh + 8, 31);
	put64(sh + 32, PAGE + 256);
	put64(sh + 40, sizeof(vmci) - 1);
	put64(sh + 88, 16);
	put64(sh + 96, 16);
	memcpy(sh + 256, vmci, sizeof(vmci) - 1);
	unsigned char *bm = f + 2 * PAGE;
	bm[0] = bm[1] = 0xff;
	bm[PAGE / 2] = 0x0f;
	unsigned char *pd = f + 3 * PAGE;
	for (int i = 0; i < 4; i++) {
		put64(pd + 24 * i, (4 + i) * PAGE);
		put32(pd + 24 * i + 8, i == 3 ? 64 : PAGE);
		put32(pd + 24 * i + 12, i == 3 ? 1 : 0);
		memset(f + (4 + i) * PAGE, 0x20 + i, PAGE);
	}
	memcpy(f + 5 * PAGE, vmci, sizeof(vmci) - 1);
	return 8 * PAGE;
}
#endif

static void exercise(struct ptv_image *img)
{
	const char *text = ptv_image_vmcoreinfo(img);
	if (text) {
		struct ptv_vmcoreinfo *vi;
		struct ptv_error *err = ptv_vmcoreinfo_parse(text, strlen(text), &vi);
		if (!err)
			ptv_vmcoreinfo_destroy(vi);
		ptv_error_destroy(err);
	}
	static unsigned char page[2 * PAGE];
	size_t n;
	const struct ptv_phys_range *r = ptv_image_ranges(img, &n);
	uint64_t held = 0;
	for (size_t i = 0; i < n; i++) {
		held += r[i].end - r[i].start;
		if (i < 4)
			ptv_error_destroy(ptv_image_read_phys(img, r[i].start, page, sizeof(page)));
	}
	ptv_error_destroy(ptv_image_read_phys(img, 0x3000, page, PAGE));
	ptv_error_destroy(ptv_image_read_kvirt(img, 0xffff888000100800, page, PAGE));
	/* The search reads all held memory: only when that is small. */
	if (held <= (64u << 20)) {
		char *found = NULL;
		ptv_error_destroy(ptv_image_find_vmcoreinfo(img, &found));
		free(found);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char file[TEMPLATE_MAX + 65536];
	size_t len;
	if (size > 0 && (data[0] & 1)) {
		len = size - 1 < sizeof(file) ? size - 1 : sizeof(file);
		memcpy(file, data + 1, len);
	} else {
		memset(file, 0, sizeof(file));
		len = build_template(file);
		for (size_t i = 1; i + 3 <= size; i += 3) {
			size_t off = (data[i] | data[i + 1] << 8) % len;
			file[off] = data[i + 2];
		}
		if (size >= 4 && (data[0] & 2))
			len = (data[1] | data[2] << 8) % len;
	}

	const char *dump = getenv("FUZZ_DUMP");	/* save the file built */
	if (dump) {
		FILE *out = fopen(dump, "wb");
		if (out) {
			fwrite(file, 1, len, out);
			fclose(out);
		}
	}
	int fd = memfd_create("fuzz-image", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (len > 0 && write(fd, file, len) != (ssize_t)len)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct ptv_image *img;
	struct ptv_error *err = ptv_image_open(path, &img);
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "%s\n", err ? err->message : "opened");
	if (!err) {
		exercise(img);
		ptv_image_destroy(img);
	}
	ptv_error_destroy(err);
	close(fd);
	return 0;
}
