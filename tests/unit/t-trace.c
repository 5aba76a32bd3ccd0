/* Unit tests for core/trace.c: good traces parse into the statements the
 * spec describes; every bad trace fails at the exact line and column. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/trace.h"
#include "tests/tap.h"

#define H "ptview-trace 1\n"

/* A bad trace and the start of its error message ("t:LINE:COL: ..."). */
static const struct {
	const char *text, *want;
} bad[] = {
	{ "", "t:1:1: empty trace" },
	{ "# only a comment\n\n", "t:1:1: empty trace" },
	{ "t0 map a 4K rw- private anon\n", "t:1:1: the first statement" },
	{ "ptview-trace 2\n", "t:1:14: trace language version '2'" },
	{ "ptview-trace\n", "t:1:13: missing operand" },
	{ "ptview-trace 1 x\n", "t:1:16: unexpected 'x'" },
	{ H "ptview-trace 1\n", "t:2:1: 'ptview-trace' may only be" },
	{ H "t1 map a 4K rw- private anon\n", "t:2:1: no task 't1'" },
	{ H "9x map a 4K rw- private anon\n", "t:2:1: '9x' is not a statement" },
	{ H "t0\n", "t:2:3: missing statement" },
	{ H "t0 frob a\n", "t:2:4: unknown statement 'frob'" },
	{ H "t0 map 1a 4K rw- private anon\n", "t:2:8: '1a' is not a region name" },
	{ H "t0 map a 5K rw- private anon\n", "t:2:10: region size 0x1400 is not a multiple of 4 KiB" },
	{ H "t0 map a 0 rw- private anon\n", "t:2:10: region size must not be 0" },
	{ H "t0 map a 4Q rw- private anon\n", "t:2:10: '4Q' is not a number" },
	{ H "t0 map a 99999999999999999999 rw- private anon\n", "t:2:10: '99999999999999999999' is too large" },
	{ H "t0 map a 2G rw- private anon\n", "t:2:10: region 'a' is larger than 1 GiB" },
	{ H "t0 map a 128G rw- private anon at=0x100000000000\n", "t:2:10: region size 0x2000000000 is larger than the limit" },
	{ H "t0 map a 4K rwx- private anon\n", "t:2:13: 'rwx-' is not a protection" },
	{ H "t0 map a 4K wr- private anon\n", "t:2:13: 'wr-' is not a protection" },
	{ H "t0 map a 4K rw- public anon\n", "t:2:17: expected private or shared" },
	{ H "t0 map a 4K rw- private heap\n", "t:2:25: expected anon, shmem or file:NAME" },
	{ H "t0 map a 4K rw- private\n", "t:2:24: missing operand" },
	{ H "t0 map a 4K rw- private file:f\n", "t:2:30: no file 'f'" },
	{ H "file f 8K\nt0 map a 8K rw- private file:f@4K\n", "t:3:25: region 'a' (0x2000 bytes from offset 0x1000) runs past the end of file 'f'" },
	{ H "file f 8K\nt0 map a 4K rw- private file:f@1\n", "t:3:32: file offset 0x1 is not a multiple of 4 KiB" },
	{ H "t0 map a 4K rw- private anon at=0x1001\n", "t:2:33: at=0x1001 is not a non-zero multiple" },
	{ H "t0 map a 4K rw- private anon at=0\n", "t:2:33: at=0 is not a non-zero multiple" },
	{ H "t0 map a 4K rw- private anon at=0x800000000000\n", "t:2:8: region 'a' at 0x800000000000 (0x1000 bytes) is beyond" },
	{ H "t0 map a 4K rw- private anon align=3K\n", "t:2:36: align=0xc00 is not a power of two" },
	{ H "t0 map a 4K rw- private anon at=0x10000000 align=1G\n", "t:2:44: region 'a' at 0x10000000 is not aligned to 0x40000000" },
	{ H "t0 map a 4K rw- private anon at=0x1000 at=0x2000\n", "t:2:40: unexpected 'at=0x2000'" },
	{ H "t0 map a 4K rw- private anon bogus\n", "t:2:30: unexpected 'bogus'" },
	{ H "t0 map a 4K rw- private anon\nt0 map a 4K rw- private anon\n", "t:3:8: region 'a' is already mapped at line 2" },
	{ H "t0 touch a read\n", "t:2:10: no region 'a'" },
	{ H "t0 map a 4K rw- private anon\nt0 touch a+4K read\n", "t:3:12: offset 0x1000 is past the end of region 'a'" },
	{ H "t0 map a 8K rw- private anon\nt0 touch a+4K 8K read\n", "t:3:10: 0x2000 bytes from 'a+4K' run past the end of region 'a'" },
	{ H "t0 map a 8K rw- private anon\nt0 touch a+1 read\n", "t:3:12: offset 0x1 is not a multiple of 4 KiB" },
	{ H "t0 map a 8K rw- private anon\nt0 touch a+x read\n", "t:3:12: 'x' is not a number" },
	{ H "t0 map a 8K rw- private anon\nt0 touch a scribble\n", "t:3:12: expected read or write" },
	{ H "t0 map a 8K rw- private anon\nt0 touch a 4K\n", "t:3:12: expected read or write, got '4K'" },
	{ H "t0 map a 8K rw- private anon\nt0 touch\n", "t:3:9: missing operand" },
	{ H "t0 touch 0x1001 read\n", "t:2:10: address 0x1001 is not a multiple" },
	{ H "t0 touch 0xfffffffffffff000 read\n", "t:2:10: address 0xfffffffffffff000 is beyond" },
	{ H "t0 touch 0xzz read\n", "t:2:10: '0xzz' is not a number" },
	{ H "t0 touch a-b read\n", "t:2:10: 'a-b' is not a place" },
	{ H "t0 map a 8K rw- private anon\nt0 madvise a 8K sleep\n", "t:3:17: 'sleep' is not an advice" },
	{ H "t0 map a 8K rw- private anon\nt0 madvise a 8K\n", "t:3:16: missing operand" },
	{ H "t0 map a 8K rw- private anon\nt0 mprotect a 8K rw\n", "t:3:18: 'rw' is not a protection" },
	{ H "t0 map a 8K rw- private anon\nt0 munmap a 0\n", "t:3:13: length must not be 0" },
	{ H "t0 map a 8K rw- private anon\nt0 munmap a 8K extra\n", "t:3:16: unexpected 'extra'" },
	{ H "t0 map a 8K rw- private anon\nt0 unpin a 8K\n", "t:3:10: unpin must name exactly the range of an earlier pin by task 't0'" },
	{ H "t0 map a 8K rw- private anon\nt0 pin a 8K\nt0 unpin a 4K\n", "t:4:10: unpin must name exactly" },
	{ H "t0 map a 8K rw- private anon\nt0 pin a 8K\nt0 fork t1\nt1 unpin a 8K\n", "t:5:10: unpin must name exactly the range of an earlier pin by task 't1'" },
	{ H "t0 map a 8K rw- private anon\nt0 pin a 8K\nt0 unpin a 8K\nt0 unpin a 8K\n", "t:5:10: unpin must name" },
	{ H "t0 fork set\n", "t:2:9: 'set' cannot be a task name" },
	{ H "t0 fork ptview\n", "t:2:9: 'ptview' cannot be a task name" },
	{ H "t0 fork t0\n", "t:2:9: task 't0' already exists" },
	{ H "t0 fork t1\nt1 exit\nt0 fork t1\n", "t:4:9: task 't1' already exists" },
	{ H "t0 fork t1\nt1 exit\nt1 exit\n", "t:4:1: task 't1' exited at line 3" },
	{ H "t0 fork\n", "t:2:8: missing operand" },
	{ H "t0 fork t1\nt1 map b 4K rw- private anon\nt0 touch b read\n", "t:4:10: task 't0' has no region 'b' (task 't1' mapped it at line 3)" },
	{ H "t0 exit now\n", "t:2:9: unexpected 'now'" },
	{ H "check end\n", "t:2:7: label 'end' is reserved" },
	{ H "check L12\n", "t:2:7: label 'L12' is reserved" },
	{ H "check a\ncheck b\ncheck a\n", "t:4:7: duplicate check label 'a' (first at line 2)" },
	{ H "check 1a\n", "t:2:7: '1a' is not a label" },
	{ H "check a b\n", "t:2:9: unexpected 'b'" },
	{ H "set\n", "t:2:4: missing operand" },
	{ H "set thp\n", "t:2:5: expected KEY=VALUE" },
	{ H "set thp=sometimes\n", "t:2:9: 'sometimes' is not a value of thp" },
	{ H "set thp=never thp_defrag=eager\n", "t:2:26: 'eager' is not a value of thp_defrag" },
	{ H "set use_zero_page=2\n", "t:2:19: '2' is not a value of use_zero_page" },
	{ H "set max_ptes_none=512\n", "t:2:19: max_ptes_none is at most 511" },
	{ H "set max_ptes_swap=-1\n", "t:2:19: '-1' is not a number" },
	{ H "set mthp.48K=always\n", "t:2:10: mthp size 0xc000 is not a power of two" },
	{ H "set mthp.4M=always\n", "t:2:10: mthp size 0x400000 is not a power of two" },
	{ H "set mthp.64K=sometimes\n", "t:2:14: 'sometimes' is not a value of mthp.64K" },
	{ H "set fault_around_bytes=4M\n", "t:2:24: fault_around_bytes 0x400000 is not a multiple of 4 KiB up to 2M" },
	{ H "set colour=blue\n", "t:2:5: unknown setting 'colour'" },
	{ H "file 1f 4K\n", "t:2:6: '1f' is not a name" },
	{ H "file f 4K\nfile f 8K\n", "t:3:6: file 'f' is already made at line 2" },
	{ H "file f 2G\n", "t:2:8: file size 0x80000000 is larger than the limit" },
	{ H "file f 4K cached=some\n", "t:2:11: expected cached=all or cached=none" },
	{ H "t0 map a 4K rw- private anon\x01\n", "t:2:29: control character 0x01" },
	{ H "t0 map a\0 4K\n", "t:2:9: NUL byte" },
	{ H "t0 map a 4K r-- private anon # ok\nt0 touch a wrte # typo\n", "t:3:12: expected read or write" },
	{ H "t0 map a 4K rw- private anon\r\nt0 touch a writ\r\n", "t:3:12: expected read or write, got 'writ'" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct ptv_trace *t = NULL;
		size_t len = strlen(bad[i].text);
		if (strstr(bad[i].want, "NUL byte"))
			len = strlen(bad[i].text) + 5;	/* past the NUL */
		struct ptv_error *err = ptv_trace_parse(bad[i].text, len, "t",
							&t);
		char what[160];
		snprintf(what, sizeof(what), "bad trace %zu: %s", i, bad[i].want);
		bool good = err && err->code == PTV_ERR_FORMAT &&
			    strncmp(err->message, bad[i].want,
				    strlen(bad[i].want)) == 0;
		ok(good, what);
		if (!good)
			printf("#   got: %s\n", err ? err->message : "(parsed)");
		ptv_error_destroy(err);
		ptv_trace_destroy(t);
	}
}

static struct ptv_trace *parse_ok(const char *text, const char *what)
{
	struct ptv_trace *t = NULL;
	struct ptv_error *err = ptv_trace_parse(text, strlen(text), "t", &t);
	if (!ok(!err, what))
		printf("#   %s\n", err->message);
	ptv_error_destroy(err);
	return t;
}

static void test_good(void)
{
	struct ptv_trace *t = parse_ok(
		"# a comment first\n"
		"\n"
		"ptview-trace 1   # trailing comment\n"
		"\tt0 map a 4K rw- private anon\n", "comments, blank lines, tabs");
	ptv_trace_destroy(t);
	t = parse_ok(
		"ptview-trace 1\n"
		"set thp=always thp_defrag=defer+madvise use_zero_page=0 "
		"max_ptes_none=0x1ff mthp.64K=inherit fault_around_bytes=16K\n"
		"file f 1M cached=none\n"
		"t0 map a 16K rw- private anon\n"
		"t0 map b 512K r-x shared file:f@0x80000 align=2M\n"
		"t0 map c 4K --- private shmem at=0x7f0000000000 align=4K\n"
		"t0 touch a+8K 8K write\n"
		"t0 touch 0x200000000000 read\n"
		"t0 madvise b 512K populate_write\n"
		"t0 mprotect a+4K 4K r--\n"
		"t0 pin a 16K\n"
		"check\n"
		"t0 fork kid\n"
		"kid map d 4K rw- private anon\n"
		"t0 unpin a 16K\n"
		"kid exit\n"
		"check done\n", "a trace with every statement kind");
	if (!t)
		return;
	is_int(t->nstmts, 16, "16 statements");
	is_int(t->ntasks, 2, "two tasks");
	is_str(t->tasks[1].name, "kid", "the child's name");
	is_int(t->tasks[1].parent, 0, "its parent is t0");
	is_int(t->tasks[1].nregions, 4, "it inherits 3 regions and maps one");
	is_int(t->tasks[1].exit_line, 16, "it exits at line 16");
	is_int(t->nregions, 4, "four regions");
	is_int(t->regions[0].addr, 0x200000000000ULL, "region 0 at the base");
	is_int(t->regions[1].addr, 0x200040000000ULL, "region 1 1 GiB higher");
	is_int(t->regions[2].addr, 0x7f0000000000ULL, "at= places region 2");
	is_int(t->regions[3].addr, 0x2000c0000000ULL,
	       "k counts maps with at= too");
	is_int(t->regions[1].file_off, 0x80000, "file offset");
	ok(t->regions[1].shared && t->regions[1].backing == PTV_TRACE_FILE_BACKED,
	   "shared file mapping");
	is_int(t->regions[1].prot, PTV_PROT_R | PTV_PROT_X, "r-x");
	is_int(t->regions[2].backing, PTV_TRACE_SHMEM, "shmem backing");
	is_int(t->files[0].size, 1 << 20, "file size 1M");
	ok(!t->files[0].cached, "cached=none");
	const struct ptv_trace_stmt *s = &t->stmts[0];
	is_int(s->nset, 6, "six settings");
	is_str(s->set[3].value, "511", "hex max_ptes_none, as decimal");
	is_int(s->set[4].mthp_size, 65536, "mthp.64K");
	is_str(s->set[5].value, "16384", "fault_around_bytes in bytes");
	s = &t->stmts[5];
	ok(s->op == PTV_TRACE_TOUCH && s->write, "touch write");
	is_int(s->addr, 0x200000002000ULL, "a+8K resolved");
	is_int(s->len, 8192, "8K");
	s = &t->stmts[6];
	is_int(s->len, 4096, "touch defaults to 4 KiB");
	is_int(s->region, SIZE_MAX, "an absolute place names no region");
	is_int(t->stmts[14].region, SIZE_MAX, "exit names no region");
	is_int(t->stmts[7].advice, PTV_ADV_POPULATE_WRITE, "advice");
	is_int(t->stmts[8].prot, PTV_PROT_R, "mprotect r--");
	is_str(t->stmts[10].label, "L12", "an unlabelled check is L<line>");
	is_int(t->stmts[11].child, 1, "fork makes task 1");
	is_str(t->stmts[15].label, "done", "a labelled check");
	is_int(t->last_line, 17, "17 lines");
	ptv_trace_destroy(t);

	t = parse_ok("ptview-trace 1", "no final newline");
	ptv_trace_destroy(t);
	t = parse_ok("ptview-trace 1\nt0 map a 1G rw- private anon\n"
		     "t0 map b 64G rw- private anon at=0x300000000000\n",
		     "1 GiB in a slot, 64 GiB with at=");
	ptv_trace_destroy(t);
}

int main(void)
{
	test_bad();
	test_good();
	plan_no_plan_end();
	return exit_status();
}
