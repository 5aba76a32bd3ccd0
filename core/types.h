/* Kernel type information: struct layouts, sizes and enum values read from
 * the kernel's own BTF or DWARF, so no offset is ever hard-coded.
 *
 * A struct ptv_types is one loaded type source.  Lookups take C names:
 * "mm_struct" or "struct mm_struct", "pgd_t" (a typedef), "union foo",
 * "enum pageflags".  A bare name is tried as a struct, then a union, a
 * typedef, an enum and a base type, in that order.  Typedefs and
 * const/volatile/restrict/type-tag qualifiers are always looked through.
 *
 * Errors name the file, the format, the type and the member, e.g.
 * "struct mm_struct has no member 'pgd' (BTF file /sys/kernel/btf/vmlinux)",
 * with code PTV_ERR_NOT_FOUND for names that are absent and PTV_ERR_FORMAT
 * for malformed input.  Strings handed out (ptv_member.type_name, enumerator
 * names) live as long as the struct ptv_types they came from.
 */
#ifndef PTV_TYPES_H
#define PTV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct ptv_types;

/* What a type is, after the backend's own encoding is forgotten. */
enum ptv_type_kind {
	PTV_TYPE_VOID,
	PTV_TYPE_INT,		/* integers, bool, char */
	PTV_TYPE_FLOAT,
	PTV_TYPE_POINTER,
	PTV_TYPE_ARRAY,
	PTV_TYPE_STRUCT,
	PTV_TYPE_UNION,
	PTV_TYPE_ENUM,
	PTV_TYPE_TYPEDEF,
	PTV_TYPE_QUALIFIER,	/* const, volatile, restrict, atomic, type tag */
	PTV_TYPE_FUNCTION,
	PTV_TYPE_OTHER,
};

/* Where a member lives, relative to the start of the outer struct. */
struct ptv_member {
	uint64_t offset;	/* bytes; for a bitfield, the byte holding its first bit */
	uint64_t size;		/* bytes of the member's type (a bitfield's declared
				   type); 0 for "x[]" or if unknown */
	uint32_t bit_offset;	/* bitfields: first bit within the byte at offset (0-7,
				   counted from the least significant bit on
				   little-endian targets); 0 otherwise */
	uint32_t bit_size;	/* bitfields: width in bits; 0 otherwise */
	enum ptv_type_kind kind;	/* of the member's type, typedefs looked through */
	const char *type_name;	/* first name on the member's typedef chain
				   ("atomic_t", "list_head"); NULL if anonymous
				   or a pointer */
	bool has_array_len;	/* kind == PTV_TYPE_ARRAY with a declared nonzero
				   length; "x[]" and "x[0]" have none, as BTF
				   cannot tell them apart */
	uint64_t array_len;	/* elements when has_array_len */
	uint64_t elem_size;	/* arrays: bytes per element (0 if unknown) */
};

/* Open a BTF type source: a raw BTF blob (magic 0xeB9F, either byte order,
 * e.g. /sys/kernel/btf/vmlinux) or an ELF file with a .BTF section (e.g.
 * vmlinux).  The file is read once, opened read-only, and closed before
 * returning.  On success *ret is owned by the caller (ptv_types_destroy()). */
struct ptv_error *ptv_types_open_btf(const char *path, struct ptv_types **ret);

/* The same from memory, e.g. the .BTF section found inside a crash dump.
 * data is copied; name only labels error messages. */
struct ptv_error *ptv_types_open_btf_memory(const void *data, size_t size,
					    const char *name,
					    struct ptv_types **ret);

/* Open a DWARF type source through libdw: a vmlinux with debug info or a
 * separate debug file (vmlinux-*.debug, -dbg packages).  The named struct,
 * union, enum, typedef and base type DIEs of every unit are indexed once
 * here, keeping the first complete definition of each name (declarations
 * are skipped); the file stays open (mapped) until ptv_types_destroy(). */
struct ptv_error *ptv_types_open_dwarf(const char *path, struct ptv_types **ret);

/* Release a type source; NULL is ignored. */
void ptv_types_destroy(struct ptv_types *t);

/* "BTF" or "DWARF", and the path (or name) the source was opened from. */
const char *ptv_types_format(const struct ptv_types *t);
const char *ptv_types_path(const struct ptv_types *t);

/* Find a member by a dotted path: "mm_mt.ma_root", "tasks.next",
 * "_mapcount" (members of anonymous structs and unions are found by their
 * plain name) and "count[2]" (an array element; bounds-checked when the
 * length is declared).  A path never goes through a pointer.  On success
 * fills *ret. */
struct ptv_error *ptv_types_member(struct ptv_types *t, const char *struct_name,
				   const char *member_path,
				   struct ptv_member *ret);

/* Whether ptv_types_member() would succeed: for layouts that differ between
 * kernel versions.  No error is allocated. */
bool ptv_types_has_member(struct ptv_types *t, const char *struct_name,
			  const char *member_path);

/* The declared length of an array member, e.g. ("mm_struct",
 * "rss_stat.count") -> NR_MM_COUNTERS on kernels that have it.  An error
 * if the member is not an array or its length is not declared. */
struct ptv_error *ptv_types_array_len(struct ptv_types *t,
				      const char *struct_name,
				      const char *member_path, uint64_t *ret);

/* sizeof(type_name) for a struct, union, typedef, enum or base type. */
struct ptv_error *ptv_types_sizeof(struct ptv_types *t, const char *type_name,
				   uint64_t *ret);

/* Whether a type of that name (with the usual "struct "/... prefixes) has
 * a complete definition. */
bool ptv_types_has_type(struct ptv_types *t, const char *type_name);

/* The value of an enumerator.  With enum_name NULL any enum is searched
 * (anonymous ones too: "MM_ANONPAGES", "NR_MM_COUNTERS"); the first
 * enumerator of that name wins. */
struct ptv_error *ptv_types_enum_value(struct ptv_types *t,
				       const char *enum_name,
				       const char *enumerator, int64_t *ret);

/* Call fn for every enumerator of enum enum_name in declaration order, e.g.
 * to decode page->flags by name.  fn returns 0 to go on and anything else
 * to stop early, which is not an error. */
struct ptv_error *ptv_types_enum_foreach(struct ptv_types *t,
					 const char *enum_name,
					 int (*fn)(const char *name,
						   int64_t value, void *arg),
					 void *arg);

/* ---- Backend interface: for types.c, types-btf.c and types-dwarf.c only --
 *
 * A backend names each type by a 64-bit id of its own choosing (a BTF type
 * id, a DWARF DIE offset), indexes the named ones in t->index while
 * opening, and answers three questions about an id; types.c does
 * everything else (name parsing, typedef chains, member paths,
 * anonymous members, recursion bounds, error messages).
 */

/* What types.c needs to know about one type. */
struct ptv_type_info {
	enum ptv_type_kind kind;
	const char *name;	/* NULL if anonymous */
	bool has_size;
	uint64_t size;		/* bytes: int, float, pointer, struct, union, enum */
	bool has_target;
	uint64_t target;	/* pointee, element, typedef'd or qualified type */
	bool has_array_len;
	uint64_t array_len;	/* arrays */
	bool is_signed;		/* ints and enums */
};

/* One member of a struct or union, as the backend stores it. */
struct ptv_type_member {
	const char *name;	/* NULL for an anonymous struct/union member */
	uint64_t type;
	uint64_t bit_offset;	/* from the start of the containing type */
	uint32_t bit_size;	/* 0 unless a bitfield */
};

/* Kinds of names the backends index (C keeps tags and typedefs apart). */
enum ptv_name_space {
	PTV_NS_STRUCT,
	PTV_NS_UNION,
	PTV_NS_ENUM,
	PTV_NS_TYPEDEF,
	PTV_NS_BASE,
	PTV_NS_ENUMERATOR,	/* id: the enum; value: the enumerator's */
	PTV_NS_COUNT,
};

struct ptv_name_index;

struct ptv_types_ops {
	const char *format;	/* "BTF", "DWARF" */
	struct ptv_error *(*info)(struct ptv_types *t, uint64_t id,
				  struct ptv_type_info *ret);
	/* Call fn for each member of a struct or union in order; a nonzero
	 * return of fn stops and is passed back in *stopped_ret. */
	struct ptv_error *(*members)(struct ptv_types *t, uint64_t id,
				     int (*fn)(const struct ptv_type_member *m,
					       void *arg),
				     void *arg, int *stopped_ret);
	struct ptv_error *(*enumerators)(struct ptv_types *t, uint64_t id,
					 int (*fn)(const char *name,
						   int64_t value, void *arg),
					 void *arg);
	void (*destroy)(struct ptv_types *t);
};

/* The part of every backend's state that types.c reads; a backend embeds
 * it first in its own struct and fills index while opening. */
struct ptv_types {
	const struct ptv_types_ops *ops;
	char *path;			/* owned */
	struct ptv_name_index *index;	/* owned; every complete named type */
};

/* A string-keyed index shared by the backends: (name space, name) -> id and
 * value.  Keys are not copied: they must outlive the index.  Inserting a
 * key that is already present keeps the first entry. */
struct ptv_error *ptv_name_index_create(size_t expected,
					struct ptv_name_index **ret);
void ptv_name_index_destroy(struct ptv_name_index *idx);
/* Returns ptv_enomem on failure, else NULL; *inserted_ret (may be NULL)
 * tells whether the key was new. */
struct ptv_error *ptv_name_index_add(struct ptv_name_index *idx,
				     enum ptv_name_space ns, const char *name,
				     uint64_t id, int64_t value,
				     bool *inserted_ret);
bool ptv_name_index_contains(const struct ptv_name_index *idx,
			     enum ptv_name_space ns, const char *name);
/* ptv_not_found if absent. */
struct ptv_error *ptv_name_index_find(const struct ptv_name_index *idx,
				      enum ptv_name_space ns, const char *name,
				      uint64_t *id_ret, int64_t *value_ret);

#endif /* PTV_TYPES_H */
