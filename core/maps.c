/* maps.c: parse /proc/PID/maps into struct ptv_vma (the format of
 * show_map_vma() in fs/proc/task_mmu.c: "start-end perms offset
 * major:minor inode   path"). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/vma.h"

const char *ptv_backing_name(enum ptv_backing b)
{
	switch (b) {
	case PTV_BACKING_ANON: return "anon";
	case PTV_BACKING_FILE: return "file";
	case PTV_BACKING_SHMEM: return "shmem";
	case PTV_BACKING_HEAP: return "heap";
	case PTV_BACKING_STACK: return "stack";
	case PTV_BACKING_VDSO: return "vdso";
	case PTV_BACKING_VVAR: return "vvar";
	case PTV_BACKING_OTHER: return "other";
	}
	return "?";
}

int ptv_vma_has_normal_pages(const struct ptv_vma *vma)
{
	return vma->backing != PTV_BACKING_VVAR &&
	       vma->backing != PTV_BACKING_OTHER;
}

void ptv_vma_list_init(struct ptv_vma_list *l)
{
	memset(l, 0, sizeof(*l));
}

void ptv_vma_list_deinit(struct ptv_vma_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Classify by name what the kernel's shmem code backs: memfd files, SysV
 * segments, MAP_SHARED|MAP_ANONYMOUS ("/dev/zero (deleted)").  Files on a
 * tmpfs mount are shmem too, but maps cannot tell them from other files;
 * sources that can (statfs, kpageflags) refine the backing. */
static enum ptv_backing classify(const char *path, uint64_t inode)
{
	if (!path)
		return PTV_BACKING_ANON;
	if (path[0] == '[') {
		if (strcmp(path, "[heap]") == 0)
			return PTV_BACKING_HEAP;
		if (starts_with(path, "[stack"))
			return PTV_BACKING_STACK;
		if (strcmp(path, "[vdso]") == 0)
			return PTV_BACKING_VDSO;
		if (starts_with(path, "[vvar"))
			return PTV_BACKING_VVAR;
		if (starts_with(path, "[anon:") || starts_with(path, "[anon_shmem:"))
			return starts_with(path, "[anon_shmem:") ?
				PTV_BACKING_SHMEM : PTV_BACKING_ANON;
		return PTV_BACKING_OTHER;
	}
	if (starts_with(path, "/memfd:") || starts_with(path, "/SYSV") ||
	    (starts_with(path, "/dev/zero") && inode))
		return PTV_BACKING_SHMEM;
	return PTV_BACKING_FILE;
}

static const char *parse_hex(const char *p, uint64_t *ret)
{
	uint64_t v = 0;
	int n = 0;
	for (;; p++, n++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			break;
		if (n >= 16)
			return NULL;
		v = v << 4 | (uint64_t)d;
	}
	if (n == 0)
		return NULL;
	*ret = v;
	return p;
}

static struct ptv_error *parse_line(const char *line, const char *end,
				    struct ptv_vma *vma)
{
	uint64_t start, stop, off, major, minor, inode = 0;
	const char *p = parse_hex(line, &start);
	if (!p || *p++ != '-' || !(p = parse_hex(p, &stop)) || *p++ != ' ')
		return ptv_error_create(PTV_ERR_FORMAT, "bad address range");
	if (stop <= start || (start | stop) & 0xfff)
		return ptv_error_create(PTV_ERR_FORMAT,
					"impossible range %" PRIx64 "-%" PRIx64,
					start, stop);
	if (end - p < 5 || p[4] != ' ')
		return ptv_error_create(PTV_ERR_FORMAT, "bad permissions");
	memcpy(vma->perms, p, 4);
	vma->perms[4] = '\0';
	p += 5;
	if (!(p = parse_hex(p, &off)) || *p++ != ' ' ||
	    !(p = parse_hex(p, &major)) || *p++ != ':' ||
	    !(p = parse_hex(p, &minor)) || *p++ != ' ')
		return ptv_error_create(PTV_ERR_FORMAT, "bad offset or device");
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		inode = inode * 10 + (uint64_t)(*p - '0');
	while (p < end && *p == ' ')
		p++;
	vma->start = start;
	vma->end = stop;
	vma->pgoff = off >> 12;
	vma->dev_major = (uint32_t)major;
	vma->dev_minor = (uint32_t)minor;
	vma->inode = inode;
	vma->path = NULL;
	if (p < end) {
		vma->path = strndup(p, (size_t)(end - p));
		if (!vma->path)
			return ptv_enomem;
	}
	vma->backing = classify(vma->path, inode);
	return NULL;
}

struct ptv_error *ptv_maps_parse(const char *text, size_t len,
				 const char *name, struct ptv_vma_list *list)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		lineno++;
		if (eol > p) {
			if (list->n == list->cap) {
				size_t cap = list->cap ? list->cap * 2 : 64;
				struct ptv_vma *v = realloc(list->v,
							    cap * sizeof(*v));
				if (!v)
					return ptv_enomem;
				list->v = v;
				list->cap = cap;
			}
			struct ptv_vma *vma = &list->v[list->n];
			struct ptv_error *err = parse_line(p, eol, vma);
			if (err)
				return ptv_error_prefix(err, "%s:%u", name,
							lineno);
			if (list->n && vma->start < list->v[list->n - 1].end) {
				free(vma->path);
				return ptv_error_create(PTV_ERR_FORMAT,
					"%s:%u: VMAs out of order", name, lineno);
			}
			list->n++;
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}
