/* Unit tests for core/symbols.c: relocation rules on a hand-made table,
 * malformed inputs, then deb61-basic's System.map, .symtab, the guest's own
 * /proc/kallsyms (truth-meta.json) and the dump's VMCOREINFO, which must
 * all agree once the README's KASLR offset is applied.
 *
 * Fixture sections print "# skip" lines when $PTV_SHARED / $PTV_FIXTURES
 * do not have the files. */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/symbols.h"
#include "tests/tap.h"

/* deb61-basic/README.md: "KASLR offset (text): 0x28200000". */
#define DEB61_KASLR 0x28200000ull

static void skip(int n, const char *why)
{
	for (int i = 0; i < n; i++)
		printf("ok %d # skip %s\n", ++tap_run, why);
}

static void is_error(struct ptv_error *err, enum ptv_error_code code,
		     const char *needle, const char *what)
{
	if (!ok(err && err->code == code && strstr(err->message, needle), what))
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

static const char *temp_file(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/t-symbols.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("temp file");
		exit(1);
	}
	close(fd);
	return path;
}

static uint64_t lookup(struct ptv_symbols *s, const char *name)
{
	uint64_t v = 0xdeadbeef;
	ptv_error_destroy(ptv_symbols_lookup(s, name, &v));
	return v;
}

static void test_synthetic(void)
{
	struct ptv_symbols *s;
	ok(ptv_symbols_create(&s) == NULL, "create");
	ptv_symbols_add(s, "_text", 0xffffffff81000000, false);
	ptv_symbols_add(s, "foo", 0xffffffff81001000, false);
	ptv_symbols_add(s, "bar", 0xffffffff81002000, false);
	ptv_symbols_add(s, "percpu_thing", 0x1000, false);
	ptv_symbols_add(s, "_end", 0xffffffff81003000, false);
	is_int(lookup(s, "foo"), 0xffffffff81001000, "offset 0: link-time address");
	ptv_symbols_set_offset(s, DEB61_KASLR);
	is_int(lookup(s, "foo"), 0xffffffff81001000 + DEB61_KASLR,
	       "link-time address + KASLR offset");
	is_int(lookup(s, "percpu_thing"), 0x1000,
	       "symbols below _text (per-cpu) are not relocated");
	ptv_symbols_add(s, "foo", 0xffffffff99999000, true);
	is_int(lookup(s, "foo"), 0xffffffff99999000,
	       "a relocated address wins over link-time + offset");
	uint64_t v = 0;
	ok(ptv_symbols_lookup_link(s, "foo", &v) == NULL && v == 0xffffffff81001000,
	   "the link-time address is kept beside it");
	ok(ptv_symbols_derive_offset(s, "foo", &v) == NULL &&
	   v == 0xffffffff99999000 - 0xffffffff81001000,
	   "offset derived from a symbol known both ways");
	ptv_symbols_add(s, "foo", 0x1234, false);
	ok(ptv_symbols_lookup_link(s, "foo", &v) == NULL && v == 0xffffffff81001000,
	   "the first link-time address of a name wins");
	is_error(ptv_symbols_lookup(s, "nosuch", &v), PTV_ERR_NOT_FOUND,
		 "kernel symbol 'nosuch' not found", "missing symbol is named");

	const char *name = NULL;
	uint64_t off = 0;
	ok(ptv_symbols_nearest(s, 0xffffffff81002010 + DEB61_KASLR, &name, &off) == NULL &&
	   name && strcmp(name, "bar") == 0 && off == 0x10,
	   "nearest symbol below an address");
	char buf[64];
	is_str(ptv_symbols_describe(s, 0xffffffff81000008 + DEB61_KASLR, buf,
				    sizeof(buf)), "_text+0x8", "describe");
	is_str(ptv_symbols_describe(s, 0x1008, buf, sizeof(buf)), "0x1008",
	       "per-cpu offsets are not described as symbols");
	is_str(ptv_symbols_describe(s, 0xffffffffffff0000, buf, sizeof(buf)),
	       "0xffffffffffff0000", "nothing past the last symbol");

	/* VMCOREINFO text, with the NUL padding of an ELF note. */
	static const char vmci[] = "OSRELEASE=6.1.0\nPAGESIZE=4096\n"
		"SYMBOL(init_top_pgt)=ffffffffaac10000\nKERNELOFFSET=28200000\n"
		"OFFSET(page.flags)=0\n\0\0\0";
	ok(ptv_symbols_load_vmcoreinfo(s, vmci, sizeof(vmci)) == NULL,
	   "VMCOREINFO text loads");
	is_int(lookup(s, "init_top_pgt"), 0xffffffffaac10000,
	       "SYMBOL() lines are relocated addresses");
	is_int(ptv_symbols_offset(s), DEB61_KASLR, "KERNELOFFSET= sets the offset");

	size_t before = ptv_symbols_count(s);
	static const char bad_vmci[] = "SYMBOL(a)=ffff\nSYMBOL(b)=zz\n";
	is_error(ptv_symbols_load_vmcoreinfo(s, bad_vmci, sizeof(bad_vmci) - 1),
		 PTV_ERR_FORMAT, "SYMBOL(b)=zz", "bad VMCOREINFO line is quoted");
	const char *p = temp_file("ffffffff81000000 T ok_sym\nffffffff8100 T\n");
	is_error(ptv_symbols_load_system_map(s, p), PTV_ERR_FORMAT, ":2:",
		 "malformed System.map names the line");
	unlink(p);
	p = temp_file("not a map at all\n");
	is_error(ptv_symbols_load_system_map(s, p), PTV_ERR_FORMAT, ":1:",
		 "garbage System.map");
	unlink(p);
	p = temp_file("0000000000000000 T _stext\n0000000000000000 D init_mm\t[mod]\n");
	is_error(ptv_symbols_load_kallsyms(s, p), PTV_ERR_PERM, "kptr_restrict",
		 "all-zero kallsyms says why");
	unlink(p);
	is_int(ptv_symbols_count(s), before, "failed loads leave the table alone");
	is_error(ptv_symbols_load_elf(s, "/nonexistent/vmlinux"), PTV_ERR_OS,
		 "/nonexistent/vmlinux", "missing ELF file is named");
	ptv_symbols_destroy(s);
}

/* ---- deb61-basic ------------------------------------------------------------ */

static const char *const wanted[] = {
	"init_task", "init_top_pgt", "page_offset_base", "vmemmap_base",
	"vmalloc_base", "init_mm", "_stext", "_text", "phys_base",
};

/* The "kallsyms" array of truth-meta.json as kallsyms text (malloc'd). */
static char *truth_kallsyms(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char json[1 << 20];
	size_t n = fread(json, 1, sizeof(json) - 1, f);
	fclose(f);
	json[n] = '\0';
	char *p = strstr(json, "\"kallsyms\"");
	char *end = p ? strchr(p, ']') : NULL;
	if (!p || !end || !(p = strchr(p, '[')))
		return NULL;
	char *out = calloc(1, end - p + 2);
	size_t len = 0;
	while ((p = strchr(p, '"')) && p < end) {
		char *q = strchr(p + 1, '"');
		if (!q || q > end)
			break;
		memcpy(out + len, p + 1, q - p - 1);
		len += q - p - 1;
		out[len++] = '\n';
		p = q + 1;
	}
	return out;
}

/* The dump's VMCOREINFO: the first note-like "OSRELEASE=" run. */
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
	while (!found && (p = memmem(p, end - p, "OSRELEASE=", 10))) {
		const char *nul = memchr(p, '\0', end - p);
		size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
		if (len < 65536 && p[10] != '%' && memmem(p, len, "\nSYMBOL(", 8))
			found = strndup(p, len);
		p += 10;
	}
	munmap(map, st.st_size);
	return found;
}

static void test_fixture(const char *map, const char *dwarf, const char *meta,
			 const char *elf)
{
	struct ptv_symbols *sm, *st;
	char what[160];
	ptv_symbols_create(&sm);
	ptv_symbols_create(&st);
	double t0 = now();
	struct ptv_error *err = ptv_symbols_load_system_map(sm, map);
	printf("# System.map: %zu symbols in %.3f s\n", ptv_symbols_count(sm),
	       now() - t0);
	if (!ok(!err, "deb61-basic System.map loads"))
		printf("#   %s\n", err->message);
	ptv_error_destroy(err);
	uint64_t v = 0;
	is_error(ptv_symbols_lookup(sm, "swapper_pg_dir", &v), PTV_ERR_NOT_FOUND,
		 "'swapper_pg_dir'", "x86-64 has no swapper_pg_dir symbol (it is init_top_pgt)");
	ok(ptv_symbols_lookup(sm, "init_top_pgt", &v) == NULL &&
	   v == 0xffffffff82a10000, "init_top_pgt link-time address (System.map text)");

	if (dwarf) {
		t0 = now();
		err = ptv_symbols_load_elf(st, dwarf);
		printf("# vmlinux.dwarf .symtab: %zu symbols in %.3f s\n",
		       ptv_symbols_count(st), now() - t0);
		if (!ok(!err, "deb61-basic vmlinux.dwarf .symtab loads"))
			printf("#   %s\n", err->message);
		ptv_error_destroy(err);
	} else {
		skip(1, "no vmlinux.dwarf");
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		uint64_t a = 0, b = 1;
		struct ptv_error *ea = ptv_symbols_lookup(sm, wanted[i], &a);
		snprintf(what, sizeof(what), "%s: System.map %#llx%s", wanted[i],
			 (unsigned long long)a, dwarf ? " == .symtab" : "");
		if (dwarf) {
			struct ptv_error *eb = ptv_symbols_lookup(st, wanted[i], &b);
			ok(!ea && !eb && a == b, what);
			ptv_error_destroy(eb);
		} else {
			ok(!ea, what);
		}
		ptv_error_destroy(ea);
	}

	/* With the README's offset, System.map must give what the guest's
	 * own /proc/kallsyms said. */
	ptv_symbols_set_offset(sm, DEB61_KASLR);
	char *ks = meta ? truth_kallsyms(meta) : NULL;
	if (ks) {
		struct ptv_symbols *sk;
		ptv_symbols_create(&sk);
		const char *p = temp_file(ks);
		err = ptv_symbols_load_kallsyms(sk, p);
		ok(!err && ptv_symbols_count(sk) >= 5, "truth kallsyms lines load");
		ptv_error_destroy(err);
		int good = 0, n = 0;
		for (char *line = ks; *line; line = strchr(line, '\n') + 1) {
			char name[128];
			unsigned long long addr;
			if (sscanf(line, "%llx %*c %127s", &addr, name) != 2)
				break;
			n++;
			uint64_t got = 0;
			if (ptv_symbols_lookup(sm, name, &got) == NULL && got == addr)
				good++;
			else
				printf("#   %s: kallsyms %#llx, System.map+offset %#llx\n",
				       name, addr, (unsigned long long)got);
		}
		snprintf(what, sizeof(what),
			 "System.map + 0x28200000 == the guest's kallsyms for all %d symbols", n);
		ok(n >= 5 && good == n, what);
		/* Both kinds in one table: the offset falls out. */
		err = ptv_symbols_load_kallsyms(st, p);
		ok(!err && ptv_symbols_derive_offset(st, "_stext", &v) == NULL &&
		   v == DEB61_KASLR, "KASLR offset derived from .symtab + kallsyms");
		ptv_error_destroy(err);
		unlink(p);
		ptv_symbols_destroy(sk);
		free(ks);
	} else {
		skip(3, "no truth/truth-meta.json kallsyms");
	}

	ok(ptv_symbols_lookup(sm, "init_task", &v) == NULL, "init_task relocated");
	const char *name = NULL;
	uint64_t off = 0;
	ok(ptv_symbols_nearest(sm, v + 0x40, &name, &off) == NULL && name &&
	   strcmp(name, "init_task") == 0 && off == 0x40,
	   "nearest symbol to init_task+0x40");
	ok(ptv_symbols_lookup(sm, "fixed_percpu_data", &v) == NULL && v == 0,
	   "per-cpu fixed_percpu_data stays at 0 under KASLR");

	/* The dump's VMCOREINFO: KERNELOFFSET and SYMBOL() agree with
	 * System.map. */
	char *vmci = elf ? find_vmcoreinfo(elf) : NULL;
	if (vmci) {
		struct ptv_symbols *sv;
		ptv_symbols_create(&sv);
		ptv_symbols_load_system_map(sv, map);
		err = ptv_symbols_load_vmcoreinfo(sv, vmci, strlen(vmci));
		ok(!err && ptv_symbols_offset(sv) == DEB61_KASLR,
		   "VMCOREINFO KERNELOFFSET is the README's offset");
		ptv_error_destroy(err);
		int n = 0, good = 0;
		for (const char *p = vmci; (p = strstr(p, "SYMBOL(")); p++) {
			char sym[128];
			uint64_t link, got;
			if (sscanf(p, "SYMBOL(%127[^)])", sym) != 1)
				continue;
			struct ptv_error *e = ptv_symbols_lookup_link(sv, sym, &link);
			bool in_map = !e;
			ptv_error_destroy(e);
			if (!in_map)
				continue;	/* e.g. swapper_pg_dir, a macro */
			n++;
			if (ptv_symbols_lookup(sv, sym, &got) == NULL &&
			    got == link + DEB61_KASLR)
				good++;
			else
				printf("#   %s: got %#llx, System.map+offset %#llx\n",
				       sym, (unsigned long long)got,
				       (unsigned long long)(link + DEB61_KASLR));
		}
		snprintf(what, sizeof(what),
			 "all %d VMCOREINFO SYMBOL()s == System.map + offset", n);
		ok(n >= 3 && n == good, what);
		ptv_symbols_destroy(sv);
		free(vmci);
	} else {
		skip(2, "no vmcore.elf VMCOREINFO");
	}
	ptv_symbols_destroy(sm);
	ptv_symbols_destroy(st);
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
	char b1[4096], b2[4096], b3[4096], b4[4096];
	const char *map = fixture("PTV_FIXTURES", "deb61-basic/kernel/System.map",
				  b1, sizeof(b1));
	const char *dwarf = fixture("PTV_FIXTURES", "deb61-basic/kernel/vmlinux.dwarf",
				    b2, sizeof(b2));
	const char *meta = fixture("PTV_SHARED",
				   "fixtures/deb61-basic/truth/truth-meta.json",
				   b3, sizeof(b3));
	const char *elf = fixture("PTV_FIXTURES", "deb61-basic/vmcore.elf", b4,
				  sizeof(b4));
	test_synthetic();
	if (map)
		test_fixture(map, dwarf, meta, elf);
	else
		skip(1, "no $PTV_FIXTURES/deb61-basic/kernel/System.map (make check unpacks it)");
	plan_no_plan_end();
	return exit_status();
}
