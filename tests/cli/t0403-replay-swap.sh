#!/bin/sh
# ptview replay --live with swap: a `file ... cached=none` starts out in
# swap (its first read is a major fault, with no fault-around), and
# MADV_PAGEOUT turns anonymous pages into swap entries.  Uses a zram
# device of its own (added and removed here), never one already in use;
# without swap, --live says so and runs nothing.
. "$PTV_SRCDIR/tests/lib.sh"
require_root "replay --live and swapon need root"

cat >"$TEST_TMP/swap.trace" <<'EOT'
ptview-trace 1
file f 64K cached=none
t0 map p 64K r-- private file:f
t0 touch p read
check first
t0 map b 16K rw- private anon
t0 touch b 16K write
t0 madvise b 16K pageout
EOT

if ! grep -q '^/' /proc/swaps; then
	test_expect_success 'without swap, cached=none stops before anything runs' '
		"$PTVIEW" replay --live "$TEST_TMP/swap.trace" >out 2>err; test $? = 1 &&
		grep -q "swap.trace:2: file .f. cached=none starts out in swap, and this system has no swap" err &&
		test ! -s out
	'
fi
[ -w /sys/class/zram-control/hot_add ] || { test_skip "swap scenarios" "no zram (modprobe zram)"; test_done; exit; }
command -v mkswap >/dev/null && command -v swapon >/dev/null ||
	{ test_skip "swap scenarios" "mkswap/swapon are not installed"; test_done; exit; }

global_state_lock
dev=$(cat /sys/class/zram-control/hot_add) || test_skip_all "zram hot_add failed"
test_cleanup "echo $dev > /sys/class/zram-control/hot_remove"
echo 64M >/sys/block/zram$dev/disksize
mkswap /dev/zram$dev >/dev/null
swapon -p 32767 /dev/zram$dev || test_skip_all "swapon /dev/zram$dev failed"
test_cleanup "swapoff /dev/zram$dev"

test_expect_success 'cached=none: the first read is one major fault, no fault-around' '
	"$PTVIEW" replay --live --format=json "$TEST_TMP/swap.trace" >out &&
	grep -q "\"line\":4,\"task\":\"t0\",\"event\":\"touch\",\"ret\":0,\"faults\":{\"minor\":0,\"major\":1}}" out &&
	"$JQ" -c "select(.check == \"first\" and .state == \"present\")" out >present &&
	expect_eq "$(wc -l <present)" 1 "present pages after the read" &&
	"$JQ" -e ".off == 0 and .anon == false" present
'
test_expect_success 'MADV_PAGEOUT: anonymous pages become swap entries, counted in swap_kb' '
	"$JQ" -c "select(.check == \"end\" and .region == \"b\")" out >b &&
	json_all b ".state == \"swap\" and (has(\"frame\") | not)" &&
	expect_eq "$("$JQ" -r "select(.check == \"end\" and .counters) | .counters.swap_kb" out)" 16 swap_kb
'
test_done
