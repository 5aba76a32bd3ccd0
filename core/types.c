/* Kernel type lookups common to BTF and DWARF: names, typedef chains,
 * member paths through anonymous structs and unions, sizes and enums. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/types.h"

/* Typedef and qualifier chains in the kernel are a handful deep; anything
 * longer is a loop in corrupt input. */
#define MAX_CHAIN 64
/* struct page nests anonymous unions and structs three deep. */
#define MAX_ANON_DEPTH 16
/* Dotted paths and array nesting are short; bound them anyway. */
#define MAX_PATH_PARTS 32

/* ---- The name index: open addressing, linear probing ------------------- */

struct name_entry {
	const char *name;	/* NULL: empty slot */
	uint64_t id;
	int64_t value;
	uint32_t hash;
	uint8_t ns;
};

struct ptv_name_index {
	struct name_entry *slots;
	size_t mask;		/* capacity - 1, capacity a power of two */
	size_t used;
};

/* FNV-1a, mixed with the name space so "struct x" and "enum x" differ. */
static uint32_t name_hash(enum ptv_name_space ns, const char *name)
{
	uint32_t h = 2166136261u ^ (uint32_t)ns;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

struct ptv_error *ptv_name_index_create(size_t expected,
					struct ptv_name_index **ret)
{
	struct ptv_name_index *idx = calloc(1, sizeof(*idx));
	if (!idx)
		return ptv_enomem;
	size_t cap = 64;
	while (cap < expected * 2 && cap < ((size_t)1 << 40))
		cap <<= 1;
	idx->slots = calloc(cap, sizeof(*idx->slots));
	if (!idx->slots) {
		free(idx);
		return ptv_enomem;
	}
	idx->mask = cap - 1;
	*ret = idx;
	return NULL;
}

void ptv_name_index_destroy(struct ptv_name_index *idx)
{
	if (!idx)
		return;
	free(idx->slots);
	free(idx);
}

static struct name_entry *index_slot(const struct ptv_name_index *idx,
				     enum ptv_name_space ns, const char *name,
				     uint32_t hash)
{
	for (size_t i = hash & idx->mask;; i = (i + 1) & idx->mask) {
		struct name_entry *e = &idx->slots[i];
		if (!e->name || (e->hash == hash && e->ns == ns &&
				 strcmp(e->name, name) == 0))
			return e;
	}
}

static struct ptv_error *index_grow(struct ptv_name_index *idx)
{
	size_t cap = (idx->mask + 1) * 2;
	struct name_entry *old = idx->slots;
	size_t old_cap = idx->mask + 1;
	idx->slots = calloc(cap, sizeof(*idx->slots));
	if (!idx->slots) {
		idx->slots = old;
		return ptv_enomem;
	}
	idx->mask = cap - 1;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].name)
			continue;
		*index_slot(idx, old[i].ns, old[i].name, old[i].hash) = old[i];
	}
	free(old);
	return NULL;
}

struct ptv_error *ptv_name_index_add(struct ptv_name_index *idx,
				     enum ptv_name_space ns, const char *name,
				     uint64_t id, int64_t value,
				     bool *inserted_ret)
{
	if ((idx->used + 1) * 4 > (idx->mask + 1) * 3) {
		struct ptv_error *err = index_grow(idx);
		if (err)
			return err;
	}
	uint32_t hash = name_hash(ns, name);
	struct name_entry *e = index_slot(idx, ns, name, hash);
	bool inserted = !e->name;
	if (inserted) {
		*e = (struct name_entry){ name, id, value, hash, (uint8_t)ns };
		idx->used++;
	}
	if (inserted_ret)
		*inserted_ret = inserted;
	return NULL;
}

bool ptv_name_index_contains(const struct ptv_name_index *idx,
			     enum ptv_name_space ns, const char *name)
{
	return index_slot(idx, ns, name, name_hash(ns, name))->name != NULL;
}

struct ptv_error *ptv_name_index_find(const struct ptv_name_index *idx,
				      enum ptv_name_space ns, const char *name,
				      uint64_t *id_ret, int64_t *value_ret)
{
	const struct name_entry *e = index_slot(idx, ns, name,
						name_hash(ns, name));
	if (!e->name)
		return ptv_not_found;
	if (id_ret)
		*id_ret = e->id;
	if (value_ret)
		*value_ret = e->value;
	return NULL;
}

/* ---- Sources ------------------------------------------------------------ */

void ptv_types_destroy(struct ptv_types *t)
{
	if (!t)
		return;
	ptv_name_index_destroy(t->index);
	free(t->path);
	t->ops->destroy(t);
}

const char *ptv_types_format(const struct ptv_types *t)
{
	return t->ops->format;
}

const char *ptv_types_path(const struct ptv_types *t)
{
	return t->path;
}

/* Every message ends by naming the source: "(BTF file /path)". */
#define SRC_FMT " (%s file %s)"
#define SRC_ARGS(t) (t)->ops->format, (t)->path

/* ---- Names and typedef chains ------------------------------------------ */

static const char *const ns_words[PTV_NS_COUNT] = {
	[PTV_NS_STRUCT] = "struct",
	[PTV_NS_UNION] = "union",
	[PTV_NS_ENUM] = "enum",
	[PTV_NS_TYPEDEF] = "typedef",
	[PTV_NS_BASE] = "base type",
	[PTV_NS_ENUMERATOR] = "enumerator",
};

/* Split "struct foo" into its name space and "foo"; a bare name gets
 * PTV_NS_COUNT, meaning "try them all". */
static const char *split_name(const char *name, enum ptv_name_space *ns_ret)
{
	static const enum ptv_name_space tagged[] = {
		PTV_NS_STRUCT, PTV_NS_UNION, PTV_NS_ENUM,
	};
	while (*name == ' ')
		name++;
	for (size_t i = 0; i < sizeof(tagged) / sizeof(tagged[0]); i++) {
		const char *w = ns_words[tagged[i]];
		size_t n = strlen(w);
		if (strncmp(name, w, n) == 0 && name[n] == ' ') {
			name += n;
			while (*name == ' ')
				name++;
			*ns_ret = tagged[i];
			return name;
		}
	}
	*ns_ret = PTV_NS_COUNT;
	return name;
}

static struct ptv_error *type_info(struct ptv_types *t, uint64_t id,
				   struct ptv_type_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	return t->ops->info(t, id, ret);
}

/* Follow typedefs and qualifiers to the type they stand for.  *name_ret
 * (may be NULL) gets the first name met on the way, e.g. "atomic_t". */
static struct ptv_error *resolve(struct ptv_types *t, uint64_t id,
				 uint64_t *id_ret, struct ptv_type_info *ret,
				 const char **name_ret)
{
	const char *first_name = NULL;
	struct ptv_type_info info;
	for (int depth = 0; depth < MAX_CHAIN; depth++) {
		struct ptv_error *err = type_info(t, id, &info);
		if (err)
			return err;
		if (!first_name && info.kind != PTV_TYPE_QUALIFIER)
			first_name = info.name;
		if (info.kind != PTV_TYPE_TYPEDEF &&
		    info.kind != PTV_TYPE_QUALIFIER) {
			*id_ret = id;
			*ret = info;
			if (name_ret)
				*name_ret = first_name;
			return NULL;
		}
		if (!info.has_target) {
			/* "const void": a qualifier of nothing. */
			*id_ret = id;
			*ret = (struct ptv_type_info){ .kind = PTV_TYPE_VOID };
			if (name_ret)
				*name_ret = first_name;
			return NULL;
		}
		id = info.target;
	}
	return ptv_error_create(PTV_ERR_FORMAT,
				"typedef/qualifier chain longer than %d types at type %#" PRIx64
				SRC_FMT, MAX_CHAIN, id, SRC_ARGS(t));
}

/* sizeof a type; arrays multiply, typedefs look through.  ptv_not_found if
 * the type has none (void, a function, a pointer of unknown width). */
static struct ptv_error *type_size(struct ptv_types *t, uint64_t id,
				   uint64_t *ret)
{
	uint64_t mult = 1;
	for (int depth = 0; depth < MAX_CHAIN; depth++) {
		struct ptv_type_info info;
		struct ptv_error *err = resolve(t, id, &id, &info, NULL);
		if (err)
			return err;
		if (info.kind == PTV_TYPE_ARRAY) {
			if (!info.has_target)
				break;
			uint64_t n = info.has_array_len ? info.array_len : 0;
			if (n && mult > UINT64_MAX / n)
				return ptv_error_create(PTV_ERR_FORMAT,
							"array type %#" PRIx64 " is absurdly large" SRC_FMT,
							id, SRC_ARGS(t));
			mult *= n;
			id = info.target;
			continue;
		}
		if (!info.has_size)
			break;
		if (mult && info.size > UINT64_MAX / mult)
			return ptv_error_create(PTV_ERR_FORMAT,
						"array type %#" PRIx64 " is absurdly large" SRC_FMT,
						id, SRC_ARGS(t));
		*ret = mult * info.size;
		return NULL;
	}
	return ptv_not_found;
}

/* Compilers name base types in one spelling ("long unsigned int"); accept
 * the usual C ones too. */
static const char *base_type_name(const char *name)
{
	static const char *const aliases[][2] = {
		{ "long", "long int" },
		{ "unsigned long", "long unsigned int" },
		{ "long long", "long long int" },
		{ "unsigned long long", "long long unsigned int" },
		{ "short", "short int" },
		{ "unsigned short", "short unsigned int" },
		{ "unsigned", "unsigned int" },
	};
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(name, aliases[i][0]) == 0)
			return aliases[i][1];
	}
	return name;
}

/* Find a complete type by C name; name spaces are tried in the order the
 * header promises.  want restricts to struct/union (for member lookups) or
 * enum. */
enum want { WANT_ANY, WANT_AGGREGATE, WANT_ENUM };

static struct ptv_error *find_type(struct ptv_types *t, const char *cname,
				   enum want want, bool quiet, uint64_t *id_ret,
				   struct ptv_type_info *info_ret)
{
	static const enum ptv_name_space order[] = {
		PTV_NS_STRUCT, PTV_NS_UNION, PTV_NS_TYPEDEF, PTV_NS_ENUM,
		PTV_NS_BASE,
	};
	enum ptv_name_space only;
	const char *name = split_name(cname, &only);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum ptv_name_space ns = order[i];
		if (only != PTV_NS_COUNT && ns != only)
			continue;
		if (want == WANT_AGGREGATE && ns != PTV_NS_STRUCT &&
		    ns != PTV_NS_UNION && ns != PTV_NS_TYPEDEF)
			continue;
		if (want == WANT_ENUM && ns != PTV_NS_ENUM &&
		    ns != PTV_NS_TYPEDEF)
			continue;
		uint64_t id;
		const char *key = ns == PTV_NS_BASE ? base_type_name(name) : name;
		if (ptv_name_index_find(t->index, ns, key, &id, NULL))
			continue;
		struct ptv_type_info info;
		struct ptv_error *err = resolve(t, id, &id, &info, NULL);
		if (err)
			return err;
		if (want == WANT_AGGREGATE && info.kind != PTV_TYPE_STRUCT &&
		    info.kind != PTV_TYPE_UNION)
			continue;
		if (want == WANT_ENUM && info.kind != PTV_TYPE_ENUM)
			continue;
		*id_ret = id;
		*info_ret = info;
		return NULL;
	}
	if (quiet)
		return ptv_not_found;
	const char *what = want == WANT_AGGREGATE ? "struct, union or typedef of one"
			 : want == WANT_ENUM ? "enum"
			 : "type";
	return ptv_error_create(PTV_ERR_NOT_FOUND, "no %s named '%s'" SRC_FMT,
				what, cname, SRC_ARGS(t));
}

bool ptv_types_has_type(struct ptv_types *t, const char *type_name)
{
	enum ptv_name_space only;
	const char *name = split_name(type_name, &only);
	for (int ns = 0; ns < PTV_NS_ENUMERATOR; ns++) {
		if ((only == PTV_NS_COUNT || (int)only == ns) &&
		    ptv_name_index_contains(t->index, ns, name))
			return true;
	}
	return false;
}

struct ptv_error *ptv_types_sizeof(struct ptv_types *t, const char *type_name,
				   uint64_t *ret)
{
	uint64_t id;
	struct ptv_type_info info;
	struct ptv_error *err = find_type(t, type_name, WANT_ANY, false, &id, &info);
	if (err)
		return err;
	err = type_size(t, id, ret);
	if (err == ptv_not_found)
		return ptv_error_create(PTV_ERR_NOT_FOUND, "type '%s' has no size"
					SRC_FMT, type_name, SRC_ARGS(t));
	return err;
}

/* ---- Member paths ------------------------------------------------------- */

struct member_search {
	struct ptv_types *t;
	const char *name;
	size_t name_len;
	int depth;
	struct ptv_error *err;
	bool found;
	struct ptv_type_member member;	/* bit_offset relative to the search root */
};

static struct ptv_error *find_member_in(struct ptv_types *t, uint64_t id,
					const char *name, size_t name_len,
					int depth, bool *found_ret,
					struct ptv_type_member *ret);

static int member_search_fn(const struct ptv_type_member *m, void *arg)
{
	struct member_search *s = arg;
	if (m->name) {
		if (strncmp(m->name, s->name, s->name_len) == 0 &&
		    m->name[s->name_len] == '\0') {
			s->member = *m;
			s->found = true;
			return 1;
		}
		return 0;
	}
	/* An anonymous struct or union: its members belong to this scope. */
	uint64_t id;
	struct ptv_type_info info;
	s->err = resolve(s->t, m->type, &id, &info, NULL);
	if (s->err)
		return 1;
	if (info.kind != PTV_TYPE_STRUCT && info.kind != PTV_TYPE_UNION)
		return 0;
	struct ptv_type_member inner;
	bool found = false;
	s->err = find_member_in(s->t, id, s->name, s->name_len, s->depth + 1,
				&found, &inner);
	if (s->err)
		return 1;
	if (!found)
		return 0;
	s->member = inner;
	s->member.bit_offset += m->bit_offset;
	s->found = true;
	return 1;
}

/* Look for a member named name[0..name_len) in the struct or union id,
 * descending into anonymous members. */
static struct ptv_error *find_member_in(struct ptv_types *t, uint64_t id,
					const char *name, size_t name_len,
					int depth, bool *found_ret,
					struct ptv_type_member *ret)
{
	if (depth > MAX_ANON_DEPTH)
		return ptv_error_create(PTV_ERR_FORMAT,
					"anonymous members nested deeper than %d at type %#" PRIx64
					SRC_FMT, MAX_ANON_DEPTH, id, SRC_ARGS(t));
	struct member_search s = {
		.t = t, .name = name, .name_len = name_len, .depth = depth,
	};
	int stopped = 0;
	struct ptv_error *err = t->ops->members(t, id, member_search_fn, &s,
						&stopped);
	if (err)
		return err;
	if (s.err)
		return s.err;
	*found_ret = s.found;
	if (s.found)
		*ret = s.member;
	return NULL;
}

static const char *aggregate_word(enum ptv_type_kind kind)
{
	return kind == PTV_TYPE_UNION ? "union" : "struct";
}

/* Parse "[N]" subscripts after a member name; returns the number found or
 * -1 if malformed. */
static int parse_subscripts(const char *p, const char *end, uint64_t *idx,
			    int max)
{
	int n = 0;
	while (p < end) {
		if (*p != '[' || n == max)
			return -1;
		char *q;
		errno = 0;
		unsigned long long v = strtoull(p + 1, &q, 0);
		if (errno || q == p + 1 || q >= end || *q != ']')
			return -1;
		idx[n++] = v;
		p = q + 1;
	}
	return n;
}

/* Walk member_path from the struct or union root and fill *ret.  When
 * quiet (ptv_types_has_member()), a missing type or member gives the
 * ptv_not_found sentinel rather than an allocated error. */
static struct ptv_error *walk_member_path(struct ptv_types *t,
					  const char *struct_name,
					  const char *member_path, bool quiet,
					  struct ptv_member *ret)
{
	uint64_t id;
	struct ptv_type_info info;
	struct ptv_error *err = find_type(t, struct_name, WANT_AGGREGATE, quiet,
					  &id, &info);
	if (err)
		return err;
	enum ptv_name_space ns_unused;
	const char *root_name = split_name(struct_name, &ns_unused);
	enum ptv_type_kind root_kind = info.kind;

	uint64_t bits = 0;
	struct ptv_type_member m = { 0 };
	uint64_t type = id;
	const char *p = member_path;
	for (int part = 0;; part++) {
		const char *dot = strchr(p, '.');
		const char *end = dot ? dot : p + strlen(p);
		const char *br = memchr(p, '[', end - p);
		size_t name_len = (br ? br : end) - p;
		if (name_len == 0 || part == MAX_PATH_PARTS)
			return quiet ? ptv_not_found :
			       ptv_error_create(PTV_ERR_USAGE,
						"bad member path '%s' for %s %s",
						member_path,
						aggregate_word(root_kind),
						root_name);
		uint64_t subs[8];
		int nsubs = br ? parse_subscripts(br, end, subs, 8) : 0;
		if (nsubs < 0)
			return quiet ? ptv_not_found :
			       ptv_error_create(PTV_ERR_USAGE,
						"bad subscript in member path '%s' for %s %s",
						member_path,
						aggregate_word(root_kind),
						root_name);

		err = resolve(t, type, &type, &info, NULL);
		if (err)
			return err;
		if (info.kind != PTV_TYPE_STRUCT && info.kind != PTV_TYPE_UNION) {
			if (quiet)
				return ptv_not_found;
			return ptv_error_create(PTV_ERR_NOT_FOUND,
						"%s %s has no member '%s': '%.*s' is not a struct or union%s"
						SRC_FMT, aggregate_word(root_kind),
						root_name, member_path,
						(int)(p - member_path - 1), member_path,
						info.kind == PTV_TYPE_POINTER ?
						" (a pointer; paths do not follow pointers)" : "",
						SRC_ARGS(t));
		}
		bool found;
		err = find_member_in(t, type, p, name_len, 0, &found, &m);
		if (err)
			return err;
		if (!found) {
			if (quiet)
				return ptv_not_found;
			if (part == 0)
				return ptv_error_create(PTV_ERR_NOT_FOUND,
							"%s %s has no member '%.*s'" SRC_FMT,
							aggregate_word(root_kind), root_name,
							(int)name_len, p, SRC_ARGS(t));
			return ptv_error_create(PTV_ERR_NOT_FOUND,
						"%s %s has no member '%s': %s %s has no member '%.*s'"
						SRC_FMT, aggregate_word(root_kind), root_name,
						member_path, aggregate_word(info.kind),
						info.name ? info.name : "(anonymous)",
						(int)name_len, p, SRC_ARGS(t));
		}
		bits += m.bit_offset;
		type = m.type;
		for (int i = 0; i < nsubs; i++) {
			err = resolve(t, type, &type, &info, NULL);
			if (err)
				return err;
			if (info.kind != PTV_TYPE_ARRAY || !info.has_target ||
			    (info.has_array_len && info.array_len > 0 &&
			     subs[i] >= info.array_len)) {
				if (quiet)
					return ptv_not_found;
				return ptv_error_create(PTV_ERR_NOT_FOUND,
							"%s %s: subscript %" PRIu64 " in '%s' is %s"
							SRC_FMT, aggregate_word(root_kind),
							root_name, subs[i], member_path,
							info.kind == PTV_TYPE_ARRAY ?
							"out of bounds" : "not of an array",
							SRC_ARGS(t));
			}
			uint64_t esize;
			err = type_size(t, info.target, &esize);
			if (err == ptv_not_found)
				return quiet ? err :
				       ptv_error_create(PTV_ERR_FORMAT,
							"elements of '%s' have no size" SRC_FMT,
							member_path, SRC_ARGS(t));
			if (err)
				return err;
			if (esize && subs[i] > (UINT64_MAX / 8 - bits) / esize / 8)
				return ptv_error_create(PTV_ERR_FORMAT,
							"subscript %" PRIu64 " in '%s' overflows"
							SRC_FMT, subs[i], member_path,
							SRC_ARGS(t));
			bits += subs[i] * esize * 8;
			m.bit_size = 0;
			type = info.target;
		}
		if (!dot)
			break;
		p = dot + 1;
	}

	/* Describe the type the path ended on. */
	struct ptv_member out = { 0 };
	err = resolve(t, type, &type, &info, &out.type_name);
	if (err)
		return err;
	out.kind = info.kind;
	if (info.kind == PTV_TYPE_POINTER)
		out.type_name = NULL;
	if (info.kind == PTV_TYPE_ARRAY) {
		/* BTF says 0 for both "x[]" and "x[0]"; make DWARF agree. */
		out.has_array_len = info.has_array_len && info.array_len > 0;
		out.array_len = out.has_array_len ? info.array_len : 0;
		/* elem_size stays 0 if unknown, as the header says. */
		if (info.has_target)
			ptv_error_destroy(type_size(t, info.target,
						    &out.elem_size));
	}
	if (info.kind == PTV_TYPE_ARRAY && !out.has_array_len) {
		out.size = 0;	/* a flexible array member */
	} else if (info.kind != PTV_TYPE_FUNCTION && info.kind != PTV_TYPE_VOID) {
		err = type_size(t, type, &out.size);
		if (err == ptv_not_found)
			out.size = 0;	/* e.g. a pointer in BTF with no "long" */
		else if (err)
			return err;
	}
	out.offset = bits / 8;
	if (m.bit_size) {
		out.bit_offset = bits % 8;
		out.bit_size = m.bit_size;
	} else if (bits % 8) {
		return ptv_error_create(PTV_ERR_FORMAT,
					"%s %s member '%s' is not byte-aligned (bit %" PRIu64 ")"
					SRC_FMT, aggregate_word(root_kind), root_name,
					member_path, bits, SRC_ARGS(t));
	}
	*ret = out;
	return NULL;
}

struct ptv_error *ptv_types_member(struct ptv_types *t, const char *struct_name,
				   const char *member_path,
				   struct ptv_member *ret)
{
	return walk_member_path(t, struct_name, member_path, false, ret);
}

bool ptv_types_has_member(struct ptv_types *t, const char *struct_name,
			  const char *member_path)
{
	struct ptv_member m;
	struct ptv_error *err = walk_member_path(t, struct_name, member_path,
						 true, &m);
	bool found = err == NULL;
	ptv_error_destroy(err);
	return found;
}

struct ptv_error *ptv_types_array_len(struct ptv_types *t,
				      const char *struct_name,
				      const char *member_path, uint64_t *ret)
{
	struct ptv_member m;
	struct ptv_error *err = ptv_types_member(t, struct_name, member_path, &m);
	if (err)
		return err;
	if (m.kind != PTV_TYPE_ARRAY || !m.has_array_len)
		return ptv_error_create(PTV_ERR_NOT_FOUND,
					"%s.%s is %s" SRC_FMT, struct_name,
					member_path,
					m.kind == PTV_TYPE_ARRAY ?
					"an array without a declared length" :
					"not an array", SRC_ARGS(t));
	*ret = m.array_len;
	return NULL;
}

/* ---- Enums -------------------------------------------------------------- */

struct enum_search {
	const char *name;
	bool found;
	int64_t value;
};

static int enum_search_fn(const char *name, int64_t value, void *arg)
{
	struct enum_search *s = arg;
	if (strcmp(name, s->name) != 0)
		return 0;
	s->found = true;
	s->value = value;
	return 1;
}

struct ptv_error *ptv_types_enum_value(struct ptv_types *t,
				       const char *enum_name,
				       const char *enumerator, int64_t *ret)
{
	if (!enum_name) {
		int64_t value;
		if (ptv_name_index_find(t->index, PTV_NS_ENUMERATOR, enumerator,
					NULL, &value))
			return ptv_error_create(PTV_ERR_NOT_FOUND,
						"no enumerator named '%s' in any enum"
						SRC_FMT, enumerator, SRC_ARGS(t));
		*ret = value;
		return NULL;
	}
	uint64_t id;
	struct ptv_type_info info;
	struct ptv_error *err = find_type(t, enum_name, WANT_ENUM, false, &id, &info);
	if (err)
		return err;
	struct enum_search s = { .name = enumerator };
	err = t->ops->enumerators(t, id, enum_search_fn, &s);
	if (err)
		return err;
	if (!s.found) {
		enum ptv_name_space ns;
		return ptv_error_create(PTV_ERR_NOT_FOUND,
					"enum %s has no enumerator '%s'" SRC_FMT,
					split_name(enum_name, &ns), enumerator,
					SRC_ARGS(t));
	}
	*ret = s.value;
	return NULL;
}

struct ptv_error *ptv_types_enum_foreach(struct ptv_types *t,
					 const char *enum_name,
					 int (*fn)(const char *name,
						   int64_t value, void *arg),
					 void *arg)
{
	uint64_t id;
	struct ptv_type_info info;
	struct ptv_error *err = find_type(t, enum_name, WANT_ENUM, false, &id, &info);
	if (err)
		return err;
	return t->ops->enumerators(t, id, fn, arg);
}
