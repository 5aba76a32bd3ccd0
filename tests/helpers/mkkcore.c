/* mkkcore: rebuild a guest's /proc/kcore from a physical-address vmcore.
 *
 * usage: mkkcore IN.vmcore OUT.kcore --layout FILE
 *
 * Our machines have no /proc/kcore, yet `ptview dump` reads it when it can;
 * this gives the tests one, laid out as the guest's own was, with contents
 * they can check against the fixture's truth.  FILE lists the guest's
 * kcore PT_LOADs, one "vaddr paddr memsz" line each (hex, "0x" optional,
 * '#' starts a comment); they are written in that order with those values.
 *
 * What fs/proc/kcore.c (Linux 6.1) writes, and what we write instead:
 *   - ELF header, PT_NOTE, PT_LOADs: the same fields, except that our
 *     p_offset values are consecutive page-aligned offsets (the kernel's
 *     follow the virtual address, making a file of 128 TiB).
 *   - Notes "CORE" NT_PRSTATUS (zeroed, as the kernel's), NT_PRPSINFO
 *     ("vmlinux", state 'R'; no command line: the vmcore does not say),
 *     NT_TASKSTRUCT (empty: there is no reading task; its presence is what
 *     tells kcore apart, see core/image-elf.c) and "VMCOREINFO" with the
 *     vmcore's text.
 *   - Data.  A segment with a physical address (p_paddr neither -1 nor 0:
 *     direct map, kernel text) is copied from that physical range.  One
 *     without (vmemmap, vmalloc, modules) is translated page by page
 *     through the kernel's page tables in the vmcore.  Pages that do not
 *     translate read as zeros, as read_kcore() gives them; so do pages the
 *     vmcore lacks in the middle of a segment (counted and reported on
 *     stderr; none in deb61-basic).  Past the last page with data, p_filesz
 *     stops short of p_memsz, so readers get "excluded", not invented
 *     zeros.
 *   - Size: the file never exceeds twice the vmcore's memory.  Segments
 *     with a physical address come first, then the others, smallest first;
 *     one that does not fit is listed with p_filesz 0 (deb61-basic's
 *     32 TiB vmalloc area, which has mappings up to near its top).  Zero
 *     pages are not written, so the file is sparse.
 *
 * Errors go to stderr; exit status 0, 1 (failure: OUT is removed) or 2
 * (usage).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arch.h"
#include "core/error.h"
#include "core/image.h"
#include "core/vmcoreinfo.h"
#include "core/walk.h"

#ifndef NT_TASKSTRUCT
#define NT_TASKSTRUCT 4
#endif

#define KC_PAGE	UINT64_C(4096)
#define KC_PAGE_MASK	(~(KC_PAGE - 1))
/* arch/x86/include/asm/page_64_types.h: kernel text is mapped here, and
 * __pa_symbol(x) = x - __START_KERNEL_map + phys_base. */
#define START_KERNEL_MAP	UINT64_C(0xffffffff80000000)
/* A kcore has a few dozen PT_LOADs; e_phnum must stay below PN_XNUM. */
#define MAX_SEGMENTS	4096

/* One PT_LOAD.  vaddr, paddr and memsz are the guest's; the rest is
 * ours. */
struct kc_segment {
	uint64_t vaddr, paddr, memsz;
	bool walk;		/* no physical address: translate each page */
	uint64_t held;		/* bytes from vaddr to the end of the last
				   page the vmcore has data for */
	bool over_cap;		/* held bytes did not fit the size cap */
	uint64_t filesz, offset;	/* in the output */
	/* Counted while copying, for the summary. */
	uint64_t pages_data, pages_zero, pages_missing;
};

/* Everything one run needs, like mm/'s struct vm_fault. */
struct kc_ctx {
	struct ptv_image *img;
	const struct ptv_phys_range *ranges;	/* owned by img */
	size_t nranges;
	struct ptv_arch_params params;
	struct ptv_walk walk;
	uint64_t top_phys;	/* init_top_pgt */
	struct kc_segment *segs;
	size_t nsegs;
	uint64_t cap;		/* bound on the output's size */
	uint64_t file_size;	/* valid once planned */
	const char *out_path;
	int out_fd;
	bool out_touched;	/* we created or truncated out_path */
};

static struct ptv_error *read_phys(void *arg, uint64_t phys, void *buf,
				   size_t len)
{
	struct kc_ctx *c = arg;
	return ptv_image_read_phys(c->img, phys, buf, len);
}

static bool phys_held(const struct kc_ctx *c, uint64_t paddr)
{
	size_t lo = 0, hi = c->nranges;
	while (lo < hi) {	/* first range with start > paddr */
		size_t mid = lo + (hi - lo) / 2;
		if (c->ranges[mid].start <= paddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && paddr < c->ranges[lo - 1].end;
}

/* ---- the layout file ------------------------------------------------------ */

static struct ptv_error *parse_layout_line(const char *path, unsigned lineno,
					   char *line, struct kc_segment *ret)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	uint64_t v[3];
	char *p = line;
	for (int i = 0; i < 3; i++) {
		char *end;
		errno = 0;
		v[i] = strtoull(p, &end, 16);
		if (end == p || errno)
			return ptv_error_create(PTV_ERR_FORMAT,
						"%s:%u: want \"vaddr paddr memsz\" in hex",
						path, lineno);
		p = end;
	}
	p += strspn(p, " \t\r\n");
	if (*p)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s:%u: junk after the three numbers: \"%s\"",
					path, lineno, p);
	if (v[2] == 0 || v[0] + v[2] < v[0])
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s:%u: segment at 0x%llx of size 0x%llx is empty or wraps",
					path, lineno, (unsigned long long)v[0],
					(unsigned long long)v[2]);
	if (v[0] % KC_PAGE)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s:%u: vaddr 0x%llx is not page-aligned, as kcore's always are",
					path, lineno, (unsigned long long)v[0]);
	*ret = (struct kc_segment){ .vaddr = v[0], .paddr = v[1],
				    .memsz = v[2] };
	/* read_kcore() sets p_paddr for KCORE_RAM (__pa) and KCORE_TEXT
	 * (__pa_symbol) only; the rest get -1, and kernels that did not set
	 * p_paddr at all left 0 (core/image-elf.c reads them alike). */
	ret->walk = v[1] == UINT64_MAX || v[1] == 0;
	return NULL;
}

/* Read FILE into c->segs. */
static struct ptv_error *layout_load(struct kc_ctx *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return ptv_error_os(errno, "%s", path);
	c->segs = calloc(MAX_SEGMENTS, sizeof(*c->segs));
	if (!c->segs) {
		fclose(f);
		return ptv_enomem;
	}
	char line[512];
	unsigned lineno = 0;
	struct ptv_error *err = NULL;
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0' ||
		    line[strspn(line, " \t")] == '#')
			continue;
		if (c->nsegs == MAX_SEGMENTS)
			err = ptv_error_create(PTV_ERR_FORMAT,
					       "%s:%u: more than %d segments",
					       path, lineno, MAX_SEGMENTS);
		else
			err = parse_layout_line(path, lineno, line,
						&c->segs[c->nsegs++]);
	}
	if (!err && ferror(f))
		err = ptv_error_os(errno, "%s", path);
	if (!err && c->nsegs == 0)
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: no segments", path);
	fclose(f);
	return err;
}

/* ---- the kernel's page tables --------------------------------------------- */

/* Walk parameters and init_top_pgt from VMCOREINFO.  SYMBOL(init_top_pgt)
 * is x86_64's own key (arch_crash_save_vmcoreinfo()); SYMBOL(swapper_pg_dir)
 * is the generic one and names the same table. */
static struct ptv_error *kernel_tables_init(struct kc_ctx *c)
{
	if (ptv_image_machine(c->img) != EM_X86_64)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s: machine %u: only x86_64 kcore layouts are known",
					ptv_image_path(c->img),
					ptv_image_machine(c->img));
	const char *text = ptv_image_vmcoreinfo(c->img);
	if (!text)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s: no VMCOREINFO note: kcore needs one, and so does finding the page tables",
					ptv_image_path(c->img));
	struct ptv_vmcoreinfo *vi;
	struct ptv_error *err = ptv_vmcoreinfo_parse(text, strlen(text), &vi);
	if (err)
		return err;

	int64_t l5 = 0, bits, sme = 0, phys_base;
	uint64_t top;
	unsigned major = 6, minor = 1;
	const char *rel = ptv_vmcoreinfo_get(vi, "OSRELEASE");
	if (rel && sscanf(rel, "%u.%u", &major, &minor) != 2) {
		major = 6;
		minor = 1;
	}
	ptv_error_destroy(ptv_vmcoreinfo_number(vi, "pgtable_l5_enabled", &l5));
	ptv_error_destroy(ptv_vmcoreinfo_number(vi, "sme_mask", &sme));
	c->params.levels = l5 ? 5 : 4;
	/* The kernel's MAX_PHYSMEM_BITS when VMCOREINFO lacks it. */
	if (ptv_vmcoreinfo_number(vi, "MAX_PHYSMEM_BITS", &bits))
		bits = l5 ? 52 : 46;
	c->params.phys_bits = (unsigned)bits;
	c->params.phys_clear = (uint64_t)sme;
	ptv_arch_params_swap_layout(&c->params, major, minor);

	err = ptv_vmcoreinfo_symbol(vi, "init_top_pgt", &top);
	if (err == ptv_not_found)
		err = ptv_vmcoreinfo_symbol(vi, "swapper_pg_dir", &top);
	if (!err)
		err = ptv_vmcoreinfo_number(vi, "phys_base", &phys_base);
	if (err == ptv_not_found)
		err = ptv_error_create(PTV_ERR_UNSUPPORTED,
				       "%s: VMCOREINFO lacks SYMBOL(init_top_pgt) or NUMBER(phys_base)",
				       ptv_image_path(c->img));
	ptv_vmcoreinfo_destroy(vi);
	if (err)
		return err;
	/* phys_base is negative when KASLR moved the kernel below its link
	 * address: the unsigned sum wraps to the right value. */
	c->top_phys = top - START_KERNEL_MAP + (uint64_t)phys_base;

	c->walk = (struct ptv_walk){
		.arch = &ptv_arch_x86_64,
		.params = &c->params,
		.read_phys = read_phys,
		.read_arg = c,
	};
	return NULL;
}

/* Called for n pages from vaddr that map frames pfn, pfn + 1, ... */
typedef struct ptv_error *(*kc_run_fn)(struct kc_ctx *c,
				       struct kc_segment *seg, uint64_t vaddr,
				       uint64_t pfn, uint64_t n);

/* Translate seg page by page with ptv_walk_one(), skipping each empty
 * entry's whole span, and call fn for every run of present pages.
 * ptv_walk_range() cannot serve here: it walks user space only. */
static struct ptv_error *walk_segment(struct kc_ctx *c, struct kc_segment *seg,
				      kc_run_fn fn)
{
	uint64_t va = seg->vaddr, end = seg->vaddr + seg->memsz;
	/* Beyond the canonical kernel half the walk would alias lower
	 * addresses: no kernel segment lies there. */
	uint64_t half = c->params.levels == 5 ? UINT64_C(0xff00000000000000)
					      : UINT64_C(0xffff800000000000);
	if (va < half)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"segment at 0x%llx has no physical address and is not a kernel address: cannot translate it",
					(unsigned long long)va);
	while (va < end) {
		struct ptv_walk_step steps[5];
		struct ptv_page page;
		unsigned n;
		struct ptv_error *err = ptv_walk_one(&c->walk, c->top_phys, va,
						     steps, &n, &page);
		if (err)
			return err;
		if (n == 0)
			return ptv_error_create(PTV_ERR_FORMAT,
						"the kernel's top-level page table at physical 0x%llx is unreadable: %s",
						(unsigned long long)c->top_phys,
						c->walk.last_error);
		/* The last step's entry decides for all it maps: a leaf
		 * (any size), a hole, or the entry above an unreadable
		 * table. */
		unsigned shift = c->walk.arch->entry_shift(&c->params,
							   steps[n - 1].level);
		uint64_t next = (va | ((UINT64_C(1) << shift) - 1)) + 1;
		if (next == 0 || next > end)
			next = end;
		bool hw_present = page.state == PTV_STATE_PRESENT &&
				  (page.has & PTV_HAS_PFN) &&
				  !ptv_page_is(&page, PTV_B_PROTNONE);
		if (hw_present) {
			err = fn(c, seg, va, page.pfn,
				 (next - va + KC_PAGE - 1) / KC_PAGE);
			if (err)
				return err;
		}
		va = next;
	}
	return NULL;
}

/* ---- planning ----------------------------------------------------------- */

static struct ptv_error *measure_run(struct kc_ctx *c, struct kc_segment *seg,
				     uint64_t vaddr, uint64_t pfn, uint64_t n)
{
	for (uint64_t i = n; i-- > 0;) {
		if (phys_held(c, (pfn + i) * KC_PAGE)) {
			uint64_t held = vaddr + (i + 1) * KC_PAGE - seg->vaddr;
			if (held > seg->memsz)
				held = seg->memsz;
			if (held > seg->held)
				seg->held = held;
			break;
		}
	}
	return NULL;
}

/* How much of seg the vmcore can fill: seg->held. */
static struct ptv_error *measure_segment(struct kc_ctx *c,
					 struct kc_segment *seg)
{
	if (seg->walk)
		return walk_segment(c, seg, measure_run);
	uint64_t lo = seg->paddr, hi = seg->paddr + seg->memsz;
	if (hi < lo)
		hi = UINT64_MAX;
	for (size_t i = 0; i < c->nranges; i++) {
		uint64_t s = c->ranges[i].start > lo ? c->ranges[i].start : lo;
		uint64_t e = c->ranges[i].end < hi ? c->ranges[i].end : hi;
		if (s < e && e - lo > seg->held)
			seg->held = e - lo;
	}
	return NULL;
}

static uint64_t page_align(uint64_t x)
{
	return (x + KC_PAGE - 1) & KC_PAGE_MASK;
}

static uint64_t headers_size(const struct kc_ctx *c, size_t notes_len)
{
	return sizeof(Elf64_Ehdr) + (c->nsegs + 1) * sizeof(Elf64_Phdr) +
	       notes_len;
}

/* Decide p_filesz and p_offset of every segment within the cap. */
static struct ptv_error *plan_file(struct kc_ctx *c, size_t notes_len)
{
	uint64_t used = page_align(headers_size(c, notes_len));
	if (used > c->cap)
		return ptv_error_create(PTV_ERR_OTHER,
					"headers alone exceed the size cap 0x%llx",
					(unsigned long long)c->cap);
	/* Physical segments first, then translated ones, smallest first:
	 * the direct map, text and vmemmap are what readers need. */
	for (int pass = 0; pass < 2; pass++) {
		for (;;) {
			struct kc_segment *pick = NULL;
			for (size_t i = 0; i < c->nsegs; i++) {
				struct kc_segment *s = &c->segs[i];
				if (s->walk != (pass == 1) || s->filesz ||
				    s->over_cap || !s->held)
					continue;
				if (!pick || s->held < pick->held)
					pick = s;
				if (pass == 0)
					break;	/* list order */
			}
			if (!pick)
				break;
			uint64_t need = page_align(pick->held);
			if (need <= c->cap - used) {
				pick->filesz = pick->held;
				used += need;
			} else {
				pick->over_cap = true;
			}
		}
	}
	uint64_t off = page_align(headers_size(c, notes_len));
	for (size_t i = 0; i < c->nsegs; i++) {
		c->segs[i].offset = off;
		off += page_align(c->segs[i].filesz);
	}
	c->file_size = off;
	return NULL;
}

/* ---- writing -------------------------------------------------------------- */

static struct ptv_error *write_at(struct kc_ctx *c, const void *buf,
				  size_t len, uint64_t off)
{
	/* The plan already bounds every write; this guards the disk against
	 * a mistake in it. */
	if (off > c->file_size || len > c->file_size - off)
		return ptv_error_create(PTV_ERR_OTHER,
					"%s: write of %zu bytes at 0x%llx is past the planned size 0x%llx",
					c->out_path, len,
					(unsigned long long)off,
					(unsigned long long)c->file_size);
	const char *p = buf;
	while (len > 0) {
		ssize_t n = pwrite(c->out_fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ptv_error_os(n < 0 ? errno : ENOSPC,
					    "%s: writing at 0x%llx", c->out_path,
					    (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return NULL;
}

/* Copy len (<= one page) bytes of physical memory to the output at off,
 * leaving a hole for zeros and for memory the vmcore lacks. */
static struct ptv_error *copy_phys(struct kc_ctx *c, struct kc_segment *seg,
				   uint64_t paddr, uint64_t off, size_t len)
{
	static unsigned char buf[4096];
	static const unsigned char zero[4096];
	struct ptv_error *err = ptv_image_read_phys(c->img, paddr, buf, len);
	if (err) {
		if (err->code != PTV_ERR_NO_MEMORY &&
		    err->code != PTV_ERR_EXCLUDED)
			return err;
		ptv_error_destroy(err);
		seg->pages_missing++;
		return NULL;
	}
	if (memcmp(buf, zero, len) == 0) {
		seg->pages_zero++;
		return NULL;
	}
	seg->pages_data++;
	return write_at(c, buf, len, off);
}

static struct ptv_error *copy_run(struct kc_ctx *c, struct kc_segment *seg,
				  uint64_t vaddr, uint64_t pfn, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t in_seg = vaddr + i * KC_PAGE - seg->vaddr;
		if (in_seg >= seg->filesz)
			break;
		uint64_t len = seg->filesz - in_seg;
		struct ptv_error *err = copy_phys(c, seg, (pfn + i) * KC_PAGE,
						  seg->offset + in_seg,
						  len < KC_PAGE ? len : KC_PAGE);
		if (err)
			return err;
	}
	return NULL;
}

static struct ptv_error *copy_segment(struct kc_ctx *c, struct kc_segment *seg)
{
	if (seg->filesz == 0)
		return NULL;
	if (seg->walk)
		return walk_segment(c, seg, copy_run);
	for (uint64_t in_seg = 0; in_seg < seg->filesz; in_seg += KC_PAGE) {
		uint64_t len = seg->filesz - in_seg;
		struct ptv_error *err = copy_phys(c, seg, seg->paddr + in_seg,
						  seg->offset + in_seg,
						  len < KC_PAGE ? len : KC_PAGE);
		if (err)
			return err;
	}
	return NULL;
}

/* Append one note as fs/proc/kcore.c's append_kcore_note() lays it out
 * (4-byte alignment, also in ELF64).  With buf NULL only measures. */
static size_t put_note(unsigned char *buf, size_t off, const char *name,
		       uint32_t type, const void *desc, uint32_t descsz)
{
	Elf64_Nhdr nh = { .n_namesz = (uint32_t)strlen(name) + 1,
			  .n_descsz = descsz, .n_type = type };
	size_t name_off = off + sizeof(nh);
	size_t desc_off = name_off + ((nh.n_namesz + 3) & ~3u);
	if (buf) {
		memcpy(buf + off, &nh, sizeof(nh));
		memcpy(buf + name_off, name, nh.n_namesz);
		if (descsz)
			memcpy(buf + desc_off, desc, descsz);
	}
	return desc_off + ((descsz + 3) & ~3u);
}

/* The notes read_kcore() puts in its PT_NOTE, in its order.  With buf
 * NULL only measures. */
static size_t build_notes(const struct kc_ctx *c, unsigned char *buf)
{
	struct elf_prstatus prstatus;
	struct elf_prpsinfo prpsinfo;
	memset(&prstatus, 0, sizeof(prstatus));
	memset(&prpsinfo, 0, sizeof(prpsinfo));
	prpsinfo.pr_sname = 'R';
	memcpy(prpsinfo.pr_fname, "vmlinux", sizeof("vmlinux"));
	const char *vmcoreinfo = ptv_image_vmcoreinfo(c->img);
	size_t off = 0;
	off = put_note(buf, off, "CORE", NT_PRSTATUS, &prstatus,
		       sizeof(prstatus));
	off = put_note(buf, off, "CORE", NT_PRPSINFO, &prpsinfo,
		       sizeof(prpsinfo));
	off = put_note(buf, off, "CORE", NT_TASKSTRUCT, NULL, 0);
	off = put_note(buf, off, "VMCOREINFO", 0, vmcoreinfo,
		       (uint32_t)strlen(vmcoreinfo));
	return off;
}

static struct ptv_error *write_headers(struct kc_ctx *c, size_t notes_len)
{
	size_t len = headers_size(c, notes_len);
	unsigned char *buf = calloc(1, len);
	if (!buf)
		return ptv_enomem;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)(c->nsegs + 1);

	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));
	size_t notes_off = sizeof(Elf64_Ehdr) + (c->nsegs + 1) * sizeof(*ph);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off,
			      .p_filesz = notes_len };
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct kc_segment *s = &c->segs[i];
		ph[i + 1] = (Elf64_Phdr){
			.p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
			.p_offset = s->offset, .p_vaddr = s->vaddr,
			.p_paddr = s->paddr, .p_filesz = s->filesz,
			.p_memsz = s->memsz, .p_align = KC_PAGE,
		};
	}
	build_notes(c, buf + notes_off);
	struct ptv_error *err = write_at(c, buf, len, 0);
	free(buf);
	return err;
}

static void print_summary(const struct kc_ctx *c)
{
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct kc_segment *s = &c->segs[i];
		fprintf(stderr,
			"mkkcore: PT_LOAD vaddr 0x%016llx paddr 0x%016llx memsz 0x%llx: %s, filesz 0x%llx, %llu pages of data, %llu zero, %llu missing from the vmcore\n",
			(unsigned long long)s->vaddr,
			(unsigned long long)s->paddr,
			(unsigned long long)s->memsz,
			s->walk ? "page-table walk" : "physical copy",
			(unsigned long long)s->filesz,
			(unsigned long long)s->pages_data,
			(unsigned long long)s->pages_zero,
			(unsigned long long)s->pages_missing);
		if (s->over_cap)
			fprintf(stderr,
				"mkkcore:   not stored: its 0x%llx bytes with data would pass the size cap\n",
				(unsigned long long)s->held);
	}
	fprintf(stderr, "mkkcore: %s: 0x%llx bytes (cap 0x%llx)\n",
		c->out_path, (unsigned long long)c->file_size,
		(unsigned long long)c->cap);
}

static struct ptv_error *same_file(const char *in, const char *out)
{
	struct stat a, b;
	if (stat(in, &a) == 0 && stat(out, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return ptv_error_create(PTV_ERR_USAGE,
					"%s and %s are the same file", in, out);
	return NULL;
}

static struct ptv_error *run(struct kc_ctx *c, const char *in,
			     const char *layout)
{
	struct ptv_error *err = same_file(in, c->out_path);
	if (!err)
		err = ptv_image_open(in, &c->img);
	if (!err)
		err = kernel_tables_init(c);
	if (!err)
		err = layout_load(c, layout);
	if (err)
		return err;
	c->ranges = ptv_image_ranges(c->img, &c->nranges);
	uint64_t ram = 0;
	for (size_t i = 0; i < c->nranges; i++)
		ram += c->ranges[i].end - c->ranges[i].start;
	if (ram == 0)
		return ptv_error_create(PTV_ERR_FORMAT, "%s holds no memory",
					in);
	c->cap = 2 * ram;

	for (size_t i = 0; i < c->nsegs; i++) {
		err = measure_segment(c, &c->segs[i]);
		if (err)
			return err;
	}
	size_t notes_len = build_notes(c, NULL);
	err = plan_file(c, notes_len);
	if (err)
		return err;

	c->out_fd = open(c->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			 0644);
	if (c->out_fd < 0)
		return ptv_error_os(errno, "%s", c->out_path);
	c->out_touched = true;
	for (size_t i = 0; i < c->nsegs && !err; i++)
		err = copy_segment(c, &c->segs[i]);
	if (!err)
		err = write_headers(c, notes_len);
	/* Holes at the end still belong to the last segment. */
	if (!err && ftruncate(c->out_fd, (off_t)c->file_size) != 0)
		err = ptv_error_os(errno, "%s: setting its size", c->out_path);
	if (close(c->out_fd) != 0 && !err)
		err = ptv_error_os(errno, "%s", c->out_path);
	c->out_fd = -1;
	return err;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mkkcore IN.vmcore OUT.kcore --layout FILE\n"
		   "  FILE: the guest's kcore PT_LOADs, one \"vaddr paddr memsz\" (hex) a line\n");
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *layout = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--layout") == 0 && i + 1 < argc) {
			layout = argv[++i];
		} else if (strncmp(argv[i], "--layout=", 9) == 0) {
			layout = argv[i] + 9;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "mkkcore: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		} else if (!in) {
			in = argv[i];
		} else if (!out) {
			out = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	/* Without the guest's own list there is nothing honest to write:
	 * page_offset_base and vmemmap_base are not in VMCOREINFO. */
	if (!in || !out || !layout) {
		usage(stderr);
		return 2;
	}
	struct kc_ctx c = { .out_path = out, .out_fd = -1 };
	struct ptv_error *err = run(&c, in, layout);
	if (err) {
		fprintf(stderr, "mkkcore: %s\n", err->message);
		if (c.out_fd >= 0)
			close(c.out_fd);
		/* A half-written file would pass for a kcore: remove it,
		 * but only when it is ours. */
		if (c.out_touched)
			unlink(out);
	} else {
		print_summary(&c);
	}
	int status = !err ? 0 : err->code == PTV_ERR_USAGE ? 2 : 1;
	ptv_error_destroy(err);
	free(c.segs);
	ptv_image_destroy(c.img);
	return status;
}
