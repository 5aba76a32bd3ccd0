/* live-rmap.c: PFN -> mappings from the pagemaps of live processes. */
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/live-rmap.h"
#include "core/live.h"
#include "core/page.h"

struct task_name {
	int pid;
	char comm[32];
};

struct ptv_live_rmap {
	struct ptv_live_mapping *v;
	size_t n, cap;
	struct task_name *tasks;
	size_t ntasks, tcap;
};

static struct ptv_page chunk[PTV_LIVE_CHUNK];

static int add(struct ptv_live_rmap *r, uint64_t pfn, uint64_t vaddr, int pid,
	       int pmd)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		struct ptv_live_mapping *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct ptv_live_mapping){ pfn, vaddr, pid, pmd };
	return 0;
}

static struct ptv_error *scan_pid(struct ptv_live_rmap *r, int pid,
				  int *hidden)
{
	struct ptv_live *l;
	struct ptv_error *err = ptv_live_create(pid, &l);
	if (err)
		return err;
	if (r->ntasks == r->tcap) {
		size_t cap = r->tcap ? r->tcap * 2 : 64;
		struct task_name *t = realloc(r->tasks, cap * sizeof(*t));
		if (!t) {
			ptv_live_destroy(l);
			return ptv_enomem;
		}
		r->tasks = t;
		r->tcap = cap;
	}
	struct task_name *tn = &r->tasks[r->ntasks++];
	tn->pid = ptv_live_pid(l);
	snprintf(tn->comm, sizeof(tn->comm), "%s", ptv_live_comm(l));
	const struct ptv_vma_list *vmas = ptv_live_vmas(l);
	for (size_t i = 0; !err && i < vmas->n; i++) {
		const struct ptv_vma *vma = &vmas->v[i];
		for (uint64_t addr = vma->start; !err && addr < vma->end;) {
			uint64_t lo, hi;
			err = ptv_live_next_populated(l, addr, vma->end, &lo, &hi);
			for (addr = lo; !err && addr < hi;) {
				size_t n = (size_t)((hi - addr) >> 12);
				if (n > PTV_LIVE_CHUNK)
					n = PTV_LIVE_CHUNK;
				err = ptv_live_read(l, vma, addr, n, 0, chunk);
				for (size_t j = 0; !err && j < n; j++) {
					const struct ptv_page *p = &chunk[j];
					if (p->state != PTV_STATE_PRESENT ||
					    ptv_page_is(p, PTV_B_ZERO_PAGE) ||
					    ptv_page_is(p, PTV_B_HUGE_ZERO_PAGE))
						continue;
					if (!(p->has & PTV_HAS_PFN)) {
						*hidden = 1;
						continue;
					}
					if (add(r, p->pfn, p->vaddr, tn->pid,
						(p->has & PTV_HAS_LEVEL) &&
						p->level == PTV_LEVEL_PMD))
						err = ptv_enomem;
				}
				addr += (uint64_t)n << 12;
			}
			if (hi <= lo)
				break;
		}
	}
	ptv_live_destroy(l);
	return err;
}

static int by_pfn(const void *a, const void *b)
{
	const struct ptv_live_mapping *x = a, *y = b;
	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

struct ptv_error *ptv_live_rmap_build(const int *pids, size_t npids,
				      struct ptv_live_rmap **ret)
{
	struct ptv_live_rmap *r = calloc(1, sizeof(*r));
	if (!r)
		return ptv_enomem;
	int hidden = 0;
	struct ptv_error *err = NULL;
	if (npids) {
		for (size_t i = 0; !err && i < npids; i++)
			err = scan_pid(r, pids[i], &hidden);
	} else {
		DIR *d = opendir("/proc");
		if (!d)
			err = ptv_error_os(errno, "/proc");
		struct dirent *de;
		while (!err && d && (de = readdir(d))) {
			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			struct ptv_error *e = scan_pid(r, atoi(de->d_name),
						       &hidden);
			/* processes come and go; kernel threads have no mm */
			if (e && (e->code == PTV_ERR_NO_SUCH_TASK ||
				  e->code == PTV_ERR_PERM))
				ptv_error_destroy(e);
			else
				err = e;
		}
		if (d)
			closedir(d);
	}
	if (!err && hidden)
		err = ptv_error_create(PTV_ERR_PERM,
			"/proc/PID/pagemap: the kernel hides PFNs from processes "
			"without CAP_SYS_ADMIN: a reverse map needs root");
	if (err) {
		ptv_live_rmap_destroy(r);
		return err;
	}
	qsort(r->v, r->n, sizeof(*r->v), by_pfn);
	*ret = r;
	return NULL;
}

void ptv_live_rmap_destroy(struct ptv_live_rmap *r)
{
	if (!r)
		return;
	free(r->v);
	free(r->tasks);
	free(r);
}

void ptv_live_rmap_lookup(const struct ptv_live_rmap *r, uint64_t pfn,
			  const struct ptv_live_mapping **first_ret,
			  size_t *n_ret)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {	/* the first entry with pfn >= the one asked */
		size_t mid = lo + (hi - lo) / 2;
		if (r->v[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < r->n && r->v[end].pfn == pfn)
		end++;
	*first_ret = r->v + lo;
	*n_ret = end - lo;
}

const char *ptv_live_rmap_comm(const struct ptv_live_rmap *r, int pid)
{
	for (size_t i = 0; i < r->ntasks; i++)
		if (r->tasks[i].pid == pid)
			return r->tasks[i].comm;
	return "";
}

size_t ptv_live_rmap_tasks(const struct ptv_live_rmap *r) { return r->ntasks; }
size_t ptv_live_rmap_size(const struct ptv_live_rmap *r) { return r->n; }

int ptv_live_rmap_at(const struct ptv_live_rmap *r, int pid, uint64_t vaddr,
		     uint64_t *pfn_ret)
{
	vaddr &= ~UINT64_C(0xfff);
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].pid == pid && r->v[i].vaddr == vaddr) {
			*pfn_ret = r->v[i].pfn;
			return 1;
		}
	return 0;
}
