#!/bin/sh
# ptview replay --live: every shared trace, run on this kernel, gives the
# check records the recording tool observed (accuracy 1.0000 by --score);
# sysfs settings are put back after a run and after a failed one; a user
# without root gets exit 4 before anything runs.
. "$PTV_SRCDIR/tests/lib.sh"
THP=/sys/kernel/mm/transparent_hugepage

if [ "$(id -u)" != 0 ]; then
	test_expect_success 'without root --live is exit 4 and runs nothing' '
		printf "ptview-trace 1\nset thp=never\n" >t.trace &&
		"$PTVIEW" replay --live t.trace >out 2>err; test $? = 4 &&
		test ! -s out && grep -q "needs root" err
	'
	test_done
	exit
fi
[ -f $THP/enabled ] || test_skip_all "this kernel has no THP sysfs"
TRACES=$PTV_SHARED/traces
[ -d "$TRACES" ] || test_skip_all "no shared traces in $TRACES"

global_state_lock
# The recording machine's THP settings (ENVIRONMENT.txt), restored at exit.
env_value() {
	sed -n "s|^$1: *||p" "$TRACES/ENVIRONMENT.txt" | sed 's/ *(shmem.*//' |
		sed -n 's/.*\[\(.*\)\].*/\1/p; /\[/!p' | head -n 1
}
for f in enabled defrag use_zero_page; do
	v=$(env_value "thp/$f")
	[ -n "$v" ] && [ -w $THP/$f ] && set_sysfs $THP/$f "$v"
done
for d in $THP/hugepages-*kB; do
	[ -f "$d/enabled" ] || continue	# hugepages-8kB is shmem-only
	v=$(env_value "mthp/${d##*/}")
	case $v in always|inherit|madvise|never) set_sysfs "$d/enabled" "$v" ;; esac
done

snapshot() {
	for f in $THP/enabled $THP/defrag $THP/use_zero_page \
	         $THP/khugepaged/max_ptes_none $THP/khugepaged/scan_sleep_millisecs \
	         $THP/hugepages-*kB/enabled; do
		[ -f "$f" ] && echo "$f $(cat "$f")"
	done
}

# Does a read fault on private anonymous memory map the zero page here?
printf "ptview-trace 1\nt0 map z 4K rw- private anon\nt0 touch z read\n" >"$TEST_TMP/probe.trace"
ZERO=$("$PTVIEW" replay --live --format=json "$TEST_TMP/probe.trace" |
	"$JQ" -r 'select(.check == "end" and .region == "z") | .frame')

test_expect_success 'the zero-page probe ran' '
	case "$ZERO" in F1|zero) ;; *) echo "probe frame: $ZERO"; exit 1 ;; esac
'

for t in "$TRACES"/*.trace; do
	name=$(basename "$t" .trace)
	obs=$TRACES/$name.observed.jsonl
	[ -f "$obs" ] || continue
	if [ "$ZERO" != zero ] && grep -q '"frame":"h\{0,1\}zero"' "$obs"; then
		test_skip "$name: --live matches the recording" \
			"this kernel maps fresh pages on anon read faults (pvm_no_zero_page=1?); the recording kernel mapped the zero page"
		continue
	fi
	test_expect_success "$name: --live matches the recording (accuracy 1.0000)" '
		snapshot >before &&
		"$PTVIEW" replay --live --format=json "$t" >live.jsonl &&
		"$PTVIEW" replay --score "$obs" live.jsonl >score;
		status=$?; cat score; test $status = 0 &&
		expect_eq "$(tail -n 1 score | cut -d" " -f2)" 1.0000 accuracy &&
		snapshot >after && cmp before after
	'
	test_expect_success "$name: the event records match too" '
		grep -v "\"check\"" "$obs" >obs.events &&
		grep -v "\"check\"" live.jsonl >live.events &&
		cmp obs.events live.events
	'
done

test_expect_success 'set values are restored after the run' '
	snapshot >before &&
	old=$(sed -n "s/.*\[\(.*\)\].*/\1/p" $THP/enabled) &&
	case $old in never) new=madvise ;; *) new=never ;; esac &&
	none=$(cat $THP/khugepaged/max_ptes_none) &&
	printf "ptview-trace 1\nset thp=%s max_ptes_none=%s\nt0 map a 4K rw- private anon\n" \
		$new $((none == 0 ? 1 : none - 1)) >set.trace &&
	"$PTVIEW" replay --live --format=json set.trace >out &&
	grep -q "\"event\":\"set\",\"ret\":0" out &&
	snapshot >after && cmp before after
'
test_expect_success 'set values are restored after a task dies of a signal' '
	snapshot >before &&
	printf "ptview-trace 1\nset thp=never use_zero_page=0\nt0 map a 4K --- private anon\nt0 touch a write\n" >segv.trace &&
	"$PTVIEW" replay --live segv.trace >out 2>err; test $? = 1 &&
	grep -q "segv.trace: line 4: task .t0. was killed by" err &&
	snapshot >after && cmp before after
'
test_expect_success 'a failed map stops the run with an error' '
	printf "ptview-trace 1\nt0 map a 8K rw- private anon\nt0 map b 4K rw- private anon at=0x200000001000\n" >map.trace &&
	"$PTVIEW" replay --live map.trace >out 2>err; test $? = 1 &&
	grep -q "line 3: map of region .b. at 0x200000001000 failed: File exists" err
'
test_expect_success 'a failed system call is recorded and the run goes on' '
	printf "ptview-trace 1\nt0 map a 8K r-- private anon\nt0 mlock 0x300000000000 4K\nt0 touch a read\n" >fail.trace &&
	"$PTVIEW" replay --live --format=json fail.trace >out &&
	grep -q "\"line\":3,\"task\":\"t0\",\"event\":\"mlock\",\"ret\":-12" out &&
	grep -q "\"check\":\"end\",\"task\":\"t0\",\"counters\"" out
'
test_expect_success 'fork: parent and child counters and faults count only the trace' '
	printf "ptview-trace 1\nt0 map a 16K rw- private anon\nt0 touch a 16K write\nt0 fork t1\nt1 touch a 8K write\ncheck c\n" >fork.trace &&
	"$PTVIEW" replay --live --format=json fork.trace >out &&
	"$JQ" -c "select(.check == \"c\" and .counters)" out >counters &&
	expect_eq "$(sed -n 1p counters)" "{\"check\":\"c\",\"task\":\"t0\",\"counters\":{\"rss_anon_kb\":16,\"rss_file_kb\":0,\"rss_shmem_kb\":0,\"swap_kb\":0,\"pgtables_kb\":12},\"faults\":{\"minor\":4,\"major\":0}}" t0 &&
	expect_eq "$(sed -n 2p counters)" "{\"check\":\"c\",\"task\":\"t1\",\"counters\":{\"rss_anon_kb\":16,\"rss_file_kb\":0,\"rss_shmem_kb\":0,\"swap_kb\":0,\"pgtables_kb\":12},\"faults\":{\"minor\":2,\"major\":0}}" t1 &&
	grep -q "\"line\":4,\"task\":\"t0\",\"event\":\"fork\",\"ret\":0,\"faults\":{\"minor\":0,\"major\":0}" out &&
	"$JQ" -r "select(.check == \"c\" and .task == \"t1\" and .off == 12288) | .frame" out >f &&
	expect_eq "$(cat f)" F4 "the page neither wrote is shared"
'
test_expect_success 'pin and unpin: io_uring fixed buffers pin for the long term' '
	printf "ptview-trace 1\nt0 map a 8K rw- private anon\nt0 pin a 8K\nt0 fork t1\ncheck pinned\nt0 unpin a 8K\n" >pin.trace &&
	"$PTVIEW" replay --live --format=json pin.trace >out &&
	grep -q "\"event\":\"pin\",\"ret\":0,\"faults\":{\"minor\":2" out &&
	grep -q "\"event\":\"unpin\",\"ret\":0" out &&
	"$JQ" -r "select(.check == \"pinned\" and .off == 0) | .frame" out >f &&
	expect_eq "$(tr "\n" " " <f)" "F1 F3 " "fork copied the pinned page at once"
'
test_expect_success 'a file: private read faults map page cache, counted as shmem' '
	printf "ptview-trace 1\nfile f 64K\nt0 map p 64K r-- private file:f\nt0 touch p read\n" >file.trace &&
	"$PTVIEW" replay --live --format=json file.trace >out &&
	grep -q "\"line\":2,\"event\":\"file\",\"ret\":0}" out &&
	"$JQ" -e -s "map(select(.check == \"end\" and .off == 0))[0] | .anon == false and .state == \"present\"" out &&
	"$JQ" -e -s "map(select(.check == \"end\" and .counters))[0].counters.rss_file_kb == 0" out
'
test_expect_success 'set fault_around_bytes: runs, or stops before anything runs' '
	printf "ptview-trace 1\nset fault_around_bytes=4K\nt0 map a 4K rw- private anon\n" >fab.trace &&
	if "$PTVIEW" replay --live fab.trace >out 2>err; then
		grep -q "line 2 set: ret 0" out
	else
		grep -q "fault_around_bytes needs debugfs" err && test ! -s out
	fi
'
test_expect_success 'no agent is left behind' '
	! pgrep -f "ptview replay --live" >/dev/null
'
test_done
