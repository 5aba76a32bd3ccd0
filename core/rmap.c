/* rmap.c: reverse maps in a memory image (see rmap.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/kernel.h"
#include "core/kpage.h"
#include "core/rmap.h"
#include "core/task.h"
#include "core/types.h"
#include "core/walk.h"

#define MAX_TREE_NODES (1u << 20)
#define MAX_TREE_DEPTH 128

struct mm_task {
	uint64_t mm;
	int pid;
	char comm[17];
	uint64_t pgd_phys;
};

struct ptv_rmap_ctx {
	struct ptv_kernel *k;
	struct ptv_kpage_info pi;
	/* offsets */
	uint64_t anon_vma_rb_root, avc_vma, avc_rb;
	uint64_t vma_start, vma_end, vma_pgoff, vma_mm, vma_shared_rb;
	uint64_t as_i_mmap, rb_left, rb_right;
	bool ksm;
	uint64_t stable_hlist, item_hlist, item_mm, item_address;
	struct mm_task *tasks;
	size_t ntasks, cap;
};

const char *ptv_rmap_via_name(enum ptv_rmap_via via)
{
	switch (via) {
	case PTV_RMAP_NONE: return "none";
	case PTV_RMAP_ANON: return "anon_vma";
	case PTV_RMAP_FILE: return "i_mmap";
	case PTV_RMAP_KSM: return "ksm";
	case PTV_RMAP_MOVABLE: return "movable";
	case PTV_RMAP_PAGEMAP: return "pagemap";
	}
	return "?";
}

static int add_task(void *arg, const struct ptv_task *t)
{
	struct ptv_rmap_ctx *c = arg;
	if (!t->mm)
		return 0;
	if (c->ntasks == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct mm_task *v = realloc(c->tasks, cap * sizeof(*v));
		if (!v)
			return 1;
		c->tasks = v;
		c->cap = cap;
	}
	struct mm_task *m = &c->tasks[c->ntasks++];
	m->mm = t->mm;
	m->pid = t->pid;
	memcpy(m->comm, t->comm, sizeof(m->comm));
	m->pgd_phys = 0;
	struct ptv_mm mm;
	struct ptv_error *err = ptv_mm_read(c->k, t->mm, &mm);
	if (!err)
		m->pgd_phys = mm.pgd_phys;
	ptv_error_destroy(err);
	return 0;
}

struct ptv_error *ptv_rmap_ctx_create(struct ptv_kernel *k,
				      struct ptv_rmap_ctx **ret)
{
	struct ptv_rmap_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return ptv_enomem;
	c->k = k;
	ptv_kpage_info_init(k, &c->pi);
	struct ptv_error *err = NULL;
	if (!c->pi.layout_ok)
		err = ptv_error_create(PTV_ERR_UNSUPPORTED, "struct page: %s",
				       c->pi.layout_missing);
	if (!err)
		err = ptv_kernel_offsetof(k, "anon_vma", "rb_root",
					  &c->anon_vma_rb_root);
	if (!err)
		err = ptv_kernel_offsetof(k, "anon_vma_chain", "vma", &c->avc_vma);
	if (!err)
		err = ptv_kernel_offsetof(k, "anon_vma_chain", "rb", &c->avc_rb);
	if (!err)
		err = ptv_kernel_offsetof(k, "vm_area_struct", "vm_start",
					  &c->vma_start);
	if (!err)
		err = ptv_kernel_offsetof(k, "vm_area_struct", "vm_end",
					  &c->vma_end);
	if (!err)
		err = ptv_kernel_offsetof(k, "vm_area_struct", "vm_pgoff",
					  &c->vma_pgoff);
	if (!err)
		err = ptv_kernel_offsetof(k, "vm_area_struct", "vm_mm",
					  &c->vma_mm);
	if (!err)
		err = ptv_kernel_offsetof(k, "vm_area_struct", "shared.rb",
					  &c->vma_shared_rb);
	if (!err)
		err = ptv_kernel_offsetof(k, "address_space", "i_mmap",
					  &c->as_i_mmap);
	if (!err)
		err = ptv_kernel_offsetof(k, "rb_node", "rb_left", &c->rb_left);
	if (!err)
		err = ptv_kernel_offsetof(k, "rb_node", "rb_right", &c->rb_right);
	if (err) {
		ptv_rmap_ctx_destroy(c);
		return ptv_error_prefix(err, "reverse maps");
	}
	/* KSM (struct ksm_stable_node / ksm_rmap_item since v6.2) */
	const char *sn = ptv_types_has_type(k->types, "ksm_stable_node") ?
			 "ksm_stable_node" : "stable_node";
	const char *ri = ptv_types_has_type(k->types, "ksm_rmap_item") ?
			 "ksm_rmap_item" : "rmap_item";
	c->ksm = !ptv_kernel_offsetof(k, sn, "hlist", &c->stable_hlist) &&
		 !ptv_kernel_offsetof(k, ri, "hlist", &c->item_hlist) &&
		 !ptv_kernel_offsetof(k, ri, "mm", &c->item_mm) &&
		 !ptv_kernel_offsetof(k, ri, "address", &c->item_address);
	err = ptv_task_foreach(k, add_task, c);
	if (err) {
		ptv_rmap_ctx_destroy(c);
		return err;
	}
	*ret = c;
	return NULL;
}

void ptv_rmap_ctx_destroy(struct ptv_rmap_ctx *c)
{
	if (!c)
		return;
	free(c->tasks);
	free(c);
}

const struct ptv_kpage_info *ptv_rmap_ctx_kpage(const struct ptv_rmap_ctx *c)
{
	return &c->pi;
}

struct ptv_error *ptv_rmap_mm_pgd(struct ptv_rmap_ctx *c, uint64_t mm,
				  uint64_t *pgd_phys_ret)
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->tasks[i].mm == mm && c->tasks[i].pgd_phys) {
			*pgd_phys_ret = c->tasks[i].pgd_phys;
			return NULL;
		}
	return ptv_not_found;
}

/* Walk mm's tables to vaddr and see whether they map pfn there. */
static void verify(struct ptv_rmap_ctx *c, uint64_t pgd_phys,
		   struct ptv_rmap_mapping *m, uint64_t pfn)
{
	struct ptv_walk_step steps[5];
	unsigned n;
	struct ptv_page page;
	struct ptv_error *err = ptv_kernel_walk(c->k, pgd_phys, m->vaddr, steps,
						&n, &page);
	if (err) {
		ptv_error_destroy(err);
		m->state = PTV_STATE_UNREADABLE;
		return;
	}
	m->state = page.state;
	m->level = (page.has & PTV_HAS_LEVEL) ? page.level : PTV_LEVEL_PTE;
	m->raw = page.raw;
	m->found_pfn = page.pfn;
	m->verified = page.state == PTV_STATE_PRESENT &&
		      (page.has & PTV_HAS_PFN) && page.pfn == pfn;
}

static struct ptv_error *add_mapping(struct ptv_rmap_ctx *c, struct ptv_rmap *r,
				     uint64_t mm, uint64_t vma,
				     uint64_t vma_start, uint64_t vaddr)
{
	bool any = false;
	for (size_t i = 0; i <= c->ntasks; i++) {
		if (i < c->ntasks && c->tasks[i].mm != mm)
			continue;
		if (i == c->ntasks && any)
			break;
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 8;
			struct ptv_rmap_mapping *v = realloc(r->v, cap * sizeof(*v));
			if (!v)
				return ptv_enomem;
			r->v = v;
			r->cap = cap;
		}
		struct ptv_rmap_mapping *m = &r->v[r->n++];
		memset(m, 0, sizeof(*m));
		m->mm = mm;
		m->vma = vma;
		m->vma_start = vma_start;
		m->vaddr = vaddr;
		if (i < c->ntasks) {
			any = true;
			m->pid = c->tasks[i].pid;
			memcpy(m->comm, c->tasks[i].comm, sizeof(m->comm));
			verify(c, c->tasks[i].pgd_phys, m, r->pfn);
		}
	}
	return NULL;
}

/* A VMA found through a tree: map pgoff into it, as vma_address() does. */
static struct ptv_error *try_vma(struct ptv_rmap_ctx *c, struct ptv_rmap *r,
				 uint64_t vma)
{
	uint64_t start, end, pgoff, mm;
	struct ptv_error *err;
	if ((err = ptv_kernel_read_u64(c->k, vma + c->vma_start, &start)) ||
	    (err = ptv_kernel_read_u64(c->k, vma + c->vma_end, &end)) ||
	    (err = ptv_kernel_read_u64(c->k, vma + c->vma_pgoff, &pgoff)) ||
	    (err = ptv_kernel_read_u64(c->k, vma + c->vma_mm, &mm)))
		return ptv_error_prefix(err, "vm_area_struct 0x%" PRIx64, vma);
	if (end <= start)
		return ptv_error_create(PTV_ERR_FORMAT,
			"vm_area_struct 0x%" PRIx64 " has an empty range", vma);
	if (r->pgoff < pgoff || r->pgoff - pgoff >= (end - start) >> 12)
		return NULL;	/* the folio lies outside this VMA */
	return add_mapping(c, r, mm, vma, start,
			   start + ((r->pgoff - pgoff) << 12));
}

/* In-order walk of an rb tree; fn gets each node's address.  Bounded in
 * depth and nodes: a damaged tree ends with an error, never a hang. */
static struct ptv_error *rb_foreach(struct ptv_rmap_ctx *c, uint64_t root,
				    struct ptv_error *(*fn)(struct ptv_rmap_ctx *,
							    struct ptv_rmap *,
							    uint64_t),
				    struct ptv_rmap *r)
{
	uint64_t stack[MAX_TREE_DEPTH];
	unsigned depth = 0, nodes = 0;
	uint64_t node = root;
	struct ptv_error *err;
	while (node || depth) {
		while (node) {
			if (depth == MAX_TREE_DEPTH || ++nodes > MAX_TREE_NODES)
				return ptv_error_create(PTV_ERR_FORMAT,
					"rb tree at 0x%" PRIx64 " is deeper than %d "
					"or larger than %u nodes: damaged",
					root, MAX_TREE_DEPTH, MAX_TREE_NODES);
			stack[depth++] = node;
			if ((err = ptv_kernel_read_u64(c->k, node + c->rb_left,
						       &node)))
				return err;
		}
		node = stack[--depth];
		if ((err = fn(c, r, node)))
			return err;
		if ((err = ptv_kernel_read_u64(c->k, node + c->rb_right, &node)))
			return err;
	}
	return NULL;
}

static struct ptv_error *on_avc(struct ptv_rmap_ctx *c, struct ptv_rmap *r,
				uint64_t rb)
{
	uint64_t vma;
	struct ptv_error *err = ptv_kernel_read_u64(c->k, rb - c->avc_rb +
						    c->avc_vma, &vma);
	return err ? err : try_vma(c, r, vma);
}

static struct ptv_error *on_i_mmap(struct ptv_rmap_ctx *c, struct ptv_rmap *r,
				   uint64_t rb)
{
	return try_vma(c, r, rb - c->vma_shared_rb);
}

/* KSM: rmap_items on the stable node's hlist carry mm and address. */
static struct ptv_error *walk_ksm(struct ptv_rmap_ctx *c, struct ptv_rmap *r,
				  uint64_t stable)
{
	if (!c->ksm)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
			"KSM page 0x%" PRIx64 ": no KSM types in this kernel's "
			"type information", r->pfn);
	uint64_t node;
	struct ptv_error *err = ptv_kernel_read_u64(c->k, stable + c->stable_hlist,
						    &node);
	for (unsigned n = 0; !err && node; n++) {
		if (n > MAX_TREE_NODES)
			return ptv_error_create(PTV_ERR_FORMAT,
				"KSM stable node 0x%" PRIx64 ": rmap list loops",
				stable);
		uint64_t item = node - c->item_hlist, mm, addr;
		if ((err = ptv_kernel_read_u64(c->k, item + c->item_mm, &mm)) ||
		    (err = ptv_kernel_read_u64(c->k, item + c->item_address,
					       &addr)))
			break;
		/* the low bits of address are flags (STABLE_FLAG, ...) */
		if ((err = add_mapping(c, r, mm, 0, 0, addr & ~UINT64_C(0xfff))))
			break;
		err = ptv_kernel_read_u64(c->k, node, &node);	/* ->next */
	}
	return err;
}

struct ptv_error *ptv_rmap_pfn(struct ptv_rmap_ctx *c, uint64_t pfn,
			       struct ptv_rmap *ret)
{
	struct ptv_rmap r;
	memset(&r, 0, sizeof(r));
	r.pfn = pfn;
	struct ptv_kernel *k = c->k;
	struct ptv_frame f, head;
	struct ptv_error *err = ptv_frame_read(k, &c->pi, pfn, &f);
	if (!err && f.head_pfn != pfn)
		err = ptv_frame_read(k, &c->pi, f.head_pfn, &head);
	else
		head = f;
	if (err)
		return err;
	uint64_t mapping = f.folio_mapping;
	r.head_pfn = f.head_pfn;
	r.large = f.large;
	r.mapping = mapping;
	r.pgoff = head.index + (pfn - f.head_pfn);
	/* Compare like with like: PTE mappings with what page_mapcount()
	 * says less the folio's PMD mappings (in every version's rules,
	 * see kframe.c), PMD mappings with the entire mapcount. */
	r.entire_mapcount = r.large && (f.has & PTV_FRAME_HAS_ENTIRE) ?
			    (int)f.entire_mapcount : 0;
	r.mapcount = (int)f.total_mapcount - (r.large ? r.entire_mapcount : 0);
	switch (mapping & 3) {
	case 0:
		r.via = mapping ? PTV_RMAP_FILE : PTV_RMAP_NONE;
		if (mapping) {
			uint64_t rootnode;
			err = ptv_kernel_read_u64(k, mapping + c->as_i_mmap,
						  &rootnode);
			if (!err)
				err = rb_foreach(c, rootnode, on_i_mmap, &r);
		}
		break;
	case 1: {
		r.via = PTV_RMAP_ANON;
		uint64_t rootnode;
		err = ptv_kernel_read_u64(k, (mapping & ~UINT64_C(3)) +
					  c->anon_vma_rb_root, &rootnode);
		if (!err)
			err = rb_foreach(c, rootnode, on_avc, &r);
		break;
	}
	case 3:
		r.via = PTV_RMAP_KSM;
		err = walk_ksm(c, &r, mapping & ~UINT64_C(3));
		break;
	default:
		r.via = PTV_RMAP_MOVABLE;
		break;
	}
	if (err) {
		free(r.v);
		return ptv_error_prefix(err, "reverse map of PFN %" PRIu64, pfn);
	}
	*ret = r;
	return NULL;
}

void ptv_rmap_deinit(struct ptv_rmap *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}
