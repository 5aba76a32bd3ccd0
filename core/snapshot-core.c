/* snapshot-core.c: fill a struct ptv_snapshot from a memory image.
 *
 * The same snapshot snapshot-take.c builds from /proc, read instead from
 * the kernel's own structures in a crash dump: the task and its mm
 * (core/task.h), the VMAs with vm_flags and anon_vma (core/kvma.c), the
 * pages from a walk of its page tables (core/walk.h), and for each present
 * page what /proc/kpageflags and /proc/kpagecount would have said, decoded
 * from its struct page (core/kpage.h).  What only a running system shows
 * (the sysfs settings, fault counters) stays unknown.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/kernel.h"
#include "core/kpage.h"
#include "core/kpageflags.h"
#include "core/page.h"
#include "core/snapshot.h"
#include "core/task.h"
#include "core/walk.h"

/* include/uapi/linux/kernel-page-flags.h, stable ABI since v2.6.31. */
enum {
	KPF_LRU = 5,
	KPF_MMAP = 11,
	KPF_SWAPCACHE = 13,
};

/* vm_flags bits of include/linux/mm.h that a snapshot keeps.  They are the
 * kernel's generic values, the same on every architecture, unchanged since
 * the newest of them came (VM_WIPEONFORK, commit d2cd9ede6e19, v4.14).
 * VM_SOFTDIRTY (0 without CONFIG_MEM_SOFT_DIRTY) and the flags above bit 31
 * (VM_UFFD_MINOR, VM_SEALED, VM_DROPPABLE) depend on the configuration and
 * are left out. */
static const struct {
	uint64_t vm;
	uint32_t snap;
} vm_flag_map[] = {
	{ 0x00000080, PTV_SNAP_VM_MAYSHARE },
	{ 0x00000100, PTV_SNAP_VM_GROWSDOWN },
	{ 0x00000200, PTV_SNAP_VM_UFFD_MISSING },
	{ 0x00000400, PTV_SNAP_VM_PFNMAP },
	{ 0x00001000, PTV_SNAP_VM_UFFD_WP },
	{ 0x00002000, PTV_SNAP_VM_LOCKED },
	{ 0x00004000, PTV_SNAP_VM_IO },
	{ 0x00008000, PTV_SNAP_VM_SEQ_READ },
	{ 0x00010000, PTV_SNAP_VM_RAND_READ },
	{ 0x00020000, PTV_SNAP_VM_DONTCOPY },
	{ 0x00040000, PTV_SNAP_VM_DONTEXPAND },
	{ 0x00080000, PTV_SNAP_VM_LOCKONFAULT },
	{ 0x00100000, PTV_SNAP_VM_ACCOUNT },
	{ 0x00200000, PTV_SNAP_VM_NORESERVE },
	{ 0x00400000, PTV_SNAP_VM_HUGETLB },
	{ 0x02000000, PTV_SNAP_VM_WIPEONFORK },
	{ 0x04000000, PTV_SNAP_VM_DONTDUMP },
	{ 0x10000000, PTV_SNAP_VM_MIXEDMAP },
	{ 0x20000000, PTV_SNAP_VM_HUGEPAGE },
	{ 0x40000000, PTV_SNAP_VM_NOHUGEPAGE },
	{ 0x80000000, PTV_SNAP_VM_MERGEABLE },
};

static uint32_t snap_vmflags(uint64_t vm_flags)
{
	uint32_t f = 0;
	for (size_t i = 0; i < sizeof(vm_flag_map) / sizeof(vm_flag_map[0]);
	     i++) {
		if (vm_flags & vm_flag_map[i].vm)
			f |= vm_flag_map[i].snap;
	}
	return f;
}

/* The walk's context: one VMA at a time. */
struct core_snap {
	struct ptv_kernel *k;
	struct ptv_kpage_info pinfo;
	const struct ptv_vma *vma;
	struct ptv_snap_page_vec pv;
	struct ptv_error *err;		/* what stopped the walk */
	uint64_t page_size;
	uint64_t pmd_pages;		/* pages of a PMD leaf: the huge zero
					   page's size */
};

/* What /proc/kpageflags and /proc/kpagecount (fs/proc/page.c) say for a
 * frame, from its struct page: the bits a struct page holds directly. */
static void frame_kflags(const struct ptv_frame *f, struct ptv_page *p)
{
	uint64_t kf = 0;
	if (f->anon)
		kf |= PTV_KPF(ANON);
	if (f->ksm)
		kf |= PTV_KPF(KSM);
	if (f->lru)
		kf |= UINT64_C(1) << KPF_LRU;
	if (f->swapcache)
		kf |= UINT64_C(1) << KPF_SWAPCACHE;
	if (f->swapbacked)
		kf |= PTV_KPF(SWAPBACKED);
	if (f->total_mapcount > 0)
		kf |= UINT64_C(1) << KPF_MMAP;
	if (f->large) {
		kf |= f->head ? PTV_KPF(COMPOUND_HEAD) : PTV_KPF(COMPOUND_TAIL);
		kf |= f->hugetlb ? PTV_KPF(HUGE) : PTV_KPF(THP);
	}
	p->has |= PTV_HAS_KPAGEFLAGS | PTV_HAS_ORDER;
	p->kpageflags = kf;
	p->folio_order = (uint16_t)f->folio_order;
	p->mapcount = f->total_mapcount > 0 ? (uint64_t)f->total_mapcount : 0;
}

/* A present page: the zero pages by PFN, the rest from its struct page.
 * A struct page a filtered dump left out: anonymous when the VMA has no
 * file, mapped once (the best guess; the PFN itself is still right). */
static void core_present_page(struct core_snap *c, struct ptv_page *p)
{
	const struct ptv_kpage_info *pi = &c->pinfo;
	bool zero = pi->zero_pfn_known && p->pfn == pi->zero_pfn;
	bool hzero = pi->huge_zero_known && p->pfn >= pi->huge_zero_pfn &&
		     p->pfn < pi->huge_zero_pfn + c->pmd_pages;
	ptv_page_set(p, PTV_B_ZERO_PAGE, zero);
	ptv_page_set(p, PTV_B_HUGE_ZERO_PAGE, hzero);
	struct ptv_frame f;
	struct ptv_error *err = ptv_frame_read(c->k, &c->pinfo, p->pfn, &f);
	if (!err) {
		frame_kflags(&f, p);
		if (zero || hzero) {
			p->kpageflags &= ~PTV_KPF(ANON);
			p->kpageflags |= PTV_KPF(ZERO_PAGE);
		}
		return;
	}
	ptv_error_destroy(err);
	p->has |= PTV_HAS_KPAGEFLAGS;
	p->kpageflags = zero || hzero ? PTV_KPF(ZERO_PAGE) :
			!c->vma->file ? PTV_KPF(ANON) : 0;
	p->mapcount = 1;
}

static int core_pages(void *arg, const struct ptv_page *first, uint64_t n)
{
	struct core_snap *c = arg;
	/* The walk's contract (core/walk.h): the pages of a range differ
	 * only in vaddr and, unless pfn_same, in an advancing PFN. */
	for (uint64_t i = 0; i < n; i++) {
		struct ptv_page q = *first;
		q.vaddr += i * c->page_size;
		if (!q.pfn_same)
			q.pfn += i;
		if (q.state == PTV_STATE_PRESENT && (q.has & PTV_HAS_PFN))
			core_present_page(c, &q);
		struct ptv_snap_page sp;
		if (!ptv_snap_page_from(&q, &sp))
			continue;
		if ((c->err = ptv_snap_page_vec_push(&c->pv, &sp)))
			return 1;
	}
	return 0;
}

static void core_vma(const struct ptv_vma *v, struct ptv_snap_vma *o)
{
	o->vmflags = snap_vmflags(v->flags);
	o->anon_vma = v->anon_vma != 0;
}

/* The snapshot of task t of k, with its pages. */
static struct ptv_error *core_task(struct core_snap *c,
				   const struct ptv_task *t,
				   struct ptv_snapshot *s)
{
	struct ptv_kernel *k = c->k;
	struct ptv_mm mm;
	struct ptv_error *err = ptv_mm_read(k, t->mm, &mm);
	if (err)
		return ptv_error_prefix(err, "pid %d", t->pid);
	uint64_t kb = s->page_size / 1024;
	s->counters = (struct ptv_snap_counters){
		.rss_anon_kb = (int64_t)(mm.anon_pages * kb),
		.rss_file_kb = (int64_t)(mm.file_pages * kb),
		.rss_shmem_kb = (int64_t)(mm.shmem_pages * kb),
		.swap_kb = (int64_t)(mm.swap_entries * kb),
		.pgtables_kb = (int64_t)(mm.pgtables_bytes / 1024),
		.vm_locked_kb = -1,
	};
	struct ptv_vma_list vmas;
	ptv_vma_list_init(&vmas);
	if ((err = ptv_mm_vmas(k, &mm, &vmas)) ||
	    (err = ptv_snapshot_copy_vmas(&vmas, s))) {
		ptv_vma_list_deinit(&vmas);
		return ptv_error_prefix(err, "pid %d", t->pid);
	}
	static const struct ptv_walk_ops ops = { core_pages, NULL };
	struct ptv_walk w = {
		.arch = k->arch, .params = &k->params,
		.read_phys = ptv_kernel_read_phys, .read_arg = k,
		.ops = &ops, .ops_arg = c,
	};
	for (size_t i = 0; i < vmas.n && !err; i++) {
		core_vma(&vmas.v[i], &s->vmas[i]);
		c->vma = &vmas.v[i];
		err = ptv_walk_range(&w, mm.pgd_phys, vmas.v[i].start,
				     vmas.v[i].end);
		if (!err && c->err) {
			err = c->err;
			c->err = NULL;
		}
	}
	ptv_vma_list_deinit(&vmas);
	return err ? ptv_error_prefix(err, "pid %d", t->pid) : NULL;
}

struct ptv_error *ptv_snapshot_take_core(const struct ptv_kernel_opts *ko,
					 int pid, struct ptv_snapshot **ret)
{
	struct core_snap c = { 0 };
	struct ptv_snapshot *s = NULL;
	struct ptv_error *err = ptv_kernel_open(ko, &c.k);
	if (err)
		return err;
	uint64_t page_size = UINT64_C(1) << c.k->arch->page_shift;
	if (page_size != 4096) {	/* the format's page runs are 4 KiB */
		err = ptv_error_create(PTV_ERR_UNSUPPORTED,
			"%s: snapshots need 4 KiB pages; this kernel has %"
			PRIu64, ko->core, page_size);
		goto out;
	}
	struct ptv_task t;
	if ((err = ptv_task_find(c.k, pid, &t))) {
		err = ptv_error_prefix(err, "%s", ko->core);
		goto out;
	}
	if (!t.mm) {
		err = ptv_error_create(PTV_ERR_NO_SUCH_TASK,
			"%s: pid %d has no address space in the dump "
			"(a kernel thread or a zombie)", ko->core, pid);
		goto out;
	}
	ptv_kpage_info_init(c.k, &c.pinfo);
	c.page_size = page_size;
	c.pmd_pages = UINT64_C(1) << (c.k->arch->entry_shift(&c.k->params,
		PTV_LEVEL_PMD) - c.k->arch->page_shift);
	if (!(s = calloc(1, sizeof(*s)))) {
		err = ptv_enomem;
		goto out;
	}
	s->version = PTV_SNAP_VERSION;
	s->page_size = page_size;
	s->pid = t.pid;
	snprintf(s->comm, sizeof(s->comm), "%s", t.comm);
	s->taken = (int64_t)time(NULL);
	snprintf(s->kernel, sizeof(s->kernel), "%s", c.k->release);
	snprintf(s->machine, sizeof(s->machine), "%s", c.k->arch->name);
	struct ptv_snap_settings *st = &s->settings;
	st->use_zero_page = st->max_ptes_none = st->max_ptes_swap =
		st->max_ptes_shared = -1;
	/* mm/memory.c do_anonymous_page(): every upstream kernel maps the
	 * zero page on a read fault unless mm_forbids_zeropage() (s390 KVM
	 * guests only). */
	s->zero_page_maps = 1;
	if ((err = core_task(&c, &t, s)))
		goto out;
	s->pages = c.pv.v;
	s->npages = c.pv.n;
	c.pv.v = NULL;
	*ret = s;
	s = NULL;
out:
	free(c.pv.v);
	ptv_snapshot_destroy(s);
	ptv_kernel_destroy(c.k);
	return err;
}
