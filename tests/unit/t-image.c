/* Unit tests for core/image*.c on the deb61-basic dumps (QEMU ELF, QEMU
 * kdump, makedumpfile -d 31 kdump), on hand-built ELF cores (kcore layout,
 * p_filesz < p_memsz, no PT_LOAD) and on damaged copies. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/image.h"
#include "tests/tap.h"

#define PAGE 4096u

/* libkdumpfile 0.5.1 leaks a 24 KiB buffer per makedumpfile dump it
 * opens, even after kdump_free(); LeakSanitizer, when linked in, reads
 * this hook.  Our own leaks are still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libkdumpfile.so\n";
}

static char tmpdir[256];
static char elf_path[512], kdump_path[512], filtered_path[512], truth_path[512];

static bool exists(const char *path)
{
	return access(path, R_OK) == 0;
}

static char *tmp_file(const char *name)
{
	static char path[600];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		exit(99);
	}
	close(fd);
}

/* Copy at most limit bytes of src to dst. */
static void copy_file(const char *src, const char *dst, size_t limit)
{
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	static char buf[1 << 20];
	if (in < 0 || out < 0) {
		perror(src);
		exit(99);
	}
	for (size_t done = 0; done < limit;) {
		size_t want = limit - done < sizeof(buf) ? limit - done : sizeof(buf);
		ssize_t n = read(in, buf, want);
		if (n <= 0)
			break;
		if (write(out, buf, n) != n)
			exit(99);
		done += n;
	}
	close(in);
	close(out);
}

static void patch_file(const char *path, off_t offset, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0 || pwrite(fd, data, len, offset) != (ssize_t)len)
		exit(99);
	close(fd);
}

/* Open path and expect failure with code; the message must name the file. */
static void expect_open_error(const char *path, enum ptv_error_code code,
			      const char *what)
{
	struct ptv_image *img = NULL;
	struct ptv_error *err = ptv_image_open(path, &img);
	ok(err && err->code == code && strstr(err->message, path), what);
	if (err)
		printf("#   %s\n", err->message);
	else
		ptv_image_destroy(img);
	ptv_error_destroy(err);
}

static struct ptv_image *open_ok(const char *path, const char *what)
{
	struct ptv_image *img = NULL;
	struct ptv_error *err = ptv_image_open(path, &img);
	ok(!err, what);
	if (err) {
		diag(err->message);
		ptv_error_destroy(err);
		return NULL;
	}
	return img;
}

/* ---- hand-built ELF cores ------------------------------------------------ */

struct test_load {
	uint64_t vaddr, paddr, filesz, memsz;
	unsigned char fill;
};

static size_t put_note(unsigned char *p, const char *name, uint32_t type,
		       const char *desc, uint32_t descsz)
{
	uint32_t namesz = strlen(name) + 1;
	memcpy(p, &namesz, 4);
	memcpy(p + 4, &descsz, 4);
	memcpy(p + 8, &type, 4);
	memcpy(p + 12, name, namesz);
	size_t off = 12 + ((namesz + 3) & ~3u);
	memcpy(p + off, desc, descsz);
	return off + ((descsz + 3) & ~3u);
}

/* An ELF64 x86_64 core with program headers at offset 192, as QEMU writes
 * it, one PT_NOTE (VMCOREINFO, plus NT_TASKSTRUCT when kcore) and loads. */
static void build_elf(const char *path, uint16_t type, bool kcore,
		      const struct test_load *loads, size_t nloads)
{
	static unsigned char file[1 << 16];
	memset(file, 0, sizeof(file));
	const char vmci[] = "OSRELEASE=test\nPAGESIZE=4096\n";
	unsigned char notes[512];
	size_t nsz = put_note(notes, "VMCOREINFO", 0, vmci, sizeof(vmci) - 1);
	if (kcore)
		nsz += put_note(notes + nsz, "CORE", NT_TASKSTRUCT, "task", 4);

	Elf64_Ehdr *eh = (Elf64_Ehdr *)file;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = 192;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 1 + nloads;
	Elf64_Phdr *ph = (Elf64_Phdr *)(file + 192);
	size_t off = 192 + (1 + nloads) * sizeof(Elf64_Phdr);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = off, .p_filesz = nsz };
	memcpy(file + off, notes, nsz);
	off = (off + nsz + PAGE - 1) / PAGE * PAGE;
	for (size_t i = 0; i < nloads; i++) {
		ph[1 + i] = (Elf64_Phdr){
			.p_type = PT_LOAD, .p_offset = off,
			.p_vaddr = loads[i].vaddr, .p_paddr = loads[i].paddr,
			.p_filesz = loads[i].filesz, .p_memsz = loads[i].memsz,
		};
		memset(file + off, loads[i].fill, loads[i].filesz);
		off += loads[i].filesz;
	}
	write_file(path, file, off);
}

static bool all_bytes(const unsigned char *buf, size_t len, unsigned char c)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != c)
			return false;
	}
	return true;
}

static void expect_read(struct ptv_image *img, bool virt, uint64_t addr,
			size_t len, int want_code, int want_fill,
			const char *what)
{
	unsigned char buf[2 * PAGE];
	struct ptv_error *err = virt ? ptv_image_read_kvirt(img, addr, buf, len)
				     : ptv_image_read_phys(img, addr, buf, len);
	if (want_code == 0)
		ok(!err && all_bytes(buf, len, want_fill), what);
	else
		ok(err && err->code == want_code &&
		   strstr(err->message, ptv_image_path(img)), what);
	if (err)
		printf("#   %s\n", err->message);
	ptv_error_destroy(err);
}

static void test_synthetic_elf(void)
{
	const uint64_t none = UINT64_MAX;
	const struct test_load kcore_loads[] = {
		{ 0xffff888000100000, 0x100000, 2 * PAGE, 2 * PAGE, 0x11 },	/* RAM */
		{ 0xffffffff81000000, 0x101000, PAGE, PAGE, 0x22 },		/* text */
		{ 0xffffc90000000000, none, PAGE, PAGE, 0x33 },		/* vmalloc */
		{ 0xffffea0000000000, 0, PAGE, PAGE, 0x44 },			/* old p_paddr */
	};
	char *path = tmp_file("kcore");
	build_elf(path, ET_CORE, true, kcore_loads, 4);
	struct ptv_image *img = open_ok(path, "kcore-like ELF opens");
	if (img) {
		is_int(ptv_image_format(img), PTV_IMAGE_KCORE, "NT_TASKSTRUCT note means /proc/kcore");
		ok(ptv_image_has_kvirt(img), "kcore has kernel-virtual segments");
		is_str(ptv_image_vmcoreinfo(img), "OSRELEASE=test\nPAGESIZE=4096\n", "kcore VMCOREINFO note");
		size_t n;
		const struct ptv_phys_range *r = ptv_image_ranges(img, &n);
		ok(n == 1 && r[0].start == 0x100000 && r[0].end == 0x102000,
		   "physical ranges: only the RAM segment (text lies inside it; -1 and 0 are no address)");
		expect_read(img, false, 0x100000, 2 * PAGE, 0, 0x11, "physical read through the RAM segment");
		expect_read(img, false, 0, 16, PTV_ERR_NO_MEMORY, 0, "kcore p_paddr 0 is not physical address 0");
		expect_read(img, true, 0xffffc90000000010, 64, 0, 0x33, "kernel-virtual read (vmalloc)");
		expect_read(img, true, 0xffffffff81000000, PAGE, 0, 0x22, "kernel-virtual read (text)");
		expect_read(img, true, 0xffffc90000000ff0, 32, PTV_ERR_NO_MEMORY, 0,
			    "kernel-virtual read running off a segment");
		is_int(ptv_image_machine(img), EM_X86_64, "machine from e_machine");
		ptv_image_destroy(img);
	}

	const struct test_load partial[] = {
		{ 0, 0, PAGE, 3 * PAGE, 0x55 },
		{ 0, 0x10000, PAGE, PAGE, 0x66 },
	};
	path = tmp_file("partial.elf");
	build_elf(path, ET_CORE, false, partial, 2);
	img = open_ok(path, "QEMU-like ELF with p_filesz < p_memsz opens");
	if (img) {
		is_int(ptv_image_format(img), PTV_IMAGE_ELF_VMCORE, "ELF vmcore format");
		ok(!ptv_image_has_kvirt(img), "p_vaddr 0: no virtual segments");
		expect_read(img, false, 0, PAGE, 0, 0x55, "stored part reads");
		expect_read(img, false, PAGE - 8, 16, PTV_ERR_EXCLUDED, 0,
			    "p_filesz..p_memsz is excluded, never zeros");
		expect_read(img, false, 0x4000, 16, PTV_ERR_NO_MEMORY, 0, "hole between segments");
		expect_read(img, false, 0x10000, PAGE, 0, 0x66, "second segment");
		expect_read(img, true, 0x10000, 16, PTV_ERR_NO_MEMORY, 0, "no kernel-virtual reads");
		is_int(ptv_image_nranges(img), 2, "two held ranges");
		ptv_image_destroy(img);
	}

	path = tmp_file("noload.elf");
	build_elf(path, ET_CORE, false, NULL, 0);
	expect_open_error(path, PTV_ERR_FORMAT, "ELF core without PT_LOAD is a format error");

	path = tmp_file("exec.elf");
	build_elf(path, ET_EXEC, false, partial, 2);
	expect_open_error(path, PTV_ERR_UNSUPPORTED, "ELF executable is not a dump");

	path = tmp_file("short.elf");
	build_elf(path, ET_CORE, false, partial, 2);
	truncate(path, 2 * PAGE);
	expect_open_error(path, PTV_ERR_FORMAT, "PT_LOAD past the end of the file");

	path = tmp_file("badnote.elf");
	build_elf(path, ET_CORE, false, partial, 2);
	uint32_t huge = 0x7fffffff;
	patch_file(path, 192 + 3 * sizeof(Elf64_Phdr) + 4, &huge, 4);
	expect_open_error(path, PTV_ERR_FORMAT, "note overrunning its PT_NOTE");

	path = tmp_file("phnum.elf");
	build_elf(path, ET_CORE, false, partial, 2);
	uint16_t phnum = 0xfff0;
	patch_file(path, offsetof(Elf64_Ehdr, e_phnum), &phnum, 2);
	expect_open_error(path, PTV_ERR_FORMAT, "more program headers than the file holds");
}

/* ---- garbage -------------------------------------------------------------- */

static void test_garbage(void)
{
	char *path = tmp_file("empty");
	write_file(path, "", 0);
	expect_open_error(path, PTV_ERR_FORMAT, "zero-length file");

	unsigned char junk[PAGE];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (i * 7919 + 13) >> 3;
	path = tmp_file("garbage");
	write_file(path, junk, sizeof(junk));
	expect_open_error(path, PTV_ERR_FORMAT, "garbage file");

	memcpy(junk, "makedumpfile\0\0\0\0", 16);
	path = tmp_file("flat");
	write_file(path, junk, sizeof(junk));
	expect_open_error(path, PTV_ERR_UNSUPPORTED, "flattened makedumpfile stream");

	expect_open_error(tmp_file("does-not-exist"), PTV_ERR_OS, "missing file");
	expect_open_error(tmpdir, PTV_ERR_FORMAT, "a directory");
}

/* ---- deb61-basic --------------------------------------------------------- */

static void test_metadata(struct ptv_image *elf, struct ptv_image *kd,
			  struct ptv_image *flt)
{
	is_int(ptv_image_format(elf), PTV_IMAGE_ELF_VMCORE, "vmcore.elf is an ELF vmcore");
	is_int(ptv_image_format(kd), PTV_IMAGE_KDUMP, "vmcore.kdump is kdump-compressed");
	is_int(ptv_image_format(flt), PTV_IMAGE_KDUMP, "filtered dump is kdump-compressed");
	is_int(ptv_image_machine(elf), EM_X86_64, "ELF machine");
	is_int(ptv_image_machine(kd), EM_X86_64, "QEMU kdump machine (utsname.machine)");
	is_int(ptv_image_pointer_size(kd), 8, "pointer size");
	is_int(ptv_image_byte_order(flt), PTV_LITTLE_ENDIAN, "byte order");
	ok(!ptv_image_has_kvirt(elf), "QEMU ELF (paging=false) has no virtual segments");

	const char *ve = ptv_image_vmcoreinfo(elf), *vk = ptv_image_vmcoreinfo(kd),
		   *vf = ptv_image_vmcoreinfo(flt);
	ok(ve && vk && vf, "VMCOREINFO in all three");
	if (!ve || !vk || !vf)
		return;
	ok(strncmp(ve, "OSRELEASE=6.1.0-56-amd64\n", 25) == 0, "ELF note starts with OSRELEASE");
	is_str(vk, ve, "kdump header's VMCOREINFO equals the ELF note");
	ok(strstr(vf, "\nNUMBER(phys_base)=-603979776\n") &&
	   strstr(vf, "\nKERNELOFFSET=28200000\n") &&
	   strncmp(vf, "OSRELEASE=6.1.0-56-amd64\n", 25) == 0,
	   "filtered dump's VMCOREINFO agrees (OSRELEASE, KERNELOFFSET, phys_base)");

	size_t n;
	const struct ptv_phys_range *r = ptv_image_ranges(elf, &n);
	ok(n == 2 && r[0].start == 0 && r[0].end == 0x10000000 &&
	   r[1].start == 0xfffc0000 && r[1].end == 0x100000000,
	   "ELF ranges: 256 MiB RAM and the BIOS ROM below 4 GiB");
	ok(ptv_image_nranges(flt) > 2, "filtered dump holds fragments of RAM");
}

/* Every page the ELF holds, from the other two: the QEMU kdump must match
 * byte for byte; the filtered one must match or say EXCLUDED. */
static void test_pages(struct ptv_image *elf, struct ptv_image *kd,
		       struct ptv_image *flt)
{
	static unsigned char a[PAGE], b[PAGE];
	size_t n, pages = 0, same = 0, kept = 0, excluded = 0, flt_same = 0,
		   flt_nomem_ram = 0, other = 0;
	const struct ptv_phys_range *r = ptv_image_ranges(elf, &n);
	for (size_t i = 0; i < n; i++) {
		for (uint64_t p = r[i].start; p < r[i].end; p += PAGE) {
			struct ptv_error *err = ptv_image_read_phys(elf, p, a, PAGE);
			if (err) {
				other++;
				ptv_error_destroy(err);
				continue;
			}
			pages++;
			err = ptv_image_read_phys(kd, p, b, PAGE);
			same += !err && memcmp(a, b, PAGE) == 0;
			ptv_error_destroy(err);

			err = ptv_image_read_phys(flt, p, b, PAGE);
			if (!err) {
				kept++;
				flt_same += memcmp(a, b, PAGE) == 0;
			} else if (err->code == PTV_ERR_EXCLUDED) {
				excluded++;
			} else if (err->code == PTV_ERR_NO_MEMORY) {
				flt_nomem_ram += p < 0x10000000;
			} else {
				other++;
			}
			ptv_error_destroy(err);
		}
	}
	is_int(pages, 65536 + 64, "every ELF page readable");
	is_int(same, pages, "vmcore.kdump matches vmcore.elf on every page");
	ok(kept > 1000 && excluded > 1000,
	   "filtered dump keeps some pages and excludes others");
	printf("#   filtered: %zu kept, %zu excluded\n", kept, excluded);
	is_int(flt_same, kept, "every page the filtered dump kept matches the ELF");
	is_int(flt_nomem_ram, 0, "no RAM page of the filtered dump is 'not in the image'");
	is_int(other, 0, "no other errors");

	/* A read across a kept and an excluded page names the first bad
	 * address; the kernel's first 1 MiB is kept, page 0x120 is not. */
	static unsigned char two[2 * PAGE];
	struct ptv_error *err = ptv_image_read_phys(flt, 0x11f000, two, sizeof(two));
	ok(err && err->code == PTV_ERR_EXCLUDED && strstr(err->message, "0x120000"),
	   "read straddling kept and excluded pages fails at the excluded one");
	ptv_error_destroy(err);
}

/* Anonymous user pages of the workload (truth from the guest's
 * /proc/kpageflags) must be EXCLUDED from makedumpfile -d 31 and readable
 * from the unfiltered dumps. */
static void test_truth(struct ptv_image *elf, struct ptv_image *kd,
		       struct ptv_image *flt)
{
	FILE *f = fopen(truth_path, "r");
	ok(f != NULL, "truth-pages.jsonl opens");
	if (!f)
		return;
	static char line[4096];
	static unsigned char a[PAGE], b[PAGE];
	size_t anon = 0, excluded = 0, readable = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "\"present\":true") || !strstr(line, "\"ANON\""))
			continue;
		const char *p = strstr(line, "\"pfn\":");
		if (!p)
			continue;
		uint64_t paddr = strtoull(p + 6, NULL, 10) * PAGE;
		anon++;
		struct ptv_error *err = ptv_image_read_phys(flt, paddr, b, PAGE);
		excluded += err && err->code == PTV_ERR_EXCLUDED;
		ptv_error_destroy(err);
		struct ptv_error *e1 = ptv_image_read_phys(elf, paddr, a, PAGE);
		struct ptv_error *e2 = ptv_image_read_phys(kd, paddr, b, PAGE);
		readable += !e1 && !e2 && memcmp(a, b, PAGE) == 0;
		ptv_error_destroy(e1);
		ptv_error_destroy(e2);
	}
	fclose(f);
	ok(anon > 1000, "truth lists anonymous user pages");
	printf("#   %zu anon page mappings\n", anon);
	is_int(excluded, anon, "filtered dump: every anon user page is EXCLUDED");
	is_int(readable, anon, "unfiltered dumps: every anon user page reads the same");
}

static void test_outside(struct ptv_image *elf, struct ptv_image *kd,
			 struct ptv_image *flt)
{
	struct ptv_image *imgs[] = { elf, kd, flt };
	for (int i = 0; i < 3; i++) {
		expect_read(imgs[i], false, 0x10000000, 16, PTV_ERR_NO_MEMORY, 0,
			    "just past RAM: not in the image");
		expect_read(imgs[i], false, 0x1000000000000ull, 16, PTV_ERR_NO_MEMORY, 0,
			    "far past RAM: not in the image");
	}
	expect_read(elf, false, 0x10000000 - 8, 16, PTV_ERR_NO_MEMORY, 0,
		    "ELF read running off the end of RAM");
	expect_read(elf, false, UINT64_MAX - 3, 8, PTV_ERR_NO_MEMORY, 0,
		    "range wrapping past 2^64");
	expect_read(elf, true, 0xffffffff81000000ull, 8, PTV_ERR_NO_MEMORY, 0,
		    "kernel-virtual read without virtual segments");
}

static void test_find_vmcoreinfo(struct ptv_image *elf)
{
	char *text = NULL;
	struct ptv_error *err = ptv_image_find_vmcoreinfo(elf, &text);
	ok(!err, "VMCOREINFO found in the ELF's memory");
	if (err)
		diag(err->message);
	else
		is_str(text, ptv_image_vmcoreinfo(elf), "in-memory copy equals the note");
	ptv_error_destroy(err);
	free(text);
}

/* Damaged copies of the filtered kdump (the smallest). */
static void test_bad_kdump(void)
{
	char *path = tmp_file("hdr.kdump");
	char dst[600];
	snprintf(dst, sizeof(dst), "%s", path);

	copy_file(filtered_path, dst, 8192);
	expect_open_error(dst, PTV_ERR_FORMAT, "kdump cut after 8 KiB");

	struct {
		off_t offset;
		uint32_t value;
		const char *what;
	} patches[] = {
		{ 8, 0xffffffff, "kdump: absurd header_version" },
		{ 428, 3, "kdump: block_size not a power of two" },
		{ 436, 0x7fffffff, "kdump: bitmap_blocks beyond the file" },
		{ 432, 0x40000000, "kdump: sub_hdr_size beyond the file" },
		{ 4096 + 96, 0xffffffff, "kdump: absurd max_mapnr_64" },
		{ 4096 + 40, 0x7fffffff, "kdump: VMCOREINFO size beyond the file" },
	};
	copy_file(filtered_path, dst, SIZE_MAX);
	for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
		uint32_t old;
		int fd = open(dst, O_RDWR);
		pread(fd, &old, 4, patches[i].offset);
		pwrite(fd, &patches[i].value, 4, patches[i].offset);
		close(fd);
		expect_open_error(dst, PTV_ERR_FORMAT, patches[i].what);
		patch_file(dst, patches[i].offset, &old, 4);
	}

	/* Flip single bytes all over the header blocks: errors or a usable
	 * image, never a crash. */
	int survived = 0, opened = 0;
	for (off_t off = 0; off < 8192; off += 13) {
		unsigned char old, flipped;
		int fd = open(dst, O_RDWR);
		pread(fd, &old, 1, off);
		flipped = old ^ 0xa5;
		pwrite(fd, &flipped, 1, off);
		close(fd);
		struct ptv_image *img;
		struct ptv_error *err = ptv_image_open(dst, &img);
		if (!err) {
			unsigned char page[PAGE];
			opened++;
			ptv_error_destroy(ptv_image_read_phys(img, 0x1000000, page, PAGE));
			ptv_image_destroy(img);
		}
		ptv_error_destroy(err);
		survived++;
		patch_file(dst, off, &old, 1);
	}
	ok(survived == 631, "631 single-byte corruptions of the kdump header: no crash");
	printf("#   %d of them still opened\n", opened);
	unlink(dst);
}

/* deb61-arm64: QEMU's kdump for aarch64 uses 64 KiB blocks and names no
 * machine; every page must still match the ELF. */
static void test_arm64(const char *fixtures, const char *shared)
{
	char ep[512], kp[512];
	snprintf(ep, sizeof(ep), "%s/deb61-arm64/vmcore.elf", fixtures);
	snprintf(kp, sizeof(kp), "%s/fixtures/deb61-arm64/vmcore.kdump", shared);
	if (!exists(ep) || !exists(kp)) {
		diag("deb61-arm64 fixtures absent: arm64 checks skipped");
		return;
	}
	struct ptv_image *elf = open_ok(ep, "deb61-arm64 vmcore.elf opens");
	struct ptv_image *kd = open_ok(kp, "deb61-arm64 vmcore.kdump (64 KiB blocks) opens");
	if (elf && kd) {
		is_int(ptv_image_machine(elf), EM_AARCH64, "arm64 ELF machine");
		is_int(ptv_image_machine(kd), EM_AARCH64,
		       "arm64 kdump machine, from VMCOREINFO (utsname says Unknown)");
		ok(ptv_image_vmcoreinfo(kd) && ptv_image_vmcoreinfo(elf) &&
		   strcmp(ptv_image_vmcoreinfo(kd), ptv_image_vmcoreinfo(elf)) == 0,
		   "arm64: kdump and ELF VMCOREINFO agree");
		static unsigned char a[PAGE], b[PAGE];
		size_t n, pages = 0, same = 0;
		const struct ptv_phys_range *r = ptv_image_ranges(elf, &n);
		for (size_t i = 0; i < n; i++) {
			for (uint64_t p = r[i].start; p < r[i].end; p += PAGE) {
				struct ptv_error *e1 = ptv_image_read_phys(elf, p, a, PAGE);
				struct ptv_error *e2 = ptv_image_read_phys(kd, p, b, PAGE);
				pages++;
				same += !e1 && !e2 && memcmp(a, b, PAGE) == 0;
				ptv_error_destroy(e1);
				ptv_error_destroy(e2);
			}
		}
		ok(pages == 0x18000 && same == pages,
		   "arm64: every 4 KiB page of the kdump matches the ELF");
	}
	ptv_image_destroy(elf);
	ptv_image_destroy(kd);
}

static void test_truncated_elf(void)
{
	char *path = tmp_file("trunc.elf");
	copy_file(elf_path, path, PAGE);
	expect_open_error(path, PTV_ERR_FORMAT, "ELF cut after 4 KiB");
	unlink(path);
}

int main(void)
{
	const char *fixtures = getenv("PTV_FIXTURES"), *shared = getenv("PTV_SHARED");
	if (!fixtures || !shared)
		skip_all("PTV_FIXTURES / PTV_SHARED not set (run through make check)");
	snprintf(elf_path, sizeof(elf_path), "%s/deb61-basic/vmcore.elf", fixtures);
	snprintf(truth_path, sizeof(truth_path), "%s/deb61-basic/truth/truth-pages.jsonl", fixtures);
	snprintf(kdump_path, sizeof(kdump_path), "%s/fixtures/deb61-basic/vmcore.kdump", shared);
	snprintf(filtered_path, sizeof(filtered_path),
		 "%s/fixtures/deb61-basic/vmcore.filtered-d31.kdump", shared);
	if (!exists(elf_path) || !exists(kdump_path) || !exists(filtered_path) ||
	    !exists(truth_path))
		skip_all("deb61-basic fixtures absent (vmcore.elf, vmcore.kdump, vmcore.filtered-d31.kdump, truth-pages.jsonl)");

	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/t-image.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 99;
	}

	test_synthetic_elf();
	test_garbage();
	test_truncated_elf();
	test_bad_kdump();

	struct ptv_image *elf = open_ok(elf_path, "deb61-basic vmcore.elf opens");
	struct ptv_image *kd = open_ok(kdump_path, "deb61-basic vmcore.kdump (QEMU) opens");
	struct ptv_image *flt = open_ok(filtered_path, "deb61-basic vmcore.filtered-d31.kdump opens");
	if (elf && kd && flt) {
		test_metadata(elf, kd, flt);
		test_outside(elf, kd, flt);
		test_pages(elf, kd, flt);
		test_truth(elf, kd, flt);
		test_find_vmcoreinfo(elf);
	}
	ptv_image_destroy(elf);
	ptv_image_destroy(kd);
	ptv_image_destroy(flt);
	test_arm64(fixtures, shared);

	const char *names[] = { "kcore", "partial.elf", "noload.elf", "exec.elf",
				"short.elf", "badnote.elf", "phnum.elf", "empty",
				"garbage", "flat" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(tmp_file(names[i]));
	rmdir(tmpdir);
	plan_no_plan_end();
	return exit_status();
}
