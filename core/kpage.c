/* kpage.c: the struct page layout of the kernel at hand, and where a
 * PFN's struct page is.
 *
 * page->compound_head has bit 0 set in tail pages and then points at the
 * head plus one (v4.6, commit 1d798ca3f164); page->mapping has
 * PAGE_MAPPING_ANON in bit 0 for anonymous and KSM folios
 * (include/linux/page-flags.h).  kframe.c decodes the fields found here. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/image.h"
#include "core/kernel.h"
#include "core/kpage.h"
#include "core/types.h"
#include "core/vmcoreinfo.h"

/* member of type, at base + its offset; left !ok when absent or not a
 * plain integer or pointer. */
static void field(struct ptv_kernel *k, const char *type, const char *member,
		  uint64_t base, struct ptv_kpage_field *f)
{
	struct ptv_member m;
	struct ptv_error *err = ptv_types_member(k->types, type, member, &m);
	if (err) {
		ptv_error_destroy(err);
		return;
	}
	if (m.bit_size || (m.size != 1 && m.size != 2 && m.size != 4 &&
			   m.size != 8))
		return;
	f->ok = true;
	f->off = (uint32_t)(base + m.offset);
	f->size = (uint32_t)m.size;
}

static int64_t enum_or(struct ptv_kernel *k, const char *enum_name,
		       const char *name, int64_t dflt)
{
	int64_t v;
	struct ptv_error *err = ptv_types_enum_value(k->types, enum_name, name,
						     &v);
	if (err) {
		ptv_error_destroy(err);
		return dflt;
	}
	return v;
}

struct flags_ctx {
	struct ptv_kpage_info *pi;
	bool past_nr;
};

/* enum pageflags lists every real flag first, then __NR_PAGEFLAGS, then
 * the aliases (PG_swapcache = PG_owner_priv_1, PG_anon_exclusive =
 * PG_mappedtodisk, ...): names before __NR_PAGEFLAGS are canonical. */
static int flags_fn(const char *name, int64_t value, void *arg)
{
	struct flags_ctx *c = arg;
	struct ptv_kpage_info *pi = c->pi;
	if (strcmp(name, "__NR_PAGEFLAGS") == 0) {
		c->past_nr = true;
		if (value > 0 && value <= 64)
			pi->nr_pageflags = (unsigned)value;
		return 0;
	}
	if (value < 0 || value >= 64)
		return 0;
	if (!c->past_nr && !pi->flag_names[value])
		pi->flag_names[value] = name;
	static const struct { const char *name; size_t off; } wanted[] = {
		{ "PG_head", offsetof(struct ptv_kpage_info, pg_head) },
		{ "PG_lru", offsetof(struct ptv_kpage_info, pg_lru) },
		{ "PG_swapbacked", offsetof(struct ptv_kpage_info, pg_swapbacked) },
		{ "PG_swapcache", offsetof(struct ptv_kpage_info, pg_swapcache) },
		{ "PG_anon_exclusive",
		  offsetof(struct ptv_kpage_info, pg_anon_exclusive) },
		{ "PG_double_map", offsetof(struct ptv_kpage_info, pg_double_map) },
		{ "PG_hugetlb", offsetof(struct ptv_kpage_info, pg_hugetlb) },
	};
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (strcmp(name, wanted[i].name) == 0)
			*(int *)((char *)pi + wanted[i].off) = (int)value;
	return 0;
}

/* VMCOREINFO carries a few PG_* values written by the kernel itself
 * (NUMBER(PG_lru) etc.): types that disagree describe another build. */
static bool flags_agree(struct ptv_kernel *k, struct ptv_kpage_info *pi)
{
	static const char *const names[] = {
		"PG_lru", "PG_private", "PG_swapcache", "PG_swapbacked",
		"PG_slab", "PG_hwpoison", "PG_head", "PG_hugetlb",
	};
	for (size_t i = 0; k->vi && i < sizeof(names) / sizeof(names[0]); i++) {
		int64_t vi, ty;
		struct ptv_error *err = ptv_vmcoreinfo_number(k->vi, names[i],
							      &vi);
		if (err) {
			ptv_error_destroy(err);
			continue;
		}
		err = ptv_types_enum_value(k->types, "pageflags", names[i], &ty);
		if (err) {
			ptv_error_destroy(err);
			continue;
		}
		if (vi != ty) {
			snprintf(pi->layout_missing, sizeof(pi->layout_missing),
				 "%s: enum pageflags says %s=%" PRId64
				 ", VMCOREINFO says %" PRId64,
				 ptv_types_path(k->types), names[i], ty, vi);
			return false;
		}
	}
	return true;
}

static void init_flags(struct ptv_kernel *k, struct ptv_kpage_info *pi)
{
	pi->pg_head = pi->pg_lru = pi->pg_swapbacked = pi->pg_swapcache = -1;
	pi->pg_anon_exclusive = pi->pg_double_map = pi->pg_hugetlb = -1;
	struct flags_ctx c = { pi, false };
	struct ptv_error *err = ptv_types_enum_foreach(k->types, "pageflags",
						       flags_fn, &c);
	ptv_error_destroy(err);
	if (!pi->nr_pageflags)
		memset(pi->flag_names, 0, sizeof(pi->flag_names));
	pi->double_map = pi->pg_double_map >= 0;
}

/* The large-folio fields, per layout:
 *   v6.1:  folio->_folio_order, _total_mapcount (the same word as
 *          page[1].compound_mapcount: the entire, PMD, mapcount),
 *          _pincount; also under their page[1] names.
 *   v6.2+: _entire_mapcount, _nr_pages_mapped.
 *   later: the order in the low byte of folio->_flags_1 (no
 *          _folio_order), _large_mapcount (v6.11).
 *   older: page[1].compound_order / compound_mapcount /
 *          compound_pincount only. */
static void init_folio(struct ptv_kernel *k, struct ptv_kpage_info *pi)
{
	uint64_t fsize = 0;
	bool folio = ptv_types_has_type(k->types, "struct folio");
	struct ptv_error *err = folio ? ptv_types_sizeof(k->types, "folio",
							 &fsize) : NULL;
	ptv_error_destroy(err);
	pi->folio_bytes = fsize > 2 * pi->size ? fsize : 2 * pi->size;

	if (folio)
		field(k, "folio", "_folio_order", 0, &pi->order);
	if (!pi->order.ok)
		field(k, "page", "compound_order", pi->size, &pi->order);
	if (pi->order.ok) {
		pi->order_how = PTV_ORDER_BYTE;
	} else if (folio) {
		field(k, "folio", "_flags_1", 0, &pi->order);
		if (pi->order.ok)
			pi->order_how = PTV_ORDER_FLAGS1;
	}
	if (folio) {
		field(k, "folio", "_entire_mapcount", 0, &pi->entire_mapcount);
		if (!pi->entire_mapcount.ok)
			field(k, "folio", "_total_mapcount", 0,
			      &pi->entire_mapcount);
		field(k, "folio", "_large_mapcount", 0, &pi->large_mapcount);
		field(k, "folio", "_pincount", 0, &pi->pincount);
		field(k, "folio", "_nr_pages_mapped", 0, &pi->nr_pages_mapped);
		field(k, "folio", "_folio_dtor", 0, &pi->dtor);
	}
	if (!pi->entire_mapcount.ok)
		field(k, "page", "compound_mapcount", pi->size,
		      &pi->entire_mapcount);
	if (!pi->pincount.ok)
		field(k, "page", "compound_pincount", pi->size, &pi->pincount);
	if (!pi->dtor.ok)
		field(k, "page", "compound_dtor", pi->size, &pi->dtor);
	pi->hugetlb_dtor = enum_or(k, "compound_dtor_id", "HUGETLB_PAGE_DTOR",
				   -1);
	pi->pgty_hugetlb = enum_or(k, "pagetype", "PGTY_hugetlb", -1);
	int64_t nr = enum_or(k, "page_memcg_data_flags",
			     "__NR_MEMCG_DATA_FLAGS", 0);
	for (pi->memcg_flag_bits = 0;
	     nr > 1 && (INT64_C(1) << pi->memcg_flag_bits) < nr;)
		pi->memcg_flag_bits++;
}

static bool vi_num(struct ptv_kernel *k, const char *name, int64_t *ret)
{
	struct ptv_error *err = k->vi ? ptv_vmcoreinfo_number(k->vi, name, ret) :
					ptv_not_found;
	ptv_error_destroy(err);
	return !err;
}

/* Classic sparsemem (and SPARSEMEM_EXTREME): mem_section[] from what
 * VMCOREINFO says of it.  Returns false with memmap_missing filled. */
static bool init_sections(struct ptv_kernel *k, struct ptv_kpage_info *pi)
{
	uint64_t roots = 0, size = 0, off = 0;
	int64_t bits = 0, phys_bits = k->params.phys_bits;
	struct ptv_error *err = NULL;
	const char *missing = NULL;
	if (!k->vi)
		missing = "VMCOREINFO";
	else if ((err = ptv_vmcoreinfo_symbol(k->vi, "mem_section",
					      &pi->mem_section)))
		missing = "SYMBOL(mem_section)";
	else if ((err = ptv_vmcoreinfo_length(k->vi, "mem_section", &roots)))
		missing = "LENGTH(mem_section)";
	else if ((err = ptv_vmcoreinfo_size(k->vi, "mem_section", &size)))
		missing = "SIZE(mem_section)";
	else if ((err = ptv_vmcoreinfo_offset(k->vi, "mem_section",
					      "section_mem_map", &off)))
		missing = "OFFSET(mem_section.section_mem_map)";
	else if (!vi_num(k, "SECTION_SIZE_BITS", &bits))
		missing = "NUMBER(SECTION_SIZE_BITS)";
	ptv_error_destroy(err);
	if (!missing) {
		vi_num(k, "MAX_PHYSMEM_BITS", &phys_bits);
		if (!size || size > 4096 || bits <= 12 || bits >= phys_bits ||
		    phys_bits > 60 || !roots)
			missing = "sane mem_section sizes";
	}
	if (missing) {
		snprintf(pi->memmap_missing, sizeof(pi->memmap_missing),
			 "neither vmemmap nor mem_section is known: the dump's "
			 "VMCOREINFO has no %s", missing);
		return false;
	}
	uint64_t nr_sections = UINT64_C(1) << (phys_bits - bits);
	pi->section_size = size;
	pi->off_section_mem_map = off;
	pi->pfn_section_shift = (unsigned)(bits - 12);
	pi->section_roots = roots;
	if (roots == nr_sections) {
		pi->sections_extreme = false;
		pi->sections_per_root = 1;
	} else if (roots * (4096 / size) == nr_sections) {
		/* SPARSEMEM_EXTREME: SECTIONS_PER_ROOT = PAGE_SIZE /
		 * sizeof(struct mem_section). */
		pi->sections_extreme = true;
		pi->sections_per_root = 4096 / size;
	} else {
		snprintf(pi->memmap_missing, sizeof(pi->memmap_missing),
			 "LENGTH(mem_section)=%" PRIu64 " fits neither classic "
			 "nor SPARSEMEM_EXTREME for %" PRIu64 " sections",
			 roots, nr_sections);
		return false;
	}
	/* The low bits of section_mem_map are flags (SECTION_MARKED_PRESENT,
	 * SECTION_HAS_MEM_MAP, ...); the encoded mem_map is aligned far
	 * beyond them (sparse_encode_mem_map()).  SECTION_MAP_LAST_BIT is an
	 * enumerator in recent kernels (6.1 has it); older ones defined it
	 * as a macro and never used more than six bits. */
	int64_t last = enum_or(k, NULL, "SECTION_MAP_LAST_BIT", 6);
	pi->section_map_mask = ~((UINT64_C(1) << last) - 1);
	/* SECTION_HAS_MEM_MAP: bit 1 since sparsemem began; an enumerator
	 * where SECTION_MAP_LAST_BIT is one. */
	pi->section_has_mem_map_bit =
		(unsigned)enum_or(k, NULL, "SECTION_HAS_MEM_MAP_BIT", 1);
	pi->memmap = PTV_MEMMAP_SECTIONS;
	pi->cache_valid = false;
	return true;
}

struct ptv_error *ptv_kpage_use_sections(struct ptv_kernel *k,
					 struct ptv_kpage_info *pi)
{
	if (!init_sections(k, pi))
		return ptv_error_create(PTV_ERR_UNSUPPORTED, "%s: %s",
					ptv_image_path(k->img), pi->memmap_missing);
	return NULL;
}

static void init_zero_pages(struct ptv_kernel *k, struct ptv_kpage_info *pi)
{
	uint64_t addr, phys;
	struct ptv_error *err = ptv_kernel_symbol(k, "empty_zero_page", &addr);
	if (!err)
		err = ptv_kernel_vtop(k, addr, &phys);
	if (!err) {
		pi->zero_pfn = phys >> 12;
		pi->zero_pfn_known = true;
	}
	ptv_error_destroy(err);

	/* The huge zero page: a struct page pointer up to v6.8, then a
	 * folio pointer (huge_zero_folio); NULL until first used. */
	uint64_t ptr = 0;
	const char *names[] = { "huge_zero_folio", "huge_zero_page" };
	for (int i = 0; i < 2 && !ptr; i++) {
		err = ptv_kernel_symbol(k, names[i], &addr);
		if (!err)
			err = ptv_kernel_read_u64(k, addr, &ptr);
		ptv_error_destroy(err);
	}
	if (ptr && pi->layout_ok && pi->memmap == PTV_MEMMAP_VMEMMAP &&
	    ptr >= k->vmemmap && (ptr - k->vmemmap) % pi->size == 0) {
		pi->huge_zero_pfn = (ptr - k->vmemmap) / pi->size;
		pi->huge_zero_known = true;
	}
}

void ptv_kpage_info_init(struct ptv_kernel *k, struct ptv_kpage_info *pi)
{
	*pi = (struct ptv_kpage_info){ 0 };
	struct ptv_error *err = ptv_types_sizeof(k->types, "page", &pi->size);
	if (err) {
		snprintf(pi->layout_missing, sizeof(pi->layout_missing), "%s",
			 err->message);
		ptv_error_destroy(err);
	} else {
		field(k, "page", "flags", 0, &pi->flags);
		field(k, "page", "mapping", 0, &pi->mapping);
		field(k, "page", "index", 0, &pi->index);
		field(k, "page", "_mapcount", 0, &pi->mapcount);
		field(k, "page", "_refcount", 0, &pi->refcount);
		field(k, "page", "compound_head", 0, &pi->compound_head);
		field(k, "page", "memcg_data", 0, &pi->memcg_data);
		const char *miss = !pi->flags.ok ? "flags" :
				   !pi->mapping.ok ? "mapping" :
				   !pi->index.ok ? "index" :
				   !pi->mapcount.ok ? "_mapcount" :
				   !pi->refcount.ok ? "_refcount" :
				   !pi->compound_head.ok ? "compound_head" : NULL;
		if (miss)
			snprintf(pi->layout_missing, sizeof(pi->layout_missing),
				 "struct page has no member '%s' (%s file %s)",
				 miss, ptv_types_format(k->types),
				 ptv_types_path(k->types));
		else if (pi->size < 32 || pi->size > 4096)
			snprintf(pi->layout_missing, sizeof(pi->layout_missing),
				 "sizeof(struct page) = %" PRIu64 " is not "
				 "plausible", pi->size);
		else
			pi->layout_ok = true;
	}
	init_flags(k, pi);
	if (pi->layout_ok && !flags_agree(k, pi))
		pi->layout_ok = false;
	if (pi->size)
		init_folio(k, pi);

	uint64_t addr, v;
	err = ptv_kernel_symbol(k, "max_pfn", &addr);
	if (!err)
		err = ptv_kernel_read_u64(k, addr, &v);
	if (!err) {
		pi->max_pfn = v;
		pi->max_pfn_known = true;
	}
	ptv_error_destroy(err);

	/* x86_64 has only SPARSEMEM_VMEMMAP (kernel.c finds its base);
	 * anything without a vmemmap goes through mem_section. */
	if (k->vmemmap)
		pi->memmap = PTV_MEMMAP_VMEMMAP;
	else
		init_sections(k, pi);
	init_zero_pages(k, pi);
}

static struct ptv_error *section_mem_map(struct ptv_kernel *k,
					 struct ptv_kpage_info *pi,
					 uint64_t pfn, uint64_t *ret)
{
	uint64_t nr = pfn >> pi->pfn_section_shift;
	if (pi->cache_valid && pi->cache_section == nr) {
		*ret = pi->cache_mem_map;
		return NULL;
	}
	uint64_t root = nr / pi->sections_per_root;
	if (root >= pi->section_roots)
		return ptv_error_create(PTV_ERR_NO_MEMORY,
			"PFN %" PRIu64 " is beyond memory: section %" PRIu64
			" of at most %" PRIu64, pfn, nr,
			pi->section_roots * pi->sections_per_root);
	uint64_t base = pi->mem_section, word;
	struct ptv_error *err = NULL;
	if (pi->sections_extreme) {
		/* SYMBOL(mem_section) is the array of roots: the array
		 * itself before v4.15, where the pointer mem_section points
		 * since (commit a0b1280368d1 writes its value). */
		err = ptv_kernel_read_u64(k, base + root * 8, &base);
		if (!err && !base)
			return ptv_error_create(PTV_ERR_NO_MEMORY,
				"PFN %" PRIu64 " is not in any memory section "
				"(root %" PRIu64 " is empty)", pfn, root);
		base += (nr % pi->sections_per_root) * pi->section_size;
	} else {
		base += nr * pi->section_size;
	}
	if (!err)
		err = ptv_kernel_read_u64(k, base + pi->off_section_mem_map,
					  &word);
	if (err)
		return ptv_error_prefix(err, "PFN %" PRIu64 ": its mem_section",
					pfn);
	if (!(word & (UINT64_C(1) << pi->section_has_mem_map_bit)))
		return ptv_error_create(PTV_ERR_NO_MEMORY,
			"PFN %" PRIu64 " is not in any memory section "
			"(section %" PRIu64 " has no memory map)", pfn, nr);
	pi->cache_section = nr;
	pi->cache_mem_map = word & pi->section_map_mask;
	pi->cache_valid = true;
	*ret = pi->cache_mem_map;
	return NULL;
}

struct ptv_error *ptv_kpage_addr(struct ptv_kernel *k,
				 struct ptv_kpage_info *pi, uint64_t pfn,
				 uint64_t *ret)
{
	if (!pi->layout_ok)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"the struct page layout is unknown: %s",
					pi->layout_missing);
	if (pi->max_pfn_known && pfn >= pi->max_pfn)
		return ptv_error_create(PTV_ERR_NO_MEMORY,
			"PFN %" PRIu64 " (0x%" PRIx64 ") is beyond memory: the "
			"last frame is %" PRIu64, pfn, pfn, pi->max_pfn - 1);
	switch (pi->memmap) {
	case PTV_MEMMAP_VMEMMAP:
		*ret = k->vmemmap + pfn * pi->size;
		return NULL;
	case PTV_MEMMAP_SECTIONS: {
		uint64_t mem_map = 0;
		struct ptv_error *err = section_mem_map(k, pi, pfn, &mem_map);
		if (err)
			return err;
		/* The encoded mem_map is minus the section's first PFN. */
		*ret = mem_map + pfn * pi->size;
		return NULL;
	}
	case PTV_MEMMAP_NONE:
		break;
	}
	return ptv_error_create(PTV_ERR_UNSUPPORTED, "PFN %" PRIu64 ": %s",
				pfn, pi->memmap_missing);
}

struct ptv_error *ptv_kpage_is_anon(struct ptv_kernel *k,
				    struct ptv_kpage_info *pi,
				    uint64_t pfn, bool *ret)
{
	uint64_t page, head, mapping;
	struct ptv_error *err = ptv_kpage_addr(k, pi, pfn, &page);
	if (!err)
		err = ptv_kernel_read_u64(k, page + pi->compound_head.off,
					  &head);
	if (err)
		return err;
	if (head & 1)
		page = head - 1;
	if ((err = ptv_kernel_read_u64(k, page + pi->mapping.off, &mapping)))
		return err;
	*ret = mapping & 1;
	return NULL;
}
