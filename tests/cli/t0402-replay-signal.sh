#!/bin/sh
# ptview replay --live killed by SIGTERM mid-run: every sysfs value the
# trace set (and khugepaged's scan_sleep_millisecs) is back, and no agent
# process is left.  The run is held mid-way by a reader that never reads
# its output, after the set has taken effect.
. "$PTV_SRCDIR/tests/lib.sh"
require_root "replay --live needs root"
THP=/sys/kernel/mm/transparent_hugepage
[ -f $THP/enabled ] && [ -f $THP/khugepaged/max_ptes_none ] ||
	test_skip_all "this kernel has no THP sysfs"
command -v mkfifo >/dev/null && command -v pgrep >/dev/null ||
	test_skip_all "needs mkfifo and pgrep"

global_state_lock
snapshot() {
	for f in $THP/enabled $THP/khugepaged/max_ptes_none \
	         $THP/khugepaged/scan_sleep_millisecs; do
		echo "$f $(cat "$f")"
	done
}
old=$(sed -n 's/.*\[\(.*\)\].*/\1/p' $THP/enabled)
case $old in never) new=madvise ;; *) new=never ;; esac
none=$(cat $THP/khugepaged/max_ptes_none)
newnone=$((none == 0 ? 1 : none - 1))
# 16384 page records per check: far more than a pipe holds.
printf 'ptview-trace 1\nset thp=%s max_ptes_none=%s\nt0 map a 64M rw- private anon\nt0 touch a 64M write\ncheck c1\ncheck c2\n' \
	$new $newnone >"$TEST_TMP/long.trace"

for sig in TERM INT HUP; do
	test_expect_success "SIG$sig mid-run restores every setting and ends the agents" '
		snapshot >before &&
		rm -f fifo && mkfifo fifo || exit 1
		sleep 600 <fifo &
		reader=$!
		"$PTVIEW" replay --live --format=json "$TEST_TMP/long.trace" >fifo 2>err &
		pid=$!
		i=0
		until [ "$(cat $THP/khugepaged/max_ptes_none)" = $newnone ]; do
			i=$((i + 1)); [ $i -lt 200 ] || { kill -KILL $pid; exit 1; }
			sleep 0.05
		done
		sleep 0.5
		agents=$(pgrep -P $pid -x ptview)
		test -n "$agents" || { echo "no agent under $pid"; kill -KILL $pid; exit 1; }
		kill -$sig $pid
		wait $pid; status=$?
		kill $reader 2>/dev/null
		echo "status $status; agents $agents"
		test $status -gt 128 &&
		snapshot >after && cmp before after &&
		for a in $agents; do
			i=0
			while kill -0 $a 2>/dev/null; do
				i=$((i + 1)); [ $i -lt 100 ] || { echo "agent $a lives"; exit 1; }
				sleep 0.05
			done
		done
	'
done
test_done
