/* frames.c: batched reads of /proc/kpageflags and /proc/kpagecount, and
 * large-folio boundaries (fs/proc/page.c: stable_page_flags() sets
 * COMPOUND_HEAD on a folio's first page and COMPOUND_TAIL on the others). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/error.h"
#include "core/frames.h"
#include "core/kpageflags.h"

#define WINDOW 4096		/* entries read ahead at most */
#define MAX_FOLIO_ORDER 18	/* 1 GiB: the largest folio we look for */

struct window {
	int fd;
	const char *path;
	uint64_t base;		/* first PFN held */
	size_t n;		/* entries held */
	uint64_t v[WINDOW];
};

struct ptv_frames {
	struct window flags, count;
	uint64_t folio_head;	/* the last folio found, for the next page */
	uint64_t folio_nr;
	uint64_t scratch[512];
};

static struct ptv_error *window_open(struct window *w, const char *path)
{
	w->path = path;
	w->n = 0;
	w->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (w->fd < 0)
		return ptv_error_os(errno, "%s", path);
	return NULL;
}

/* Read up to n entries from pfn into buf; *got_ret is how many exist. */
static struct ptv_error *read_entries(int fd, const char *path, uint64_t pfn,
				      uint64_t *buf, size_t n, size_t *got_ret)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done * 8, (n - done) * 8,
				  (off_t)((pfn + done) * 8));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return ptv_error_os(errno, "%s: offset %llu", path,
					    (unsigned long long)(pfn + done) * 8);
		}
		if (r == 0)
			break;
		done += (size_t)r / 8;
		if (r % 8)
			return ptv_error_create(PTV_ERR_FORMAT,
						"%s: short read at offset %llu",
						path, (unsigned long long)pfn * 8);
	}
	*got_ret = done;
	return NULL;
}

static struct ptv_error *window_get(struct window *w, uint64_t pfn, size_t run,
				    uint64_t *ret)
{
	if (pfn < w->base || pfn >= w->base + w->n) {
		size_t want = run < 1 ? 1 : run > WINDOW ? WINDOW : run;
		size_t got;
		struct ptv_error *err = read_entries(w->fd, w->path, pfn, w->v,
						     want, &got);
		if (err)
			return err;
		w->base = pfn;
		w->n = got;
		if (!got)
			return ptv_error_create(PTV_ERR_NO_MEMORY,
				"%s: PFN 0x%llx is beyond the last frame",
				w->path, (unsigned long long)pfn);
	}
	*ret = w->v[pfn - w->base];
	return NULL;
}

struct ptv_error *ptv_frames_create(struct ptv_frames **ret)
{
	struct ptv_frames *f = calloc(1, sizeof(*f));
	if (!f)
		return ptv_enomem;
	f->count.fd = -1;
	struct ptv_error *err = window_open(&f->flags, "/proc/kpageflags");
	if (!err)
		err = window_open(&f->count, "/proc/kpagecount");
	if (err) {
		ptv_frames_destroy(f);
		return err;
	}
	*ret = f;
	return NULL;
}

void ptv_frames_destroy(struct ptv_frames *f)
{
	if (!f)
		return;
	if (f->flags.fd >= 0)
		close(f->flags.fd);
	if (f->count.fd >= 0)
		close(f->count.fd);
	free(f);
}

struct ptv_error *ptv_frames_get(struct ptv_frames *f, uint64_t pfn,
				 size_t run, uint64_t *flags_ret,
				 uint64_t *count_ret)
{
	uint64_t flags = 0, count = 0;
	struct ptv_error *err = window_get(&f->flags, pfn, run, &flags);
	if (!err)
		err = window_get(&f->count, pfn, run, &count);
	if (err)
		return err;
	*flags_ret = flags;
	*count_ret = count;
	return NULL;
}

/* Find the head at or below pfn: the nearest COMPOUND_HEAD with only
 * COMPOUND_TAIL frames between.  Reads backwards in blocks. */
static struct ptv_error *find_head(struct ptv_frames *f, uint64_t pfn,
				   uint64_t *head_ret)
{
	const uint64_t limit = UINT64_C(1) << MAX_FOLIO_ORDER;
	uint64_t below = 0;	/* frames below pfn looked at */
	while (below < limit && below < pfn) {
		size_t n = 512;
		if (n > pfn - below)
			n = (size_t)(pfn - below);
		uint64_t start = pfn - below - n, got;
		size_t gotn;
		struct ptv_error *err = read_entries(f->flags.fd, f->flags.path,
						     start, f->scratch, n, &gotn);
		if (err)
			return err;
		if (gotn != n)
			return ptv_not_found;
		for (size_t i = n; i-- > 0;) {
			got = f->scratch[i];
			if (got & PTV_KPF(COMPOUND_HEAD)) {
				*head_ret = start + i;
				return NULL;
			}
			if (!(got & PTV_KPF(COMPOUND_TAIL)))
				return ptv_not_found;
		}
		below += n;
	}
	return ptv_not_found;
}

/* Count the frames of the folio whose head is head. */
static struct ptv_error *count_folio(struct ptv_frames *f, uint64_t head,
				     uint64_t *nr_ret)
{
	const uint64_t limit = UINT64_C(1) << MAX_FOLIO_ORDER;
	uint64_t nr = 1;
	while (nr < limit) {
		size_t gotn;
		struct ptv_error *err = read_entries(f->flags.fd, f->flags.path,
						     head + nr, f->scratch, 512,
						     &gotn);
		if (err)
			return err;
		for (size_t i = 0; i < gotn; i++) {
			if (!(f->scratch[i] & PTV_KPF(COMPOUND_TAIL))) {
				*nr_ret = nr + i;
				return NULL;
			}
		}
		if (gotn < 512) {
			*nr_ret = nr + gotn;
			return NULL;
		}
		nr += gotn;
	}
	return ptv_not_found;
}

struct ptv_error *ptv_frames_folio(struct ptv_frames *f, uint64_t pfn,
				   uint64_t flags, uint64_t *head_ret,
				   unsigned *order_ret)
{
	if (!(flags & (PTV_KPF(COMPOUND_HEAD) | PTV_KPF(COMPOUND_TAIL))))
		return ptv_not_found;
	if (f->folio_nr && pfn >= f->folio_head &&
	    pfn < f->folio_head + f->folio_nr)
		goto found;
	uint64_t head = pfn, nr;
	struct ptv_error *err;
	if (!(flags & PTV_KPF(COMPOUND_HEAD))) {
		err = find_head(f, pfn, &head);
		if (err)
			return err;
	}
	err = count_folio(f, head, &nr);
	if (err)
		return err;
	if (nr < 2 || (nr & (nr - 1)) || pfn >= head + nr)
		return ptv_not_found;
	f->folio_head = head;
	f->folio_nr = nr;
found:
	*head_ret = f->folio_head;
	*order_ret = (unsigned)__builtin_ctzll(f->folio_nr);
	return NULL;
}
