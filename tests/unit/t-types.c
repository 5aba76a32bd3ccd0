/* Unit tests for core/types*.c: a hand-built BTF blob (anonymous members,
 * bitfields, loops, corrupt copies), then the deb61-basic kernel, where BTF
 * and DWARF must agree with each other and with the dump's VMCOREINFO, and
 * finally the running kernel's /sys/kernel/btf/vmlinux.
 *
 * Fixture sections print "# skip" lines when $PTV_SHARED / $PTV_FIXTURES
 * do not have the files. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/types.h"
#include "tests/tap.h"

static void skip(int n, const char *why)
{
	for (int i = 0; i < n; i++)
		printf("ok %d # skip %s\n", ++tap_run, why);
}

static bool contains(const struct ptv_error *err, const char *needle)
{
	return err && err->message && strstr(err->message, needle);
}

/* Check that err is an error with code and a message containing needle,
 * then free it. */
static void is_error(struct ptv_error *err, enum ptv_error_code code,
		     const char *needle, const char *what)
{
	if (!ok(err && err->code == code && contains(err, needle), what))
		printf("#   got %s (code %d), want code %d containing \"%s\"\n",
		       err ? err->message : "success", err ? (int)err->code : 0,
		       (int)code, needle);
	ptv_error_destroy(err);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- A hand-built BTF blob ----------------------------------------------- */

struct btf_builder {
	uint32_t words[256];
	size_t nwords;
	char strs[512];
	size_t nstrs;
};

static uint32_t bb_str(struct btf_builder *b, const char *s)
{
	if (!*s)
		return 0;
	uint32_t off = b->nstrs;
	memcpy(b->strs + b->nstrs, s, strlen(s) + 1);
	b->nstrs += strlen(s) + 1;
	return off;
}

static void bb_type(struct btf_builder *b, const char *name, unsigned kind,
		    unsigned vlen, bool kflag, uint32_t size_or_type)
{
	b->words[b->nwords++] = bb_str(b, name);
	b->words[b->nwords++] = kind << 24 | vlen | (uint32_t)kflag << 31;
	b->words[b->nwords++] = size_or_type;
}

static void bb_member(struct btf_builder *b, const char *name, uint32_t type,
		      uint32_t bit_off, uint32_t bit_size)
{
	b->words[b->nwords++] = bb_str(b, name);
	b->words[b->nwords++] = type;
	b->words[b->nwords++] = bit_off | bit_size << 24;
}

/* The types, by id:
 *  1 int                       2 struct outer { int a; union { int b;
 *  3 the anonymous union           struct { int c, d; }; }; int x:3, y:5; }
 *  4 the anonymous struct      5/6 typedef loop_a <-> loop_b (a cycle)
 *  7 struct selfanon { anonymous member of type 7 } (endless nesting)
 *  8 enum colour { RED = -1, BLUE = 2 }    9 int[4]
 * 10 struct witharr { int v[4]; }          11 typedef outer_t -> 2
 * 12 const outer_t             13 struct viaconst { const outer_t o; }
 * 14 enum big : 8 bytes { HUGE = 1 << 32 }  15 outer *
 * 16 struct withptr { outer *p; } */
static size_t build_btf(unsigned char *out)
{
	struct btf_builder b = { .nstrs = 1 };
	bb_type(&b, "int", 1, 0, false, 4);
	b.words[b.nwords++] = 1u << 24 | 32;	/* signed, 32 bits */
	bb_type(&b, "outer", 4, 4, true, 16);
	bb_member(&b, "a", 1, 0, 0);
	bb_member(&b, "", 3, 32, 0);
	bb_member(&b, "x", 1, 96, 3);
	bb_member(&b, "y", 1, 99, 5);
	bb_type(&b, "", 5, 2, false, 8);
	bb_member(&b, "b", 1, 0, 0);
	bb_member(&b, "", 4, 0, 0);
	bb_type(&b, "", 4, 2, false, 8);
	bb_member(&b, "c", 1, 0, 0);
	bb_member(&b, "d", 1, 32, 0);
	bb_type(&b, "loop_a", 8, 0, false, 6);
	bb_type(&b, "loop_b", 8, 0, false, 5);
	bb_type(&b, "selfanon", 4, 1, false, 4);
	bb_member(&b, "", 7, 0, 0);
	bb_type(&b, "colour", 6, 2, true, 4);
	b.words[b.nwords++] = bb_str(&b, "RED");
	b.words[b.nwords++] = (uint32_t)-1;
	b.words[b.nwords++] = bb_str(&b, "BLUE");
	b.words[b.nwords++] = 2;
	bb_type(&b, "", 3, 0, false, 0);
	b.words[b.nwords++] = 1;
	b.words[b.nwords++] = 1;
	b.words[b.nwords++] = 4;
	bb_type(&b, "witharr", 4, 1, false, 16);
	bb_member(&b, "v", 9, 0, 0);
	bb_type(&b, "outer_t", 8, 0, false, 2);
	bb_type(&b, "", 10, 0, false, 11);
	bb_type(&b, "viaconst", 4, 1, false, 16);
	bb_member(&b, "o", 12, 0, 0);
	bb_type(&b, "big", 19, 1, false, 8);
	b.words[b.nwords++] = bb_str(&b, "HUGE");
	b.words[b.nwords++] = 0;
	b.words[b.nwords++] = 1;
	bb_type(&b, "", 2, 0, false, 2);
	bb_type(&b, "withptr", 4, 1, false, 8);
	bb_member(&b, "p", 15, 0, 0);

	uint32_t hdr[6] = { 0x0001eB9F, 24, 0, b.nwords * 4, b.nwords * 4,
			    b.nstrs };
	memcpy(out, hdr, sizeof(hdr));
	memcpy(out + 24, b.words, b.nwords * 4);
	memcpy(out + 24 + b.nwords * 4, b.strs, b.nstrs);
	return 24 + b.nwords * 4 + b.nstrs;
}

static void member_is(struct ptv_types *t, const char *s, const char *path,
		      uint64_t offset, uint64_t size, uint32_t bit_offset,
		      uint32_t bit_size)
{
	char what[160];
	struct ptv_member m;
	struct ptv_error *err = ptv_types_member(t, s, path, &m);
	snprintf(what, sizeof(what), "%s.%s at %llu+%u:%u, %llu bytes", s, path,
		 (unsigned long long)offset, bit_offset, bit_size,
		 (unsigned long long)size);
	if (!ok(!err && m.offset == offset && m.size == size &&
		m.bit_offset == bit_offset && m.bit_size == bit_size, what)) {
		if (err)
			printf("#   %s\n", err->message);
		else
			printf("#   got %llu+%u:%u, %llu bytes\n",
			       (unsigned long long)m.offset, m.bit_offset,
			       m.bit_size, (unsigned long long)m.size);
	}
	ptv_error_destroy(err);
}

/* Poke at whatever a corrupt blob opened as: nothing may crash. */
static void exercise(struct ptv_types *t)
{
	static const char *const paths[][2] = {
		{ "outer", "d" }, { "outer", "y" }, { "selfanon", "q" },
		{ "witharr", "v[3]" }, { "viaconst", "o.c" }, { "withptr", "p" },
	};
	struct ptv_member m;
	uint64_t u;
	int64_t v;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		ptv_error_destroy(ptv_types_member(t, paths[i][0], paths[i][1], &m));
	static const char *const names[] = { "outer", "loop_a", "witharr",
					     "colour", "big", "int" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ptv_error_destroy(ptv_types_sizeof(t, names[i], &u));
	ptv_error_destroy(ptv_types_enum_value(t, "colour", "BLUE", &v));
	ptv_error_destroy(ptv_types_enum_value(t, NULL, "HUGE", &v));
}

static void test_synthetic(void)
{
	unsigned char blob[2048];
	size_t size = build_btf(blob);
	struct ptv_types *t;
	struct ptv_error *err = ptv_types_open_btf_memory(blob, size, "synthetic", &t);
	if (!ok(!err, "hand-built BTF opens")) {
		printf("#   %s\n", err->message);
		exit(1);
	}
	is_str(ptv_types_format(t), "BTF", "format is BTF");
	member_is(t, "outer", "a", 0, 4, 0, 0);
	member_is(t, "outer", "b", 4, 4, 0, 0);
	member_is(t, "outer", "d", 8, 4, 0, 0);
	member_is(t, "struct outer", "c", 4, 4, 0, 0);
	member_is(t, "outer", "x", 12, 4, 0, 3);
	member_is(t, "outer", "y", 12, 4, 3, 5);
	member_is(t, "outer_t", "d", 8, 4, 0, 0);
	member_is(t, "viaconst", "o.d", 8, 4, 0, 0);
	member_is(t, "witharr", "v", 0, 16, 0, 0);
	member_is(t, "witharr", "v[3]", 12, 4, 0, 0);

	struct ptv_member m;
	ok(ptv_types_member(t, "witharr", "v", &m) == NULL && m.kind == PTV_TYPE_ARRAY &&
	   m.has_array_len && m.array_len == 4 && m.elem_size == 4,
	   "array member reports its length and element size");
	uint64_t u = 0;
	ok(ptv_types_array_len(t, "witharr", "v", &u) == NULL && u == 4,
	   "ptv_types_array_len");
	ok(ptv_types_member(t, "withptr", "p", &m) == NULL &&
	   m.kind == PTV_TYPE_POINTER && m.size == 0 && !m.type_name,
	   "pointer member: kind pointer, no size without a 'long' type to tell");
	ok(ptv_types_sizeof(t, "outer", &u) == NULL && u == 16, "sizeof outer");
	ok(ptv_types_sizeof(t, "outer_t", &u) == NULL && u == 16,
	   "sizeof a typedef");
	ok(ptv_types_sizeof(t, "witharr", &u) == NULL && u == 16,
	   "sizeof witharr");

	int64_t v = 0;
	ok(ptv_types_enum_value(t, "colour", "RED", &v) == NULL && v == -1,
	   "signed enumerator");
	ok(ptv_types_enum_value(t, "enum colour", "BLUE", &v) == NULL && v == 2,
	   "enumerator with 'enum ' prefix");
	ok(ptv_types_enum_value(t, NULL, "HUGE", &v) == NULL &&
	   v == (int64_t)1 << 32, "ENUM64 enumerator found without its enum");

	is_error(ptv_types_sizeof(t, "loop_a", &u), PTV_ERR_FORMAT, "chain",
		 "a typedef cycle is an error, not a hang");
	is_error(ptv_types_member(t, "selfanon", "q", &m), PTV_ERR_FORMAT,
		 "nested deeper", "endless anonymous nesting is an error");
	is_error(ptv_types_member(t, "witharr", "v[4]", &m), PTV_ERR_NOT_FOUND,
		 "out of bounds", "subscript past the declared length");
	is_error(ptv_types_member(t, "outer", "a..b", &m), PTV_ERR_USAGE,
		 "bad member path", "empty path component");
	is_error(ptv_types_member(t, "outer", "zz", &m), PTV_ERR_NOT_FOUND,
		 "struct outer has no member 'zz' (BTF file synthetic)",
		 "missing member named with struct and source");
	is_error(ptv_types_member(t, "viaconst", "o.zz", &m), PTV_ERR_NOT_FOUND,
		 "struct outer has no member 'zz'", "missing nested member names the inner struct");
	is_error(ptv_types_enum_value(t, "colour", "GREEN", &v), PTV_ERR_NOT_FOUND,
		 "enum colour has no enumerator 'GREEN'", "missing enumerator");
	ok(!ptv_types_has_member(t, "outer", "zz") &&
	   !ptv_types_has_member(t, "nosuch", "a") &&
	   ptv_types_has_member(t, "outer", "d"), "ptv_types_has_member");
	ptv_types_destroy(t);

	/* Every truncation and many single-byte corruptions must either open
	 * or fail cleanly, and what opens must survive lookups. */
	int opened = 0, failed = 0;
	for (size_t n = 0; n < size; n++) {
		err = ptv_types_open_btf_memory(blob, n, "truncated", &t);
		if (err) {
			failed++;
			ptv_error_destroy(err);
		} else {
			exercise(t);
			ptv_types_destroy(t);
		}
	}
	ok(failed == (int)size, "every truncated copy fails cleanly");
	static const unsigned char pokes[] = { 0x00, 0xff, 0x80, 0x01, 0x7f };
	for (size_t i = 0; i < size; i++) {
		for (size_t j = 0; j < sizeof(pokes); j++) {
			unsigned char copy[2048];
			memcpy(copy, blob, size);
			copy[i] = pokes[j];
			err = ptv_types_open_btf_memory(copy, size, "corrupt", &t);
			if (err) {
				failed++;
				ptv_error_destroy(err);
			} else {
				opened++;
				exercise(t);
				ptv_types_destroy(t);
			}
		}
	}
	ok(opened > 0 && failed > 0, "corrupted copies open or fail, never crash");
}

/* ---- Bad input files ------------------------------------------------------ */

/* Write data to a new temporary file; returns its path (static buffer). */
static const char *temp_file(const void *data, size_t size)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/t-types.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("temp file");
		exit(1);
	}
	close(fd);
	return path;
}

/* The smallest valid ELF: a 64-bit header and no sections. */
static size_t minimal_elf(unsigned char *out)
{
	memset(out, 0, 64);
	memcpy(out, "\177ELF\2\1\1", 7);	/* 64-bit, little-endian, v1 */
	out[16] = 1;				/* ET_REL */
	out[18] = 62;				/* EM_X86_64 */
	out[20] = 1;				/* EV_CURRENT */
	out[52] = 64;				/* e_ehsize */
	return 64;
}

static void test_bad_files(const char *btf_path, const char *dwarf_path)
{
	struct ptv_types *t;
	const char *p;
	unsigned char elf[64];

	p = temp_file("this is not BTF at all\n", 23);
	is_error(ptv_types_open_btf(p, &t), PTV_ERR_FORMAT, "neither a BTF blob",
		 "garbage file: BTF says what it expected");
	is_error(ptv_types_open_dwarf(p, &t), PTV_ERR_FORMAT, "not an ELF file",
		 "garbage file: DWARF says it is not ELF");
	unlink(p);
	p = temp_file("", 0);
	is_error(ptv_types_open_btf(p, &t), PTV_ERR_FORMAT, "malformed BTF",
		 "empty file");
	unlink(p);
	p = temp_file(elf, minimal_elf(elf));
	is_error(ptv_types_open_btf(p, &t), PTV_ERR_NOT_FOUND, "no .BTF section",
		 "ELF without .BTF");
	is_error(ptv_types_open_dwarf(p, &t), PTV_ERR_NOT_FOUND, "no DWARF",
		 "ELF without .debug_info");
	unlink(p);
	is_error(ptv_types_open_btf("/nonexistent/vmlinux", &t), PTV_ERR_OS,
		 "/nonexistent/vmlinux", "missing file is named");

	/* Our own executable has DWARF (built with -g) but no kernel types. */
	if (ptv_types_open_dwarf("/proc/self/exe", &t) == NULL) {
		uint64_t u;
		is_error(ptv_types_sizeof(t, "mm_struct", &u), PTV_ERR_NOT_FOUND,
			 "no type named 'mm_struct' (DWARF file /proc/self/exe)",
			 "DWARF without the type names it");
		ptv_types_destroy(t);
	} else {
		skip(1, "test binary built without debug info");
	}

	if (!btf_path) {
		skip(2, "no $PTV_SHARED/fixtures/deb61-basic/kernel/vmlinux.btf");
	} else {
		unsigned char head[100];
		int fd = open(btf_path, O_RDONLY);
		ok(fd >= 0 && read(fd, head, sizeof(head)) == sizeof(head),
		   "read the first 100 bytes of vmlinux.btf");
		if (fd >= 0)
			close(fd);
		p = temp_file(head, sizeof(head));
		is_error(ptv_types_open_btf(p, &t), PTV_ERR_FORMAT, "malformed BTF",
			 "BTF truncated to 100 bytes");
		unlink(p);
	}
	if (!dwarf_path) {
		skip(1, "no $PTV_FIXTURES/deb61-basic/kernel/vmlinux.dwarf");
	} else {
		is_error(ptv_types_open_btf(dwarf_path, &t), PTV_ERR_NOT_FOUND,
			 "no contents (SHT_NOBITS",
			 "debug-only vmlinux: its .BTF is empty, and the error says so");
	}
}

/* ---- deb61-basic: BTF and DWARF must agree -------------------------------- */

/* What the page-table walker will ask for.  "?" marks members that not
 * every kernel has: both sources must then agree on their absence too. */
static const char *const sizes[] = {
	"task_struct", "mm_struct", "vm_area_struct", "page", "folio",
	"maple_node", "maple_tree", "maple_range_64", "maple_arange_64",
	"anon_vma", "anon_vma_chain", "address_space", "file", "dentry", "qstr",
	"path", "list_head", "rb_node", "pgd_t", "p4d_t", "pud_t", "pmd_t",
	"pte_t", "atomic_t", "atomic_long_t", "struct mm_rss_stat", "pid",
	"upid",
};

static const char *const members[][2] = {
	{ "task_struct", "tasks" }, { "task_struct", "tasks.next" },
	{ "task_struct", "pid" }, { "task_struct", "tgid" },
	{ "task_struct", "comm" }, { "task_struct", "mm" },
	{ "task_struct", "active_mm" }, { "task_struct", "group_leader" },
	{ "task_struct", "thread_group" }, { "task_struct", "signal" },
	{ "task_struct", "real_parent" }, { "task_struct", "flags" },
	{ "task_struct", "sched_reset_on_fork" }, { "task_struct", "in_execve" },
	{ "mm_struct", "pgd" }, { "mm_struct", "mm_mt" },
	{ "mm_struct", "mm_mt.ma_root" }, { "mm_struct", "mm_mt.ma_flags" },
	{ "mm_struct", "rss_stat" }, { "mm_struct", "rss_stat.count" },
	{ "mm_struct", "rss_stat.count[1]" }, { "mm_struct", "pgtables_bytes" },
	{ "mm_struct", "map_count" }, { "mm_struct", "mm_users" },
	{ "mm_struct", "mm_count" }, { "mm_struct", "owner" },
	{ "maple_tree", "ma_root" }, { "maple_tree", "ma_flags" },
	{ "maple_node", "parent" }, { "maple_node", "slot" },
	{ "maple_node", "mr64" }, { "maple_node", "mr64.pivot" },
	{ "maple_node", "mr64.slot" }, { "maple_node", "ma64" },
	{ "maple_node", "ma64.pivot" }, { "maple_node", "ma64.slot" },
	{ "maple_node", "ma64.gap" }, { "maple_range_64", "pivot" },
	{ "vm_area_struct", "vm_start" }, { "vm_area_struct", "vm_end" },
	{ "vm_area_struct", "vm_flags" }, { "vm_area_struct", "vm_pgoff" },
	{ "vm_area_struct", "vm_file" }, { "vm_area_struct", "anon_vma" },
	{ "vm_area_struct", "vm_mm" }, { "vm_area_struct", "vm_ops" },
	{ "vm_area_struct", "vm_page_prot" },
	{ "vm_area_struct", "anon_vma_chain" }, { "vm_area_struct", "shared.rb" },
	{ "page", "flags" }, { "page", "_mapcount" }, { "page", "_refcount" },
	{ "page", "mapping" }, { "page", "index" }, { "page", "private" },
	{ "page", "compound_head" }, { "page", "lru" },
	{ "page", "?compound_dtor" }, { "page", "?compound_order" },
	{ "page", "?compound_mapcount" }, { "page", "?compound_pincount" },
	{ "page", "?subpages_mapcount" },
	{ "folio", "flags" }, { "folio", "mapping" }, { "folio", "index" },
	{ "folio", "_mapcount" }, { "folio", "_refcount" }, { "folio", "page" },
	{ "folio", "?_flags_1" }, { "folio", "?_folio_dtor" },
	{ "folio", "?_folio_order" }, { "folio", "?_total_mapcount" },
	{ "folio", "?_pincount" }, { "folio", "?_folio_nr_pages" },
	{ "folio", "?_entire_mapcount" }, { "folio", "?_nr_pages_mapped" },
	{ "anon_vma", "root" }, { "anon_vma", "rb_root" },
	{ "anon_vma", "refcount" }, { "anon_vma_chain", "vma" },
	{ "anon_vma_chain", "anon_vma" }, { "anon_vma_chain", "same_vma" },
	{ "anon_vma_chain", "rb" }, { "address_space", "host" },
	{ "address_space", "i_mmap" }, { "address_space", "nrpages" },
	{ "file", "f_path" }, { "file", "f_mapping" }, { "file", "f_inode" },
	{ "path", "dentry" }, { "dentry", "d_name" }, { "dentry", "d_name.name" },
	{ "dentry", "d_parent" }, { "qstr", "name" },
	{ "list_head", "next" }, { "list_head", "prev" },
	/* A flexible array (Debian's 6.1.1xx backport): both say "no length". */
	{ "pid", "numbers" }, { "pid", "numbers[1]" },
};

static const char *const enums[] = { "pageflags", "maple_type" };
static const char *const enumerators[] = {
	"MM_FILEPAGES", "MM_ANONPAGES", "MM_SWAPENTS", "MM_SHMEMPAGES",
	"NR_MM_COUNTERS", "PG_locked", "PG_head", "PG_swapbacked",
	"maple_leaf_64", "maple_range_64", "maple_arange_64",
};

static bool same_member(const struct ptv_member *a, const struct ptv_member *b)
{
	return a->offset == b->offset && a->size == b->size &&
	       a->bit_offset == b->bit_offset && a->bit_size == b->bit_size &&
	       a->kind == b->kind && a->has_array_len == b->has_array_len &&
	       a->array_len == b->array_len && a->elem_size == b->elem_size &&
	       (a->type_name == NULL) == (b->type_name == NULL) &&
	       (!a->type_name || strcmp(a->type_name, b->type_name) == 0);
}

static void compare_member(struct ptv_types *btf, struct ptv_types *dw,
			   const char *s, const char *path)
{
	bool optional = path[0] == '?';
	if (optional)
		path++;
	char what[160];
	struct ptv_member a, b;
	struct ptv_error *ea = ptv_types_member(btf, s, path, &a);
	struct ptv_error *eb = ptv_types_member(dw, s, path, &b);
	if (optional && ea && eb) {
		snprintf(what, sizeof(what), "%s.%s absent from both", s, path);
		ok(ea->code == PTV_ERR_NOT_FOUND && eb->code == PTV_ERR_NOT_FOUND &&
		   !ptv_types_has_member(btf, s, path) &&
		   !ptv_types_has_member(dw, s, path), what);
	} else {
		snprintf(what, sizeof(what), "%s.%s: BTF == DWARF", s, path);
		if (!ok(!ea && !eb && same_member(&a, &b), what)) {
			if (ea || eb)
				printf("#   %s\n", (ea ? ea : eb)->message);
			else
				printf("#   BTF %llu+%u:%u size %llu, DWARF %llu+%u:%u size %llu\n",
				       (unsigned long long)a.offset, a.bit_offset, a.bit_size,
				       (unsigned long long)a.size,
				       (unsigned long long)b.offset, b.bit_offset, b.bit_size,
				       (unsigned long long)b.size);
		}
	}
	ptv_error_destroy(ea);
	ptv_error_destroy(eb);
}

struct enum_list {
	char names[128][48];
	int64_t values[128];
	int n;
};

static int collect_enum(const char *name, int64_t value, void *arg)
{
	struct enum_list *l = arg;
	if (l->n == 128)
		return 1;
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", name);
	l->values[l->n++] = value;
	return 0;
}

static void compare_sources(struct ptv_types *btf, struct ptv_types *dw)
{
	char what[160];
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t a = 0, b = 1;
		struct ptv_error *ea = ptv_types_sizeof(btf, sizes[i], &a);
		struct ptv_error *eb = ptv_types_sizeof(dw, sizes[i], &b);
		snprintf(what, sizeof(what), "sizeof %s: BTF == DWARF (%llu)",
			 sizes[i], (unsigned long long)a);
		ok(!ea && !eb && a == b && a > 0, what);
		ptv_error_destroy(ea);
		ptv_error_destroy(eb);
	}
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		compare_member(btf, dw, members[i][0], members[i][1]);
	for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++) {
		struct enum_list a = { .n = 0 }, b = { .n = 0 };
		struct ptv_error *ea = ptv_types_enum_foreach(btf, enums[i], collect_enum, &a);
		struct ptv_error *eb = ptv_types_enum_foreach(dw, enums[i], collect_enum, &b);
		bool same = !ea && !eb && a.n == b.n && a.n > 0;
		for (int j = 0; same && j < a.n; j++)
			same = strcmp(a.names[j], b.names[j]) == 0 &&
			       a.values[j] == b.values[j];
		snprintf(what, sizeof(what), "enum %s: %d enumerators, BTF == DWARF",
			 enums[i], a.n);
		ok(same, what);
		ptv_error_destroy(ea);
		ptv_error_destroy(eb);
	}
	for (size_t i = 0; i < sizeof(enumerators) / sizeof(enumerators[0]); i++) {
		int64_t a = -1, b = -2;
		struct ptv_error *ea = ptv_types_enum_value(btf, NULL, enumerators[i], &a);
		struct ptv_error *eb = ptv_types_enum_value(dw, NULL, enumerators[i], &b);
		snprintf(what, sizeof(what), "%s: BTF == DWARF (%lld)", enumerators[i],
			 (long long)a);
		ok(!ea && !eb && a == b, what);
		ptv_error_destroy(ea);
		ptv_error_destroy(eb);
	}
}

/* Facts about Linux that hold on every kernel this tool reads. */
static void test_known_facts(struct ptv_types *t)
{
	char what[96];
	struct ptv_member m;
	uint64_t u = 0;
	int64_t v = -1;
	const char *f = ptv_types_format(t);
	snprintf(what, sizeof(what), "%s: offsetof(list_head, next) == 0, prev == 8", f);
	ok(ptv_types_member(t, "list_head", "next", &m) == NULL && m.offset == 0 &&
	   ptv_types_member(t, "list_head", "prev", &m) == NULL && m.offset == 8, what);
	snprintf(what, sizeof(what), "%s: sizeof(struct list_head) == 16", f);
	ok(ptv_types_sizeof(t, "struct list_head", &u) == NULL && u == 16, what);
	snprintf(what, sizeof(what), "%s: PG_locked == 0", f);
	ok(ptv_types_enum_value(t, "pageflags", "PG_locked", &v) == NULL && v == 0, what);
	snprintf(what, sizeof(what), "%s: sizeof(struct page) == 64 on x86-64", f);
	ok(ptv_types_sizeof(t, "page", &u) == NULL && u == 64, what);
	snprintf(what, sizeof(what), "%s: mm_struct.rss_stat.count has NR_MM_COUNTERS", f);
	ok(ptv_types_array_len(t, "mm_struct", "rss_stat.count", &u) == NULL &&
	   ptv_types_enum_value(t, NULL, "NR_MM_COUNTERS", &v) == NULL &&
	   (int64_t)u == v, what);
	snprintf(what, sizeof(what), "%s: sizeof(unsigned long) == 8, C spelling", f);
	ok(ptv_types_sizeof(t, "unsigned long", &u) == NULL && u == 8, what);
	snprintf(what, sizeof(what), "%s: mm_struct.pgd is a pointer", f);
	ok(ptv_types_member(t, "mm_struct", "pgd", &m) == NULL &&
	   m.kind == PTV_TYPE_POINTER && m.size == 8, what);
	snprintf(what, sizeof(what), "%s: the missing-member message", f);
	struct ptv_error *err = ptv_types_member(t, "mm_struct", "mmap", &m);
	char want[512];
	snprintf(want, sizeof(want), "struct mm_struct has no member 'mmap' (%s file %s)",
		 f, ptv_types_path(t));
	ok(err && err->code == PTV_ERR_NOT_FOUND && strcmp(err->message, want) == 0,
	   what);
	if (err && strcmp(err->message, want) != 0)
		printf("#   got \"%s\"\n", err->message);
	ptv_error_destroy(err);
}

/* ---- deb61-basic: against the dump's own VMCOREINFO ---------------------- */

/* The VMCOREINFO text the kernel wrote into the dump: the first
 * "OSRELEASE=" that starts a note (not the printf format in .rodata).
 * Returns a malloc'd copy or NULL. */
static char *find_vmcoreinfo(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	char *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	char *found = NULL;
	const char *p = map, *end = map + st.st_size;
	while ((p = memmem(p, end - p, "OSRELEASE=", 10))) {
		const char *nul = memchr(p, '\0', end - p);
		size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
		if (len < 65536 && p[10] != '%' && memmem(p, len, "\nSIZE(page)=", 12)) {
			found = strndup(p, len);
			break;
		}
		p += 10;
	}
	munmap(map, st.st_size);
	return found;
}

/* Check every OFFSET(s.m)=, SIZE(t)= and LENGTH(s.m)= line. */
static void test_vmcoreinfo(struct ptv_types *t, const char *text)
{
	int checked = 0, bad = 0;
	bool saw_flags = false, saw_size = false;
	char *copy = strdup(text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char key[128], name[128];
		unsigned long long want, got = ~0ull;
		if (sscanf(line, "%127[A-Z](%127[^)])=%llu", key, name, &want) != 3)
			continue;
		char *dot = strchr(name, '.');
		struct ptv_error *err = NULL;
		struct ptv_member m;
		uint64_t u;
		if (strcmp(key, "OFFSET") == 0 && dot) {
			*dot = '\0';
			err = ptv_types_member(t, name, dot + 1, &m);
			got = m.offset;
			*dot = '.';
			saw_flags |= strcmp(name, "page.flags") == 0;
		} else if (strcmp(key, "SIZE") == 0) {
			err = ptv_types_sizeof(t, name, &u);
			got = u;
			saw_size |= strcmp(name, "page") == 0;
		} else if (strcmp(key, "LENGTH") == 0 && dot) {
			*dot = '\0';
			err = ptv_types_array_len(t, name, dot + 1, &u);
			got = u;
			*dot = '.';
		} else {
			continue;
		}
		checked++;
		if (err || got != want) {
			bad++;
			printf("#   %s: %s\n", line, err ? err->message : "differs");
			if (!err)
				printf("#   got %llu\n", got);
		}
		ptv_error_destroy(err);
	}
	free(copy);
	char what[128];
	snprintf(what, sizeof(what), "%s: all %d OFFSET/SIZE/LENGTH lines of the dump's VMCOREINFO match",
		 ptv_types_format(t), checked);
	ok(bad == 0 && checked >= 20 && saw_flags && saw_size, what);
}

/* ---- The running kernel --------------------------------------------------- */

static void test_live(void)
{
	const char *path = "/sys/kernel/btf/vmlinux";
	if (access(path, R_OK) != 0) {
		skip(3, "/sys/kernel/btf/vmlinux is not readable here");
		return;
	}
	struct ptv_types *t;
	double t0 = now();
	struct ptv_error *err = ptv_types_open_btf(path, &t);
	if (!ok(!err, "the running kernel's BTF opens")) {
		printf("#   %s\n", err->message);
		ptv_error_destroy(err);
		skip(2, "could not open the live BTF");
		return;
	}
	struct ptv_member m;
	err = ptv_types_member(t, "mm_struct", "pgd", &m);
	printf("# live BTF: open + first lookup %.3f s\n", now() - t0);
	ok(!err && m.kind == PTV_TYPE_POINTER && m.size > 0,
	   "live: struct mm_struct has a pointer member pgd");
	ptv_error_destroy(err);
	int64_t v = -1;
	ok(ptv_types_enum_value(t, "pageflags", "PG_locked", &v) == NULL && v == 0,
	   "live: PG_locked == 0");
	ptv_types_destroy(t);
}

static const char *fixture(const char *env, const char *rel, char *buf,
			   size_t size)
{
	const char *dir = getenv(env);
	if (!dir || !*dir)
		return NULL;
	snprintf(buf, size, "%s/%s", dir, rel);
	return access(buf, R_OK) == 0 ? buf : NULL;
}

int main(void)
{
	char b1[4096], b2[4096], b3[4096];
	const char *btf_path = fixture("PTV_SHARED",
				       "fixtures/deb61-basic/kernel/vmlinux.btf",
				       b1, sizeof(b1));
	const char *dwarf_path = fixture("PTV_FIXTURES",
					 "deb61-basic/kernel/vmlinux.dwarf",
					 b2, sizeof(b2));
	const char *elf_path = fixture("PTV_FIXTURES", "deb61-basic/vmcore.elf",
				       b3, sizeof(b3));

	test_synthetic();
	test_bad_files(btf_path, dwarf_path);

	struct ptv_types *btf = NULL, *dw = NULL;
	struct ptv_member m;
	if (btf_path) {
		double t0 = now();
		struct ptv_error *err = ptv_types_open_btf(btf_path, &btf);
		if (!err)
			err = ptv_types_member(btf, "mm_struct", "pgd", &m);
		printf("# deb61-basic BTF: open + first lookup %.3f s\n", now() - t0);
		if (!ok(!err, "deb61-basic vmlinux.btf opens"))
			printf("#   %s\n", err->message);
		ptv_error_destroy(err);
	}
	if (dwarf_path) {
		double t0 = now();
		struct ptv_error *err = ptv_types_open_dwarf(dwarf_path, &dw);
		if (!err)
			err = ptv_types_member(dw, "mm_struct", "pgd", &m);
		printf("# deb61-basic DWARF: open + first lookup %.3f s\n", now() - t0);
		if (!ok(!err, "deb61-basic vmlinux.dwarf opens"))
			printf("#   %s\n", err->message);
		ptv_error_destroy(err);
	}
	if (btf)
		test_known_facts(btf);
	if (dw)
		test_known_facts(dw);
	if (btf && dw)
		compare_sources(btf, dw);
	else
		diag("skip: BTF vs DWARF needs $PTV_SHARED and $PTV_FIXTURES (make check unpacks them)");

	char *vmcoreinfo = elf_path ? find_vmcoreinfo(elf_path) : NULL;
	if (elf_path && !ok(vmcoreinfo, "VMCOREINFO text found in vmcore.elf"))
		elf_path = NULL;
	if (vmcoreinfo && btf)
		test_vmcoreinfo(btf, vmcoreinfo);
	if (vmcoreinfo && dw)
		test_vmcoreinfo(dw, vmcoreinfo);
	if (!vmcoreinfo)
		skip(1, "no $PTV_FIXTURES/deb61-basic/vmcore.elf to cross-check VMCOREINFO");
	free(vmcoreinfo);
	ptv_types_destroy(btf);
	ptv_types_destroy(dw);

	test_live();
	plan_no_plan_end();
	return exit_status();
}
