/* DWARF type source through libdw: a vmlinux with debug info or the
 * separate debug file of a -dbg package.
 *
 * A kernel's DWARF repeats every header type in each of its ~2800 units, so
 * opening walks only the top-level DIEs of each unit once and indexes the
 * first complete (non-declaration) struct, union, enum, typedef and base
 * type of each name, plus every enumerator.  A type id is the DIE's offset
 * in .debug_info; for a multi-dimensional array, whose dimensions are
 * subrange children of one DIE, the dimension goes in the top bits. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/types.h"

#define DIM_SHIFT 48
#define OFFSET_MASK (((uint64_t)1 << DIM_SHIFT) - 1)
/* Arrays with more dimensions than this are not C. */
#define MAX_DIMS 64

struct dwarf_types {
	struct ptv_types base;
	int fd;
	Elf *elf;
	Dwarf *dwarf;
	bool big_endian;
};

static struct ptv_error *dw_error(const struct dwarf_types *d, const char *what)
{
	return ptv_error_create(PTV_ERR_FORMAT, "%s: %s: %s", d->base.path,
				what, dwarf_errmsg(-1));
}

static struct ptv_error *dw_die(struct dwarf_types *d, uint64_t id,
				Dwarf_Die *ret)
{
	if (!dwarf_offdie(d->dwarf, id & OFFSET_MASK, ret))
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: no DWARF DIE at offset %#" PRIx64 ": %s",
					d->base.path, id & OFFSET_MASK,
					dwarf_errmsg(-1));
	return NULL;
}

/* The DIE's DW_AT_type as an id; false if it has none (void). */
static struct ptv_error *dw_type_ref(struct dwarf_types *d, Dwarf_Die *die,
				     bool *has_ret, uint64_t *ret)
{
	Dwarf_Attribute attr;
	Dwarf_Die type;
	*has_ret = false;
	if (!dwarf_attr_integrate(die, DW_AT_type, &attr))
		return NULL;
	if (!dwarf_formref_die(&attr, &type))
		return dw_error(d, "bad DW_AT_type reference");
	uint64_t off = dwarf_dieoffset(&type);
	if (off > OFFSET_MASK)
		return ptv_error_create(PTV_ERR_UNSUPPORTED,
					"%s: DIE offset %#" PRIx64 " too large",
					d->base.path, off);
	*has_ret = true;
	*ret = off;
	return NULL;
}

static bool dw_udata(Dwarf_Die *die, unsigned int name, uint64_t *ret)
{
	Dwarf_Attribute attr;
	Dwarf_Word v;
	if (!dwarf_attr_integrate(die, name, &attr) || dwarf_formudata(&attr, &v))
		return false;
	*ret = v;
	return true;
}

static const char *dw_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	if (!dwarf_attr(die, DW_AT_name, &attr))
		return NULL;
	const char *s = dwarf_formstring(&attr);
	return s && *s ? s : NULL;
}

/* Whether an enum's values are signed: from its underlying type, which GCC
 * records as DW_AT_type of the enumeration (DWARF 3 and later). */
static bool dw_enum_signed(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Die type;
	uint64_t enc;
	for (int depth = 0; depth < 8; depth++) {
		if (!dwarf_attr_integrate(die, DW_AT_type, &attr) ||
		    !dwarf_formref_die(&attr, &type))
			return false;
		die = &type;
		if (dwarf_tag(die) == DW_TAG_base_type)
			return dw_udata(die, DW_AT_encoding, &enc) &&
			       (enc == DW_ATE_signed || enc == DW_ATE_signed_char);
	}
	return false;
}

/* DW_AT_const_value of an enumerator, sign-extended when the enum is
 * signed and the form does not say so itself. */
static bool dw_enumerator_value(Dwarf_Die *die, bool is_signed, int64_t *ret)
{
	Dwarf_Attribute attr;
	if (!dwarf_attr(die, DW_AT_const_value, &attr))
		return false;
	unsigned int form = dwarf_whatform(&attr);
	if (form == DW_FORM_sdata || form == DW_FORM_implicit_const) {
		Dwarf_Sword v;
		if (dwarf_formsdata(&attr, &v))
			return false;
		*ret = v;
		return true;
	}
	Dwarf_Word v;
	if (dwarf_formudata(&attr, &v))
		return false;
	int bits = form == DW_FORM_data1 ? 8 : form == DW_FORM_data2 ? 16 :
		   form == DW_FORM_data4 ? 32 : 64;
	if (is_signed && bits < 64 && (v >> (bits - 1) & 1))
		v |= ~(((Dwarf_Word)1 << bits) - 1);
	*ret = (int64_t)v;
	return true;
}

static struct ptv_error *dw_index_enumerators(struct dwarf_types *d,
					      Dwarf_Die *enum_die)
{
	Dwarf_Die child;
	if (dwarf_child(enum_die, &child))
		return NULL;
	bool is_signed = dw_enum_signed(enum_die);
	uint64_t id = dwarf_dieoffset(enum_die);
	do {
		const char *name;
		int64_t v;
		if (dwarf_tag(&child) != DW_TAG_enumerator ||
		    !(name = dw_name(&child)))
			continue;
		if (ptv_name_index_contains(d->base.index, PTV_NS_ENUMERATOR,
					    name) ||
		    !dw_enumerator_value(&child, is_signed, &v))
			continue;
		struct ptv_error *err = ptv_name_index_add(d->base.index,
							   PTV_NS_ENUMERATOR,
							   name, id, v, NULL);
		if (err)
			return err;
	} while (dwarf_siblingof(&child, &child) == 0);
	return NULL;
}

/* Index one top-level DIE. */
static struct ptv_error *dw_index_die(struct dwarf_types *d, Dwarf_Die *die)
{
	int ns;
	switch (dwarf_tag(die)) {
	case DW_TAG_structure_type:
		ns = PTV_NS_STRUCT;
		break;
	case DW_TAG_union_type:
		ns = PTV_NS_UNION;
		break;
	case DW_TAG_enumeration_type:
		ns = PTV_NS_ENUM;
		break;
	case DW_TAG_typedef:
		ns = PTV_NS_TYPEDEF;
		break;
	case DW_TAG_base_type:
		ns = PTV_NS_BASE;
		break;
	default:
		return NULL;
	}
	const char *name = dw_name(die);
	if (name && ptv_name_index_contains(d->base.index, ns, name))
		return NULL;	/* the usual case: a header type seen before */
	if (dwarf_hasattr(die, DW_AT_declaration))
		return NULL;
	struct ptv_error *err;
	if (name && (err = ptv_name_index_add(d->base.index, ns, name,
					      dwarf_dieoffset(die), 0, NULL)))
		return err;
	if (ns == PTV_NS_ENUM)
		return dw_index_enumerators(d, die);
	return NULL;
}

static struct ptv_error *dw_build_index(struct dwarf_types *d)
{
	struct ptv_error *err = ptv_name_index_create(1 << 16, &d->base.index);
	if (err)
		return err;
	Dwarf_CU *cu = NULL;
	Dwarf_Die unit_die, child;
	int r;
	while ((r = dwarf_get_units(d->dwarf, cu, &cu, NULL, NULL, &unit_die,
				    NULL)) == 0) {
		if (dwarf_child(&unit_die, &child))
			continue;
		do {
			if ((err = dw_index_die(d, &child)))
				return err;
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	if (r < 0)
		return dw_error(d, "cannot read the DWARF units");
	return NULL;
}

/* The dim-th subrange child of an array DIE, and how many there are. */
static int dw_subrange(Dwarf_Die *array, unsigned dim, Dwarf_Die *ret,
		       unsigned *count_ret)
{
	Dwarf_Die child;
	unsigned n = 0;
	bool found = false;
	if (dwarf_child(array, &child) == 0) {
		do {
			if (dwarf_tag(&child) != DW_TAG_subrange_type)
				continue;
			if (n == dim) {
				*ret = child;
				found = true;
			}
			if (++n > MAX_DIMS)
				break;
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	*count_ret = n;
	return found ? 0 : -1;
}

static struct ptv_error *dw_array_info(struct dwarf_types *d, Dwarf_Die *die,
				       uint64_t id, struct ptv_type_info *ret)
{
	unsigned dim = id >> DIM_SHIFT, count;
	Dwarf_Die sub;
	ret->kind = PTV_TYPE_ARRAY;
	if (dw_subrange(die, dim, &sub, &count)) {
		if (dim == 0 && count == 0) {
			/* No subrange at all: an array of unknown length. */
			return dw_type_ref(d, die, &ret->has_target, &ret->target);
		}
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: array DIE %#" PRIx64 " has no dimension %u",
					d->base.path, id & OFFSET_MASK, dim);
	}
	uint64_t v;
	if (dw_udata(&sub, DW_AT_count, &v)) {
		ret->has_array_len = true;
		ret->array_len = v;
	} else if (dw_udata(&sub, DW_AT_upper_bound, &v)) {
		uint64_t lower = 0;
		dw_udata(&sub, DW_AT_lower_bound, &lower);
		ret->has_array_len = true;
		/* GCC writes "x[0]" as upper bound -1 (all ones). */
		ret->array_len = v + 1 >= lower ? v + 1 - lower : 0;
	}
	if (dim + 1 < count) {
		ret->has_target = true;
		ret->target = (id & OFFSET_MASK) | (uint64_t)(dim + 1) << DIM_SHIFT;
		return NULL;
	}
	return dw_type_ref(d, die, &ret->has_target, &ret->target);
}

static struct ptv_error *dw_info(struct ptv_types *t, uint64_t id,
				 struct ptv_type_info *ret)
{
	struct dwarf_types *d = (struct dwarf_types *)t;
	Dwarf_Die die;
	struct ptv_error *err = dw_die(d, id, &die);
	if (err)
		return err;
	ret->name = dw_name(&die);
	uint64_t v = 0;
	ret->has_size = dw_udata(&die, DW_AT_byte_size, &v);
	ret->size = v;
	switch (dwarf_tag(&die)) {
	case DW_TAG_base_type:
		ret->kind = PTV_TYPE_INT;
		if (dw_udata(&die, DW_AT_encoding, &v)) {
			if (v == DW_ATE_float || v == DW_ATE_complex_float)
				ret->kind = PTV_TYPE_FLOAT;
			ret->is_signed = v == DW_ATE_signed ||
					 v == DW_ATE_signed_char;
		}
		return NULL;
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
		ret->kind = PTV_TYPE_STRUCT;
		return NULL;
	case DW_TAG_union_type:
		ret->kind = PTV_TYPE_UNION;
		return NULL;
	case DW_TAG_enumeration_type:
		ret->kind = PTV_TYPE_ENUM;
		ret->is_signed = dw_enum_signed(&die);
		return NULL;
	case DW_TAG_pointer_type:
		ret->kind = PTV_TYPE_POINTER;
		if (!ret->has_size) {
			uint8_t addr_size;
			Dwarf_Die cu_die;
			if (dwarf_diecu(&die, &cu_die, &addr_size, NULL)) {
				ret->has_size = true;
				ret->size = addr_size;
			}
		}
		return dw_type_ref(d, &die, &ret->has_target, &ret->target);
	case DW_TAG_typedef:
		ret->kind = PTV_TYPE_TYPEDEF;
		return dw_type_ref(d, &die, &ret->has_target, &ret->target);
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
	case DW_TAG_immutable_type:
		ret->kind = PTV_TYPE_QUALIFIER;
		return dw_type_ref(d, &die, &ret->has_target, &ret->target);
	case DW_TAG_array_type:
		ret->has_size = false;	/* types.c multiplies the dimensions */
		return dw_array_info(d, &die, id, ret);
	case DW_TAG_subroutine_type:
		ret->kind = PTV_TYPE_FUNCTION;
		return NULL;
	default:
		ret->kind = PTV_TYPE_OTHER;
		return NULL;
	}
}

/* A member's position in bits from the start of its struct. */
static struct ptv_error *dw_member_bits(struct dwarf_types *d, Dwarf_Die *m,
					struct ptv_type_member *ret)
{
	uint64_t loc = 0, v, bit_size;
	Dwarf_Attribute attr;
	if (dwarf_attr_integrate(m, DW_AT_data_member_location, &attr)) {
		Dwarf_Word w;
		Dwarf_Op *ops;
		size_t nops;
		if (dwarf_formudata(&attr, &w) == 0) {
			loc = w;
		} else if (dwarf_getlocation(&attr, &ops, &nops) == 0 &&
			   nops == 1 && (ops[0].atom == DW_OP_plus_uconst ||
					 ops[0].atom == DW_OP_constu)) {
			loc = ops[0].number;	/* DWARF 2 style */
		} else {
			return ptv_error_create(PTV_ERR_UNSUPPORTED,
						"%s: member DIE %#" PRIx64 " has a computed location",
						d->base.path, (uint64_t)dwarf_dieoffset(m));
		}
	}
	if (loc > UINT64_MAX / 8)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: member DIE %#" PRIx64 " has an absurd offset",
					d->base.path, (uint64_t)dwarf_dieoffset(m));
	ret->bit_offset = loc * 8;
	if (!dw_udata(m, DW_AT_bit_size, &bit_size))
		return NULL;
	if (bit_size == 0 || bit_size > 64)
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s: member DIE %#" PRIx64 " has bit size %" PRIu64,
					d->base.path, (uint64_t)dwarf_dieoffset(m),
					bit_size);
	ret->bit_size = (uint32_t)bit_size;
	if (dw_udata(m, DW_AT_data_bit_offset, &v)) {
		ret->bit_offset = v;	/* DWARF 4 and later */
	} else if (dw_udata(m, DW_AT_bit_offset, &v)) {
		/* DWARF 2/3 count from the most significant bit of a storage
		 * unit of DW_AT_byte_size bytes. */
		uint64_t unit;
		if (!dw_udata(m, DW_AT_byte_size, &unit))
			unit = (bit_size + v + 7) / 8;
		if (d->big_endian)
			ret->bit_offset += v;
		else if (unit * 8 >= v + bit_size)
			ret->bit_offset += unit * 8 - v - bit_size;
	}
	return NULL;
}

static struct ptv_error *dw_members(struct ptv_types *t, uint64_t id,
				    int (*fn)(const struct ptv_type_member *m,
					      void *arg),
				    void *arg, int *stopped_ret)
{
	struct dwarf_types *d = (struct dwarf_types *)t;
	Dwarf_Die die, child;
	*stopped_ret = 0;
	struct ptv_error *err = dw_die(d, id, &die);
	if (err)
		return err;
	if (dwarf_child(&die, &child))
		return NULL;
	do {
		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		struct ptv_type_member m = { .name = dw_name(&child) };
		bool has_type;
		if ((err = dw_type_ref(d, &child, &has_type, &m.type)) ||
		    (err = dw_member_bits(d, &child, &m)))
			return err;
		if (!has_type)
			return ptv_error_create(PTV_ERR_FORMAT,
						"%s: member DIE %#" PRIx64 " has no type",
						t->path, (uint64_t)dwarf_dieoffset(&child));
		int r = fn(&m, arg);
		if (r) {
			*stopped_ret = r;
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return NULL;
}

static struct ptv_error *dw_enumerators(struct ptv_types *t, uint64_t id,
					int (*fn)(const char *name,
						  int64_t value, void *arg),
					void *arg)
{
	struct dwarf_types *d = (struct dwarf_types *)t;
	Dwarf_Die die, child;
	struct ptv_error *err = dw_die(d, id, &die);
	if (err)
		return err;
	if (dwarf_child(&die, &child))
		return NULL;
	bool is_signed = dw_enum_signed(&die);
	do {
		const char *name;
		int64_t v;
		if (dwarf_tag(&child) != DW_TAG_enumerator ||
		    !(name = dw_name(&child)))
			continue;
		if (!dw_enumerator_value(&child, is_signed, &v))
			return ptv_error_create(PTV_ERR_FORMAT,
						"%s: enumerator %s has no value",
						t->path, name);
		if (fn(name, v, arg))
			break;
	} while (dwarf_siblingof(&child, &child) == 0);
	return NULL;
}

static void dw_destroy(struct ptv_types *t)
{
	struct dwarf_types *d = (struct dwarf_types *)t;
	if (d->dwarf)
		dwarf_end(d->dwarf);
	if (d->elf)
		elf_end(d->elf);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

static const struct ptv_types_ops dwarf_ops = {
	.format = "DWARF",
	.info = dw_info,
	.members = dw_members,
	.enumerators = dw_enumerators,
	.destroy = dw_destroy,
};

/* Say plainly when there is no DWARF rather than relay libdw's code. */
static struct ptv_error *dw_check_sections(struct dwarf_types *d)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Ehdr ehdr;
	if (!gelf_getehdr(d->elf, &ehdr) || elf_getshdrstrndx(d->elf, &shstrndx))
		return ptv_error_create(PTV_ERR_FORMAT, "%s: bad ELF headers: %s",
					d->base.path, elf_errmsg(-1));
	d->big_endian = ehdr.e_ident[EI_DATA] == ELFDATA2MSB;
	while ((scn = elf_nextscn(d->elf, scn))) {
		GElf_Shdr shdr;
		const char *name;
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type != SHT_NOBITS &&
		    (name = elf_strptr(d->elf, shstrndx, shdr.sh_name)) &&
		    (strcmp(name, ".debug_info") == 0 ||
		     strcmp(name, ".zdebug_info") == 0))
			return NULL;
	}
	return ptv_error_create(PTV_ERR_NOT_FOUND,
				"%s: no DWARF (.debug_info section); use a vmlinux with debug info, e.g. from the -dbg package",
				d->base.path);
}

struct ptv_error *ptv_types_open_dwarf(const char *path, struct ptv_types **ret)
{
	struct dwarf_types *d = calloc(1, sizeof(*d));
	if (!d)
		return ptv_enomem;
	d->base.ops = &dwarf_ops;
	d->fd = -1;
	if (!(d->base.path = strdup(path))) {
		free(d);
		return ptv_enomem;
	}
	struct ptv_error *err;
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0) {
		err = ptv_error_os(errno, "%s", path);
		goto fail;
	}
	elf_version(EV_CURRENT);
	d->elf = elf_begin(d->fd, ELF_C_READ_MMAP, NULL);
	if (!d->elf || elf_kind(d->elf) != ELF_K_ELF) {
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: not an ELF file%s%s",
				       path, d->elf ? "" : ": ",
				       d->elf ? "" : elf_errmsg(-1));
		goto fail;
	}
	if ((err = dw_check_sections(d)))
		goto fail;
	d->dwarf = dwarf_begin_elf(d->elf, DWARF_C_READ, NULL);
	if (!d->dwarf) {
		err = dw_error(d, "cannot read DWARF");
		goto fail;
	}
	if ((err = dw_build_index(d)))
		goto fail;
	*ret = &d->base;
	return NULL;
fail:
	ptv_types_destroy(&d->base);
	return err;
}
