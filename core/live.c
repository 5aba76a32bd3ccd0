/* live.c: a running process through /proc/PID/{maps,pagemap,status}.
 *
 * The pagemap entry format is fs/proc/task_mmu.c's (pte_to_pagemap_entry(),
 * Documentation/admin-guide/mm/pagemap.rst): bit 63 present, 62 swapped,
 * 61 file-page or shared-anon, 57 uffd-wp, 56 exclusively mapped
 * (PM_MMAP_EXCLUSIVE, since 4.2), 55 soft-dirty, 0-54 PFN or, for swap,
 * type in 0-4 and offset in 5-54.  PFNs and swap entries read as zero
 * without CAP_SYS_ADMIN (since 4.2).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/error.h"
#include "core/frames.h"
#include "core/kpageflags.h"
#include "core/live.h"
#include "core/page.h"
#include "core/summary.h"

#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAP (UINT64_C(1) << 62)
#define PM_FILE (UINT64_C(1) << 61)
#define PM_UFFD_WP (UINT64_C(1) << 57)
#define PM_MMAP_EXCLUSIVE (UINT64_C(1) << 56)
#define PM_SOFT_DIRTY (UINT64_C(1) << 55)
#define PM_PFN_MASK ((UINT64_C(1) << 55) - 1)

/* PAGEMAP_SCAN (include/uapi/linux/fs.h, Linux 6.7, commit 52526ca7fdb9).
 * Declared here because the build host's headers may predate it; the ABI
 * is fixed by the size field. */
struct pm_scan_arg_v1 {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask;
	uint64_t return_mask;
};
struct page_region_v1 {
	uint64_t start, end, categories;
};
#define PTV_PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg_v1)
#define PAGE_IS_FILE (1u << 2)
#define PAGE_IS_PRESENT (1u << 3)
#define PAGE_IS_SWAPPED (1u << 4)
#define PAGE_IS_PFNZERO (1u << 5)
#define PAGE_IS_HUGE (1u << 6)

#define TMPFS_MAGIC_ 0x01021994

struct ptv_live {
	int pid;
	char procdir[32];	/* "/proc/PID" */
	char pagemap_path[48];
	int pagemap_fd;
	char comm[32];
	struct ptv_vma_list vmas;
	int scan;		/* 1 works, 0 untried, -1 not in this kernel */
	bool pfns_hidden;
	struct ptv_frames *frames;	/* NULL when unreadable */
	bool frames_tried;
	uint64_t pm[PTV_LIVE_CHUNK];
	uint8_t cat[PTV_LIVE_CHUNK];
	struct page_region_v1 regions[PTV_LIVE_CHUNK];
	struct ptv_page pages[PTV_LIVE_CHUNK];	/* for ptv_live_summarize() */
	/* ptv_live_next_populated(): the last PAGEMAP_SCAN answer */
	struct page_region_v1 pop[1024];
	size_t npop;
	uint64_t pop_start, pop_walk_end;
};

/* Map an open/read failure on a /proc file to the error users need. */
static struct ptv_error *proc_error(const struct ptv_live *l, int errnum,
				    const char *path)
{
	if (errnum == ENOENT || errnum == ESRCH)
		return ptv_error_create(PTV_ERR_NO_SUCH_TASK,
					"%s: no such process %d (or it exited)",
					path, l->pid);
	return ptv_error_os(errnum, "%s", path);
}

/* A failed PAGEMAP_SCAN: the process exited, or the kernel said no. */
static struct ptv_error *scan_error(const struct ptv_live *l, int errnum,
				    uint64_t start, uint64_t end)
{
	if (errnum == ESRCH || errnum == ENOENT)
		return ptv_error_create(PTV_ERR_NO_SUCH_TASK,
			"%s: process %d exited while it was read",
			l->pagemap_path, l->pid);
	return ptv_error_os(errnum, "%s: PAGEMAP_SCAN 0x%llx-0x%llx",
			    l->pagemap_path, (unsigned long long)start,
			    (unsigned long long)end);
}

/* Read a whole /proc file into a NUL-terminated buffer the caller frees. */
static struct ptv_error *slurp(const struct ptv_live *l, const char *path,
			       char **buf_ret, size_t *len_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return proc_error(l, errno, path);
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return ptv_enomem;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return ptv_enomem;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return proc_error(l, e, path);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*buf_ret = buf;
	*len_ret = len;
	return NULL;
}

/* Files on tmpfs are shmem inside the kernel (shmem_file_operations); maps
 * shows them as plain paths.  Ask the file system, through map_files when
 * allowed (it reaches deleted files too), else through the path, and only
 * believe it when the inode matches. */
static void refine_backing(const struct ptv_live *l, struct ptv_vma *vma)
{
	if (vma->backing != PTV_BACKING_FILE || !vma->path)
		return;
	char mf[96];
	snprintf(mf, sizeof(mf), "%s/map_files/%" PRIx64 "-%" PRIx64,
		 l->procdir, vma->start, vma->end);
	const char *tries[2] = { mf, vma->path };
	for (int i = 0; i < 2; i++) {
		struct stat st;
		struct statfs sfs;
		if (stat(tries[i], &st) == 0 && st.st_ino == vma->inode &&
		    statfs(tries[i], &sfs) == 0) {
			if (sfs.f_type == TMPFS_MAGIC_)
				vma->backing = PTV_BACKING_SHMEM;
			return;
		}
	}
}

struct ptv_error *ptv_live_create(int pid, struct ptv_live **ret)
{
	struct ptv_live *l = calloc(1, sizeof(*l));
	if (!l)
		return ptv_enomem;
	l->pid = pid ? pid : (int)getpid();
	l->pagemap_fd = -1;
	ptv_vma_list_init(&l->vmas);
	snprintf(l->procdir, sizeof(l->procdir), "/proc/%d", l->pid);
	snprintf(l->pagemap_path, sizeof(l->pagemap_path), "%s/pagemap",
		 l->procdir);

	char path[64], *text = NULL;
	size_t len;
	struct ptv_error *err;
	snprintf(path, sizeof(path), "%s/comm", l->procdir);
	if ((err = slurp(l, path, &text, &len)))
		goto fail;
	while (len && text[len - 1] == '\n')
		text[--len] = '\0';
	snprintf(l->comm, sizeof(l->comm), "%s", text);
	free(text);

	snprintf(path, sizeof(path), "%s/maps", l->procdir);
	if ((err = slurp(l, path, &text, &len)))
		goto fail;
	err = ptv_maps_parse(text, len, path, &l->vmas);
	free(text);
	if (err)
		goto fail;
	for (size_t i = 0; i < l->vmas.n; i++)
		refine_backing(l, &l->vmas.v[i]);

	l->pagemap_fd = open(l->pagemap_path, O_RDONLY | O_CLOEXEC);
	if (l->pagemap_fd < 0) {
		err = errno == ENOENT && access(l->procdir, F_OK) == 0 ?
			ptv_error_create(PTV_ERR_UNSUPPORTED,
				"%s: this kernel has no pagemap "
				"(CONFIG_PROC_PAGE_MONITOR is off)",
				l->pagemap_path) :
			proc_error(l, errno, l->pagemap_path);
		goto fail;
	}
	*ret = l;
	return NULL;
fail:
	ptv_live_destroy(l);
	return err;
}

void ptv_live_destroy(struct ptv_live *l)
{
	if (!l)
		return;
	if (l->pagemap_fd >= 0)
		close(l->pagemap_fd);
	ptv_frames_destroy(l->frames);
	ptv_vma_list_deinit(&l->vmas);
	free(l);
}

int ptv_live_pid(const struct ptv_live *l) { return l->pid; }
const char *ptv_live_comm(const struct ptv_live *l) { return l->comm; }
const struct ptv_vma_list *ptv_live_vmas(const struct ptv_live *l)
{
	return &l->vmas;
}
bool ptv_live_pfns_hidden(const struct ptv_live *l) { return l->pfns_hidden; }
bool ptv_live_frames_readable(const struct ptv_live *l)
{
	return l->frames != NULL;
}
bool ptv_live_has_scan(const struct ptv_live *l) { return l->scan > 0; }

static int status_field(const char *text, const char *key, uint64_t *ret)
{
	const char *p = strstr(text, key);
	if (!p || (p != text && p[-1] != '\n'))
		return 0;
	p += strlen(key);
	unsigned long long v;
	if (sscanf(p, " %llu kB", &v) != 1)
		return 0;
	*ret = v;
	return 1;
}

struct ptv_error *ptv_live_status(struct ptv_live *l,
				  struct ptv_live_status *ret)
{
	char path[64], *text;
	size_t len;
	snprintf(path, sizeof(path), "%s/status", l->procdir);
	struct ptv_error *err = slurp(l, path, &text, &len);
	if (err)
		return err;
	struct ptv_live_status st = { 0 };
	/* Kernel threads and zombies have no mm and no such lines. */
	status_field(text, "RssAnon:", &st.rss_anon_kb);
	status_field(text, "RssFile:", &st.rss_file_kb);
	status_field(text, "RssShmem:", &st.rss_shmem_kb);
	status_field(text, "VmSwap:", &st.swap_kb);
	status_field(text, "VmPTE:", &st.pgtables_kb);
	free(text);
	*ret = st;
	return NULL;
}

/* Read n entries from addr into l->pm; *valid_ret is how many the kernel
 * had (the rest lie above the user address space and read as holes). */
static struct ptv_error *read_pagemap(struct ptv_live *l, uint64_t addr,
				      size_t n, size_t *valid_ret)
{
	size_t done = 0;
	while (done < n) {
		off_t off = (off_t)((addr >> 12) + done) * 8;
		ssize_t r = pread(l->pagemap_fd, (char *)l->pm + done * 8,
				  (n - done) * 8, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == ESRCH || errno == ENOENT))
			return proc_error(l, errno, l->pagemap_path);
		if (r < 0)
			return ptv_error_os(errno, "%s: offset 0x%llx",
					    l->pagemap_path,
					    (unsigned long long)off);
		if (r == 0) {
			/* pagemap_read() ends at the top of the user address
			 * space ([vsyscall] lies above it) and when the mm is
			 * gone.  Entry 0 tells the two apart. */
			uint64_t probe;
			if (pread(l->pagemap_fd, &probe, 8, 0) != 8)
				return ptv_error_create(PTV_ERR_NO_SUCH_TASK,
					"%s: process %d exited while it was read",
					l->pagemap_path, l->pid);
			memset(l->pm + done, 0, (n - done) * 8);
			break;
		}
		done += (size_t)r / 8;
	}
	*valid_ret = done;
	return NULL;
}

/* One PAGEMAP_SCAN pass over [start, end): the kernel returns the ranges of
 * pages in any of the anyof categories, merged while their categories
 * (masked by ret_mask) stay equal, and skips everything else
 * (pagemap_scan_is_interesting_page(), Linux 6.7).  fn is called for each
 * range.  Sets l->scan to -1 when the kernel has no PAGEMAP_SCAN. */
static struct ptv_error *scan_ranges(struct ptv_live *l, uint64_t start,
				     uint64_t end, uint64_t anyof,
				     uint64_t ret_mask,
				     void (*fn)(void *arg,
						const struct page_region_v1 *r),
				     void *arg)
{
	while (start < end && l->scan >= 0) {
		struct pm_scan_arg_v1 sa = {
			.size = sizeof(sa),
			.start = start,
			.end = end,
			.vec = (uintptr_t)l->regions,
			.vec_len = PTV_LIVE_CHUNK,
			.category_anyof_mask = anyof,
			.return_mask = ret_mask,
		};
		int r = ioctl(l->pagemap_fd, PTV_PAGEMAP_SCAN, &sa);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (l->scan == 0 && (errno == ENOTTY || errno == EINVAL ||
					     errno == EOPNOTSUPP)) {
				l->scan = -1;
				return NULL;
			}
			return scan_error(l, errno, start, end);
		}
		l->scan = 1;
		for (int i = 0; i < r; i++)
			fn(arg, &l->regions[i]);
		if (sa.walk_end <= start)	/* no progress: never loop */
			break;
		start = sa.walk_end;
	}
	return NULL;
}

struct cat_fill {
	uint8_t *cat;
	uint64_t addr, end;
};

static void cat_fill_region(void *arg, const struct page_region_v1 *reg)
{
	struct cat_fill *cf = arg;
	uint64_t lo = reg->start < cf->addr ? cf->addr : reg->start;
	uint64_t hi = reg->end > cf->end ? cf->end : reg->end;
	for (uint64_t a = lo; a < hi; a += 4096)
		cf->cat[(a - cf->addr) >> 12] = (uint8_t)reg->categories;
}

/* Mark PMD-mapped and zero-page ranges in l->cat, asking only for pages in
 * those categories so that the kernel skips the rest. */
static struct ptv_error *read_scan(struct ptv_live *l, uint64_t addr, size_t n)
{
	struct cat_fill cf = { l->cat, addr, addr + (uint64_t)n * 4096 };
	return scan_ranges(l, addr, cf.end, PAGE_IS_PFNZERO | PAGE_IS_HUGE,
			   PAGE_IS_PFNZERO | PAGE_IS_HUGE, cat_fill_region, &cf);
}

/* Count how many PFNs after pm[i] follow it contiguously: the read-ahead
 * for the frame files. */
static size_t pfn_run(const uint64_t *pm, size_t i, size_t n)
{
	size_t run = 1;
	uint64_t pfn = pm[i] & PM_PFN_MASK;
	while (i + run < n && (pm[i + run] & PM_PRESENT) &&
	       (pm[i + run] & PM_PFN_MASK) == pfn + run && run < 4096)
		run++;
	return run;
}

static struct ptv_error *fill_frame(struct ptv_live *l, struct ptv_page *p,
				    size_t run)
{
	uint64_t flags, count, head;
	unsigned order;
	struct ptv_error *err = ptv_frames_get(l->frames, p->pfn, run, &flags,
					       &count);
	if (err) {
		if (err->code != PTV_ERR_NO_MEMORY)
			return err;
		ptv_error_destroy(err);	/* device memory: no struct page */
		return NULL;
	}
	p->has |= PTV_HAS_KPAGEFLAGS | PTV_HAS_KPAGECOUNT;
	p->kpageflags = flags;
	p->mapcount = count;
	bool zero = flags & PTV_KPF(ZERO_PAGE);
	bool compound = flags & (PTV_KPF(COMPOUND_HEAD) | PTV_KPF(COMPOUND_TAIL));
	/* stable_page_flags() marks the huge zero page ZERO_PAGE and THP. */
	bool hzero = zero && (flags & PTV_KPF(THP));
	ptv_page_set(p, PTV_B_ZERO_PAGE, zero && !hzero);
	ptv_page_set(p, PTV_B_HUGE_ZERO_PAGE, hzero);
	ptv_page_set(p, PTV_B_THP, compound || hzero);
	ptv_page_set(p, PTV_B_KSM, flags & PTV_KPF(KSM));
	if (zero || hzero) {
		ptv_page_set(p, PTV_B_ANON, false);
		ptv_page_set(p, PTV_B_SHMEM, false);
	}
	if (compound) {
		ptv_page_set(p, PTV_B_THP_HEAD, flags & PTV_KPF(COMPOUND_HEAD));
		err = ptv_frames_folio(l->frames, p->pfn, flags, &head, &order);
		if (err == ptv_not_found)
			return NULL;
		if (err)
			return err;
		p->has |= PTV_HAS_ORDER;
		p->folio_order = order;
	}
	return NULL;
}

struct ptv_error *ptv_live_read(struct ptv_live *l, const struct ptv_vma *vma,
				uint64_t addr, size_t n, unsigned flags,
				struct ptv_page *pages)
{
	if (n > PTV_LIVE_CHUNK || addr < vma->start ||
	    addr + (uint64_t)n * 4096 > vma->end)
		return ptv_error_create(PTV_ERR_USAGE,
					"ptv_live_read: range outside the VMA");
	size_t valid = 0;
	struct ptv_error *err = read_pagemap(l, addr, n, &valid);
	if (err)
		return err;
	memset(l->cat, 0, n);
	if (valid && (err = read_scan(l, addr, valid)))
		return err;
	bool normal = ptv_vma_has_normal_pages(vma);
	bool shmem_vma = vma->backing == PTV_BACKING_SHMEM;
	if ((flags & PTV_LIVE_FRAMES) && !l->frames_tried) {
		l->frames_tried = true;
		err = ptv_frames_create(&l->frames);
		ptv_error_destroy(err);	/* unreadable: frames stay unknown */
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t e = l->pm[i];
		struct ptv_page *p = &pages[i];
		memset(p, 0, sizeof(*p));
		p->vaddr = addr + (uint64_t)i * 4096;
		if (!(e & (PM_PRESENT | PM_SWAP))) {
			p->state = PTV_STATE_NONE;
			continue;
		}
		ptv_page_set(p, PTV_B_SOFT_DIRTY, e & PM_SOFT_DIRTY);
		ptv_page_set(p, PTV_B_UFFD_WP, e & PM_UFFD_WP);
		ptv_page_set(p, PTV_B_EXCLUSIVE, e & PM_MMAP_EXCLUSIVE);
		if (e & PM_SWAP) {
			p->state = PTV_STATE_SWAP;
			uint64_t type = e & 0x1f, off = (e & PM_PFN_MASK) >> 5;
			/* Slot 0 holds the swap header, so offset 0 means the
			 * kernel hid the entry. */
			if (off) {
				p->has |= PTV_HAS_SWAP;
				p->swap_type = type;
				p->swap_offset = off;
			} else {
				l->pfns_hidden = true;
			}
			continue;
		}
		p->state = PTV_STATE_PRESENT;
		p->pfn = e & PM_PFN_MASK;
		if (p->pfn)
			p->has |= PTV_HAS_PFN;
		else
			l->pfns_hidden = true;
		bool zero = false;
		if (l->scan > 0) {
			bool huge = l->cat[i] & PAGE_IS_HUGE;
			zero = l->cat[i] & PAGE_IS_PFNZERO;
			p->has |= PTV_HAS_LEVEL;
			p->level = huge ? PTV_LEVEL_PMD : PTV_LEVEL_PTE;
			ptv_page_set(p, PTV_B_ZERO_PAGE, zero && !huge);
			ptv_page_set(p, PTV_B_HUGE_ZERO_PAGE, zero && huge);
			if (huge)
				ptv_page_set(p, PTV_B_THP, true);
		}
		bool anon = normal && !zero && !(e & PM_FILE);
		ptv_page_set(p, PTV_B_ANON, anon);
		ptv_page_set(p, PTV_B_SHMEM, !anon && !zero && shmem_vma);
		if (l->frames && (p->has & PTV_HAS_PFN) &&
		    (err = fill_frame(l, p, pfn_run(l->pm, i, n))))
			return err;
	}
	return NULL;
}

struct sum_fill {
	const struct ptv_vma *vma;
	struct ptv_summary *sum;
	uint64_t lo, hi;
};

/* A page record for a range of pages that PAGEMAP_SCAN put in the same
 * categories: the fields a summary reads, classified as ptv_live_read()
 * classifies a page. */
static void sum_fill_region(void *arg, const struct page_region_v1 *reg)
{
	struct sum_fill *sf = arg;
	uint64_t lo = reg->start < sf->lo ? sf->lo : reg->start;
	uint64_t hi = reg->end > sf->hi ? sf->hi : reg->end;
	if (lo >= hi)
		return;
	struct ptv_page p;
	memset(&p, 0, sizeof(p));
	p.vaddr = lo;
	uint64_t c = reg->categories;
	if (c & PAGE_IS_PRESENT) {
		bool huge = c & PAGE_IS_HUGE, zero = c & PAGE_IS_PFNZERO;
		bool anon = ptv_vma_has_normal_pages(sf->vma) && !zero &&
			    !(c & PAGE_IS_FILE);
		p.state = PTV_STATE_PRESENT;
		p.has = PTV_HAS_LEVEL;
		p.level = huge ? PTV_LEVEL_PMD : PTV_LEVEL_PTE;
		ptv_page_set(&p, PTV_B_ZERO_PAGE, zero && !huge);
		ptv_page_set(&p, PTV_B_HUGE_ZERO_PAGE, zero && huge);
		ptv_page_set(&p, PTV_B_ANON, anon);
		ptv_page_set(&p, PTV_B_SHMEM, !anon && !zero &&
			     sf->vma->backing == PTV_BACKING_SHMEM);
	} else {
		p.state = PTV_STATE_SWAP;
	}
	ptv_summary_add_pages(sf->sum, sf->vma, &p, (hi - lo) >> 12);
}

struct ptv_error *ptv_live_summarize(struct ptv_live *l,
				     const struct ptv_vma *vma, uint64_t lo,
				     uint64_t hi, struct ptv_summary *sum)
{
	size_t valid = 1;
	/* Ranges above the user address space ([vsyscall]) have no
	 * entries; pagemap tells, PAGEMAP_SCAN would fail with EFAULT. */
	struct ptv_error *err = read_pagemap(l, lo, 1, &valid);
	if (err)
		return err;
	if (valid && l->scan >= 0) {
		struct ptv_summary part = { 0 };
		struct sum_fill sf = { vma, &part, lo, hi };
		err = scan_ranges(l, lo, hi, PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
				  PAGE_IS_PRESENT | PAGE_IS_SWAPPED |
				  PAGE_IS_FILE | PAGE_IS_PFNZERO | PAGE_IS_HUGE,
				  sum_fill_region, &sf);
		if (err)
			return err;
		if (l->scan > 0) {
			part.pages = (hi - lo) >> 12;	/* holes included */
			ptv_summary_add(sum, &part);
			return NULL;
		}
	}
	/* No PAGEMAP_SCAN: page by page from pagemap. */
	for (uint64_t addr = lo; addr < hi;) {
		size_t n = (size_t)((hi - addr) >> 12);
		if (n > PTV_LIVE_CHUNK)
			n = PTV_LIVE_CHUNK;
		if ((err = ptv_live_read(l, vma, addr, n, 0, l->pages)))
			return err;
		for (size_t i = 0; i < n; i++)
			ptv_summary_add_page(sum, vma, &l->pages[i]);
		addr += (uint64_t)n << 12;
	}
	return NULL;
}

struct ptv_error *ptv_live_next_populated(struct ptv_live *l, uint64_t addr,
					  uint64_t hi, uint64_t *lo_ret,
					  uint64_t *hi_ret)
{
	while (addr < hi) {
		if (l->scan < 0)
			break;
		/* Refill unless the cached answer covers addr. */
		if (!(addr >= l->pop_start && addr < l->pop_walk_end)) {
			struct pm_scan_arg_v1 sa = {
				.size = sizeof(sa),
				.start = addr,
				.end = hi,
				.vec = (uintptr_t)l->pop,
				.vec_len = sizeof(l->pop) / sizeof(l->pop[0]),
				.category_anyof_mask = PAGE_IS_PRESENT |
						       PAGE_IS_SWAPPED,
				.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			};
			int r = ioctl(l->pagemap_fd, PTV_PAGEMAP_SCAN, &sa);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && l->scan == 0 &&
			    (errno == ENOTTY || errno == EINVAL ||
			     errno == EOPNOTSUPP)) {
				l->scan = -1;
				break;
			}
			if (r < 0 && errno == EFAULT)
				break;	/* above the user address space */
			if (r < 0)
				return scan_error(l, errno, addr, hi);
			l->scan = 1;
			l->npop = (size_t)r;
			l->pop_start = addr;
			l->pop_walk_end = sa.walk_end > addr ? sa.walk_end : hi;
		}
		size_t i = 0;
		while (i < l->npop && l->pop[i].end <= addr)
			i++;
		if (i == l->npop) {	/* nothing more before walk_end */
			addr = l->pop_walk_end;
			continue;
		}
		uint64_t lo = l->pop[i].start > addr ? l->pop[i].start : addr;
		uint64_t end = l->pop[i].end;
		while (i + 1 < l->npop && l->pop[i + 1].start == end)
			end = l->pop[++i].end;
		*lo_ret = lo;
		*hi_ret = end < hi ? end : hi;
		return NULL;
	}
	if (addr < hi) {	/* no PAGEMAP_SCAN: everything may be populated */
		*lo_ret = addr;
		*hi_ret = hi;
	} else {
		*lo_ret = *hi_ret = hi;
	}
	return NULL;
}

/* Is addr of pid mapped to the shared zero page?  PAGEMAP_SCAN's
 * PAGE_IS_PFNZERO needs no privilege (PFNs are hidden, categories are
 * not).  1 yes, 0 no, -1 cannot tell (no PAGEMAP_SCAN, no such process). */
int ptv_live_is_zero_page(int pid, uint64_t addr)
{
	char path[48];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct page_region_v1 reg;
	struct pm_scan_arg_v1 sa = {
		.size = sizeof(sa), .start = addr, .end = addr + 4096,
		.vec = (uintptr_t)&reg, .vec_len = 1,
		.category_anyof_mask = PAGE_IS_PFNZERO | PAGE_IS_PRESENT,
		.return_mask = PAGE_IS_PFNZERO | PAGE_IS_PRESENT,
	};
	int r = ioctl(fd, PTV_PAGEMAP_SCAN, &sa);
	close(fd);
	if (r < 0)
		return -1;
	if (r == 0 || !(reg.categories & PAGE_IS_PRESENT))
		return -1;
	return (reg.categories & PAGE_IS_PFNZERO) != 0;
}
