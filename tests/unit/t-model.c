/* t-model.c: the model's rules, without the live kernel.  Each case runs a
 * small trace through ptv_replay_model() for a named kernel (with every
 * setting it depends on `set`, swap and the zero page given) and checks
 * the records the rule decides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/replay.h"
#include "core/trace.h"
#include "tests/tap.h"

#define MAXREC 8192

struct rec {
	char check[32], task[16], region[16];
	uint64_t off;
	bool counters;
	struct ptv_replay_page p;
	struct ptv_replay_counters c;
};

struct evrec {
	unsigned line;
	int64_t ret;
	uint64_t minor, major;
};

static struct rec recs[MAXREC];
static size_t nrecs;
static struct evrec evs[256];
static size_t nevs;

static struct ptv_error *on_event(void *arg, const struct ptv_replay_event *e)
{
	(void)arg;
	if (nevs < 256)
		evs[nevs++] = (struct evrec){ e->line, e->ret, e->minor,
					      e->major };
	return NULL;
}

static struct ptv_error *on_page(void *arg, const struct ptv_replay_page *p)
{
	(void)arg;
	if (nrecs == MAXREC)
		return ptv_error_create(PTV_ERR_OTHER, "too many records");
	struct rec *r = &recs[nrecs++];
	memset(r, 0, sizeof(*r));
	snprintf(r->check, sizeof(r->check), "%s", p->check);
	snprintf(r->task, sizeof(r->task), "%s", p->task);
	snprintf(r->region, sizeof(r->region), "%s", p->region);
	r->off = p->off;
	r->p = *p;
	return NULL;
}

static struct ptv_error *on_counters(void *arg,
				     const struct ptv_replay_counters *c)
{
	(void)arg;
	if (nrecs == MAXREC)
		return ptv_error_create(PTV_ERR_OTHER, "too many records");
	struct rec *r = &recs[nrecs++];
	memset(r, 0, sizeof(*r));
	snprintf(r->check, sizeof(r->check), "%s", c->check);
	snprintf(r->task, sizeof(r->task), "%s", c->task);
	r->counters = true;
	r->c = *c;
	return NULL;
}

/* Run text for kernel; false (and a diagnostic) on any error. */
static bool run(const char *kernel, uint64_t swap_pages, const char *text)
{
	nrecs = nevs = 0;
	struct ptv_trace *t;
	struct ptv_error *err = ptv_trace_parse(text, strlen(text), "case", &t);
	if (!err) {
		struct ptv_replay_sink s = { NULL, on_event, on_page,
					     on_counters };
		struct ptv_replay_model_opts o = {
			.kernel = kernel, .zero_page_maps = 1,
			.swap_known = true, .swap_pages = swap_pages,
		};
		err = ptv_replay_model(t, &o, &s);
		ptv_trace_destroy(t);
	}
	if (err) {
		printf("# %s\n", err->message ? err->message : "error");
		ptv_error_destroy(err);
		return false;
	}
	return true;
}

static const struct ptv_replay_page *page(const char *check, const char *task,
					  const char *region, uint64_t off)
{
	static const struct ptv_replay_page missing = { .frame = "missing" };
	for (size_t i = 0; i < nrecs; i++)
		if (!recs[i].counters && !strcmp(recs[i].check, check) &&
		    !strcmp(recs[i].task, task) &&
		    !strcmp(recs[i].region, region) && recs[i].off == off)
			return &recs[i].p;
	return &missing;
}

static const struct ptv_replay_counters *counters(const char *check,
						  const char *task)
{
	static const struct ptv_replay_counters missing = {
		.pgtables_kb = -1, .rss_anon_kb = -1 };
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].counters && !strcmp(recs[i].check, check) &&
		    !strcmp(recs[i].task, task))
			return &recs[i].c;
	return &missing;
}

static const struct evrec *event(unsigned line)
{
	static const struct evrec missing = { 0, 999, 999, 999 };
	for (size_t i = 0; i < nevs; i++)
		if (evs[i].line == line)
			return &evs[i];
	return &missing;
}

#define SMALL "set thp=never mthp.16K=never mthp.32K=never mthp.64K=never\n"

static void fork_shares_then_copies(void)
{
	ok(run("6.18", 0, "ptview-trace 1\n" SMALL
	       "t0 map a 4M rw- private anon align=2M\n"
	       "t0 touch a 4M write\n"
	       "t0 fork t1\n"
	       "check f\n"
	       "t1 touch a write\n"
	       "check w\n"), "fork trace runs");
	const struct ptv_replay_page *p0 = page("f", "t0", "a", 0);
	const struct ptv_replay_page *c0 = page("f", "t1", "a", 0);
	is_str(c0->frame, p0->frame, "fork: the child maps the parent's frame");
	is_int(p0->mapcount, 2, "fork: mapcount 2");
	ok(!p0->exclusive && !c0->exclusive, "fork: neither is exclusive");
	is_int(counters("f", "t1")->pgtables_kb, 16,
	       "fork: the child has PUD, PMD and two PTE tables");
	is_int(counters("f", "t0")->pgtables_kb, 16, "fork: the parent too");
	ok(strcmp(page("w", "t1", "a", 0)->frame, page("w", "t0", "a", 0)->frame),
	   "child write: do_wp_page copies");
	is_int(page("w", "t0", "a", 0)->mapcount, 1,
	       "child write: the parent's page is its own again");
	ok(page("w", "t0", "a", 0)->exclusive, "... and exclusive");
	is_int(page("w", "t0", "a", 4096)->mapcount, 2,
	       "child write: the next page is still shared");
	is_int(event(7)->minor, 1, "child write: one fault");
}

static void child_exit_reuse(void)
{
	ok(run("6.18", 0, "ptview-trace 1\n" SMALL
	       "t0 map a 16K rw- private anon\n"
	       "t0 touch a 16K write\n"
	       "check before\n"
	       "t0 fork t1\n"
	       "t1 exit\n"
	       "t0 touch a 16K write\n"
	       "check after\n"), "child exit trace runs");
	is_int(event(8)->minor, 4, "the PTEs stayed write-protected: 4 faults");
	is_str(page("after", "t0", "a", 8192)->frame,
	       page("before", "t0", "a", 8192)->frame,
	       "wp_can_reuse_anon_folio: the same frames");
}

static void fault_around_clips(void)
{
	ok(run("6.18", 0, "ptview-trace 1\nfile f 64K\n"
	       "t0 map a 64K r-- private file:f at=0x200000008000\n"
	       "t0 touch a read\n"
	       "t0 map b 64K r-- private file:f at=0x2000001f8000\n"
	       "t0 touch b read\n"), "fault-around trace runs");
	is_str(page("end", "t0", "a", 60 * 1024)->frame, "F16",
	       "a VMA starting at PTE 8 gets 16 pages from its start");
	ok(page("end", "t0", "b", 28 * 1024)->state == PTV_REPLAY_PRESENT,
	   "a VMA at PTE 504: the pages up to the table's end ...");
	ok(page("end", "t0", "b", 32 * 1024)->state == PTV_REPLAY_NONE,
	   "... and none past it");
}

static void free_pgtables(void)
{
	ok(run("6.18", 0, "ptview-trace 1\n" SMALL
	       "t0 map a 32K rw- private anon\n"
	       "t0 touch a 32K write\n"
	       "t0 munmap a+8K 8K\n"
	       "check punched\n"
	       "t0 munmap a 32K\n"
	       "check gone\n"), "munmap trace runs");
	is_int(counters("punched", "t0")->pgtables_kb, 12,
	       "munmap of the middle keeps the tables");
	is_int(counters("gone", "t0")->pgtables_kb, 0,
	       "munmap of everything frees PTE, PMD and PUD tables");
}

static void dontneed_reclaims_tables(void)
{
	const char *t = "ptview-trace 1\n" SMALL
		"t0 map a 4M rw- private anon align=2M\n"
		"t0 touch a 4M write\n"
		"t0 madvise a 2M dontneed\n"
		"t0 madvise a+2M 1M dontneed\n";
	ok(run("6.18", 0, t), "dontneed trace runs (6.18)");
	is_int(counters("end", "t0")->pgtables_kb, 12,
	       "6.18: a PTE table emptied over its whole range is freed");
	ok(run("6.1", 0, t), "dontneed trace runs (6.1)");
	is_int(counters("end", "t0")->pgtables_kb, 16,
	       "6.1: no page-table reclaim");
}

static void huge_zero_write(void)
{
	const char *t = "ptview-trace 1\nset thp=madvise use_zero_page=1 "
		"mthp.2M=inherit\n"
		"t0 map h 2M rw- private anon align=2M\n"
		"t0 madvise h 2M hugepage\n"
		"t0 touch h read\n"
		"check read\n"
		"t0 touch h+8K write\n";
	ok(run("6.18", 0, t), "huge zero trace runs (6.18)");
	is_str(page("read", "t0", "h", 4096)->frame, "hzero",
	       "a read maps the huge zero page");
	ok(page("end", "t0", "h", 8192)->pmd && page("end", "t0", "h", 0)->anon,
	   "6.18: a write on it is a new PMD-mapped THP");
	ok(run("6.1", 0, t), "huge zero trace runs (6.1)");
	ok(!page("end", "t0", "h", 8192)->pmd &&
	   !page("end", "t0", "h", 8192)->thp && page("end", "t0", "h", 8192)->anon,
	   "6.1: the PMD is split and one 4K page copied");
	is_str(page("end", "t0", "h", 0)->frame, "zero",
	       "6.1: the rest are zero-page PTEs");
}

static void collapse_rules(void)
{
	const char *t = "ptview-trace 1\n" SMALL
		"t0 map h 2M rw- private anon align=2M\n"
		"t0 touch h 2M write\n"
		"t0 fork t1\n"
		"t0 madvise h 2M collapse\n"
		"t0 map u 2M rw- private anon at=0x200040100000\n"
		"t0 touch u write\n"
		"t0 madvise u 2M collapse\n";
	ok(run("6.18", 0, t), "collapse trace runs (6.18)");
	is_int(event(6)->ret, 0, "6.18: MADV_COLLAPSE of write-protected PTEs");
	ok(page("end", "t0", "h", 0)->pmd, "... gives a PMD-mapped THP");
	is_int(page("end", "t1", "h", 0)->mapcount, 1,
	       "... and the child's pages are its own");
	is_int(event(9)->ret, -22, "no aligned 2 MiB in the range: EINVAL");
	ok(run("6.1", 0, t), "collapse trace runs (6.1)");
	is_int(event(6)->ret, -22, "6.1: SCAN_PAGE_RO is EINVAL");
}

static void free_splits_and_remaps_zero(void)
{
	const char *t = "ptview-trace 1\nset thp=madvise mthp.2M=inherit\n"
		"t0 map h 2M rw- private anon align=2M\n"
		"t0 madvise h 2M hugepage\n"
		"t0 touch h write\n"
		"t0 madvise h+64K 64K free\n";
	ok(run("6.18", 0, t), "MADV_FREE trace runs (6.18)");
	ok(!page("end", "t0", "h", 0)->thp, "a partial MADV_FREE splits the THP");
	is_str(page("end", "t0", "h", 4096)->frame, "zero",
	       "6.18: all-zero pages are remapped to the zero page");
	is_int(counters("end", "t0")->rss_anon_kb, 4, "... leaving 4 kB");
	ok(run("6.1", 0, t), "MADV_FREE trace runs (6.1)");
	ok(page("end", "t0", "h", 4096)->anon, "6.1: no remap on split");
}

static void mprotect_upgrade_and_pin(void)
{
	ok(run("6.18", 0, "ptview-trace 1\n" SMALL
	       "t0 map a 16K rw- private anon\n"
	       "t0 touch a 16K write\n"
	       "t0 mprotect a 16K r--\n"
	       "t0 mprotect a 16K rw-\n"
	       "t0 touch a 16K write\n"
	       "t0 pin a 4K\n"
	       "t0 fork t1\n"), "mprotect/pin trace runs");
	is_int(event(7)->minor, 0,
	       "mprotect rw-: exclusive anon PTEs are writable at once");
	ok(strcmp(page("end", "t0", "a", 0)->frame, page("end", "t1", "a", 0)->frame),
	   "fork: the pinned page is copied for the child");
	is_str(page("end", "t0", "a", 4096)->frame,
	       page("end", "t1", "a", 4096)->frame, "... the others are shared");
}

static void swap_rules(void)
{
	ok(run("6.18", 4096, "ptview-trace 1\n" SMALL
	       "t0 map a 16K rw- private anon\n"
	       "t0 touch a 16K write\n"
	       "t0 madvise a 16K pageout\n"
	       "check out\n"
	       "t0 touch a read\n"
	       "t0 touch a write\n"
	       "t0 fork t1\n"
	       "t1 touch a+4K read\n"), "swap trace runs");
	ok(page("out", "t0", "a", 0)->state == PTV_REPLAY_SWAP,
	   "pageout: swap entries");
	is_int(counters("out", "t0")->swap_kb, 16, "swap_kb 16");
	is_int(event(7)->major, 1, "swap-in: a major fault");
	is_int(event(8)->minor + event(8)->major, 0,
	       "an exclusive swap entry comes back writable");
	is_int(event(10)->major, 1, "after fork the child reads swap: major");
	ok(run("6.18", 0, "ptview-trace 1\n" SMALL
	       "t0 map a 16K rw- private anon\n"
	       "t0 touch a 16K write\n"
	       "t0 madvise a 16K pageout\n"), "no-swap trace runs");
	is_int(page("end", "t0", "a", 0)->state, PTV_REPLAY_PRESENT,
	       "without swap, anon pages stay");
}

int main(void)
{
	plan(56);
	fork_shares_then_copies();
	child_exit_reuse();
	fault_around_clips();
	free_pgtables();
	dontneed_reclaims_tables();
	huge_zero_write();
	collapse_rules();
	free_splits_and_remaps_zero();
	mprotect_upgrade_and_pin();
	swap_rules();
	return exit_status();
}
