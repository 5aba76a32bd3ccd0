#!/bin/sh
# ptview dump on a live process with a known layout (tests/helpers/layout.c):
# page by page, and summaries against the kernel's own smaps and status.
. "$PTV_SRCDIR/tests/lib.sh"
require_root "PFNs, kpageflags and kpagecount are visible only to root"
[ -f /sys/kernel/mm/transparent_hugepage/enabled ] ||
	test_skip_all "this kernel has no THP sysfs"

global_state_lock
# THP must be possible for MADV_HUGEPAGE regions (restored at exit).
case $(cat /sys/kernel/mm/transparent_hugepage/enabled) in
*"[never]"*) set_sysfs /sys/kernel/mm/transparent_hugepage/enabled madvise ;;
esac
start_layout
P=$LAYOUT_PID C=$CHILD_PID

test_expect_success 'written anon pages: present, anon, exclusive, mapcount 1, own frames' '
	expect_pages anon_w $P 0 16 \
		".state == \"present\" and .anon and .exclusive and .kpagecount == 1
		 and (.zero_page | not) and (.thp | not) and .level == \"pte\"
		 and (.kpageflags_names | index([\"ANON\"]) != null)" &&
	test "$(jq -r .pfn "$TEST_TMP/pages.json" | sort -u | wc -l)" = 16
'

if [ "$ZERO_PAGE" = 1 ]; then
	test_expect_success 'read-only anon pages map the shared zero page' '
		expect_pages anon_r $P 0 16 \
			".state == \"present\" and .zero_page and (.anon | not)
			 and (.huge_zero_page | not) and .kpagecount == 0" &&
		test "$(jq -r .pfn "$TEST_TMP/pages.json" | sort -u | wc -l)" = 1
	'
	test_expect_success 'zero-page runs collapse with pfn_step 0' '
		start=$(region_start anon_r) &&
		"$PTVIEW" dump --format=json --range "${start#0x}-$(printf %x $((start + 65536)))" $P |
			jq -c "select(.type == \"run\")" >runs &&
		test "$(wc -l <runs)" = 1 &&
		jq -e ".npages == 16 and .pfn_step == 0 and .zero_page" runs
	'
else
	test_expect_success 'read-only anon pages get their own frames (no zero page here)' '
		expect_pages anon_r $P 0 16 ".state == \"present\" and .anon and (.zero_page | not)"
	'
fi

test_expect_success 'MADV_HUGEPAGE region: two PMD-mapped order-9 THPs' '
	expect_pages thp $P 0 1024 \
		".state == \"present\" and .anon and .thp and .level == \"pmd\"
		 and .folio_order == 9 and .exclusive and .kpagecount == 1 and (.kpageflags_names | index([\"THP\"]) != null)" &&
	test "$(jq -c "select(.thp_head)" "$TEST_TMP/pages.json" | wc -l)" = 2 &&
	jq "select(.thp_head) | .vaddr" "$TEST_TMP/pages.json" >heads &&
	test "$(head -n1 heads)" = "\"$(region_start thp)\""
'

test_expect_success 'PMD-mapped THP pages form one run per folio with advancing PFNs' '
	start=$(region_start thp) &&
	"$PTVIEW" dump --format=json --range "${start#0x}-$(printf %x $((start + 4194304)))" $P |
		jq -c "select(.type == \"run\")" >runs &&
	jq -s -e "map(.npages) | add == 1024" runs &&
	jq -s -e "all(.[]; .level == \"pmd\")" runs
'

test_expect_success 'mprotect of one page splits the PMD: PTE-mapped THP in 3 VMAs' '
	expect_pages split $P 0 512 \
		".state == \"present\" and .anon and .thp and .level == \"pte\" and .folio_order == 9" &&
	start=$(region_start split) &&
	"$PTVIEW" dump --summary --format=json $P |
		jq -c "select(.type == \"summary\" and .scope == \"vma\")" >vmas &&
	for off in 0 20480 24576; do
		grep -q "\"start\":\"$(printf 0x%x $((start + off)))\"" vmas || exit 1
	done
'

test_expect_success 'private file mapping: written pages are anon COW copies, the rest page cache' '
	expect_pages file_priv $P 0 2 ".state == \"present\" and .anon and .exclusive and .kpagecount == 1" &&
	expect_pages file_priv $P 2 6 ".state == \"present\" and (.anon | not) and (.shmem | not)"
'

# file_priv is MADV_DONTFORK; fork does not copy file_shared's page tables
# either (vma_needs_copy(): no anon_vma), so the child faults it afresh.
# Page cache pages 2-7 are mapped by file_priv and file_shared: twice.
test_expect_success 'shared file mapping: page cache pages with the right map counts' '
	expect_pages file_shared $P 0 2 ".state == \"present\" and (.anon | not) and .kpagecount == 1" &&
	expect_pages file_shared $P 2 6 ".state == \"present\" and (.anon | not) and .kpagecount == 2" &&
	expect_pages file_shared $C 0 8 ".state == \"none\""
'

test_expect_success 'memfd, shared anonymous and tmpfs-file mappings are shmem' '
	expect_pages memfd $P 0 8 ".state == \"present\" and .shmem and (.anon | not)" &&
	expect_pages shanon $P 0 8 ".state == \"present\" and .shmem and (.anon | not)" &&
	expect_pages tmpfs $P 0 4 ".state == \"present\" and .shmem and (.anon | not)"
'

test_expect_success 'MADV_DONTFORK regions are absent from the child' '
	"$PTVIEW" dump --summary --format=json $C >child &&
	! grep -q "\"start\":\"$(region_start anon_w)\"" child &&
	! grep -q "\"start\":\"$(region_start thp)\"" child &&
	grep -q "\"start\":\"$(region_start cow)\"" child
'

test_expect_success 'fork: COW-shared pages are not exclusive and mapped twice' '
	expect_pages cow $P 8 8 ".state == \"present\" and .anon and (.exclusive | not) and .kpagecount == 2" &&
	cp "$TEST_TMP/pages.json" parent.json &&
	expect_pages cow $C 8 8 ".state == \"present\" and .anon and (.exclusive | not) and .kpagecount == 2" &&
	test "$(jq -r .pfn parent.json)" = "$(jq -r .pfn "$TEST_TMP/pages.json")"
'

test_expect_success 'fork: pages the child wrote are copies, exclusive on both sides' '
	expect_pages cow $C 0 8 ".state == \"present\" and .anon and .exclusive and .kpagecount == 1" &&
	cp "$TEST_TMP/pages.json" child.json &&
	expect_pages cow $P 0 8 ".state == \"present\" and .anon and .exclusive and .kpagecount == 1" &&
	test -z "$(jq -r .pfn child.json | grep -x -F -f - "$TEST_TMP/pages.json" 2>/dev/null |
		jq -r .pfn 2>/dev/null)" &&
	! jq -r .pfn child.json | grep -q -x -F "$(jq -r .pfn "$TEST_TMP/pages.json")"
'

if [ "$HZERO" = 1 ]; then
	test_expect_success 'MADV_HUGEPAGE read fault maps the huge zero page by PMD' '
		expect_pages hzero $P 0 512 \
			".state == \"present\" and .huge_zero_page and .thp and .level == \"pmd\" and (.anon | not)"
	'
else
	test_skip 'huge zero page' "a read fault did not map it here (HZERO=$HZERO)"
fi

test_expect_success 'per-VMA summaries equal /proc/PID/smaps' '
	for pid in $P $C; do
		"$PTVIEW" dump --summary --format=json $pid |
			jq -r "select(.scope == \"vma\") | [.start, .rss_kb, .anon_kb, .anon_huge_kb, .swap_kb] | @tsv" >sum.$pid
		test -s sum.$pid || exit 1
		while read -r start rss anon huge swap; do
			expect_eq "$rss" "$(smaps_field $pid $start Rss)" "Rss of $pid $start" &&
			expect_eq "$anon" "$(smaps_field $pid $start Anonymous)" "Anonymous of $pid $start" &&
			expect_eq "$huge" "$(smaps_field $pid $start AnonHugePages)" "AnonHugePages of $pid $start" &&
			expect_eq "$swap" "$(smaps_field $pid $start Swap)" "Swap of $pid $start" || exit 1
		done <sum.$pid
	done
'

test_expect_success 'task summary equals RssAnon, RssFile, RssShmem and VmSwap' '
	for pid in $P $C; do
		"$PTVIEW" dump --summary --format=json $pid |
			jq -r "select(.scope == \"task\") | [.anon_kb, .file_kb, .shmem_kb, .swap_kb] | @tsv" >t
		read -r anon file shmem swap <t
		expect_eq "$anon" "$(status_field $pid RssAnon)" "RssAnon of $pid" &&
		expect_eq "$file" "$(status_field $pid RssFile)" "RssFile of $pid" &&
		expect_eq "$shmem" "$(status_field $pid RssShmem)" "RssShmem of $pid" &&
		expect_eq "$swap" "$(status_field $pid VmSwap)" "VmSwap of $pid" || exit 1
	done
'

test_expect_success 'runs cover every page exactly once and agree with --pages' '
	"$PTVIEW" dump --format=json $P >runs.json &&
	"$PTVIEW" dump --pages --format=json --range 200000000000-200400000000 $P >pages.json &&
	jq -c "select(.type == \"run\" and .vaddr >= \"0x200000000000\" and .vaddr < \"0x200400000000\")" runs.json >layout-runs.json &&
	test "$(jq -s "map(.npages) | add" layout-runs.json)" = \
	     "$(jq -c "select(.type == \"page\")" pages.json | wc -l)" &&
	test "$(jq -s "[.[] | select(.type == \"vma\")] | length" runs.json)" = \
	     "$(wc -l </proc/$P/maps)"
'

test_expect_success '--summary (PAGEMAP_SCAN ranges) and --pages (page by page) agree' '
	for pid in $P $C; do
		"$PTVIEW" dump --summary --format=json $pid | jq -c "select(.type == \"summary\")" >a &&
		"$PTVIEW" dump --pages --format=json $pid | jq -c "select(.type == \"summary\")" >b &&
		test -s a && cmp a b || exit 1
	done
'

test_expect_success 'several PIDs in one call, text output without colour when piped' '
	"$PTVIEW" dump --summary $P $C >out &&
	test "$(grep -c "^task " out)" = 2 &&
	! grep -q "$(printf "\033")" out
'
test_done
