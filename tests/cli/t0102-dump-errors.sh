#!/bin/sh
# ptview dump: bad input, missing privileges and vanishing processes end in
# one clear line on stderr and the documented exit status.
. "$PTV_SRCDIR/tests/lib.sh"

# as_nobody CMD...: run CMD without privileges (we may already be).
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || test_skip_all "setpriv (util-linux) is needed"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
	as_nobody() { "$@"; }
fi

test_expect_success 'no such process: exit 1, the message names /proc/PID' '
	pid=$(( $(cat /proc/sys/kernel/pid_max) - 1 )) &&
	if kill -0 $pid 2>/dev/null; then exit 0; fi
	"$PTVIEW" dump $pid 2>err; rc=$? &&
	expect_eq $rc 1 "exit status" &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^ptview: /proc/$pid/.*no such process" err
'

test_expect_success 'usage errors exit 2 and name the problem' '
	"$PTVIEW" dump 2>err; test $? = 2 && grep -q "no process given" err &&
	"$PTVIEW" dump --format=xml self 2>err; test $? = 2 && grep -q "text or json" err &&
	"$PTVIEW" dump --range 2000-1000 self 2>err; test $? = 2 && grep -q "range" err &&
	"$PTVIEW" dump --range zz self 2>err; test $? = 2 &&
	"$PTVIEW" dump --bogus self 2>err; test $? = 2 && grep -q "unknown option" err &&
	"$PTVIEW" dump --all 1 2>err; test $? = 2 &&
	"$PTVIEW" dump 12abc 2>err; test $? = 2 && grep -q "not a process ID" err
'

test_expect_success 'options may follow operands' '
	"$PTVIEW" dump self --summary --format=json >out &&
	json_any out ".type == \"summary\" and .scope == \"task\""
'

if [ "$(id -u)" = 0 ]; then
	test_expect_success 'another user'"'"'s process without privileges: exit 4' '
		sleep 30 & pid=$!
		as_nobody "$PTVIEW" dump $pid 2>err; rc=$?
		kill $pid
		expect_eq $rc 4 "exit status" &&
		test "$(wc -l <err)" = 1 && grep -q "^ptview: /proc/$pid/.*Permission denied" err
	'
fi

test_expect_success 'without root: PFNs hidden, said once on stderr, the rest shown, exit 0' '
	as_nobody "$PTVIEW" dump --format=json self >out 2>err &&
	expect_eq "$(wc -l <err)" 1 "lines on stderr" &&
	grep -q "hides PFNs" err &&
	json_any out ".type == \"run\" and .state == \"present\"" &&
	json_all out "(has(\"pfn\") or has(\"kpageflags\") or has(\"swap_offset\")) | not" &&
	json_all out ".type != \"run\" or .state != \"present\" or (has(\"exclusive\") and has(\"anon\"))"
'

test_expect_success 'a process that exits while it is read: a clear error or a clean dump' '
	i=0; while [ $i -lt 30 ]; do
		sleep 0.05 & pid=$!
		"$PTVIEW" dump --pages --format=json $pid >out 2>err; rc=$?
		case $rc in
		0) ;;
		1) grep -q "^ptview: /proc/$pid/.*\(exited\|no such process\)" err || { cat err; exit 1; } ;;
		*) echo "exit $rc"; cat err; exit 1 ;;
		esac
		wait $pid; i=$((i + 1))
	done
'

test_expect_success 'a closed pipe stops the dump quietly' '
	"$PTVIEW" dump --pages self 2>err | head -n 1 >/dev/null &&
	! grep -v "hides PFNs" err | grep -q .
'

if [ "$(id -u)" = 0 ]; then
	test_expect_success '--all dumps every process that has an address space' '
		"$PTVIEW" dump --all --summary --format=json >all &&
		test "$(jq -c "select(.type == \"task\")" all | wc -l)" -ge 2 &&
		json_any all ".type == \"task\" and .pid == $$"
	'
fi
test_done
