#!/bin/sh
# ptview trace import: perf script output (real recordings in
# tests/data/perf/, README there) becomes a trace with absolute addresses;
# errors name input:line:column; `trace` alone is a usage error.
. "$PTV_SRCDIR/tests/lib.sh"

data="$PTV_SRCDIR/tests/data/perf"
PF='exceptions:page_fault_user:'

test_expect_success 'trace without an action is a usage error' '
	"$PTVIEW" trace >out 2>err; expect_eq $? 2 "exit status" &&
	grep -q "needs an action (import)" err && grep -q "^usage: ptview trace import" err
'
test_expect_success 'an unknown action is a usage error' '
	"$PTVIEW" trace export x 2>err; expect_eq $? 2 "exit status" &&
	grep -q "unknown action .export." err
'
test_expect_success 'bad options are usage errors' '
	"$PTVIEW" trace import --pid 0 x 2>err; expect_eq $? 2 "--pid 0" &&
	"$PTVIEW" trace import --format=json x 2>err; expect_eq $? 2 "--format" &&
	"$PTVIEW" trace import a b 2>err; expect_eq $? 2 "two files"
'
test_expect_success 'a missing input file is an error' '
	"$PTVIEW" trace import nosuch.txt 2>err; expect_eq $? 1 "exit status" &&
	grep -q "^ptview: nosuch.txt" err
'

cat >"$TEST_TMP/small.txt" <<IN
            prog   100 [001]  5.000001: $PF address=0x200000000010 ip=0x401000 error_code=0x6
            prog   100 [001]  5.000002: $PF address=0x200000001fff ip=0x401000 error_code=0x6
            prog   100 [001]  5.000003:   sched:sched_process_fork: comm=prog pid=100 child_comm=prog child_pid=102
            prog   102 [000]  5.000007: $PF address=0x200000000000 ip=0x401000 error_code=0x7
            prog   102 [000]  5.000008:   sched:sched_process_exit: comm=prog pid=102 prio=120 group_dead=true
           other   555 [000]  5.000009: $PF address=0x200000000000 ip=0x401000 error_code=0x7
            prog   100 [000]  5.000010:   sched:sched_process_exit: comm=prog pid=100 prio=120 group_dead=true
IN
cat >"$TEST_TMP/small.want" <<OUT
ptview-trace 1
# Imported by \`ptview trace import\` from perf script output small.txt (7 lines).
# Events used: 3 page faults, 1 forks, 2 exits, 0 thread exits.
# Events skipped: 1 of other tasks, 0 kernel-mode faults, 0 faults beyond the user address space, 0 other events.
# t0 is pid 100 (prog).
# t1 is pid 102 (prog), forked by t0 at input line 3.
t0 touch 0x200000000000 0x2000 write
t0 fork t1
# input line 4: error_code=0x7: protection fault
t1 touch 0x200000000000 write
t1 exit
t0 exit
# 1 events of other tasks were skipped.
check
OUT

test_expect_success 'import a file to stdout: the exact trace' '
	"$PTVIEW" trace import small.txt >out 2>err &&
	diff -u small.want out && ! test -s err
'
test_expect_success 'import stdin with -o, and --format=perf' '
	"$PTVIEW" trace import --format=perf -o out.trace <small.txt >out &&
	! test -s out && sed "s/small.txt/<stdin>/" small.want >want &&
	diff -u want out.trace &&
	"$PTVIEW" trace import - -o out2.trace <small.txt && diff -u want out2.trace
'
test_expect_success '--pid picks t0' '
	"$PTVIEW" trace import --pid 555 small.txt >out &&
	grep -q "^# t0 is pid 555 (other)" out &&
	grep -q "^t0 touch 0x200000000000 write$" out &&
	grep -q "^# 6 events of other tasks were skipped" out
'
test_expect_success 'an error names input, line and column; -o is left alone' '
	cp small.txt bad.txt && echo "prog 100 [001] 5.1: $PF address=0xq ip=0x1 error_code=0x6" >>bad.txt &&
	echo keep >kept.trace &&
	"$PTVIEW" trace import bad.txt -o kept.trace >out 2>err; expect_eq $? 1 "exit status" &&
	grep -qF "ptview: bad.txt:8:57: address=0xq is not a 0x hex number" err &&
	expect_eq "$(cat kept.trace)" keep "-o file"
'
test_expect_success 'a perf.data file is refused with a hint' '
	printf "PERFILE2\0\0\0\0" >perf.data &&
	"$PTVIEW" trace import perf.data 2>err; expect_eq $? 1 "exit status" &&
	grep -q "perf.data:1:1: a perf.data file, not perf script output" err
'
test_expect_success 'real recordings: both layouts give the same statements' '
	"$PTVIEW" trace import "$data/forker.txt" >a &&
	"$PTVIEW" trace import "$data/forker-pidtid.txt" >b &&
	grep -v "^#" a >a.st && grep -v "^#" b >b.st && diff -u a.st b.st &&
	grep -q "^# tid [0-9]* (forker) is a thread of t0" a &&
	grep -q "^t0 fork t1$" a && grep -q "^t1 touch 0x200000006000 write$" a
'
test_expect_success 'real recording with callchains' '
	"$PTVIEW" trace import "$data/true-callchain.txt" >c &&
	grep -q "^# Events used: 46 page faults, 0 forks, 1 exits" c &&
	test "$(tail -n1 c)" = check
'
test_done
