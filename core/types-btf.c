/* BTF type source: the kernel's compact type format (raw blob or an ELF
 * .BTF section), validated completely once at open time so that lookups
 * never read outside it.  Format: Documentation/bpf/btf.rst; ENUM64 and the
 * signedness flag on enums came with Linux v6.0 (commit 6089fb325cf7). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/types.h"

#define BTF_MAGIC 0xeB9F
#define BTF_HEADER_MIN 24
/* The biggest vmlinux BTF blobs are ~10 MiB; refuse files that cannot be. */
#define BTF_MAX_SIZE ((size_t)1 << 30)

enum btf_kind {
	BTF_KIND_UNKN, BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_ARRAY,
	BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_ENUM, BTF_KIND_FWD,
	BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST,
	BTF_KIND_RESTRICT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_VAR,
	BTF_KIND_DATASEC, BTF_KIND_FLOAT, BTF_KIND_DECL_TAG,
	BTF_KIND_TYPE_TAG, BTF_KIND_ENUM64, BTF_KIND_MAX = BTF_KIND_ENUM64,
};

struct btf_types {
	struct ptv_types base;
	unsigned char *data;	/* owned copy of the whole blob */
	size_t size;
	bool swap;		/* blob's byte order differs from ours */
	const unsigned char *types;
	uint32_t types_len;
	const char *strs;
	uint32_t strs_len;
	uint32_t ntypes;	/* valid ids are 1..ntypes; 0 is void */
	uint32_t *offsets;	/* offsets[id]: byte offset of id in types */
	uint64_t pointer_size;	/* 0 if unknown */
};

/* One decoded struct btf_type header. */
struct btf_entry {
	uint32_t name_off;
	enum btf_kind kind;
	uint32_t vlen;
	bool kflag;
	uint32_t size_or_type;
	const unsigned char *extra;	/* the kind's trailing data */
};

static uint32_t rd32(const struct btf_types *b, const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return b->swap ? __builtin_bswap32(v) : v;
}

static void btf_entry_at(const struct btf_types *b, uint32_t off,
			 struct btf_entry *ret)
{
	const unsigned char *p = b->types + off;
	uint32_t info = rd32(b, p + 4);
	ret->name_off = rd32(b, p);
	ret->vlen = info & 0xffff;
	ret->kind = (info >> 24) & 0x1f;
	ret->kflag = info >> 31;
	ret->size_or_type = rd32(b, p + 8);
	ret->extra = p + 12;
}

/* Bytes after the 12-byte header for a kind, or -1 for an unknown kind. */
static int64_t btf_extra_len(enum btf_kind kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return 12 * (int64_t)vlen;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8 * (int64_t)vlen;
	case BTF_KIND_ENUM64:
	case BTF_KIND_DATASEC:
		return 12 * (int64_t)vlen;
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC: case BTF_KIND_FLOAT: case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

/* A validated name: NULL for the empty name. */
static const char *btf_name(const struct btf_types *b, uint32_t off)
{
	return b->strs[off] ? b->strs + off : NULL;
}

/* Enumerator i of an ENUM or ENUM64 entry: its name offset and value.
 * 32-bit values are signed only when the enum says so (kind_flag). */
static int64_t btf_enumerator(const struct btf_types *b,
			      const struct btf_entry *e, uint32_t i,
			      uint32_t *name_off_ret)
{
	if (e->kind == BTF_KIND_ENUM) {
		const unsigned char *m = e->extra + 8 * i;
		*name_off_ret = rd32(b, m);
		uint32_t v = rd32(b, m + 4);
		return e->kflag ? (int64_t)(int32_t)v : (int64_t)v;
	}
	const unsigned char *m = e->extra + 12 * i;
	*name_off_ret = rd32(b, m);
	return (int64_t)((uint64_t)rd32(b, m + 8) << 32 | rd32(b, m + 4));
}

static struct ptv_error *btf_bad(const struct btf_types *b, const char *fmt,
				 ...) __attribute__((format(printf, 2, 3)));

static struct ptv_error *btf_bad(const struct btf_types *b, const char *fmt,
				 ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ptv_error_create(PTV_ERR_FORMAT, "%s: malformed BTF: %s",
				b->base.path, what);
}

/* Read the header and find the two sections. */
static struct ptv_error *btf_parse_header(struct btf_types *b)
{
	const unsigned char *d = b->data;
	if (b->size < BTF_HEADER_MIN)
		return btf_bad(b, "only %zu bytes, a header needs %d",
			       b->size, BTF_HEADER_MIN);
	uint16_t magic;
	memcpy(&magic, d, 2);
	if (magic == BTF_MAGIC)
		b->swap = false;
	else if (magic == __builtin_bswap16(BTF_MAGIC))
		b->swap = true;
	else
		return btf_bad(b, "bad magic %#x (want 0xeb9f)", magic);
	if (d[2] != 1)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s: BTF version %u is not supported (only 1)",
					b->base.path, d[2]);
	uint32_t hdr_len = rd32(b, d + 4);
	uint32_t type_off = rd32(b, d + 8), type_len = rd32(b, d + 12);
	uint32_t str_off = rd32(b, d + 16), str_len = rd32(b, d + 20);
	if (hdr_len < BTF_HEADER_MIN || hdr_len > b->size)
		return btf_bad(b, "header length %u out of range (file is %zu bytes)",
			       hdr_len, b->size);
	uint64_t body = b->size - hdr_len;
	if ((uint64_t)type_off + type_len > body)
		return btf_bad(b, "type section ends at %" PRIu64 ", past the end of data (%" PRIu64 " bytes)",
			       (uint64_t)type_off + type_len, body);
	if ((uint64_t)str_off + str_len > body)
		return btf_bad(b, "string section ends at %" PRIu64 ", past the end of data (%" PRIu64 " bytes)",
			       (uint64_t)str_off + str_len, body);
	if (type_len % 4)
		return btf_bad(b, "type section length %u is not a multiple of 4",
			       type_len);
	if (str_len == 0 || d[hdr_len + str_off] != '\0' ||
	    d[hdr_len + str_off + str_len - 1] != '\0')
		return btf_bad(b, "string section (%u bytes at %u) does not start and end with NUL",
			       str_len, str_off);
	b->types = d + hdr_len + type_off;
	b->types_len = type_len;
	b->strs = (const char *)d + hdr_len + str_off;
	b->strs_len = str_len;
	return NULL;
}

/* Pass 1: find where every type starts. */
static struct ptv_error *btf_parse_types(struct btf_types *b)
{
	size_t cap = b->types_len / 12 + 2;
	b->offsets = malloc(cap * sizeof(*b->offsets));
	if (!b->offsets)
		return ptv_enomem;
	uint32_t n = 0, pos = 0;
	while (pos < b->types_len) {
		if (b->types_len - pos < 12)
			return btf_bad(b, "type %u is truncated at offset %u",
				       n + 1, pos);
		struct btf_entry e;
		btf_entry_at(b, pos, &e);
		int64_t extra = btf_extra_len(e.kind, e.vlen);
		if (extra < 0)
			return btf_bad(b, "type %u has unknown kind %u",
				       n + 1, e.kind);
		if ((uint64_t)extra > b->types_len - pos - 12)
			return btf_bad(b, "type %u runs past the type section (offset %u)",
				       n + 1, pos);
		b->offsets[++n] = pos;
		pos += 12 + (uint32_t)extra;
	}
	b->ntypes = n;
	return NULL;
}

static struct ptv_error *btf_check_name(const struct btf_types *b,
					uint32_t id, uint32_t off)
{
	if (off >= b->strs_len)
		return btf_bad(b, "type %u names string offset %u, past the string section",
			       id, off);
	return NULL;
}

static struct ptv_error *btf_check_ref(const struct btf_types *b, uint32_t id,
				       uint32_t ref)
{
	if (ref > b->ntypes)
		return btf_bad(b, "type %u refers to type %u, which does not exist (split BTF?)",
			       id, ref);
	return NULL;
}

/* Pass 2: check every name and reference so lookups need not, and index
 * the named types and all enumerators. */
static struct ptv_error *btf_validate_and_index(struct btf_types *b)
{
	struct ptv_error *err = ptv_name_index_create(b->ntypes / 2,
						      &b->base.index);
	if (err)
		return err;
	for (uint32_t id = 1; id <= b->ntypes; id++) {
		struct btf_entry e;
		btf_entry_at(b, b->offsets[id], &e);
		if ((err = btf_check_name(b, id, e.name_off)))
			return err;
		const char *name = btf_name(b, e.name_off);
		int ns = -1;
		switch (e.kind) {
		case BTF_KIND_PTR: case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT: case BTF_KIND_FUNC:
		case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
		case BTF_KIND_TYPE_TAG: case BTF_KIND_FUNC_PROTO:
			if ((err = btf_check_ref(b, id, e.size_or_type)))
				return err;
			break;
		default:
			break;
		}
		switch (e.kind) {
		case BTF_KIND_INT:
		case BTF_KIND_FLOAT:
			ns = PTV_NS_BASE;
			break;
		case BTF_KIND_TYPEDEF:
			ns = PTV_NS_TYPEDEF;
			break;
		case BTF_KIND_ARRAY:
			if ((err = btf_check_ref(b, id, rd32(b, e.extra))) ||
			    (err = btf_check_ref(b, id, rd32(b, e.extra + 4))))
				return err;
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			ns = e.kind == BTF_KIND_STRUCT ? PTV_NS_STRUCT : PTV_NS_UNION;
			for (uint32_t i = 0; i < e.vlen; i++) {
				const unsigned char *m = e.extra + 12 * i;
				if ((err = btf_check_name(b, id, rd32(b, m))) ||
				    (err = btf_check_ref(b, id, rd32(b, m + 4))))
					return err;
			}
			break;
		case BTF_KIND_FUNC_PROTO:
		case BTF_KIND_DATASEC:
			for (uint32_t i = 0; i < e.vlen; i++) {
				const unsigned char *m = e.extra +
					(e.kind == BTF_KIND_DATASEC ? 12 : 8) * i;
				uint32_t ref = rd32(b, m + (e.kind == BTF_KIND_DATASEC ? 0 : 4));
				if (e.kind == BTF_KIND_FUNC_PROTO &&
				    (err = btf_check_name(b, id, rd32(b, m))))
					return err;
				if ((err = btf_check_ref(b, id, ref)))
					return err;
			}
			break;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			ns = PTV_NS_ENUM;
			for (uint32_t i = 0; i < e.vlen; i++) {
				uint32_t off;
				int64_t v = btf_enumerator(b, &e, i, &off);
				if ((err = btf_check_name(b, id, off)))
					return err;
				const char *en = btf_name(b, off);
				if (en && (err = ptv_name_index_add(b->base.index,
								    PTV_NS_ENUMERATOR,
								    en, id, v, NULL)))
					return err;
			}
			break;
		default:
			break;
		}
		if (ns >= 0 && name &&
		    (err = ptv_name_index_add(b->base.index, ns, name, id, 0, NULL)))
			return err;
	}
	return NULL;
}

static struct ptv_error *btf_info(struct ptv_types *t, uint64_t id,
				  struct ptv_type_info *ret)
{
	struct btf_types *b = (struct btf_types *)t;
	if (id == 0) {
		ret->kind = PTV_TYPE_VOID;
		return NULL;
	}
	if (id > b->ntypes)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: no BTF type %" PRIu64, t->path, id);
	struct btf_entry e;
	btf_entry_at(b, b->offsets[id], &e);
	ret->name = btf_name(b, e.name_off);
	switch (e.kind) {
	case BTF_KIND_INT:
		ret->kind = PTV_TYPE_INT;
		ret->is_signed = rd32(b, e.extra) >> 24 & 1;
		break;
	case BTF_KIND_FLOAT:
		ret->kind = PTV_TYPE_FLOAT;
		break;
	case BTF_KIND_STRUCT:
		ret->kind = PTV_TYPE_STRUCT;
		break;
	case BTF_KIND_UNION:
		ret->kind = PTV_TYPE_UNION;
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		ret->kind = PTV_TYPE_ENUM;
		ret->is_signed = e.kflag;
		break;
	case BTF_KIND_PTR:
		ret->kind = PTV_TYPE_POINTER;
		ret->has_size = b->pointer_size != 0;
		ret->size = b->pointer_size;
		ret->has_target = true;
		ret->target = e.size_or_type;
		return NULL;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		ret->kind = e.kind == BTF_KIND_TYPEDEF ? PTV_TYPE_TYPEDEF
						       : PTV_TYPE_QUALIFIER;
		ret->has_target = true;
		ret->target = e.size_or_type;
		return NULL;
	case BTF_KIND_ARRAY:
		ret->kind = PTV_TYPE_ARRAY;
		ret->has_target = true;
		ret->target = rd32(b, e.extra);
		/* BTF cannot tell "x[]" from "x[0]": both say 0. */
		ret->has_array_len = true;
		ret->array_len = rd32(b, e.extra + 8);
		return NULL;
	case BTF_KIND_FUNC:
	case BTF_KIND_FUNC_PROTO:
		ret->kind = PTV_TYPE_FUNCTION;
		return NULL;
	default:
		ret->kind = PTV_TYPE_OTHER;
		return NULL;
	}
	/* The kinds that break out of the switch carry a size. */
	ret->has_size = true;
	ret->size = e.size_or_type;
	return NULL;
}

static struct ptv_error *btf_members(struct ptv_types *t, uint64_t id,
				     int (*fn)(const struct ptv_type_member *m,
					       void *arg),
				     void *arg, int *stopped_ret)
{
	struct btf_types *b = (struct btf_types *)t;
	struct btf_entry e;
	*stopped_ret = 0;
	if (id == 0 || id > b->ntypes)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: no BTF type %" PRIu64, t->path, id);
	btf_entry_at(b, b->offsets[id], &e);
	if (e.kind != BTF_KIND_STRUCT && e.kind != BTF_KIND_UNION)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: BTF type %" PRIu64 " is not a struct or union",
					t->path, id);
	for (uint32_t i = 0; i < e.vlen; i++) {
		const unsigned char *p = e.extra + 12 * i;
		uint32_t off = rd32(b, p + 8);
		struct ptv_type_member m = {
			.name = btf_name(b, rd32(b, p)),
			.type = rd32(b, p + 4),
		};
		if (e.kflag) {
			m.bit_offset = off & 0xffffff;
			m.bit_size = off >> 24;
		} else {
			/* Before kind_flag (pahole < 1.13) a bitfield was an
			 * int type whose bit count is below its size. */
			m.bit_offset = off;
			if (m.type) {
				struct btf_entry mt;
				btf_entry_at(b, b->offsets[m.type], &mt);
				uint32_t enc = mt.kind == BTF_KIND_INT ?
					       rd32(b, mt.extra) : 0;
				if (mt.kind == BTF_KIND_INT &&
				    (enc & 0xff) != mt.size_or_type * 8) {
					m.bit_size = enc & 0xff;
					m.bit_offset += enc >> 16 & 0xff;
				}
			}
		}
		int r = fn(&m, arg);
		if (r) {
			*stopped_ret = r;
			break;
		}
	}
	return NULL;
}

static struct ptv_error *btf_enumerators(struct ptv_types *t, uint64_t id,
					 int (*fn)(const char *name,
						   int64_t value, void *arg),
					 void *arg)
{
	struct btf_types *b = (struct btf_types *)t;
	struct btf_entry e;
	if (id == 0 || id > b->ntypes)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: no BTF type %" PRIu64, t->path, id);
	btf_entry_at(b, b->offsets[id], &e);
	if (e.kind != BTF_KIND_ENUM && e.kind != BTF_KIND_ENUM64)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: BTF type %" PRIu64 " is not an enum",
					t->path, id);
	for (uint32_t i = 0; i < e.vlen; i++) {
		uint32_t off;
		int64_t v = btf_enumerator(b, &e, i, &off);
		const char *name = btf_name(b, off);
		if (name && fn(name, v, arg))
			break;
	}
	return NULL;
}

static void btf_destroy(struct ptv_types *t)
{
	struct btf_types *b = (struct btf_types *)t;
	free(b->offsets);
	free(b->data);
	free(b);
}

static const struct ptv_types_ops btf_ops = {
	.format = "BTF",
	.info = btf_info,
	.members = btf_members,
	.enumerators = btf_enumerators,
	.destroy = btf_destroy,
};

/* Take ownership of data (malloc'd) and build the source. */
static struct ptv_error *btf_open_owned(unsigned char *data, size_t size,
					const char *name, uint64_t pointer_size,
					struct ptv_types **ret)
{
	struct btf_types *b = calloc(1, sizeof(*b));
	if (!b || !(b->base.path = strdup(name))) {
		free(b);
		free(data);
		return ptv_enomem;
	}
	b->base.ops = &btf_ops;
	b->data = data;
	b->size = size;
	struct ptv_error *err;
	if ((err = btf_parse_header(b)) || (err = btf_parse_types(b)) ||
	    (err = btf_validate_and_index(b))) {
		ptv_types_destroy(&b->base);
		return err;
	}
	b->pointer_size = pointer_size;
	uint64_t id;
	if (!pointer_size &&
	    !ptv_name_index_find(b->base.index, PTV_NS_BASE,
				 "long unsigned int", &id, NULL)) {
		struct btf_entry e;
		btf_entry_at(b, b->offsets[id], &e);
		b->pointer_size = e.size_or_type;	/* LP64 and ILP32 alike */
	}
	*ret = &b->base;
	return NULL;
}

struct ptv_error *ptv_types_open_btf_memory(const void *data, size_t size,
					    const char *name,
					    struct ptv_types **ret)
{
	if (size > BTF_MAX_SIZE)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: %zu bytes is too big for BTF", name, size);
	unsigned char *copy = malloc(size ? size : 1);
	if (!copy)
		return ptv_enomem;
	memcpy(copy, data, size);
	return btf_open_owned(copy, size, name, 0, ret);
}

/* Read a whole (possibly sysfs, size-less) file. */
static struct ptv_error *read_all(int fd, const char *path,
				  unsigned char **data_ret, size_t *size_ret)
{
	size_t cap = 1 << 20, len = 0;
	unsigned char *buf = malloc(cap);
	if (!buf)
		return ptv_enomem;
	for (;;) {
		if (len == cap) {
			if (cap >= BTF_MAX_SIZE) {
				free(buf);
				return ptv_error_create(PTV_ERR_FORMAT,
							"%s: more than %zu bytes, too big for BTF",
							path, BTF_MAX_SIZE);
			}
			unsigned char *n = realloc(buf, cap * 2);
			if (!n) {
				free(buf);
				return ptv_enomem;
			}
			buf = n;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return ptv_error_os(e, "%s: read", path);
		}
		if (r == 0)
			break;
		len += r;
	}
	*data_ret = buf;
	*size_ret = len;
	return NULL;
}

/* Copy the .BTF section out of an ELF file. */
static struct ptv_error *btf_from_elf(int fd, const char *path,
				      struct ptv_types **ret)
{
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return ptv_error_create(PTV_ERR_FORMAT, "%s: not a valid ELF file: %s",
					path, elf_errmsg(-1));
	struct ptv_error *err = NULL;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: bad ELF section headers: %s",
				       path, elf_errmsg(-1));
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		if (gelf_getshdr(scn, &shdr) &&
		    (name = elf_strptr(elf, shstrndx, shdr.sh_name)) &&
		    strcmp(name, ".BTF") == 0)
			break;
	}
	if (!scn) {
		err = ptv_error_create(PTV_ERR_NOT_FOUND,
				       "%s: ELF file has no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)",
				       path);
		goto out;
	}
	if (shdr.sh_type == SHT_NOBITS) {
		err = ptv_error_create(PTV_ERR_NOT_FOUND,
				       "%s: the .BTF section has no contents (SHT_NOBITS, as in a separate debug file); use the vmlinux itself",
				       path);
		goto out;
	}
	if ((shdr.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0) {
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: cannot decompress .BTF: %s",
				       path, elf_errmsg(-1));
		goto out;
	}
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf) {
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: cannot read .BTF: %s",
				       path, elf_errmsg(-1));
		goto out;
	}
	if (data->d_size > BTF_MAX_SIZE) {
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: .BTF is %zu bytes, too big",
				       path, data->d_size);
		goto out;
	}
	unsigned char *copy = malloc(data->d_size ? data->d_size : 1);
	if (!copy) {
		err = ptv_enomem;
		goto out;
	}
	memcpy(copy, data->d_buf, data->d_size);
	err = btf_open_owned(copy, data->d_size, path,
			     gelf_getclass(elf) == ELFCLASS32 ? 4 : 8, ret);
out:
	elf_end(elf);
	return err;
}

struct ptv_error *ptv_types_open_btf(const char *path, struct ptv_types **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ptv_error_os(errno, "%s", path);
	unsigned char magic[4];
	ssize_t r;
	do
		r = pread(fd, magic, sizeof(magic), 0);
	while (r < 0 && errno == EINTR);
	struct ptv_error *err;
	if (r < 0) {
		err = ptv_error_os(errno, "%s: read", path);
	} else if (r == 4 && memcmp(magic, ELFMAG, SELFMAG) == 0) {
		err = btf_from_elf(fd, path, ret);
	} else {
		unsigned char *data = NULL;
		size_t size = 0;
		err = read_all(fd, path, &data, &size);
		if (!err) {
			if (size >= 2 && !((data[0] == 0x9f && data[1] == 0xeb) ||
					   (data[0] == 0xeb && data[1] == 0x9f))) {
				free(data);
				err = ptv_error_create(PTV_ERR_FORMAT,
						       "%s: neither a BTF blob (magic 0xeb9f) nor an ELF file",
						       path);
			} else {
				err = btf_open_owned(data, size, path, 0, ret);
			}
		}
	}
	close(fd);
	return err;
}
