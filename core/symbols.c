/* Kernel symbol table: a name hash over one array of symbols, loaders for
 * each source, and a lazily sorted view for address -> name. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/symbols.h"

/* A System.map is ~4 MiB; kallsyms with modules rarely 20 MiB. */
#define MAX_TEXT_SIZE ((size_t)256 << 20)

enum {
	SYM_LINK = 1,		/* link holds a link-time address */
	SYM_RELOC = 2,		/* reloc holds a relocated address */
	SYM_ABSOLUTE = 4,	/* never relocated (type 'A') */
};

struct sym {
	const char *name;	/* in one of s->blobs */
	uint64_t link, reloc;
	uint32_t hash;
	uint8_t flags;
};

/* Memory that names point into: whole files or copied strings. */
struct blob {
	struct blob *next;
	char data[];
};

struct ptv_symbols {
	struct sym *syms;
	size_t nsyms, cap;
	uint32_t *slots;	/* index + 1 into syms; 0 = empty */
	size_t mask;
	struct blob *blobs;
	uint64_t offset;
	/* Sorted relocated addresses for ptv_symbols_nearest(); rebuilt when
	 * stale. */
	struct sorted { uint64_t addr; uint32_t sym; } *sorted;
	size_t nsorted;
	bool sorted_stale;
};

/* A parsed but not yet added symbol. */
struct pending {
	const char *name;
	uint64_t addr;
	uint8_t flags;
};

struct pending_vec {
	struct pending *v;
	size_t n, cap;
};

static uint32_t sym_hash(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

struct ptv_error *ptv_symbols_create(struct ptv_symbols **ret)
{
	struct ptv_symbols *s = calloc(1, sizeof(*s));
	if (!s)
		return ptv_enomem;
	s->mask = 1023;
	s->slots = calloc(s->mask + 1, sizeof(*s->slots));
	if (!s->slots) {
		free(s);
		return ptv_enomem;
	}
	*ret = s;
	return NULL;
}

void ptv_symbols_destroy(struct ptv_symbols *s)
{
	if (!s)
		return;
	while (s->blobs) {
		struct blob *next = s->blobs->next;
		free(s->blobs);
		s->blobs = next;
	}
	free(s->syms);
	free(s->slots);
	free(s->sorted);
	free(s);
}

static struct blob *blob_new(struct ptv_symbols *s, size_t size)
{
	struct blob *b = malloc(sizeof(*b) + size + 1);
	if (!b)
		return NULL;
	b->next = s->blobs;
	s->blobs = b;
	return b;
}

/* Slot for name: either holding it or the empty one where it belongs. */
static uint32_t *sym_slot(const struct ptv_symbols *s, const char *name,
			  uint32_t hash)
{
	for (size_t i = hash & s->mask;; i = (i + 1) & s->mask) {
		uint32_t *slot = &s->slots[i];
		if (!*slot)
			return slot;
		const struct sym *sym = &s->syms[*slot - 1];
		if (sym->hash == hash && strcmp(sym->name, name) == 0)
			return slot;
	}
}

static struct ptv_error *sym_reserve(struct ptv_symbols *s, size_t more)
{
	size_t need = s->nsyms + more;
	if (need > UINT32_MAX - 1)
		return ptv_error_create(PTV_ERR_FORMAT, "too many symbols (%zu)", need);
	if (need > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		while (cap < need)
			cap *= 2;
		struct sym *n = realloc(s->syms, cap * sizeof(*n));
		if (!n)
			return ptv_enomem;
		s->syms = n;
		s->cap = cap;
	}
	if (need * 4 <= (s->mask + 1) * 3)
		return NULL;
	size_t slots = s->mask + 1;
	while (need * 4 > slots * 3)
		slots *= 2;
	uint32_t *n = calloc(slots, sizeof(*n));
	if (!n)
		return ptv_enomem;
	free(s->slots);
	s->slots = n;
	s->mask = slots - 1;
	for (size_t i = 0; i < s->nsyms; i++)
		*sym_slot(s, s->syms[i].name, s->syms[i].hash) = i + 1;
	return NULL;
}

/* Add after sym_reserve() made room: cannot fail. */
static void sym_add_reserved(struct ptv_symbols *s, const char *name,
			     uint64_t addr, uint8_t flags)
{
	uint32_t hash = sym_hash(name);
	uint32_t *slot = sym_slot(s, name, hash);
	struct sym *sym;
	if (*slot) {
		sym = &s->syms[*slot - 1];
	} else {
		sym = &s->syms[s->nsyms++];
		*sym = (struct sym){ .name = name, .hash = hash };
		*slot = s->nsyms;
	}
	if ((flags & SYM_LINK) && !(sym->flags & SYM_LINK)) {
		sym->link = addr;
		sym->flags |= SYM_LINK | (flags & SYM_ABSOLUTE);
	} else if ((flags & SYM_RELOC) && !(sym->flags & SYM_RELOC)) {
		sym->reloc = addr;
		sym->flags |= SYM_RELOC | (flags & SYM_ABSOLUTE);
	}
	s->sorted_stale = true;
}

static struct ptv_error *commit(struct ptv_symbols *s, struct pending_vec *p)
{
	struct ptv_error *err = sym_reserve(s, p->n);
	if (err)
		return err;
	for (size_t i = 0; i < p->n; i++)
		sym_add_reserved(s, p->v[i].name, p->v[i].addr, p->v[i].flags);
	return NULL;
}

static struct ptv_error *pending_push(struct pending_vec *p, const char *name,
				      uint64_t addr, uint8_t flags)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		struct pending *n = realloc(p->v, cap * sizeof(*n));
		if (!n)
			return ptv_enomem;
		p->v = n;
		p->cap = cap;
	}
	p->v[p->n++] = (struct pending){ name, addr, flags };
	return NULL;
}

struct ptv_error *ptv_symbols_add(struct ptv_symbols *s, const char *name,
				  uint64_t addr, bool relocated)
{
	size_t len = strlen(name);
	struct ptv_error *err = sym_reserve(s, 1);
	if (err)
		return err;
	struct blob *b = blob_new(s, len);
	if (!b)
		return ptv_enomem;
	memcpy(b->data, name, len + 1);
	sym_add_reserved(s, b->data, addr, relocated ? SYM_RELOC : SYM_LINK);
	return NULL;
}

/* ---- Text sources -------------------------------------------------------- */

/* Read a whole file into a new blob, NUL-terminated. */
static struct ptv_error *read_text(struct ptv_symbols *s, const char *path,
				   struct blob **blob_ret, size_t *len_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ptv_error_os(errno, "%s", path);
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1);
	struct ptv_error *err = NULL;
	while (buf) {
		if (len == cap) {
			if (cap >= MAX_TEXT_SIZE) {
				err = ptv_error_create(PTV_ERR_FORMAT,
						       "%s: more than %zu bytes, too big for a symbol list",
						       path, MAX_TEXT_SIZE);
				break;
			}
			char *n = realloc(buf, cap * 2 + 1);
			if (!n)
				break;
			buf = n;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = ptv_error_os(errno, "%s: read", path);
			break;
		}
		if (r == 0)
			break;
		len += r;
	}
	close(fd);
	if (!buf)
		return ptv_enomem;
	struct blob *b = err ? NULL : blob_new(s, len);
	if (!err && !b)
		err = ptv_enomem;
	if (!err) {
		memcpy(b->data, buf, len);
		b->data[len] = '\0';
		*blob_ret = b;
		*len_ret = len;
	}
	free(buf);
	return err;
}

static void blob_drop(struct ptv_symbols *s, struct blob *b)
{
	/* b is the newest blob: the only one a failed load may leave. */
	if (s->blobs == b) {
		s->blobs = b->next;
		free(b);
	}
}

/* Parse "addr type name[ \t[module]]" lines in place (names get NUL
 * terminators). */
static struct ptv_error *parse_nm_lines(const char *path, char *text,
					size_t len, bool relocated,
					struct pending_vec *p)
{
	char *end = text + len;
	unsigned lineno = 0;
	for (char *line = text; line < end;) {
		char *nl = memchr(line, '\n', end - line);
		char *eol = nl ? nl : end;
		char *next = nl ? nl + 1 : end;
		lineno++;
		*eol = '\0';
		if (eol > line && eol[-1] == '\r')
			eol[-1] = '\0';
		char *q = line;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0') {
			line = next;
			continue;
		}
		char *after;
		errno = 0;
		uint64_t addr = strtoull(q, &after, 16);
		if (errno || after == q || (*after != ' ' && *after != '\t'))
			return ptv_error_create(PTV_ERR_FORMAT,
						"%s:%u: expected 'address type name'",
						path, lineno);
		while (*after == ' ' || *after == '\t')
			after++;
		char type = *after;
		if (!type || (after[1] != ' ' && after[1] != '\t'))
			return ptv_error_create(PTV_ERR_FORMAT,
						"%s:%u: expected a one-letter symbol type after the address",
						path, lineno);
		char *name = after + 2;
		while (*name == ' ' || *name == '\t')
			name++;
		char *ne = name;
		while (*ne && *ne != ' ' && *ne != '\t')
			ne++;
		if (ne == name)
			return ptv_error_create(PTV_ERR_FORMAT,
						"%s:%u: symbol name missing", path,
						lineno);
		*ne = '\0';
		uint8_t flags = relocated ? SYM_RELOC : SYM_LINK;
		if (type == 'A' || type == 'a')
			flags |= SYM_ABSOLUTE;
		/* Undefined and weak-undefined entries have no address. */
		if (type != 'U' && type != 'w' && type != 'v') {
			struct ptv_error *err = pending_push(p, name, addr, flags);
			if (err)
				return err;
		}
		line = next;
	}
	return NULL;
}

static struct ptv_error *load_nm_file(struct ptv_symbols *s, const char *path,
				      bool relocated)
{
	struct blob *b = NULL;
	size_t len = 0;
	struct ptv_error *err = read_text(s, path, &b, &len);
	if (err)
		return err;
	struct pending_vec p = { 0 };
	err = parse_nm_lines(path, b->data, len, relocated, &p);
	if (!err && relocated && p.n) {
		size_t nonzero = 0;
		for (size_t i = 0; i < p.n && !nonzero; i++)
			nonzero += p.v[i].addr != 0;
		if (!nonzero)
			err = ptv_error_create(PTV_ERR_PERM,
					       "%s: all %zu addresses are zero: kernel.kptr_restrict hides them; run as root",
					       path, p.n);
	}
	if (!err && p.n == 0)
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: no symbols", path);
	if (!err)
		err = commit(s, &p);
	if (err)
		blob_drop(s, b);
	free(p.v);
	return err;
}

struct ptv_error *ptv_symbols_load_system_map(struct ptv_symbols *s,
					      const char *path)
{
	return load_nm_file(s, path, false);
}

struct ptv_error *ptv_symbols_load_kallsyms(struct ptv_symbols *s,
					    const char *path)
{
	return load_nm_file(s, path, true);
}

struct ptv_error *ptv_symbols_load_vmcoreinfo(struct ptv_symbols *s,
					      const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	if (nul)
		len = nul - text;
	struct blob *b = blob_new(s, len);
	if (!b)
		return ptv_enomem;
	memcpy(b->data, text, len);
	b->data[len] = '\0';
	struct pending_vec p = { 0 };
	struct ptv_error *err = NULL;
	bool have_offset = false;
	uint64_t offset = 0;
	char *end = b->data + len;
	for (char *line = b->data; line < end && !err;) {
		char *nl = memchr(line, '\n', end - line);
		char *next = nl ? nl + 1 : end;
		if (nl)
			*nl = '\0';
		char *after;
		if (strncmp(line, "SYMBOL(", 7) == 0) {
			char *name = line + 7;
			char *close = strstr(name, ")=");
			errno = 0;
			uint64_t addr = close ? strtoull(close + 2, &after, 16) : 0;
			if (!close || close == name || errno ||
			    after == close + 2 || *after) {
				err = ptv_error_create(PTV_ERR_FORMAT,
						       "VMCOREINFO: bad line '%s'", line);
			} else {
				*close = '\0';
				/* Since v4.15 ("kdump: write correct address
				 * of mem_section into vmcoreinfo") this is
				 * the pointer's value, the root array, not
				 * where the variable is. */
				if (strcmp(name, "mem_section") != 0)
					err = pending_push(&p, name, addr, SYM_RELOC);
			}
		} else if (strncmp(line, "KERNELOFFSET=", 13) == 0) {
			errno = 0;
			offset = strtoull(line + 13, &after, 16);
			if (errno || after == line + 13 || *after)
				err = ptv_error_create(PTV_ERR_FORMAT,
						       "VMCOREINFO: bad line '%s'", line);
			have_offset = true;
		}
		line = next;
	}
	if (!err)
		err = commit(s, &p);
	free(p.v);
	if (err) {
		blob_drop(s, b);
		return err;
	}
	if (have_offset)
		ptv_symbols_set_offset(s, offset);
	return NULL;
}

/* ---- ELF ----------------------------------------------------------------- */

static struct ptv_error *collect_elf_symbols(Elf_Scn *scn,
					     const GElf_Shdr *shdr,
					     const char *strtab, size_t strsize,
					     struct pending_vec *p,
					     const char *path)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	if (!data || !shdr->sh_entsize)
		return ptv_error_create(PTV_ERR_FORMAT, "%s: cannot read .symtab: %s",
					path, elf_errmsg(-1));
	size_t n = data->d_size / shdr->sh_entsize;
	/* Two passes: globals first, so they win over same-named locals. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 1; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, i, &sym))
				return ptv_error_create(PTV_ERR_FORMAT,
							"%s: bad symbol %zu: %s",
							path, i, elf_errmsg(-1));
			int type = GELF_ST_TYPE(sym.st_info);
			bool local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;
			if (local != (pass == 1) || type == STT_SECTION ||
			    type == STT_FILE || sym.st_shndx == SHN_UNDEF ||
			    sym.st_name == 0 || sym.st_name >= strsize)
				continue;
			const char *name = strtab + sym.st_name;
			if (name[0] == '$' || strncmp(name, ".L", 2) == 0 ||
			    name[0] == '\0')
				continue;
			uint8_t flags = SYM_LINK;
			if (sym.st_shndx == SHN_ABS)
				flags |= SYM_ABSOLUTE;
			struct ptv_error *err = pending_push(p, name,
							     sym.st_value, flags);
			if (err)
				return err;
		}
	}
	return NULL;
}

struct ptv_error *ptv_symbols_load_elf(struct ptv_symbols *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ptv_error_os(errno, "%s", path);
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	struct ptv_error *err = NULL;
	struct pending_vec p = { 0 };
	struct blob *b = NULL;
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: not an ELF file", path);
		goto out;
	}
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_SYMTAB)
			break;
	}
	if (!scn) {
		err = ptv_error_create(PTV_ERR_NOT_FOUND,
				       "%s: no .symtab (stripped?); use System.map or the debug vmlinux",
				       path);
		goto out;
	}
	Elf_Scn *strscn = elf_getscn(elf, shdr.sh_link);
	Elf_Data *strdata = strscn ? elf_getdata(strscn, NULL) : NULL;
	if (!strdata || !strdata->d_buf || strdata->d_size == 0) {
		err = ptv_error_create(PTV_ERR_FORMAT,
				       "%s: cannot read the symbol string table: %s",
				       path, elf_errmsg(-1));
		goto out;
	}
	/* Names point into our own copy of the string table, which is
	 * NUL-terminated even if the file's is not. */
	b = blob_new(s, strdata->d_size);
	if (!b) {
		err = ptv_enomem;
		goto out;
	}
	memcpy(b->data, strdata->d_buf, strdata->d_size);
	b->data[strdata->d_size] = '\0';
	err = collect_elf_symbols(scn, &shdr, b->data, strdata->d_size,
				  &p, path);
	if (!err && p.n == 0)
		err = ptv_error_create(PTV_ERR_FORMAT, "%s: .symtab has no symbols",
				       path);
	if (!err)
		err = commit(s, &p);
out:
	if (err && b)
		blob_drop(s, b);
	free(p.v);
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* ---- Lookups ------------------------------------------------------------- */

void ptv_symbols_set_offset(struct ptv_symbols *s, uint64_t kaslr_offset)
{
	s->offset = kaslr_offset;
	s->sorted_stale = true;
}

uint64_t ptv_symbols_offset(const struct ptv_symbols *s)
{
	return s->offset;
}

size_t ptv_symbols_count(const struct ptv_symbols *s)
{
	return s->nsyms;
}

static const struct sym *sym_find(const struct ptv_symbols *s,
				  const char *name)
{
	uint32_t slot = *sym_slot(s, name, sym_hash(name));
	return slot ? &s->syms[slot - 1] : NULL;
}

/* The link-time start of the image: symbols below it are not relocated. */
static bool below_image(const struct ptv_symbols *s, const struct sym *sym)
{
	const struct sym *text = sym_find(s, "_text");
	if (!text || !(text->flags & SYM_LINK))
		text = sym_find(s, "_stext");
	return text && (text->flags & SYM_LINK) && sym->link < text->link;
}

/* Relocated address of a symbol. */
static void sym_address(const struct ptv_symbols *s, const struct sym *sym,
			uint64_t *ret)
{
	if (sym->flags & SYM_RELOC)
		*ret = sym->reloc;
	else if (sym->flags & SYM_ABSOLUTE || below_image(s, sym))
		*ret = sym->link;
	else
		*ret = sym->link + s->offset;
}

struct ptv_error *ptv_symbols_lookup(struct ptv_symbols *s, const char *name,
				     uint64_t *ret)
{
	const struct sym *sym = sym_find(s, name);
	if (!sym)
		return ptv_error_create(PTV_ERR_NOT_FOUND,
					"kernel symbol '%s' not found", name);
	sym_address(s, sym, ret);
	return NULL;
}

struct ptv_error *ptv_symbols_lookup_link(struct ptv_symbols *s,
					  const char *name, uint64_t *ret)
{
	const struct sym *sym = sym_find(s, name);
	if (!sym || !(sym->flags & SYM_LINK))
		return ptv_error_create(PTV_ERR_NOT_FOUND,
					"no link-time address for kernel symbol '%s'%s",
					name, sym ? " (only a relocated one)" : "");
	*ret = sym->link;
	return NULL;
}

struct ptv_error *ptv_symbols_derive_offset(struct ptv_symbols *s,
					    const char *name, uint64_t *ret)
{
	const struct sym *sym = sym_find(s, name);
	if (!sym || (sym->flags & (SYM_LINK | SYM_RELOC)) !=
		    (SYM_LINK | SYM_RELOC))
		return ptv_error_create(PTV_ERR_NOT_FOUND,
					"kernel symbol '%s' is not known both link-time and relocated",
					name);
	*ret = sym->reloc - sym->link;
	return NULL;
}

static int sorted_cmp(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->sym < y->sym ? -1 : x->sym > y->sym;
}

static struct ptv_error *sorted_build(struct ptv_symbols *s)
{
	struct sorted *v = malloc((s->nsyms ? s->nsyms : 1) * sizeof(*v));
	if (!v)
		return ptv_enomem;
	size_t n = 0;
	for (size_t i = 0; i < s->nsyms; i++) {
		const struct sym *sym = &s->syms[i];
		if ((sym->flags & SYM_ABSOLUTE) ||
		    (!(sym->flags & SYM_RELOC) && below_image(s, sym)))
			continue;
		sym_address(s, sym, &v[n].addr);
		v[n++].sym = i;
	}
	qsort(v, n, sizeof(*v), sorted_cmp);
	free(s->sorted);
	s->sorted = v;
	s->nsorted = n;
	s->sorted_stale = false;
	return NULL;
}

struct ptv_error *ptv_symbols_nearest(struct ptv_symbols *s, uint64_t addr,
				      const char **name_ret,
				      uint64_t *offset_ret)
{
	if (s->sorted_stale || !s->sorted) {
		struct ptv_error *err = sorted_build(s);
		if (err)
			return err;
	}
	/* Last entry with entry.addr <= addr. */
	size_t lo = 0, hi = s->nsorted;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->sorted[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || (lo == s->nsorted && s->sorted[lo - 1].addr != addr))
		return ptv_not_found;
	/* Of several symbols at one address, the first one listed. */
	size_t i = lo - 1;
	while (i > 0 && s->sorted[i - 1].addr == s->sorted[i].addr)
		i--;
	*name_ret = s->syms[s->sorted[i].sym].name;
	*offset_ret = addr - s->sorted[i].addr;
	return NULL;
}

char *ptv_symbols_describe(struct ptv_symbols *s, uint64_t addr, char *buf,
			   size_t size)
{
	const char *name;
	uint64_t off;
	struct ptv_error *err = ptv_symbols_nearest(s, addr, &name, &off);
	if (size == 0)
		return buf;
	if (err) {
		ptv_error_destroy(err);
		snprintf(buf, size, "%#" PRIx64, addr);
	} else if (off) {
		snprintf(buf, size, "%s+%#" PRIx64, name, off);
	} else {
		snprintf(buf, size, "%s", name);
	}
	return buf;
}
