/* snapshot-take.c: fill a struct ptv_snapshot from a running process.
 *
 * The pages come from the live source (core/live.c: pagemap, PAGEMAP_SCAN,
 * kpageflags, kpagecount), the VMAs from its /proc/PID/maps, and what maps
 * does not say from smaps (VmFlags, Anonymous), status, stat, sysfs and
 * uname.  The one property of the kernel that no file shows, whether an
 * anonymous read fault maps the zero page (spec/trace.md), is probed here
 * on a page of our own.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/frames.h"
#include "core/kpageflags.h"
#include "core/live.h"
#include "core/page.h"
#include "core/snapshot.h"
#include "core/trace.h"
#include "core/vma.h"

#define THP_DIR "/sys/kernel/mm/transparent_hugepage"

/* Read a small text file; false when it cannot be read. */
static bool read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* The selected word of a sysfs choice file ("always [madvise] never"), or
 * the whole value when nothing is bracketed; "" when unreadable. */
static void sysfs_choice(const char *path, char *out, size_t size)
{
	char buf[256];
	out[0] = '\0';
	if (!read_small(path, buf, sizeof(buf)))
		return;
	const char *lb = strchr(buf, '['), *rb = lb ? strchr(lb, ']') : NULL;
	const char *p = buf;
	size_t n = strcspn(buf, " \n");
	if (lb && rb) {
		p = lb + 1;
		n = (size_t)(rb - p);
	}
	if (n >= size)	/* not something the format holds: unknown */
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

static long long sysfs_number(const char *path, long long unknown)
{
	char buf[64], *end;
	if (!read_small(path, buf, sizeof(buf)))
		return unknown;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno || end == buf || v < 0)
		return unknown;
	return v;
}

static int clamp_int(long long v)
{
	return v > INT32_MAX ? INT32_MAX : (int)v;
}

static void read_settings(struct ptv_snap_settings *st)
{
	sysfs_choice(THP_DIR "/enabled", st->thp, sizeof(st->thp));
	sysfs_choice(THP_DIR "/defrag", st->thp_defrag, sizeof(st->thp_defrag));
	sysfs_choice(THP_DIR "/shmem_enabled", st->shmem_enabled,
		     sizeof(st->shmem_enabled));
	st->use_zero_page = clamp_int(sysfs_number(THP_DIR "/use_zero_page", -1));
	st->max_ptes_none = clamp_int(sysfs_number(
		THP_DIR "/khugepaged/max_ptes_none", -1));
	st->max_ptes_swap = clamp_int(sysfs_number(
		THP_DIR "/khugepaged/max_ptes_swap", -1));
	st->max_ptes_shared = clamp_int(sysfs_number(
		THP_DIR "/khugepaged/max_ptes_shared", -1));
	long long pts = sysfs_number(THP_DIR "/khugepaged/pages_to_scan", 0);
	st->pages_to_scan = pts > UINT32_MAX ? UINT32_MAX : (uint32_t)pts;
	long long fab = sysfs_number("/sys/kernel/debug/fault_around_bytes", 0);
	st->fault_around_bytes = (uint64_t)fab;
	for (unsigned i = 0; i < 16; i++) {
		char path[128];
		snprintf(path, sizeof(path), THP_DIR "/hugepages-%ukB/enabled",
			 8u << i);
		sysfs_choice(path, st->mthp[i], sizeof(st->mthp[i]));
	}
}

/* Read-fault one page of a fresh private anonymous mapping of our own and
 * look at its frame: 1 when it is the shared zero page, 0 when the kernel
 * allocated a page, -1 when it cannot be told (no root, no pagemap). */
static int probe_zero_page(struct ptv_frames *frames, uint64_t page_size)
{
	volatile char *p = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	(void)p[0];
	int result = -1;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t e, flags, count;
	if (fd >= 0 &&
	    pread(fd, &e, 8, (off_t)((uintptr_t)p / page_size) * 8) == 8 &&
	    (e >> 63) && (e & ((UINT64_C(1) << 55) - 1))) {
		struct ptv_error *err = ptv_frames_get(frames,
			e & ((UINT64_C(1) << 55) - 1), 1, &flags, &count);
		if (!err)
			result = (flags & PTV_KPF(ZERO_PAGE)) ? 1 : 0;
		ptv_error_destroy(err);
	}
	if (fd >= 0)
		close(fd);
	munmap((void *)p, page_size);
	return result;
}

static int64_t status_kb(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		long long v;
		if (strncmp(p, key, klen) == 0 &&
		    sscanf(p + klen, " %lld kB", &v) == 1)
			return v;
	}
	return -1;
}

static struct ptv_error *read_counters(struct ptv_live *l, int pid,
				       struct ptv_snap_counters *c)
{
	struct ptv_live_status st;
	struct ptv_error *err = ptv_live_status(l, &st);
	if (err)
		return err;
	c->rss_anon_kb = (int64_t)st.rss_anon_kb;
	c->rss_file_kb = (int64_t)st.rss_file_kb;
	c->rss_shmem_kb = (int64_t)st.rss_shmem_kb;
	c->swap_kb = (int64_t)st.swap_kb;
	c->pgtables_kb = (int64_t)st.pgtables_kb;
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	c->vm_locked_kb = read_small(path, buf, sizeof(buf)) ?
		status_kb(buf, "VmLck:") : -1;
	/* stat: "pid (comm) state ppid ... minflt cminflt majflt": comm may
	 * hold spaces and parentheses, so count fields after the last ')'. */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	const char *rp;
	unsigned long long minflt, majflt;
	if (read_small(path, buf, sizeof(buf)) && (rp = strrchr(buf, ')')) &&
	    sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %*u %llu %*u %llu",
		   &minflt, &majflt) == 2) {
		c->minflt = minflt;
		c->majflt = majflt;
	}
	return NULL;
}

static uint32_t parse_vmflags(const char *p, const char *eol)
{
	uint32_t f = 0;
	while (p + 2 <= eol) {
		while (p < eol && *p == ' ')
			p++;
		if (eol - p < 2)
			break;
		for (unsigned i = 0; ptv_snap_vmflag_name(i); i++) {
			if (memcmp(p, ptv_snap_vmflag_name(i), 2) == 0)
				f |= 1u << i;
		}
		p += 2;
	}
	return f;
}

/* VmFlags and Anonymous from /proc/PID/smaps, matched to the VMAs by start
 * address (the process may have changed its mappings since maps was read:
 * a VMA without an entry keeps vmflags 0). */
static struct ptv_error *read_smaps(int pid, struct ptv_snapshot *s)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return ptv_error_os(errno, "%s", path);
	char *line = NULL;
	size_t cap = 0, vi = 0;
	ssize_t n;
	struct ptv_snap_vma *cur = NULL;
	while ((n = getline(&line, &cap, f)) > 0) {
		const char *eol = line + n;
		unsigned long long start, end;
		int used = 0;
		if (sscanf(line, "%llx-%llx %n", &start, &end, &used) == 2 &&
		    used) {
			while (vi < s->nvmas && s->vmas[vi].start < start)
				vi++;
			cur = vi < s->nvmas && s->vmas[vi].start == start ?
				&s->vmas[vi] : NULL;
		} else if (cur && strncmp(line, "VmFlags:", 8) == 0) {
			cur->vmflags = parse_vmflags(line + 8, eol);
		} else if (cur && strncmp(line, "Anonymous:", 10) == 0) {
			unsigned long long kb;
			if (sscanf(line + 10, " %llu", &kb) == 1 && kb)
				cur->anon_vma = true;
		}
	}
	free(line);
	fclose(f);
	return NULL;
}

static enum ptv_snap_backing snap_backing(enum ptv_backing b)
{
	switch (b) {
	case PTV_BACKING_ANON:
	case PTV_BACKING_HEAP:
		return PTV_SNAP_ANON;
	case PTV_BACKING_SHMEM:
		return PTV_SNAP_SHMEM;
	case PTV_BACKING_FILE:
		return PTV_SNAP_FILE;
	default:
		return PTV_SNAP_SPECIAL;
	}
}

struct ptv_error *ptv_snapshot_copy_vmas(const struct ptv_vma_list *list,
					 struct ptv_snapshot *s)
{
	s->vmas = calloc(list->n ? list->n : 1, sizeof(*s->vmas));
	if (!s->vmas)
		return ptv_enomem;
	for (size_t i = 0; i < list->n; i++) {
		const struct ptv_vma *v = &list->v[i];
		struct ptv_snap_vma *o = &s->vmas[i];
		o->start = v->start;
		o->end = v->end;
		o->pgoff = v->pgoff;
		o->prot = (v->perms[0] == 'r' ? PTV_PROT_R : 0) |
			  (v->perms[1] == 'w' ? PTV_PROT_W : 0) |
			  (v->perms[2] == 'x' ? PTV_PROT_X : 0);
		o->shared = v->perms[3] == 's';
		o->backing = snap_backing(v->backing);
		o->dev = makedev(v->dev_major, v->dev_minor);
		o->ino = v->inode;
		if (v->path && *v->path) {
			o->path = strndup(v->path, PTV_SNAP_MAX_PATH);
			if (!o->path)
				return ptv_enomem;
		}
		s->nvmas = i + 1;
	}
	return NULL;
}

struct ptv_error *ptv_snap_page_vec_push(struct ptv_snap_page_vec *pv,
					  const struct ptv_snap_page *p)
{
	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 4096;
		if (cap > PTV_SNAP_MAX_PAGES)
			cap = PTV_SNAP_MAX_PAGES;
		if (pv->n == cap)
			return ptv_error_create(PTV_ERR_UNSUPPORTED,
				"more than %" PRIu64 " present or swapped pages: "
				"larger than a snapshot holds",
				(uint64_t)PTV_SNAP_MAX_PAGES);
		struct ptv_snap_page *nv = realloc(pv->v, cap * sizeof(*nv));
		if (!nv)
			return ptv_enomem;
		pv->v = nv;
		pv->cap = cap;
	}
	pv->v[pv->n++] = *p;
	return NULL;
}

static struct ptv_error *hidden_error(int pid)
{
	return ptv_error_create(PTV_ERR_PERM,
		"/proc/%d/pagemap: the kernel hides PFNs and swap entries "
		"from processes without CAP_SYS_ADMIN: a snapshot needs root",
		pid);
}

bool ptv_snap_page_from(const struct ptv_page *p, struct ptv_snap_page *o)
{
	memset(o, 0, sizeof(*o));
	o->addr = p->vaddr;
	o->exclusive = ptv_page_is(p, PTV_B_EXCLUSIVE);
	o->soft_dirty = ptv_page_is(p, PTV_B_SOFT_DIRTY);
	o->uffd_wp = ptv_page_is(p, PTV_B_UFFD_WP);
	if (p->state == PTV_STATE_SWAP) {
		o->state = PTV_SNAP_SWAP;
		o->swap_type = (uint32_t)p->swap_type;
		o->swap_off = p->swap_offset;
		return true;
	}
	if (p->state != PTV_STATE_PRESENT)
		return false;
	o->state = PTV_SNAP_PRESENT;
	o->pfn = p->pfn;
	/* No struct page behind the PFN (device memory): say so as the
	 * kernel does for such PFNs. */
	o->kflags = p->has & PTV_HAS_KPAGEFLAGS ? p->kpageflags :
		    PTV_KPF(NOPAGE);
	o->mapcount = p->mapcount > UINT32_MAX ? UINT32_MAX :
		      (uint32_t)p->mapcount;
	o->folio_order = p->has & PTV_HAS_ORDER ? (uint8_t)p->folio_order : 0;
	o->pmd = (p->has & PTV_HAS_LEVEL) && p->level == PTV_LEVEL_PMD;
	o->zero = ptv_page_is(p, PTV_B_ZERO_PAGE);
	o->hzero = ptv_page_is(p, PTV_B_HUGE_ZERO_PAGE);
	return true;
}

static struct ptv_page chunk[PTV_LIVE_CHUNK];

/* Every present or swapped page of vma, appended to pv. */
static struct ptv_error *take_vma(struct ptv_live *l, const struct ptv_vma *vma,
				  struct ptv_snap_vma *svma,
				  struct ptv_snap_page_vec *pv)
{
	struct ptv_error *err;
	for (uint64_t addr = vma->start; addr < vma->end;) {
		uint64_t lo, hi;
		if ((err = ptv_live_next_populated(l, addr, vma->end, &lo, &hi)))
			return err;
		for (addr = lo; addr < hi;) {
			size_t n = (size_t)((hi - addr) >> 12);
			if (n > PTV_LIVE_CHUNK)
				n = PTV_LIVE_CHUNK;
			if ((err = ptv_live_read(l, vma, addr, n,
						 PTV_LIVE_FRAMES, chunk)))
				return err;
			for (size_t i = 0; i < n; i++) {
				struct ptv_snap_page sp;
				if (!ptv_snap_page_from(&chunk[i], &sp))
					continue;
				if ((sp.state == PTV_SNAP_PRESENT && !sp.pfn) ||
				    (sp.state == PTV_SNAP_SWAP && !sp.swap_off))
					return hidden_error(ptv_live_pid(l));
				if ((sp.state == PTV_SNAP_PRESENT &&
				     (sp.kflags & PTV_KPF(ANON)) && !sp.zero &&
				     !sp.hzero) ||
				    (sp.state == PTV_SNAP_SWAP && !svma->shared))
					svma->anon_vma = true;
				if ((err = ptv_snap_page_vec_push(pv, &sp)))
					return err;
			}
			addr += (uint64_t)n << 12;
		}
		addr = hi > addr ? hi : addr;
	}
	return NULL;
}

struct ptv_error *ptv_snapshot_take(pid_t pid, struct ptv_snapshot **ret)
{
	long ps = sysconf(_SC_PAGESIZE);
	if (ps != 4096)	/* core/live.c reads pagemap in 4 KiB pages */
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
			"snapshots need 4 KiB pages; this system has %ld", ps);
	struct ptv_frames *frames = NULL;
	struct ptv_live *l = NULL;
	struct ptv_snap_page_vec pv = { 0 };
	struct ptv_snapshot *s = NULL;
	/* The process first (a missing one is that, whoever asks), then the
	 * frames: without root nothing else is worth reading. */
	struct ptv_error *err = ptv_live_create(pid, &l);
	if (err)
		goto out;
	if ((err = ptv_frames_create(&frames))) {
		err = ptv_error_prefix(err, "a snapshot needs the frames' "
				       "flags and map counts (root)");
		goto out;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		err = ptv_enomem;
		goto out;
	}
	s->version = PTV_SNAP_VERSION;
	s->page_size = (uint64_t)ps;
	s->pid = ptv_live_pid(l);
	snprintf(s->comm, sizeof(s->comm), "%s", ptv_live_comm(l));
	s->taken = (int64_t)time(NULL);
	struct utsname u;
	if (uname(&u) == 0) {
		snprintf(s->kernel, sizeof(s->kernel), "%s", u.release);
		snprintf(s->machine, sizeof(s->machine), "%s", u.machine);
	}
	read_settings(&s->settings);
	s->zero_page_maps = probe_zero_page(frames, (uint64_t)ps);
	s->counters = (struct ptv_snap_counters){
		-1, -1, -1, -1, -1, -1, 0, 0 };
	if ((err = read_counters(l, s->pid, &s->counters)))
		goto out;
	const struct ptv_vma_list *vmas = ptv_live_vmas(l);
	if ((err = ptv_snapshot_copy_vmas(vmas, s)) ||
	    (err = read_smaps(s->pid, s)))
		goto out;
	for (size_t i = 0; i < vmas->n; i++) {
		if ((err = take_vma(l, &vmas->v[i], &s->vmas[i], &pv)))
			goto out;
	}
	if (ptv_live_pfns_hidden(l)) {
		err = hidden_error(s->pid);
		goto out;
	}
	s->pages = pv.v;
	s->npages = pv.n;
	pv.v = NULL;
	*ret = s;
	s = NULL;
out:
	free(pv.v);
	ptv_snapshot_destroy(s);
	ptv_live_destroy(l);
	ptv_frames_destroy(frames);
	return err;
}
