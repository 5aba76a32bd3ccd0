/* kernel.c: open a memory image as a kernel: where it lives and how to
 * read its virtual memory. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/image.h"
#include "core/kernel.h"
#include "core/symbols.h"
#include "core/types.h"
#include "core/vmcoreinfo.h"
#include "core/walk.h"

struct ptv_error *ptv_kernel_read_phys(void *arg, uint64_t phys, void *buf,
				       size_t len)
{
	struct ptv_kernel *k = arg;
	return ptv_image_read_phys(k->img, phys, buf, len);
}

/* Types: BTF when given, else the vmlinux's DWARF. */
static struct ptv_error *open_types(struct ptv_kernel *k,
				    const struct ptv_kernel_opts *o)
{
	if (o->btf)
		return ptv_types_open_btf(o->btf, &k->types);
	if (o->vmlinux)
		return ptv_types_open_dwarf(o->vmlinux, &k->types);
	return ptv_error_create(PTV_ERR_USAGE,
		"%s: kernel types are needed: give --btf FILE (with "
		"--system-map FILE) or --vmlinux FILE (with debug info)",
		o->core);
}

static struct ptv_error *open_symbols(struct ptv_kernel *k,
				      const struct ptv_kernel_opts *o)
{
	struct ptv_error *err = ptv_symbols_create(&k->syms);
	if (!err && o->system_map)
		err = ptv_symbols_load_system_map(k->syms, o->system_map);
	if (!err && o->vmlinux)
		err = ptv_symbols_load_elf(k->syms, o->vmlinux);
	if (!err && o->kallsyms)
		err = ptv_symbols_load_kallsyms(k->syms, o->kallsyms);
	if (!err && k->vmcoreinfo_text)
		err = ptv_symbols_load_vmcoreinfo(k->syms, k->vmcoreinfo_text,
						  strlen(k->vmcoreinfo_text));
	return err;
}

/* VMCOREINFO from the file, or the kernel's own copy in its memory (QEMU
 * dumps taken without -device vmcoreinfo). */
static struct ptv_error *find_vmcoreinfo(struct ptv_kernel *k)
{
	const char *text = ptv_image_vmcoreinfo(k->img);
	char *found = NULL;
	if (!text) {
		struct ptv_error *err = ptv_image_find_vmcoreinfo(k->img,
								  &found);
		if (err && err->code != PTV_ERR_NOT_FOUND &&
		    err != ptv_not_found)
			return err;
		ptv_error_destroy(err);
		text = found;
		k->vmcoreinfo_from_memory = found != NULL;
	}
	if (!text)
		return NULL;
	k->vmcoreinfo_text = found ? found : strdup(text);
	if (!k->vmcoreinfo_text)
		return ptv_enomem;
	return ptv_vmcoreinfo_parse(text, strlen(text), &k->vi);
}

static int64_t vi_number(struct ptv_kernel *k, const char *name, int64_t dflt,
			 bool *found)
{
	int64_t v;
	struct ptv_error *err = k->vi ? ptv_vmcoreinfo_number(k->vi, name, &v) :
					ptv_not_found;
	if (err) {
		ptv_error_destroy(err);
		if (found)
			*found = false;
		return dflt;
	}
	if (found)
		*found = true;
	return v;
}

static void parse_release(struct ptv_kernel *k)
{
	const char *r = k->vi ? ptv_vmcoreinfo_get(k->vi, "OSRELEASE") : NULL;
	if (r) {
		snprintf(k->release, sizeof(k->release), "%s", r);
		if (sscanf(r, "%u.%u", &k->major, &k->minor) != 2)
			k->major = k->minor = 0;
	}
}

/* Read a pointer-sized kernel variable by symbol, if there is one. */
static bool read_var(struct ptv_kernel *k, const char *sym, uint64_t *ret)
{
	uint64_t addr;
	struct ptv_error *err = ptv_symbols_lookup(k->syms, sym, &addr);
	if (!err)
		err = ptv_kernel_read_u64(k, addr, ret);
	ptv_error_destroy(err);
	return !err;
}

/* The types must describe this kernel: VMCOREINFO's own OFFSET() and
 * SIZE() lines (written by the kernel from its real layout) must agree
 * with them.  Types of another build would otherwise read garbage. */
static struct ptv_error *check_types(struct ptv_kernel *k)
{
	const char *p = k->vmcoreinfo_text;
	unsigned checked = 0, bad = 0;
	char first[200] = "";
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[160], name[128];
		unsigned long long want;
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			struct ptv_member m;
			uint64_t got = 0;
			int have = 0;
			if (sscanf(line, "OFFSET(%127[^)])=%llu", name, &want) == 2) {
				char *dot = strchr(name, '.');
				if (dot) {
					*dot = '\0';
					struct ptv_error *e = ptv_types_member(
						k->types, name, dot + 1, &m);
					have = !e;
					got = m.offset;
					ptv_error_destroy(e);
					*dot = '.';
				}
			} else if (sscanf(line, "SIZE(%127[^)])=%llu", name, &want) == 2) {
				struct ptv_error *e = ptv_types_sizeof(k->types,
								       name, &got);
				have = !e;
				ptv_error_destroy(e);
			}
			if (have) {
				checked++;
				if (got != want && !bad++)
					snprintf(first, sizeof(first),
						 "VMCOREINFO says %s=%llu, the "
						 "types say %llu", name, want,
						 (unsigned long long)got);
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	k->types_checked = checked;
	k->types_mismatched = bad;
	/* Types of another build disagree on many lines; one or two odd
	 * lines (a name that means another member in this version) are
	 * tolerated and counted. */
	if (bad >= 3 || (bad && bad * 10 >= checked))
		return ptv_error_create(PTV_ERR_FORMAT,
			"%s: the kernel types do not match this kernel (%s): "
			"%u of %u VMCOREINFO layout lines disagree, first: %s",
			ptv_types_path(k->types),
			k->release[0] ? k->release : "?", bad, checked, first);
	return NULL;
}

static struct ptv_error *find_layout(struct ptv_kernel *k)
{
	struct ptv_arch_params *p = &k->params;
	/* KASLR: KERNELOFFSET, else what the symbol sources imply. */
	uint64_t off;
	struct ptv_error *err = k->vi ? ptv_vmcoreinfo_kerneloffset(k->vi, &off) :
					ptv_not_found;
	if (err) {
		ptv_error_destroy(err);
		err = ptv_symbols_derive_offset(k->syms, "_stext", &off);
		if (err) {
			ptv_error_destroy(err);
			off = 0;
		}
	}
	k->kaslr_offset = off;
	ptv_symbols_set_offset(k->syms, off);

	bool have;
	p->phys_base = vi_number(k, "phys_base", 0, &have);
	p->levels = vi_number(k, "pgtable_l5_enabled", 0, NULL) ? 5 : 4;
	p->phys_bits = (unsigned)vi_number(k, "MAX_PHYSMEM_BITS",
					   p->levels == 5 ? 52 : 46, NULL);
	p->phys_clear = (uint64_t)vi_number(k, "sme_mask", 0, NULL);
	ptv_arch_params_swap_layout(p, k->major, k->minor);

	/* The kernel's top-level table is in the image of the kernel. */
	uint64_t top;
	err = ptv_symbols_lookup(k->syms, "init_top_pgt", &top);
	if (err) {
		ptv_error_destroy(err);
		err = ptv_symbols_lookup(k->syms, "swapper_pg_dir", &top);
	}
	if (err)
		return ptv_error_prefix(err, "%s: finding the kernel's page "
					"tables", ptv_image_path(k->img));
	if (!k->arch->kernel_to_phys(p, top, &k->top_phys))
		return ptv_error_create(PTV_ERR_FORMAT,
			"%s: the kernel's page table 0x%" PRIx64
			" is outside the kernel image", ptv_image_path(k->img),
			top);

	/* The direct map and vmemmap move with KASLR of the memory layout
	 * (CONFIG_RANDOMIZE_MEMORY): their bases are variables. */
	uint64_t v;
	p->page_offset = read_var(k, "page_offset_base", &v) ? v :
			 k->arch->default_page_offset(p);
	k->vmemmap = read_var(k, "vmemmap_base", &v) ? v :
		     p->levels == 5 ? UINT64_C(0xffd4000000000000) :
				      UINT64_C(0xffffea0000000000);
	return NULL;
}

struct ptv_error *ptv_kernel_open(const struct ptv_kernel_opts *o,
				  struct ptv_kernel **ret)
{
	struct ptv_kernel *k = calloc(1, sizeof(*k));
	if (!k)
		return ptv_enomem;
	struct ptv_error *err = ptv_image_open(o->core, &k->img);
	if (err)
		goto fail;
	unsigned machine = ptv_image_machine(k->img);
	k->arch = ptv_arch_by_machine(machine ? machine : 62);
	if (!k->arch) {
		err = ptv_error_create(PTV_ERR_UNSUPPORTED,
			"%s: ELF machine %u: no page-table walker for it",
			o->core, machine);
		goto fail;
	}
	if ((err = find_vmcoreinfo(k)))
		goto fail;
	parse_release(k);
	if ((err = open_types(k, o)) || (err = check_types(k)) ||
	    (err = open_symbols(k, o)) || (err = find_layout(k)))
		goto fail;
	*ret = k;
	return NULL;
fail:
	ptv_kernel_destroy(k);
	return err;
}

void ptv_kernel_destroy(struct ptv_kernel *k)
{
	if (!k)
		return;
	ptv_vmcoreinfo_destroy(k->vi);
	free(k->vmcoreinfo_text);
	ptv_symbols_destroy(k->syms);
	ptv_types_destroy(k->types);
	ptv_image_destroy(k->img);
	free(k);
}

struct ptv_error *ptv_kernel_walk(struct ptv_kernel *k, uint64_t top_phys,
				  uint64_t vaddr, struct ptv_walk_step *steps,
				  unsigned *n_ret, struct ptv_page *page_ret)
{
	struct ptv_walk w = {
		.arch = k->arch, .params = &k->params,
		.read_phys = ptv_kernel_read_phys, .read_arg = k,
	};
	return ptv_walk_one(&w, top_phys, vaddr, steps, n_ret, page_ret);
}

struct ptv_error *ptv_kernel_vtop(struct ptv_kernel *k, uint64_t vaddr,
				  uint64_t *phys_ret)
{
	if (k->arch->kernel_to_phys(&k->params, vaddr, phys_ret))
		return NULL;
	if (k->tlb_size && vaddr - k->tlb_vaddr < k->tlb_size) {
		*phys_ret = k->tlb_phys + (vaddr - k->tlb_vaddr);
		return NULL;
	}
	struct ptv_walk_step steps[5];
	unsigned n;
	struct ptv_page page;
	struct ptv_error *err = ptv_kernel_walk(k, k->top_phys, vaddr, steps,
						&n, &page);
	if (err)
		return err;
	if (page.state == PTV_STATE_EXCLUDED)
		return ptv_error_create(PTV_ERR_EXCLUDED,
			"kernel address 0x%" PRIx64 ": a page table on the way "
			"is not in the dump", vaddr);
	if (page.state != PTV_STATE_PRESENT || !n)
		return ptv_error_create(PTV_ERR_NO_MEMORY,
			"kernel address 0x%" PRIx64 " is not mapped", vaddr);
	unsigned shift = k->arch->entry_shift(&k->params, steps[n - 1].level);
	k->tlb_size = UINT64_C(1) << shift;
	k->tlb_vaddr = vaddr & ~(k->tlb_size - 1);
	k->tlb_phys = steps[n - 1].entry.pfn << 12;
	*phys_ret = k->tlb_phys + (vaddr - k->tlb_vaddr);
	return NULL;
}

struct ptv_error *ptv_kernel_read(struct ptv_kernel *k, uint64_t vaddr,
				  void *buf, size_t len)
{
	char *out = buf;
	while (len) {
		size_t chunk = 4096 - (vaddr & 4095);
		if (chunk > len)
			chunk = len;
		uint64_t phys;
		struct ptv_error *err = ptv_kernel_vtop(k, vaddr, &phys);
		if (!err)
			err = ptv_image_read_phys(k->img, phys, out, chunk);
		if (err)
			return ptv_error_prefix(err, "reading kernel address "
						"0x%" PRIx64, vaddr);
		out += chunk;
		vaddr += chunk;
		len -= chunk;
	}
	return NULL;
}

struct ptv_error *ptv_kernel_read_u64(struct ptv_kernel *k, uint64_t vaddr,
				      uint64_t *ret)
{
	return ptv_kernel_read_uint(k, vaddr, 8, ret);
}

struct ptv_error *ptv_kernel_read_uint(struct ptv_kernel *k, uint64_t vaddr,
				       size_t size, uint64_t *ret)
{
	uint8_t b[8];
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return ptv_error_create(PTV_ERR_OTHER,
					"cannot read an integer of %zu bytes",
					size);
	struct ptv_error *err = ptv_kernel_read(k, vaddr, b, size);
	if (err)
		return err;
	uint64_t v = 0;
	for (size_t i = size; i-- > 0;)	/* little-endian targets */
		v = v << 8 | b[i];
	*ret = v;
	return NULL;
}

struct ptv_error *ptv_kernel_read_string(struct ptv_kernel *k, uint64_t vaddr,
					 char *buf, size_t max)
{
	size_t n = 0;
	while (n + 1 < max) {
		size_t chunk = 4096 - (vaddr & 4095);
		if (chunk > max - 1 - n)
			chunk = max - 1 - n;
		struct ptv_error *err = ptv_kernel_read(k, vaddr, buf + n,
							chunk);
		if (err)
			return err;
		void *nul = memchr(buf + n, '\0', chunk);
		if (nul)
			return NULL;
		n += chunk;
		vaddr += chunk;
	}
	buf[n] = '\0';
	return NULL;
}

struct ptv_error *ptv_kernel_symbol(struct ptv_kernel *k, const char *name,
				    uint64_t *ret)
{
	return ptv_symbols_lookup(k->syms, name, ret);
}

struct ptv_error *ptv_kernel_offsetof(struct ptv_kernel *k, const char *type,
				      const char *member, uint64_t *ret)
{
	struct ptv_member m;
	struct ptv_error *err = ptv_types_member(k->types, type, member, &m);
	if (err)
		return err;
	*ret = m.offset;
	return NULL;
}
