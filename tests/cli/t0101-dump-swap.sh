#!/bin/sh
# Pages pushed to swap with MADV_PAGEOUT: ptview shows swap entries with
# their type and offset, and Swap totals equal smaps.  Uses a zram device
# of its own (added and removed here), never one already in use.
. "$PTV_SRCDIR/tests/lib.sh"
require_root "swapon and the swap entries in pagemap need root"
[ -w /sys/class/zram-control/hot_add ] || test_skip_all "no zram (modprobe zram)"
command -v mkswap >/dev/null && command -v swapon >/dev/null ||
	test_skip_all "mkswap/swapon are not installed"

global_state_lock
dev=$(cat /sys/class/zram-control/hot_add) || test_skip_all "zram hot_add failed"
test_cleanup "echo $dev > /sys/class/zram-control/hot_remove"
echo 64M >/sys/block/zram$dev/disksize
mkswap /dev/zram$dev >/dev/null
swapon -p 32767 /dev/zram$dev || test_skip_all "swapon /dev/zram$dev failed"
test_cleanup "swapoff /dev/zram$dev"

start_layout --swap
P=$LAYOUT_PID

test_expect_success 'paged-out pages are swap entries with type and offset' '
	expect_pages swapped $P 0 16 \
		".state == \"swap\" and .swap_type >= 0 and .swap_type < 32 and .swap_offset > 0
		 and (has(\"pfn\") | not)" &&
	test "$(jq -r .swap_type "$TEST_TMP/pages.json" | sort -u | wc -l)" = 1 &&
	test "$(jq -r .swap_offset "$TEST_TMP/pages.json" | sort -u | wc -l)" = 16
'

test_expect_success 'the swap entries are on our zram device (it has them all)' '
	used=$(awk -v d=/dev/zram$dev "\$1 == d { print \$4 }" /proc/swaps) &&
	test "$used" -ge 64
'

test_expect_success 'Swap totals equal smaps and VmSwap' '
	start=$(region_start swapped) &&
	"$PTVIEW" dump --summary --format=json $P >sum &&
	swap=$(jq -r "select(.scope == \"vma\" and .start == \"$start\") | .swap_kb" sum) &&
	expect_eq "$swap" "$(smaps_field $P $start Swap)" "Swap of the region" &&
	expect_eq "$swap" 64 "swapped kB" &&
	expect_eq "$(jq -r "select(.scope == \"task\") | .swap_kb" sum)" \
		"$(status_field $P VmSwap)" "VmSwap"
'

test_expect_success 'runs of swap entries advance the offset' '
	start=$(region_start swapped) &&
	"$PTVIEW" dump --format=json --range "${start#0x}-$(printf %x $((start + 65536)))" $P |
		jq -c "select(.type == \"run\")" >runs &&
	jq -s -e "map(.npages) | add == 16" runs &&
	jq -s -e "all(.[]; .state == \"swap\")" runs
'
test_done
