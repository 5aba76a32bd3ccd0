/* model.c: `ptview replay` without --live — a trace run on the model of
 * the kernel (model.h), statement by statement, with the same records
 * --live writes: an event per statement (with the kernel functions that
 * decided, and the faults predicted), and at every check one record per
 * page of every region of every live task and one counters record per
 * task, built from the model's state the way --live builds them from
 * /proc (pagemap, PAGEMAP_SCAN, kpageflags, kpagecount, status).
 *
 * The kernel's rules are 6.18's; m_profile() turns off, for older
 * kernels, what came later (each flag names the change).  Settings the
 * trace does not `set` are read from the running system (THP sysfs, swap)
 * and whether anon read faults map the zero page is probed on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/error.h"
#include "core/live.h"
#include "core/model.h"
#include "core/snapshot.h"

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"

#define KV(a, b, c) (((a) << 16) | ((b) << 8) | (c))

/* ---- profile and settings ------------------------------------------------ */

static bool parse_version(const char *s, unsigned *ret)
{
	unsigned a = 0, b = 0, c = 0;
	int n = sscanf(s, "%u.%u.%u", &a, &b, &c);
	if (n < 2 || a > 255 || b > 255)
		return false;
	*ret = KV(a, b, c > 255 ? 255 : c);
	return true;
}

/* The kernel changes the model encodes, by the release that made them. */
static void m_profile(struct m_cfg *c)
{
	unsigned v = c->kver;
	/* MADV_COLLAPSE came in 6.1, for shmem and files too (6.1 forces a
	 * huge page for it whatever shmem_enabled or huge= say) */
	c->collapse = v >= KV(6, 1, 0);
	/* 6.1's do_swap_page() maps a swapped-in page writable only on a
	 * write fault; 6.18 also on a read when the page is exclusive (seen
	 * with replay --live on both; the release in between that changed it
	 * is not pinned down: 6.7 is a guess) */
	c->swapin_read_writable = v >= KV(6, 7, 0);
	c->mthp_anon = v >= KV(6, 8, 0);	/* multi-size THP (anon) */
	c->split_zero_remap = v >= KV(6, 12, 0);	/* thp split zero remap */
	c->huge_zero_wp_alloc = v >= KV(6, 13, 0);	/* do_huge_zero_wp_pmd */
	c->large_wp_reuse = v >= KV(6, 13, 0);	/* wp reuse of large folios */
	c->pt_reclaim = v >= KV(6, 14, 0);	/* CONFIG_PT_RECLAIM */
	/* 6.12's hpage_collapse_scan_pmd() still fails a range with no
	 * writable PTE (SCAN_PAGE_RO); 6.18 collapses it on MADV_COLLAPSE
	 * (seen with replay --live).  The release in between that changed it
	 * is not pinned down: 6.13 is a guess. */
	c->collapse_ro_ok = v >= KV(6, 13, 0);
	c->pagemap_folio_excl = v >= KV(6, 15, 0);	/* folio_maybe_mapped_shared */
	c->swapin_skip_cache = true;	/* SWP_SYNCHRONOUS_IO, since 4.15 */
}

static bool read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	return ok;
}

/* "always [madvise] never" → the selected word. */
static bool read_choice(const char *path, char *buf, size_t size)
{
	char line[256];
	if (!read_line(path, line, sizeof(line)))
		return false;
	char *l = strchr(line, '['), *r = l ? strchr(l, ']') : NULL;
	const char *w = line;
	size_t n;
	if (!l || !r) {
		n = strcspn(line, "\n");
	} else {
		w = l + 1;
		n = (size_t)(r - w);
	}
	if (n >= size)
		return false;
	memcpy(buf, w, n);
	buf[n] = 0;
	return true;
}

static enum m_thp thp_word(const char *w, enum m_thp dflt)
{
	if (!strcmp(w, "always"))
		return M_THP_ALWAYS;
	if (!strcmp(w, "madvise"))
		return M_THP_MADVISE;
	if (!strcmp(w, "never"))
		return M_THP_NEVER;
	if (!strcmp(w, "inherit"))
		return M_THP_INHERIT;
	return dflt;
}

static unsigned read_uint(const char *path, unsigned dflt)
{
	char line[64];
	unsigned v;
	if (read_line(path, line, sizeof(line)) && sscanf(line, "%u", &v) == 1)
		return v;
	return dflt;
}

/* The swap space free now, in pages (/proc/swaps). */
static uint64_t free_swap_pages(void)
{
	FILE *f = fopen("/proc/swaps", "re");
	if (!f)
		return 0;
	char line[512];
	uint64_t total = 0;
	while (fgets(line, sizeof(line), f)) {
		char name[256], type[32];
		unsigned long long size, used;
		if (sscanf(line, "%255s %31s %llu %llu", name, type, &size,
			   &used) == 4 && size >= used)
			total += (size - used) / 4;
	}
	fclose(f);
	return total;
}

/* Does an anonymous read fault map the shared zero page here?  Read one
 * page of a fresh mapping and ask PAGEMAP_SCAN (PAGE_IS_PFNZERO needs no
 * privilege); kernels without PAGEMAP_SCAN are upstream ones: yes. */
static bool probe_zero_page(void)
{
	size_t len = 4096;
	void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return true;
	(void)*(volatile char *)p;
	int r = ptv_live_is_zero_page(getpid(), (uint64_t)(uintptr_t)p);
	munmap(p, len);
	return r != 0;
}

/* probe: find out on the running system whether anon read faults map the
 * zero page (when the caller does not know it already). */
static struct ptv_error *m_config(struct m_cfg *c, const char *kernel,
				  bool probe)
{
	memset(c, 0, sizeof(*c));
	if (kernel) {
		if (!parse_version(kernel, &c->kver))
			return ptv_error_create(PTV_ERR_USAGE, "--kernel takes "
				"a version like 6.1 or 6.18.44, not '%s'",
				kernel);
		if (c->kver < KV(5, 8, 0))
			return ptv_error_create(PTV_ERR_UNSUPPORTED, "--kernel "
				"%s: the model knows kernels from 5.8 on",
				kernel);
		c->zero_page_maps = true;
	} else {
		struct utsname u;
		if (uname(&u) < 0 || !parse_version(u.release, &c->kver))
			return ptv_error_create(PTV_ERR_OTHER, "cannot read "
				"the running kernel's version");
		c->zero_page_maps = !probe || probe_zero_page();
	}
	m_profile(c);
	char w[32];
	c->thp = M_THP_MADVISE;
	if (read_choice(THP_DIR "/enabled", w, sizeof(w)))
		c->thp = thp_word(w, M_THP_MADVISE);
	c->use_zero_page = read_uint(THP_DIR "/use_zero_page", 1);
	c->max_ptes_none = read_uint(THP_DIR "/khugepaged/max_ptes_none", 511);
	c->max_ptes_swap = read_uint(THP_DIR "/khugepaged/max_ptes_swap", 64);
	c->max_ptes_shared = read_uint(THP_DIR "/khugepaged/max_ptes_shared",
				       256);
	/* fault_around_bytes is in debugfs, often unreadable: the default */
	unsigned fab = read_uint("/sys/kernel/debug/fault_around_bytes", 65536);
	c->fault_around_pages = fab / 4096 ? fab / 4096 : 1;
	for (unsigned o = 1; o <= M_PMD_ORDER; o++) {
		char path[128];
		snprintf(path, sizeof(path), THP_DIR "/hugepages-%ukB/enabled",
			 4u << o);
		if (read_choice(path, w, sizeof(w))) {
			c->mthp_known[o] = true;
			c->mthp[o] = thp_word(w, M_THP_NEVER);
		}
	}
	if (!c->mthp_known[M_PMD_ORDER]) {
		/* before per-size controls: the PMD size follows enabled */
		c->mthp_known[M_PMD_ORDER] = true;
		c->mthp[M_PMD_ORDER] = M_THP_INHERIT;
	}
	if (!c->mthp_anon)
		for (unsigned o = 1; o < M_PMD_ORDER; o++)
			c->mthp_known[o] = false;
	c->page_cluster = read_uint("/proc/sys/vm/page-cluster", 3);
	return NULL;
}

static unsigned ilog2_u64(uint64_t v)
{
	unsigned r = 0;
	while (v >>= 1)
		r++;
	return r;
}

/* `set KEY=VALUE` */
static void apply_setting(struct model *m, const struct ptv_trace_setting *s)
{
	struct m_cfg *c = &m->cfg;
	unsigned v = (unsigned)strtoul(s->value, NULL, 10);
	switch (s->key) {
	case PTV_KEY_THP:
		c->thp = thp_word(s->value, c->thp);
		break;
	case PTV_KEY_THP_DEFRAG:
		break;	/* allocation effort: no visible effect here */
	case PTV_KEY_USE_ZERO_PAGE:
		c->use_zero_page = v;
		break;
	case PTV_KEY_MAX_PTES_NONE:
		c->max_ptes_none = v;
		break;
	case PTV_KEY_MAX_PTES_SWAP:
		c->max_ptes_swap = v;
		break;
	case PTV_KEY_MAX_PTES_SHARED:
		c->max_ptes_shared = v;
		break;
	case PTV_KEY_FAULT_AROUND_BYTES: {
		/* fault_around_bytes_set(): rounded down to a power of two */
		uint64_t b = strtoull(s->value, NULL, 10);
		uint64_t pages = b ? (UINT64_C(1) << ilog2_u64(b)) / 4096 : 0;
		c->fault_around_pages = pages ? (unsigned)pages : 1;
		break;
	}
	case PTV_KEY_MTHP: {
		unsigned o = ilog2_u64(s->mthp_size / 4096);
		if (o >= 1 && o <= M_PMD_ORDER) {
			c->mthp[o] = thp_word(s->value, c->mthp[o]);
			if (c->mthp_anon || o == M_PMD_ORDER)
				c->mthp_known[o] = true;
		}
		break;
	}
	}
}

/* ---- the run ------------------------------------------------------------- */

struct run {
	struct model m;
	const struct ptv_trace *t;
	const struct ptv_replay_sink *sink;
	struct ptv_replay_outcome *out;
	size_t nout, capout;
	/* --from: the snapshot's VMAs as regions, and its counters, which
	 * the records are relative to */
	struct snap_region {
		char name[24];
		uint64_t addr, size;
	} *snap;
	size_t nsnap;
	struct counts {
		int64_t anon, file, shmem, swap, tables;
	} base;
};

static void note(struct model *m, const char *fn, const char *what,
		 uint64_t addr, uint64_t len)
{
	struct run *r = m->note_arg;
	if (r->nout == r->capout) {
		size_t n = r->capout ? r->capout * 2 : 32;
		if (n > 4096)
			return;		/* enough for one statement */
		void *p = realloc(r->out, n * sizeof(*r->out));
		if (!p)
			return;
		r->out = p;
		r->capout = n;
	}
	/* join with the previous outcome when it continues it */
	if (r->nout) {
		struct ptv_replay_outcome *p = &r->out[r->nout - 1];
		if (p->fn == fn && p->what == what && p->addr + p->len == addr) {
			p->len += len;
			return;
		}
	}
	r->out[r->nout++] = (struct ptv_replay_outcome){ fn, what, addr, len };
}

static struct mfolio *folio_at(struct model *m, struct mm *mm, uint64_t a,
			       unsigned *pg, bool *pmd)
{
	struct mpmd_ent *pe = m_pmd_lookup(mm, a);
	*pmd = false;
	if (!pe)
		return NULL;
	if (pe->type == MPMD_HUGE) {
		*pmd = true;
		*pg = (unsigned)(a >> 12) & 511u;
		return m_folio(m, pe->folio);
	}
	if (pe->type != MPMD_TABLE)
		return NULL;
	uint64_t e = pe->pt->e[(a >> 12) & 511u];
	if (MPTE_TYPE(e) != MPTE_PRESENT)
		return NULL;
	*pg = MPTE_PAGE(e);
	return m_folio(m, MPTE_ID(e));
}

/* A write leaves data in the page (and a MADV_FREE'd folio dirty). */
static void mark_written(struct model *m, struct mm *mm, uint64_t a)
{
	unsigned pg;
	bool pmd;
	struct mfolio *f = folio_at(m, mm, a, &pg, &pmd);
	if (f && f->kind != M_ZERO && f->kind != M_HZERO) {
		f->data[pg] = 1;
		f->lazyfree = false;
	}
}

static int do_touch(struct run *r, struct mtask *tk, uint64_t addr,
		    uint64_t len, bool write, uint64_t *minor, uint64_t *major)
{
	for (uint64_t a = addr; a < addr + len; a += M_PAGE) {
		int f = m_handle_mm_fault(&r->m, tk->mm, a, write, false);
		if (f & (MF_SIGSEGV | MF_SIGBUS))
			return f;
		if (!(f & MF_NOFAULT)) {
			if (f & MF_MAJOR)
				(*major)++;
			else
				(*minor)++;
		}
		if (write)
			mark_written(&r->m, tk->mm, a);
	}
	return 0;
}

static struct ptv_error *do_map(struct run *r, const struct ptv_trace_stmt *st,
				struct mtask *tk)
{
	const struct ptv_trace_region *rg = &r->t->regions[st->region];
	struct model *m = &r->m;
	bool overlap = false;
	for (size_t i = 0; i < tk->mm->nvmas; i++)
		overlap |= tk->mm->vmas[i].start < rg->addr + rg->size &&
			   tk->mm->vmas[i].end > rg->addr;
	if (overlap)
		return ptv_error_create(PTV_ERR_OTHER, "%s:%u: map %s: the range "
			"overlaps a mapping (mmap would fail with EEXIST)",
			r->t->path, st->line, rg->name);
	struct mvma v = { .start = rg->addr, .end = rg->addr + rg->size,
			  .prot = rg->prot, .shared = rg->shared };
	switch (rg->backing) {
	case PTV_TRACE_ANON:
		if (rg->shared)
			v.obj = m_obj_new(m, rg->size / M_PAGE, true);
		break;
	case PTV_TRACE_SHMEM:
		v.obj = m_obj_new(m, rg->size / M_PAGE, true);
		break;
	case PTV_TRACE_FILE_BACKED:
		v.obj = m->files[rg->file];
		v.pgoff = rg->file_off / M_PAGE;
		break;
	}
	if ((rg->backing != PTV_TRACE_ANON || rg->shared) && !v.obj)
		return ptv_enomem;
	if (!m_vma_insert(m, tk->mm, &v))
		return ptv_enomem;
	m_note(m, "mmap_region", "VMA created (no page tables yet)", rg->addr,
	       rg->size);
	return NULL;
}

static struct ptv_error *do_file(struct run *r, const struct ptv_trace_stmt *st)
{
	struct model *m = &r->m;
	const struct ptv_trace_file *fl = &r->t->files[st->file];
	struct mobj *o = m_obj_new(m, fl->size / M_PAGE, true);
	if (!o)
		return ptv_enomem;
	m->files[st->file] = o;
	if (!fl->cached && !m->swap_pages)
		return ptv_error_create(PTV_ERR_OTHER, "%s:%u: file '%s' "
			"cached=none starts out in swap, and this system has no "
			"swap", r->t->path, st->line, fl->name);
	for (uint64_t i = 0; i < o->npages; i++) {
		if (fl->cached) {
			struct mfolio *f = m_folio_new(m, M_CACHE, 0);
			if (!f)
				return ptv_enomem;
			f->shmem = true;
			f->obj = o;
			f->index = i;
			f->data[0] = 1;
			o->pc[i].folio = f->id;
		} else {
			uint32_t s = m_swap_alloc(m);
			if (!s)
				return ptv_error_create(PTV_ERR_OTHER, "%s:%u: "
					"file '%s' does not fit in swap",
					r->t->path, st->line, fl->name);
			m->swap[s].count = 1;
			m->swap[s].data = true;
			o->pc[i].swap = s;
		}
	}
	return NULL;
}

/* ---- check records -------------------------------------------------------- */

static void chk_prepare(struct mfolio *f, uint32_t gen)
{
	if (f->chk_gen == gen)
		return;
	f->chk_mms = 0;
	f->chk_task = UINT32_MAX;
	unsigned nr = 1u << f->order;
	if (nr == 1) {
		f->chk_count = &f->one_chk_count;
		f->chk_label = &f->one_chk_label;
		f->one_chk_count = f->ext ? f->ext[0] : 0;
		f->one_chk_label = 0;
		f->chk_gen = gen;
		return;
	}
	if (!f->chk_count) {
		f->chk_count = calloc(nr, sizeof(*f->chk_count));
		f->chk_label = calloc(nr, sizeof(*f->chk_label));
		if (!f->chk_count || !f->chk_label) {
			free(f->chk_count);
			free(f->chk_label);
			f->chk_count = f->chk_label = NULL;
			return;
		}
	} else {
		memset(f->chk_count, 0, nr * sizeof(*f->chk_count));
		memset(f->chk_label, 0, nr * sizeof(*f->chk_label));
	}
	if (f->ext)
		memcpy(f->chk_count, f->ext, nr * sizeof(*f->chk_count));
	f->chk_gen = gen;
}

/* One mapping of f seen in task ti's tables: the live tasks that map a
 * folio are what folio_maybe_mapped_shared() tells apart. */
static void chk_seen(struct mfolio *f, uint32_t gen, size_t ti)
{
	chk_prepare(f, gen);
	if (f->chk_task != ti) {
		f->chk_task = (uint32_t)ti;
		f->chk_mms++;
	}
}

/* Count every mapping of every page by every live task (kpagecount), and
 * for every folio how many tasks map it. */
static void count_mappings(struct run *r)
{
	struct model *m = &r->m;
	uint32_t gen = ++m->chk_gen;
	for (size_t ti = 0; ti < r->t->ntasks; ti++) {
		struct mm *mm = m->tasks[ti].mm;
		if (!mm)
			continue;
		for (unsigned g = 0; g < 256; g++) {
			struct mpud *pud = mm->pgd[g];
			for (unsigned u = 0; pud && u < M_PTRS; u++) {
				struct mpmd *pmd = pud->e[u];
				for (unsigned i = 0; pmd && i < M_PTRS; i++) {
					struct mpmd_ent *pe = &pmd->e[i];
					if (pe->type == MPMD_HUGE) {
						struct mfolio *f =
							m_folio(m, pe->folio);
						chk_seen(f, gen, ti);
						for (unsigned p = 0; f->chk_count &&
						     p < M_PTRS; p++)
							f->chk_count[p]++;
						continue;
					}
					if (pe->type != MPMD_TABLE)
						continue;
					for (unsigned p = 0; p < M_PTRS; p++) {
						uint64_t e = pe->pt->e[p];
						if (MPTE_TYPE(e) != MPTE_PRESENT)
							continue;
						struct mfolio *f = m_folio(m,
							MPTE_ID(e));
						chk_seen(f, gen, ti);
						if (f->chk_count)
							f->chk_count[MPTE_PAGE(e)]++;
					}
				}
			}
		}
	}
}

/* What /proc/PID/status would say, from the task's page tables: pages
 * (anon, shmem/tmpfs), swap entries, and PUD, PMD and PTE tables with the
 * deposited ones (VmPTE). */
static struct counts task_counts(struct model *m, struct mm *mm)
{
	struct counts c = { 0 };
	for (unsigned g = 0; g < 256; g++) {
		struct mpud *pud = mm->pgd[g];
		if (!pud)
			continue;
		c.tables++;
		for (unsigned u = 0; u < M_PTRS; u++) {
			struct mpmd *pmd = pud->e[u];
			if (!pmd)
				continue;
			c.tables++;
			for (unsigned i = 0; i < M_PTRS; i++) {
				struct mpmd_ent *pe = &pmd->e[i];
				c.tables += pe->type == MPMD_TABLE || pe->deposit;
				if (pe->type == MPMD_HUGE) {
					struct mfolio *f = m_folio(m, pe->folio);
					if (f->kind == M_ANON)
						c.anon += M_PTRS;
					else if (f->kind == M_CACHE && f->shmem)
						c.shmem += M_PTRS;
					else if (f->kind == M_CACHE)
						c.file += M_PTRS;
					continue;
				}
				if (pe->type != MPMD_TABLE)
					continue;
				for (unsigned p = 0; p < M_PTRS; p++) {
					uint64_t e = pe->pt->e[p];
					if (MPTE_TYPE(e) == MPTE_SWAP) {
						c.swap++;
						continue;
					}
					if (MPTE_TYPE(e) != MPTE_PRESENT)
						continue;
					struct mfolio *f = m_folio(m, MPTE_ID(e));
					if (f->kind == M_ANON)
						c.anon++;
					else if (f->kind == M_CACHE && f->shmem)
						c.shmem++;
					else if (f->kind == M_CACHE)
						c.file++;
				}
			}
		}
	}
	return c;
}

/* The page records of one region of one task. */
static struct ptv_error *emit_region(struct run *r, const char *label,
				     struct mtask *tk, const char *task,
				     const char *region, uint64_t addr,
				     uint64_t size, uint32_t *next_label)
{
	struct model *m = &r->m;
	for (uint64_t off = 0; off < size; off += M_PAGE) {
		uint64_t a = addr + off;
		struct ptv_replay_page p = {
			.check = label, .task = task, .region = region,
			.off = off,
		};
		unsigned pg;
		bool pmd;
		struct mfolio *f = NULL;
		uint64_t *e = NULL;
		if (m_vma_find(tk->mm, a)) {
			f = folio_at(m, tk->mm, a, &pg, &pmd);
			e = m_pte_lookup(tk->mm, a);
		}
		if (!f) {
			p.state = e && MPTE_TYPE(*e) == MPTE_SWAP ?
				PTV_REPLAY_SWAP : PTV_REPLAY_NONE;
		} else {
			p.state = PTV_REPLAY_PRESENT;
			p.pmd = pmd;
			p.thp = f->order > 0 || f->kind == M_HZERO;
			if (f->kind == M_ZERO) {
				strcpy(p.frame, "zero");
			} else if (f->kind == M_HZERO) {
				strcpy(p.frame, "hzero");
			} else if (f->chk_count) {
				uint32_t *l = &f->chk_label[pg];
				if (!*l)
					*l = ++*next_label;
				snprintf(p.frame, sizeof(p.frame), "F%" PRIu32,
					 *l);
				p.anon = f->kind == M_ANON;
				p.mapcount = f->chk_count[pg];
				if (f->order && m->cfg.pagemap_folio_excl)
					p.exclusive = f->chk_mms == 1 &&
						!f->ext;
				else if (pmd)
					/* 6.1 pagemap_pmd_range(): the head
					 * page's mapcount decides */
					p.exclusive = f->chk_count[0] == 1;
				else
					p.exclusive = p.mapcount == 1;
			}
		}
		struct ptv_error *err = r->sink->page(r->sink->arg, &p);
		if (err)
			return err;
	}
	return NULL;
}

static struct ptv_error *emit_check(struct run *r, const char *label)
{
	struct model *m = &r->m;
	const struct ptv_trace *t = r->t;
	count_mappings(r);
	uint32_t next_label = 0;
	struct ptv_error *err = NULL;
	for (size_t ti = 0; ti < t->ntasks; ti++) {
		struct mtask *tk = &m->tasks[ti];
		if (!tk->mm)
			continue;
		const struct ptv_trace_task *tt = &t->tasks[ti];
		/* a snapshot's VMAs first (every task descends from t0) */
		for (size_t k = 0; k < r->nsnap && !err; k++)
			err = emit_region(r, label, tk, tt->name,
					  r->snap[k].name, r->snap[k].addr,
					  r->snap[k].size, &next_label);
		for (size_t k = 0; k < tt->nregions && !err; k++) {
			const struct ptv_trace_region *rg =
				&t->regions[tt->regions[k]];
			err = emit_region(r, label, tk, tt->name, rg->name,
					  rg->addr, rg->size, &next_label);
		}
		if (err)
			return err;
		/* t0 from a snapshot: relative to the snapshot; a child holds
		 * nothing but what the trace gave it */
		struct counts c = task_counts(m, tk->mm);
		struct counts b = ti == 0 ? r->base : (struct counts){ 0 };
		struct ptv_replay_counters rc = {
			.check = label, .task = tt->name,
			.rss_anon_kb = (c.anon - b.anon) * 4,
			.rss_file_kb = (c.file - b.file) * 4,
			.rss_shmem_kb = (c.shmem - b.shmem) * 4,
			.swap_kb = (c.swap - b.swap) * 4,
			.pgtables_kb = (c.tables - b.tables) * 4,
			.minor = tk->minor, .major = tk->major,
		};
		tk->minor = tk->major = 0;
		if ((err = r->sink->counters(r->sink->arg, &rc)))
			return err;
	}
	return NULL;
}

/* ---- statements ------------------------------------------------------------ */

static struct ptv_error *run_stmt(struct run *r, const struct ptv_trace_stmt *st)
{
	struct model *m = &r->m;
	const struct ptv_trace *t = r->t;
	struct mtask *tk = st->task < t->ntasks ? &m->tasks[st->task] : NULL;
	struct ptv_replay_event ev = {
		.line = st->line, .event = ptv_trace_op_name(st->op),
		.task = tk ? t->tasks[st->task].name : NULL,
	};
	uint64_t minor = 0, major = 0;
	struct ptv_error *err = NULL;
	int64_t ret = 0;
	r->nout = 0;
	switch (st->op) {
	case PTV_TRACE_SET:
		for (size_t i = 0; i < st->nset; i++)
			apply_setting(m, &st->set[i]);
		break;
	case PTV_TRACE_FILE:
		err = do_file(r, st);
		break;
	case PTV_TRACE_MAP:
		err = do_map(r, st, tk);
		break;
	case PTV_TRACE_TOUCH: {
		int f = do_touch(r, tk, st->addr, st->len, st->write, &minor,
				 &major);
		if (f)
			err = ptv_error_create(PTV_ERR_OTHER, "%s:%u: task %s "
				"would be killed by %s (the kernel's answer to "
				"this access)", t->path, st->line, ev.task,
				f & MF_SIGBUS ? "SIGBUS" : "SIGSEGV");
		break;
	}
	case PTV_TRACE_MADVISE: {
		/* the faults GUP takes for populate count for the task */
		uint64_t mi = tk->minor, ma = tk->major;
		ret = m_madvise(m, tk, st->addr, st->len, st->advice);
		minor = tk->minor - mi;
		major = tk->major - ma;
		tk->minor = mi;
		tk->major = ma;
		break;
	}
	case PTV_TRACE_MPROTECT:
		ret = m_mprotect(m, tk->mm, st->addr, st->len, st->prot);
		break;
	case PTV_TRACE_MUNMAP:
		ret = m_munmap(m, tk->mm, st->addr, st->len);
		break;
	case PTV_TRACE_MLOCK:
	case PTV_TRACE_MUNLOCK:
	case PTV_TRACE_PIN:
	case PTV_TRACE_UNPIN: {
		uint64_t mi = tk->minor, ma = tk->major;
		if (st->op == PTV_TRACE_MLOCK || st->op == PTV_TRACE_MUNLOCK)
			ret = m_mlock(m, tk, st->addr, st->len,
				      st->op == PTV_TRACE_MLOCK);
		else
			ret = m_pin(m, tk, st->addr, st->len,
				    st->op == PTV_TRACE_PIN);
		minor = tk->minor - mi;
		major = tk->major - ma;
		tk->minor = mi;
		tk->major = ma;
		break;
	}
	case PTV_TRACE_FORK: {
		struct mtask *child = &m->tasks[st->child];
		child->mm = m_dup_mmap(m, tk->mm);
		child->minor = child->major = 0;
		if (!child->mm)
			err = ptv_enomem;
		break;
	}
	case PTV_TRACE_EXIT:
		m_mm_destroy(m, tk->mm);
		tk->mm = NULL;
		m_note(m, "exit_mmap", "every mapping zapped, every page table "
		       "freed", 0, 0);
		break;
	case PTV_TRACE_CHECK:
		break;
	}
	if (m->oom && !err)
		err = ptv_enomem;
	if (err)
		return err;
	if (tk) {
		tk->minor += minor;
		tk->major += major;
	}
	if (st->op == PTV_TRACE_CHECK)
		return emit_check(r, st->label);
	ev.ret = ret;
	ev.has_faults = tk != NULL;
	ev.minor = minor;
	ev.major = major;
	ev.outcomes = r->out;
	ev.noutcomes = r->nout;
	return r->sink->event(r->sink->arg, &ev);
}

/* A snapshot's settings, where it recorded them. */
static void snapshot_settings(struct m_cfg *c, const struct ptv_snapshot *s)
{
	const struct ptv_snap_settings *st = &s->settings;
	if (st->thp[0])
		c->thp = thp_word(st->thp, c->thp);
	if (st->use_zero_page >= 0)
		c->use_zero_page = st->use_zero_page;
	if (st->max_ptes_none >= 0)
		c->max_ptes_none = (unsigned)st->max_ptes_none;
	if (st->max_ptes_swap >= 0)
		c->max_ptes_swap = (unsigned)st->max_ptes_swap;
	if (st->max_ptes_shared >= 0)
		c->max_ptes_shared = (unsigned)st->max_ptes_shared;
	if (st->fault_around_bytes >= 4096)
		c->fault_around_pages = (unsigned)(st->fault_around_bytes / 4096);
	for (unsigned i = 0; i < 16; i++) {
		unsigned order = i + 1;	/* mthp[i] is hugepages-(8 << i)kB */
		if (order > M_PMD_ORDER || !st->mthp[i][0])
			continue;
		c->mthp[order] = thp_word(st->mthp[i], M_THP_NEVER);
		c->mthp_known[order] = c->mthp_anon || order == M_PMD_ORDER;
	}
	if (s->zero_page_maps >= 0)
		c->zero_page_maps = s->zero_page_maps;
}

/* t0 as the snapshot's process; its VMAs become regions v<start>. */
static struct ptv_error *from_snapshot(struct run *r,
				       const struct ptv_snapshot *s)
{
	struct model *m = &r->m;
	struct ptv_error *err = m_import_snapshot(m, m->tasks[0].mm, s);
	if (err)
		return err;
	r->snap = calloc(s->nvmas ? s->nvmas : 1, sizeof(*r->snap));
	if (!r->snap)
		return ptv_enomem;
	for (size_t i = 0; i < s->nvmas; i++) {
		const struct ptv_snap_vma *v = &s->vmas[i];
		if (v->start >= PTV_TRACE_ADDR_LIMIT)
			continue;
		struct snap_region *sr = &r->snap[r->nsnap++];
		snprintf(sr->name, sizeof(sr->name), "v%" PRIx64, v->start);
		sr->addr = v->start;
		sr->size = v->end - v->start;
	}
	struct counts c = task_counts(m, m->tasks[0].mm);
	r->base = c;
	m_note(m, "ptview snapshot", "t0 starts as the snapshot's process", 0,
	       0);
	return NULL;
}

static void model_free(struct model *m)
{
	for (size_t i = 0; i < PTV_TRACE_MAX_TASKS; i++)
		m_mm_destroy(m, m->tasks[i].mm);
	for (uint32_t i = 1; i < m->nfolios; i++) {
		struct mfolio *f = m->folios[i];
		if (!f)
			continue;
		if (f->order) {
			free(f->mapcount);
			free(f->excl);
			free(f->data);
		}
		if (f->order) {
			free(f->chk_count);
			free(f->chk_label);
		}
		free(f->ext);
		free(f);
	}
	free(m->folios);
	free(m->free_ids);
	free(m->swap);
	for (size_t i = 0; i < m->nobjs; i++) {
		free(m->objs[i]->pc);
		free(m->objs[i]);
	}
	free(m->objs);
}

struct ptv_error *ptv_replay_model(const struct ptv_trace *t,
				   const struct ptv_replay_model_opts *o,
				   const struct ptv_replay_sink *sink)
{
	struct run *r = calloc(1, sizeof(*r));
	if (!r)
		return ptv_enomem;
	r->t = t;
	r->sink = sink;
	struct model *m = &r->m;
	const struct ptv_snapshot *snap = o ? o->from : NULL;
	const char *kernel = o ? o->kernel : NULL;
	if (!kernel && snap)
		kernel = snap->kernel;
	bool zero_known = o && o->zero_page_maps >= 0;
	struct ptv_error *err = m_config(&m->cfg, kernel, !zero_known);
	if (err)
		goto out;
	if (snap)
		snapshot_settings(&m->cfg, snap);
	m->swap_pages = o && o->swap_known ? o->swap_pages : free_swap_pages();
	/* a snapshot's swap entries are in swap whatever this system has */
	for (size_t i = 0; snap && i < snap->npages; i++)
		m->swap_pages += snap->pages[i].state == PTV_SNAP_SWAP;
	if (zero_known)
		m->cfg.zero_page_maps = o->zero_page_maps;
	m->note = note;
	m->note_arg = r;
	struct mfolio *z = m_folio_new(m, M_ZERO, 0);
	struct mfolio *hz = m_folio_new(m, M_HZERO, M_PMD_ORDER);
	if (!z || !hz) {
		err = ptv_enomem;
		goto out;
	}
	m->zero = z->id;
	m->hzero = hz->id;
	if (!(m->tasks[0].mm = m_mm_new(m))) {
		err = ptv_enomem;
		goto out;
	}
	if (snap && (err = from_snapshot(r, snap)))
		goto out;
	for (size_t i = 0; i < t->nstmts && !err; i++)
		err = run_stmt(r, &t->stmts[i]);
	if (!err)
		err = emit_check(r, "end");
out:
	model_free(m);
	free(r->out);
	free(r->snap);
	free(r);
	return err;
}
