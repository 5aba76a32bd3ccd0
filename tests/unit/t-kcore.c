/* t-kcore: check a kcore made by tests/helpers/mkkcore against the vmcore
 * it came from and the guest's own truth, through the image layer.
 *
 * usage: t-kcore KCORE VMCORE FIXTURE_DIR
 *
 * FIXTURE_DIR is the unpacked fixture (kernel/System.map,
 * truth/truth-pages.jsonl).  tests/cli/t0200-mkkcore.sh makes KCORE and
 * runs this; a kcore that went missing is a failure, not a skip.
 *
 * What must hold, segment kind by segment kind:
 *   direct map  page_offset_base + P reads as physical P of the vmcore;
 *   text        __pa_symbol() of every page, and init_uts_ns says "Linux";
 *   vmemmap     struct page of every PFN equals what the kernel's page
 *               tables reach in the vmcore, and for anonymous pages says
 *               what the guest's /proc/kpageflags and kpagecount said;
 *   modules     every stored page equals its page-table translation, or
 *               is zero where nothing is mapped; past p_filesz, excluded;
 *   vmalloc     listed, not stored: excluded.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arch.h"
#include "core/error.h"
#include "core/image.h"
#include "core/symbols.h"
#include "core/vmcoreinfo.h"
#include "core/walk.h"
#include "tests/tap.h"

#define PAGE 4096u
#define START_KERNEL_MAP UINT64_C(0xffffffff80000000)
#define MAX_LOADS 64

/* What the test learns once and every check uses. */
struct kc_test {
	struct ptv_image *kcore, *vmcore;
	struct ptv_vmcoreinfo *vi;
	struct ptv_symbols *syms;
	struct ptv_arch_params params;
	struct ptv_walk walk;
	uint64_t top_phys, phys_base;
	uint64_t page_offset_base, vmemmap_base;
	uint64_t page_size, mapping_off, mapcount_off;	/* struct page */
	Elf64_Phdr loads[MAX_LOADS];
	size_t nloads;
	const char *dir;
};

static struct ptv_error *read_phys(void *arg, uint64_t phys, void *buf,
				   size_t len)
{
	return ptv_image_read_phys(arg, phys, buf, len);
}

static void diag_err(struct ptv_error *err)
{
	if (err && err->message)
		printf("#   %s\n", err->message);
	ptv_error_destroy(err);
}

/* The kernel-virtual page at vaddr as the kernel's page tables in the
 * vmcore reach it: 1 and the bytes in buf, 0 when it is not mapped, -1
 * when the vmcore lacks the frame. */
static int walk_read(struct kc_test *t, uint64_t vaddr, void *buf, size_t len)
{
	struct ptv_walk_step steps[5];
	struct ptv_page page;
	unsigned n;
	struct ptv_error *err = ptv_walk_one(&t->walk, t->top_phys, vaddr,
					     steps, &n, &page);
	if (err) {
		diag_err(err);
		return -1;
	}
	if (page.state != PTV_STATE_PRESENT ||
	    ptv_page_is(&page, PTV_B_PROTNONE))
		return 0;
	err = ptv_image_read_phys(t->vmcore,
				  page.pfn * PAGE + (vaddr & (PAGE - 1)),
				  buf, len);
	if (err) {
		ptv_error_destroy(err);
		return -1;
	}
	return 1;
}

static uint64_t sym(struct kc_test *t, const char *name)
{
	uint64_t addr = 0;
	struct ptv_error *err = ptv_symbols_lookup(t->syms, name, &addr);
	ok(!err, name);
	diag_err(err);
	return addr;
}

/* A kernel variable's value, read from the vmcore at __pa_symbol(). */
static uint64_t kernel_u64(struct kc_test *t, uint64_t addr)
{
	uint64_t v = 0;
	diag_err(ptv_image_read_phys(t->vmcore,
				     addr - START_KERNEL_MAP + t->phys_base,
				     &v, sizeof(v)));
	return v;
}

static const Elf64_Phdr *load_at(const struct kc_test *t, uint64_t vaddr)
{
	for (size_t i = 0; i < t->nloads; i++)
		if (vaddr >= t->loads[i].p_vaddr &&
		    vaddr - t->loads[i].p_vaddr < t->loads[i].p_memsz)
			return &t->loads[i];
	return NULL;
}

/* ---- setup ---------------------------------------------------------------- */

/* The program headers, read with <elf.h> alone: an independent look at
 * what the image layer parses. */
static void test_headers(struct kc_test *t, const char *path)
{
	int fd = open(path, O_RDONLY);
	Elf64_Ehdr eh;
	struct stat st;
	bool good = fd >= 0 && fstat(fd, &st) == 0 &&
		    pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) &&
		    memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
		    eh.e_type == ET_CORE && eh.e_machine == EM_X86_64 &&
		    eh.e_phentsize == sizeof(Elf64_Phdr) &&
		    eh.e_phnum >= 2 && eh.e_phnum <= MAX_LOADS + 1;
	ok(good, "ELF64 x86_64 ET_CORE with a sane program header table");
	if (!good) {
		if (fd >= 0)
			close(fd);
		return;
	}
	Elf64_Phdr ph[MAX_LOADS + 1];
	size_t len = eh.e_phnum * sizeof(Elf64_Phdr);
	good = pread(fd, ph, len, eh.e_phoff) == (ssize_t)len;
	close(fd);
	ok(good && ph[0].p_type == PT_NOTE, "PT_NOTE first, as read_kcore() puts it");
	if (!good)
		return;
	bool aligned = true, inside = true, sizes = true, ordered = true;
	uint64_t end = 0;
	for (size_t i = 1; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		t->loads[t->nloads++] = *p;
		aligned &= p->p_offset % PAGE == 0 && p->p_vaddr % PAGE == 0 &&
			   p->p_align == PAGE;
		inside &= p->p_offset + p->p_filesz <= (uint64_t)st.st_size;
		sizes &= p->p_filesz <= p->p_memsz;
		ordered &= p->p_offset >= end;
		end = p->p_offset + p->p_filesz;
	}
	is_int(t->nloads, eh.e_phnum - 1, "every other header is a PT_LOAD");
	ok(aligned, "PT_LOAD offsets and addresses page-aligned, p_align one page");
	ok(inside, "PT_LOAD data lies inside the file");
	ok(sizes, "p_filesz <= p_memsz");
	ok(ordered, "PT_LOAD data does not overlap");
}

static bool setup(struct kc_test *t, const char *kcore, const char *vmcore)
{
	struct ptv_error *err = ptv_image_open(kcore, &t->kcore);
	ok(!err, "the kcore opens");
	diag_err(err);
	err = ptv_image_open(vmcore, &t->vmcore);
	ok(!err, "the vmcore opens");
	diag_err(err);
	if (!t->kcore || !t->vmcore)
		return false;
	is_int(ptv_image_format(t->kcore), PTV_IMAGE_KCORE, "format is /proc/kcore (NT_TASKSTRUCT note)");
	ok(ptv_image_has_kvirt(t->kcore), "kernel-virtual segments");
	is_int(ptv_image_machine(t->kcore), EM_X86_64, "machine x86_64");
	const char *vk = ptv_image_vmcoreinfo(t->kcore),
		   *vv = ptv_image_vmcoreinfo(t->vmcore);
	is_str(vk, vv, "VMCOREINFO note equals the vmcore's");
	if (!vv)
		return false;

	err = ptv_vmcoreinfo_parse(vv, strlen(vv), &t->vi);
	int64_t phys_base = 0, bits = 46, l5 = 0;
	uint64_t top = 0;
	if (!err)
		err = ptv_vmcoreinfo_number(t->vi, "phys_base", &phys_base);
	if (!err)
		err = ptv_vmcoreinfo_symbol(t->vi, "init_top_pgt", &top);
	if (!err)
		err = ptv_vmcoreinfo_size(t->vi, "page", &t->page_size);
	if (!err)
		err = ptv_vmcoreinfo_offset(t->vi, "page", "mapping",
					    &t->mapping_off);
	if (!err)
		err = ptv_vmcoreinfo_offset(t->vi, "page", "_mapcount",
					    &t->mapcount_off);
	ok(!err, "VMCOREINFO: phys_base, init_top_pgt, struct page layout");
	diag_err(err);
	if (err)
		return false;
	ptv_error_destroy(ptv_vmcoreinfo_number(t->vi, "MAX_PHYSMEM_BITS", &bits));
	ptv_error_destroy(ptv_vmcoreinfo_number(t->vi, "pgtable_l5_enabled", &l5));
	t->phys_base = (uint64_t)phys_base;
	t->top_phys = top - START_KERNEL_MAP + t->phys_base;
	t->params.levels = l5 ? 5 : 4;
	t->params.phys_bits = (unsigned)bits;
	ptv_arch_params_swap_layout(&t->params, 6, 1);
	t->walk = (struct ptv_walk){ .arch = &ptv_arch_x86_64,
				     .params = &t->params,
				     .read_phys = read_phys,
				     .read_arg = t->vmcore };

	char map[600];
	snprintf(map, sizeof(map), "%s/kernel/System.map", t->dir);
	err = ptv_symbols_create(&t->syms);
	if (!err)
		err = ptv_symbols_load_system_map(t->syms, map);
	if (!err)
		err = ptv_symbols_load_vmcoreinfo(t->syms, vv, strlen(vv));
	ok(!err, "System.map and VMCOREINFO symbols load");
	diag_err(err);
	if (err)
		return false;
	t->page_offset_base = kernel_u64(t, sym(t, "page_offset_base"));
	t->vmemmap_base = kernel_u64(t, sym(t, "vmemmap_base"));
	is_int(t->page_offset_base, 0xffff89c4c0000000, "page_offset_base (fixture README)");
	ok(load_at(t, t->vmemmap_base) != NULL, "vmemmap_base starts a kcore segment");
	return true;
}

/* ---- direct map and text ------------------------------------------------ */

static void test_direct_map(struct kc_test *t)
{
	static unsigned char a[PAGE], b[PAGE];
	size_t n, pages = 0, same = 0, phys_same = 0, absent = 0, other = 0;
	const struct ptv_phys_range *r = ptv_image_ranges(t->vmcore, &n);
	for (size_t i = 0; i < n; i++) {
		for (uint64_t p = r[i].start; p < r[i].end; p += PAGE) {
			if (ptv_image_read_phys(t->vmcore, p, a, PAGE))
				continue;	/* cannot happen: held range */
			struct ptv_error *err = ptv_image_read_kvirt(
				t->kcore, t->page_offset_base + p, b, PAGE);
			if (err) {
				/* Page 0, the legacy hole and the BIOS ROM
				 * are not System RAM: no kcore segment. */
				absent += err->code == PTV_ERR_NO_MEMORY;
				other += err->code != PTV_ERR_NO_MEMORY;
				ptv_error_destroy(err);
				continue;
			}
			pages++;
			same += memcmp(a, b, PAGE) == 0;
			/* The same bytes by physical address: kcore's RAM
			 * segments carry p_paddr. */
			err = ptv_image_read_phys(t->kcore, p, b, PAGE);
			phys_same += !err && memcmp(a, b, PAGE) == 0;
			ptv_error_destroy(err);
		}
	}
	is_int(pages, 0x9e + 0xfee0, "direct map covers the guest's System RAM pages");
	is_int(same, pages, "page_offset_base + P reads as physical P of the vmcore, every page");
	is_int(phys_same, pages, "physical reads of the kcore agree too");
	is_int(absent, 1 + 0x61 + 0x20 + 0x40, "page 0, 0x9f000-0x100000, 0xffe0000-0x10000000 and the BIOS ROM are not in it");
	is_int(other, 0, "no other errors");
}

static void test_text(struct kc_test *t)
{
	uint64_t stext = sym(t, "_stext");
	const Elf64_Phdr *text = load_at(t, stext);
	ok(text && text->p_vaddr == stext &&
	   text->p_paddr == stext - START_KERNEL_MAP + t->phys_base,
	   "text segment starts at _stext with p_paddr = __pa_symbol(_stext)");
	if (!text)
		return;
	static unsigned char a[PAGE], b[PAGE];
	size_t pages = 0, same = 0;
	for (uint64_t off = 0; off < text->p_filesz; off += PAGE) {
		struct ptv_error *e1 = ptv_image_read_kvirt(t->kcore,
							    text->p_vaddr + off,
							    b, PAGE);
		struct ptv_error *e2 = ptv_image_read_phys(t->vmcore,
							   text->p_paddr + off,
							   a, PAGE);
		pages++;
		same += !e1 && !e2 && memcmp(a, b, PAGE) == 0;
		ptv_error_destroy(e1);
		ptv_error_destroy(e2);
	}
	ok(pages > 0 && same == pages, "every text page equals the vmcore at __pa_symbol()");

	/* struct new_utsname: six fields of 65 bytes; uts_namespace.name
	 * is at the offset VMCOREINFO gives. */
	uint64_t uts = 0, name_off = 0;
	ptv_error_destroy(ptv_vmcoreinfo_symbol(t->vi, "init_uts_ns", &uts));
	ptv_error_destroy(ptv_vmcoreinfo_offset(t->vi, "uts_namespace", "name",
						&name_off));
	char utsname[6 * 65];
	struct ptv_error *err = ptv_image_read_kvirt(t->kcore, uts + name_off,
						     utsname, sizeof(utsname));
	ok(!err && memcmp(utsname, "Linux", 6) == 0, "init_uts_ns.name.sysname is \"Linux\"");
	diag_err(err);
	is_str(utsname + 2 * 65, ptv_vmcoreinfo_get(t->vi, "OSRELEASE"),
	       "init_uts_ns.name.release equals OSRELEASE");
}

/* ---- vmemmap -------------------------------------------------------------- */

static void test_vmemmap(struct kc_test *t)
{
	size_t n, pfns = 0, same = 0, walk_fail = 0;
	const struct ptv_phys_range *r = ptv_image_ranges(t->vmcore, &n);
	unsigned char a[64], b[64];
	for (size_t i = 0; i < n; i++) {
		for (uint64_t pfn = r[i].start / PAGE; pfn < r[i].end / PAGE; pfn++) {
			uint64_t va = t->vmemmap_base + pfn * t->page_size;
			if (!load_at(t, va))
				continue;	/* not RAM: no struct page listed */
			pfns++;
			struct ptv_error *err = ptv_image_read_kvirt(t->kcore, va,
								     b, t->page_size);
			if (walk_read(t, va, a, t->page_size) != 1) {
				walk_fail++;
			} else {
				same += !err && memcmp(a, b, t->page_size) == 0;
			}
			ptv_error_destroy(err);
		}
	}
	ok(pfns >= 0x9e + 0xfee0, "a struct page listed for every RAM PFN");
	is_int(walk_fail, 0, "the page tables map every listed struct page");
	is_int(same, pfns, "struct pages read through kcore equal the page-table walk, every PFN");

	unsigned char c[64];
	struct ptv_error *err = ptv_image_read_kvirt(t->kcore,
						     t->vmemmap_base + 0xc0 * t->page_size,
						     c, t->page_size);
	ok(err && err->code == PTV_ERR_NO_MEMORY,
	   "struct pages of the legacy hole (PFN 0xc0) are between vmemmap segments");
	ptv_error_destroy(err);
}

/* Anonymous small pages of the workload, from the guest's own
 * /proc/kpageflags and kpagecount: page->mapping has PAGE_MAPPING_ANON
 * and page_mapcount() (= _mapcount + 1) equals kpagecount. */
static void test_vmemmap_truth(struct kc_test *t)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/truth/truth-pages.jsonl", t->dir);
	FILE *f = fopen(path, "r");
	ok(f != NULL, "truth-pages.jsonl opens");
	if (!f)
		return;
	static char line[4096];
	size_t pages = 0, anon_bit = 0, mapcount = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "\"present\":true") || !strstr(line, "\"ANON\"") ||
		    strstr(line, "\"THP\"") || strstr(line, "\"KSM\""))
			continue;
		const char *p = strstr(line, "\"pfn\":");
		const char *k = strstr(line, "\"kpagecount\":");
		if (!p || !k)
			continue;
		uint64_t pfn = strtoull(p + 6, NULL, 10);
		long long count = strtoll(k + 13, NULL, 10);
		unsigned char page[64];
		struct ptv_error *err = ptv_image_read_kvirt(
			t->kcore, t->vmemmap_base + pfn * t->page_size, page,
			t->page_size);
		pages++;
		if (err) {
			ptv_error_destroy(err);
			continue;
		}
		uint64_t mapping;
		int32_t mc;
		memcpy(&mapping, page + t->mapping_off, 8);
		memcpy(&mc, page + t->mapcount_off, 4);
		anon_bit += (mapping & 3) == 1;
		mapcount += mc + 1 == count;
	}
	fclose(f);
	ok(pages > 1000, "truth lists anonymous small pages");
	printf("#   %zu anonymous small pages in the truth\n", pages);
	is_int(anon_bit, pages, "their struct pages say PAGE_MAPPING_ANON");
	is_int(mapcount, pages, "their _mapcount + 1 equals the guest's kpagecount");
}

/* ---- every segment without a physical address ------------------------------ */

static void test_walked(struct kc_test *t)
{
	for (size_t i = 0; i < t->nloads; i++) {
		const Elf64_Phdr *p = &t->loads[i];
		if (p->p_paddr != UINT64_MAX)
			continue;
		uint64_t va0 = p->p_vaddr;
		char what[160];
		if (p->p_filesz == 0) {
			unsigned char b[8];
			struct ptv_error *err = ptv_image_read_kvirt(t->kcore, va0,
								     b, sizeof(b));
			snprintf(what, sizeof(what),
				 "segment at 0x%llx (0x%llx bytes) is listed but not stored: excluded",
				 (unsigned long long)va0,
				 (unsigned long long)p->p_memsz);
			ok(err && err->code == PTV_ERR_EXCLUDED, what);
			diag_err(err);
			continue;
		}
		static unsigned char a[PAGE], b[PAGE];
		static const unsigned char zero[PAGE];
		size_t pages = 0, good = 0, mapped = 0;
		for (uint64_t off = 0; off < p->p_filesz; off += PAGE) {
			size_t len = p->p_filesz - off < PAGE ? p->p_filesz - off : PAGE;
			struct ptv_error *err = ptv_image_read_kvirt(t->kcore,
								     va0 + off,
								     b, len);
			int w = walk_read(t, va0 + off, a, len);
			pages++;
			mapped += w == 1;
			if (!err)
				good += w == 1 ? memcmp(a, b, len) == 0
					       : memcmp(zero, b, len) == 0;
			ptv_error_destroy(err);
		}
		snprintf(what, sizeof(what),
			 "segment at 0x%llx: all %zu stored pages equal the page-table walk (%zu mapped, the rest zeros)",
			 (unsigned long long)va0, pages, mapped);
		ok(pages > 0 && good == pages && mapped > 0, what);
		if (p->p_filesz < p->p_memsz) {
			unsigned char c[8];
			struct ptv_error *err = ptv_image_read_kvirt(
				t->kcore, va0 + ((p->p_filesz + PAGE - 1) & ~(uint64_t)(PAGE - 1)),
				c, sizeof(c));
			snprintf(what, sizeof(what),
				 "segment at 0x%llx: past p_filesz is excluded, not zeros",
				 (unsigned long long)va0);
			ok(err && err->code == PTV_ERR_EXCLUDED, what);
			diag_err(err);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: t-kcore KCORE VMCORE FIXTURE_DIR\n");
		return 99;
	}
	struct kc_test t = { .dir = argv[3] };
	test_headers(&t, argv[1]);
	if (setup(&t, argv[1], argv[2])) {
		test_direct_map(&t);
		test_text(&t);
		test_vmemmap(&t);
		test_vmemmap_truth(&t);
		test_walked(&t);
	}
	ptv_symbols_destroy(t.syms);
	ptv_vmcoreinfo_destroy(t.vi);
	ptv_image_destroy(t.kcore);
	ptv_image_destroy(t.vmcore);
	plan_no_plan_end();
	return exit_status();
}
