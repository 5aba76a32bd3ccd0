#!/bin/sh
# ptview rmap on the live system: the reverse map from every process's
# pagemap agrees with /proc/kpagecount for the pages of a layout process
# and its forked child (COW-shared anon, shared file, shmem, private file).
. "$PTV_SRCDIR/tests/lib.sh"
require_root "PFNs are visible only to root"
global_state_lock
case $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null) in
*"[never]"*) set_sysfs /sys/kernel/mm/transparent_hugepage/enabled madvise ;;
esac
start_layout
P=$LAYOUT_PID C=$CHILD_PID

# present, non-zero pages of the layout regions of the parent and child
for pid in $P $C; do
	"$PTVIEW" dump --pages --format=json --range 200000000000-200400000000 $pid |
		"$JQ" -r "select(.type == \"page\" and .state == \"present\" and (.zero_page | not)
			and (.huge_zero_page | not)) | [$pid, .vaddr, .pfn, .kpagecount] | @tsv"
done >"$TEST_TMP/pages.tsv"

test_expect_success 'every page: its rmap lists it, and as many mappings as kpagecount' '
	test "$(wc -l <"$TEST_TMP/pages.tsv")" -gt 1000 &&
	cut -f3 "$TEST_TMP/pages.tsv" | sort -un >pfns &&
	"$PTVIEW" rmap --format=json $(cat pfns) >rmap.json &&
	"$JQ" -r "select(.type == \"rmap\") | .pfn as \$p | .mappings[] | [.pid, .vaddr, \$p] | @tsv" \
		rmap.json | sort -u >found &&
	cut -f1-3 "$TEST_TMP/pages.tsv" | sort -u >want &&
	comm -23 want found >missing && ! test -s missing &&
	json_all rmap.json ".via == \"pagemap\" and .kpagecount == (.mappings | length)"
'
test_expect_success 'COW-shared pages: parent and child at the same address' '
	start=$(region_start cow) &&
	pfn=$(awk -v p=$P -v a=$(printf 0x%x $((start + 8 * 4096))) "\$1 == p && \$2 == a { print \$3 }" "$TEST_TMP/pages.tsv") &&
	"$PTVIEW" rmap --format=json $pfn >r.json &&
	json_all r.json "([.mappings[] | .pid] | sort) == ([$P, $C] | sort)"
'
test_expect_success 'rmap --pid --addr finds the frame there' '
	"$PTVIEW" rmap --pid $P --addr $(region_start memfd) --format=json >r.json &&
	json_all r.json "[.mappings[] | select(.pid == $P)] | length >= 1"
'
test_expect_success 'dump --rmap: each page lists its other mappers' '
	start=$(region_start cow) &&
	"$PTVIEW" dump --rmap --format=json --range "$(printf %x $((start + 8 * 4096)))-$(printf %x $((start + 9 * 4096)))" $C >d.json &&
	json_all d.json ".type != \"page\" or .mappers == [{\"pid\": $P, \"vaddr\": \"$(printf 0x%x $((start + 8 * 4096)))\"}]" &&
	json_any d.json ".type == \"page\""
'
test_expect_success 'without root: exit 4, the reason said' '
	setpriv --reuid=65534 --regid=65534 --clear-groups "$PTVIEW" rmap 1 2>err; test $? = 4 &&
	grep -q "needs root" err
'
test_done
