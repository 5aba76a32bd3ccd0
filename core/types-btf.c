/* BTF type source through libbpf: libbpf parses the blob (either byte
 * order) and bounds every type and string lookup; this file indexes the
 * names, checks what libbpf 1.1 leaves unchecked, and answers the
 * backend's three questions.  Format: Documentation/bpf/btf.rst; ENUM64 and
 * the signedness flag on enums came with Linux v6.0 (commit 6089fb325cf7),
 * and libbpf reads them since v1.0. */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
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

/* The biggest vmlinux BTF blobs are ~10 MiB; refuse files that cannot be
 * (and stay well inside btf__new()'s 32-bit size). */
#define BTF_MAX_SIZE ((size_t)1 << 30)

struct btf_types {
	struct ptv_types base;
	struct btf *btf;	/* owned; the index's keys point into it */
	uint32_t type_cnt;	/* btf__type_cnt(): ids 1..type_cnt-1; 0 is void */
	uint64_t pointer_size;	/* 0 if unknown */
};

/* ---- libbpf's messages ---------------------------------------------------
 *
 * libbpf explains a refusal only through its print hook, which is
 * process-wide and takes no context.  Around each libbpf call that can
 * refuse input we swap in a hook that keeps the last message in a
 * per-thread buffer, for the error text, and put the old hook back: core/
 * never prints, and another libbpf user in the process keeps its own.  (Not
 * safe against a second thread swapping the hook at the same moment; the
 * worst case is a message on stderr.)
 */
static _Thread_local char libbpf_msg[256];

__attribute__((format(printf, 2, 0)))
static int libbpf_capture(enum libbpf_print_level level, const char *fmt,
			  va_list ap)
{
	vsnprintf(libbpf_msg, sizeof(libbpf_msg), fmt, ap);
	libbpf_msg[strcspn(libbpf_msg, "\n")] = '\0';
	return 0;
}

static libbpf_print_fn_t libbpf_quiet_begin(void)
{
	libbpf_msg[0] = '\0';
	return libbpf_set_print(libbpf_capture);
}

static void libbpf_quiet_end(libbpf_print_fn_t old)
{
	libbpf_set_print(old);
}

static struct ptv_error *btf_bad(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct ptv_error *btf_bad(const char *path, const char *fmt, ...)
{
	char what[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ptv_error_create(PTV_ERR_FORMAT, "%s: malformed BTF: %s", path,
				what);
}

/* The one place a libbpf failure (errnum, and the message it printed, if
 * any) becomes our error.  libbpf 1.x returns NULL and sets errno. */
static struct ptv_error *btf_libbpf_error(const char *path, int errnum)
{
	char why[sizeof(libbpf_msg) + 64];
	if (libbpf_msg[0])
		snprintf(why, sizeof(why), "%s", libbpf_msg);
	else
		snprintf(why, sizeof(why), "libbpf: %s", strerror(errnum));
	switch (errnum) {
	case ENOMEM:
		return ptv_enomem;
	case EINVAL:
		return btf_bad(path, "%s", why);
	case ENOTSUP:
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s: unsupported BTF: %s", path, why);
	default:
		return libbpf_msg[0] ? ptv_error_os(errnum, "%s: %s", path, why)
				     : ptv_error_os(errnum, "%s", path);
	}
}

/* ---- What libbpf 1.1 does not check ------------------------------------- */

/* BTF's magic 0xeB9F in either byte order. */
static bool btf_has_magic(const unsigned char *p, size_t size)
{
	return size >= 2 && ((p[0] == 0x9f && p[1] == 0xeb) ||
			     (p[0] == 0xeb && p[1] == 0x9f));
}

/* What libbpf does not check in the header, looked at before it parses:
 * the version byte, which it reads as 1 whatever it says (the kernel
 * refuses others: kernel/bpf/btf.c, btf_parse_hdr()), and that the header
 * length keeps the type section 4-byte aligned: libbpf places the types at
 * hdr_len + type_off, checks only type_off, and reads struct btf_type in
 * place (misaligned, undefined behaviour found by fuzzing libbpf 1.1.2
 * built with UBSan; still so in libbpf's master at commit f7081a6baf3f).
 * A short header or a bad magic is left to libbpf. */
static struct ptv_error *btf_check_header(const unsigned char *p, size_t size,
					  const char *path)
{
	if (!btf_has_magic(p, size) || size < 3)
		return NULL;
	if (p[2] != 1)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s: BTF version %u is not supported (only 1)",
					path, p[2]);
	if (size < 8)
		return NULL;
	uint16_t magic;
	uint32_t hdr_len;
	memcpy(&magic, p, 2);
	memcpy(&hdr_len, p + 4, 4);
	if (magic != 0xeB9F)
		hdr_len = __builtin_bswap32(hdr_len);
	if (hdr_len % 4)
		return btf_bad(path, "header length %u is not a multiple of 4",
			       hdr_len);
	return NULL;
}

static struct ptv_error *btf_check_name(const struct btf_types *b,
					uint32_t id, uint32_t off)
{
	if (!btf__name_by_offset(b->btf, off))
		return btf_bad(b->base.path,
			       "type %u names string offset %u, past the string section",
			       id, off);
	return NULL;
}

static struct ptv_error *btf_check_ref(const struct btf_types *b, uint32_t id,
				       uint32_t ref)
{
	if (ref >= b->type_cnt)
		return btf_bad(b->base.path,
			       "type %u refers to type %u, which does not exist (split BTF?)",
			       id, ref);
	return NULL;
}

/* Every name and reference of one type.  libbpf checks the same since
 * v1.3.0 (libbpf commit 2dbdd3b56490, "libbpf: Add basic BTF sanity
 * validation"), but not in 1.1, where a bad one would open and later read
 * as a NULL name or type. */
static struct ptv_error *btf_check_type(const struct btf_types *b,
					uint32_t id, const struct btf_type *t)
{
	struct ptv_error *err;
	if ((err = btf_check_name(b, id, t->name_off)))
		return err;
	uint16_t vlen = btf_vlen(t);
	switch (btf_kind(t)) {
	case BTF_KIND_PTR: case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT: case BTF_KIND_FUNC:
	case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
	case BTF_KIND_TYPE_TAG:
		return btf_check_ref(b, id, t->type);
	case BTF_KIND_FUNC_PROTO:
		if ((err = btf_check_ref(b, id, t->type)))
			return err;
		for (uint16_t i = 0; i < vlen; i++) {
			const struct btf_param *p = btf_params(t) + i;
			if ((err = btf_check_name(b, id, p->name_off)) ||
			    (err = btf_check_ref(b, id, p->type)))
				return err;
		}
		return NULL;
	case BTF_KIND_ARRAY:
		if ((err = btf_check_ref(b, id, btf_array(t)->type)))
			return err;
		return btf_check_ref(b, id, btf_array(t)->index_type);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (uint16_t i = 0; i < vlen; i++) {
			const struct btf_member *m = btf_members(t) + i;
			if ((err = btf_check_name(b, id, m->name_off)) ||
			    (err = btf_check_ref(b, id, m->type)))
				return err;
		}
		return NULL;
	case BTF_KIND_DATASEC:
		for (uint16_t i = 0; i < vlen; i++) {
			if ((err = btf_check_ref(b, id, btf_var_secinfos(t)[i].type)))
				return err;
		}
		return NULL;
	case BTF_KIND_ENUM:
		for (uint16_t i = 0; i < vlen; i++) {
			if ((err = btf_check_name(b, id, btf_enum(t)[i].name_off)))
				return err;
		}
		return NULL;
	case BTF_KIND_ENUM64:
		for (uint16_t i = 0; i < vlen; i++) {
			if ((err = btf_check_name(b, id, btf_enum64(t)[i].name_off)))
				return err;
		}
		return NULL;
	default:
		return NULL;
	}
}

/* ---- Reading types ------------------------------------------------------ */

/* A name checked at open: NULL for the empty name. */
static const char *btf_name(const struct btf_types *b, uint32_t off)
{
	const char *s = btf__name_by_offset(b->btf, off);
	return s && *s ? s : NULL;
}

/* The type with this id, or NULL if there is none. */
static const struct btf_type *btf_lookup(const struct btf_types *b,
					uint64_t id)
{
	return id < b->type_cnt ? btf__type_by_id(b->btf, (uint32_t)id) : NULL;
}

/* Enumerator i of an ENUM or ENUM64: its name offset and value.  32-bit
 * values are signed only when the enum says so (kind_flag). */
static int64_t btf_enumerator(const struct btf_type *t, uint16_t i,
			      uint32_t *name_off_ret)
{
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t) + i;
		*name_off_ret = e->name_off;
		return btf_kflag(t) ? (int64_t)e->val : (int64_t)(uint32_t)e->val;
	}
	const struct btf_enum64 *e = btf_enum64(t) + i;
	*name_off_ret = e->name_off;
	return (int64_t)btf_enum64_value(e);
}

/* Check every type and index the named ones and all enumerators. */
static struct ptv_error *btf_validate_and_index(struct btf_types *b)
{
	struct ptv_error *err = ptv_name_index_create(b->type_cnt / 2,
						      &b->base.index);
	if (err)
		return err;
	for (uint32_t id = 1; id < b->type_cnt; id++) {
		const struct btf_type *t = btf__type_by_id(b->btf, id);
		if ((err = btf_check_type(b, id, t)))
			return err;
		const char *name = btf_name(b, t->name_off);
		int ns = -1;
		switch (btf_kind(t)) {
		case BTF_KIND_INT:
		case BTF_KIND_FLOAT:
			ns = PTV_NS_BASE;
			break;
		case BTF_KIND_TYPEDEF:
			ns = PTV_NS_TYPEDEF;
			break;
		case BTF_KIND_STRUCT:
			ns = PTV_NS_STRUCT;
			break;
		case BTF_KIND_UNION:
			ns = PTV_NS_UNION;
			break;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			ns = PTV_NS_ENUM;
			for (uint16_t i = 0; i < btf_vlen(t); i++) {
				uint32_t off;
				int64_t v = btf_enumerator(t, i, &off);
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

static struct ptv_error *btf_no_type(const struct ptv_types *t, uint64_t id)
{
	return ptv_error_create(PTV_ERR_FORMAT, "%s: no BTF type %" PRIu64,
				t->path, id);
}

static struct ptv_error *btf_info(struct ptv_types *t, uint64_t id,
				  struct ptv_type_info *ret)
{
	struct btf_types *b = (struct btf_types *)t;
	if (id == 0) {
		ret->kind = PTV_TYPE_VOID;
		return NULL;
	}
	const struct btf_type *bt = btf_lookup(b, id);
	if (!bt)
		return btf_no_type(t, id);
	ret->name = btf_name(b, bt->name_off);
	switch (btf_kind(bt)) {
	case BTF_KIND_INT:
		ret->kind = PTV_TYPE_INT;
		ret->is_signed = btf_int_encoding(bt) & BTF_INT_SIGNED;
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
		ret->is_signed = btf_kflag(bt);
		break;
	case BTF_KIND_PTR:
		ret->kind = PTV_TYPE_POINTER;
		ret->has_size = b->pointer_size != 0;
		ret->size = b->pointer_size;
		ret->has_target = true;
		ret->target = bt->type;
		return NULL;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		ret->kind = btf_is_typedef(bt) ? PTV_TYPE_TYPEDEF
					       : PTV_TYPE_QUALIFIER;
		ret->has_target = true;
		ret->target = bt->type;
		return NULL;
	case BTF_KIND_ARRAY:
		ret->kind = PTV_TYPE_ARRAY;
		ret->has_target = true;
		ret->target = btf_array(bt)->type;
		/* BTF cannot tell "x[]" from "x[0]": both say 0. */
		ret->has_array_len = true;
		ret->array_len = btf_array(bt)->nelems;
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
	ret->size = bt->size;
	return NULL;
}

static struct ptv_error *btf_members_of(struct ptv_types *t, uint64_t id,
					int (*fn)(const struct ptv_type_member *m,
						  void *arg),
					void *arg, int *stopped_ret)
{
	struct btf_types *b = (struct btf_types *)t;
	*stopped_ret = 0;
	const struct btf_type *bt = id ? btf_lookup(b, id) : NULL;
	if (!bt)
		return btf_no_type(t, id);
	if (!btf_is_composite(bt))
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: BTF type %" PRIu64 " is not a struct or union",
					t->path, id);
	for (uint16_t i = 0; i < btf_vlen(bt); i++) {
		const struct btf_member *bm = btf_members(bt) + i;
		struct ptv_type_member m = {
			.name = btf_name(b, bm->name_off),
			.type = bm->type,
			.bit_offset = btf_member_bit_offset(bt, i),
			.bit_size = btf_member_bitfield_size(bt, i),
		};
		/* Before kind_flag (pahole < 1.13) a bitfield was an int type
		 * whose bit count is below its size. */
		const struct btf_type *mt = btf_kflag(bt) || !m.type ? NULL :
					    btf_lookup(b, m.type);
		if (mt && btf_is_int(mt) &&
		    btf_int_bits(mt) != (uint64_t)mt->size * 8) {
			m.bit_size = btf_int_bits(mt);
			m.bit_offset += btf_int_offset(mt);
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
	const struct btf_type *bt = id ? btf_lookup(b, id) : NULL;
	if (!bt)
		return btf_no_type(t, id);
	if (!btf_is_any_enum(bt))
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: BTF type %" PRIu64 " is not an enum",
					t->path, id);
	for (uint16_t i = 0; i < btf_vlen(bt); i++) {
		uint32_t off;
		int64_t v = btf_enumerator(bt, i, &off);
		const char *name = btf_name(b, off);
		if (name && fn(name, v, arg))
			break;
	}
	return NULL;
}

static void btf_destroy(struct ptv_types *t)
{
	struct btf_types *b = (struct btf_types *)t;
	btf__free(b->btf);
	free(b);
}

static const struct ptv_types_ops btf_ops = {
	.format = "BTF",
	.info = btf_info,
	.members = btf_members_of,
	.enumerators = btf_enumerators,
	.destroy = btf_destroy,
};

/* ---- Opening ------------------------------------------------------------ */

/* Take ownership of a parsed btf and build the source around it. */
static struct ptv_error *btf_open_parsed(struct btf *btf, const char *name,
					 struct ptv_types **ret)
{
	struct btf_types *b = calloc(1, sizeof(*b));
	if (!b || !(b->base.path = strdup(name))) {
		free(b);
		btf__free(btf);
		return ptv_enomem;
	}
	b->base.ops = &btf_ops;
	b->btf = btf;
	b->type_cnt = btf__type_cnt(btf);
	struct ptv_error *err = btf_validate_and_index(b);
	if (err) {
		ptv_types_destroy(&b->base);
		return err;
	}
	/* From the ELF class when there was one, else from the size of a
	 * "long" type; 0 if neither tells. */
	b->pointer_size = btf__pointer_size(btf);
	*ret = &b->base;
	return NULL;
}

/* Parse a blob in memory (libbpf copies it).  pointer_size is 4 or 8 when
 * the blob came from an ELF file, else 0. */
static struct ptv_error *btf_open_data(const void *data, size_t size,
				       const char *name, size_t pointer_size,
				       struct ptv_types **ret)
{
	if (size > BTF_MAX_SIZE)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: %zu bytes is too big for BTF", name, size);
	struct ptv_error *err = btf_check_header(data, size, name);
	if (err)
		return err;
	libbpf_print_fn_t old = libbpf_quiet_begin();
	struct btf *btf = btf__new(data, (uint32_t)size);
	int e = errno;
	if (btf && pointer_size)
		btf__set_pointer_size(btf, pointer_size);
	if (!btf)
		err = btf_libbpf_error(name, e);
	libbpf_quiet_end(old);
	return err ? err : btf_open_parsed(btf, name, ret);
}

struct ptv_error *ptv_types_open_btf_memory(const void *data, size_t size,
					    const char *name,
					    struct ptv_types **ret)
{
	return btf_open_data(data, size, name, 0, ret);
}

/* The .BTF section of an ELF file.  Not btf__parse_elf(): libbpf 1.1 (and
 * still libbpf's master at commit f7081a6baf3f) copies from the NULL d_buf
 * of a SHT_NOBITS .BTF, as in a separate debug vmlinux, and crashes; it
 * also gives the same errno for "not ELF" and a broken ELF, and does not
 * decompress a SHF_COMPRESSED section. */
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
	err = btf_open_data(data->d_buf, data->d_size, path,
			    gelf_getclass(elf) == ELFCLASS32 ? 4 : 8, ret);
out:
	elf_end(elf);
	return err;
}

/* A raw blob: libbpf reads the file itself (opening it read-only again). */
static struct ptv_error *btf_from_raw(const char *path, struct ptv_types **ret)
{
	libbpf_print_fn_t old = libbpf_quiet_begin();
	struct btf *btf = btf__parse_raw(path);
	int e = errno;
	struct ptv_error *err = btf ? NULL : btf_libbpf_error(path, e);
	libbpf_quiet_end(old);
	return err ? err : btf_open_parsed(btf, path, ret);
}

struct ptv_error *ptv_types_open_btf(const char *path, struct ptv_types **ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ptv_error_os(errno, "%s", path);
	/* Sniff the format here: libbpf's answers for "not BTF" (EPROTO),
	 * "empty" (EIO) and "not ELF" (LIBBPF_ERRNO__FORMAT) are too terse to
	 * tell the user which file they should have given. */
	unsigned char head[8];
	struct stat st;
	ssize_t r;
	do
		r = pread(fd, head, sizeof(head), 0);
	while (r < 0 && errno == EINTR);
	struct ptv_error *err;
	if (r < 0) {
		err = ptv_error_os(errno, "%s: read", path);
	} else if (r >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0) {
		err = btf_from_elf(fd, path, ret);
	} else if (r < 2) {
		err = btf_bad(path, "only %zd bytes, too short for a BTF header", r);
	} else if (!btf_has_magic(head, r)) {
		err = ptv_error_create(PTV_ERR_FORMAT,
				       "%s: neither a BTF blob (magic 0xeb9f) nor an ELF file",
				       path);
	} else if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		   (uint64_t)st.st_size > BTF_MAX_SIZE) {
		err = ptv_error_create(PTV_ERR_FORMAT,
				       "%s: %jd bytes is too big for BTF", path,
				       (intmax_t)st.st_size);
	} else if (!(err = btf_check_header(head, r, path))) {
		close(fd);
		return btf_from_raw(path, ret);
	}
	close(fd);
	return err;
}
