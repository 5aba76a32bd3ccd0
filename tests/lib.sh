# tests/lib.sh: shell test helpers in the style of git's test-lib.
#
#   . "$PTV_SRCDIR/tests/lib.sh"
#   test_expect_success 'what it checks' '
#       commands; the last status decides
#   '
#   test_done
#
# Each test prints one TAP line.  test_skip_all REASON skips the whole file;
# require_root skips it when not root.  A scratch directory is made per file
# and removed at exit; cleanup commands registered with test_cleanup run at
# exit too, pass or fail.

set -u
: "${PTV_SRCDIR:?run the tests through make check}"
: "${PTVIEW:=$PTV_BUILDDIR/ptview}"
: "${JQ:=jq}"
[ -n "$JQ" ] || JQ=jq

# No test writes more than 1 GiB to one file: a run-away dump fails the
# test instead of filling the disk.
ulimit -f 2097152 2>/dev/null || true

test_count=0
test_failures=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ptv-test.XXXXXX")
_test_cleanups=""

test_cleanup() { _test_cleanups="$1
$_test_cleanups"; }

_test_exit() {
	# Run registered cleanups in reverse order of registration.
	if [ -n "$_test_cleanups" ]; then
		eval "$_test_cleanups" >/dev/null 2>&1 || true
	fi
	rm -rf "$TEST_TMP"
}
trap _test_exit EXIT
trap 'exit 130' INT TERM HUP

test_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

require_root() {
	[ "$(id -u)" = 0 ] || test_skip_all "needs root: $*"
}

require_shared() {
	[ -d "$PTV_SHARED/fixtures" ] ||
		test_skip_all "../shared is absent ($PTV_SHARED): no fixtures"
}

test_expect_success() {
	local what=$1 body=$2
	test_count=$((test_count + 1))
	local out="$TEST_TMP/out.$test_count"
	if (cd "$TEST_TMP" && if [ -n "${PTV_TEST_TRACE:-}" ]; then set -x; fi && eval "$body") >"$out" 2>&1; then
		echo "ok $test_count - $what"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $what"
		sed -e 's/^/#   /' "$out" | head -n 60
	fi
}

# test_skip WHAT REASON: record one skipped test.
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

test_done() {
	echo "1..$test_count"
	[ "$test_failures" = 0 ]
}

# Helpers used by many tests.
die() { echo "$*" >&2; return 1; }

# expect_eq GOT WANT WHAT
expect_eq() {
	if [ "$1" != "$2" ]; then
		echo "$3: got '$1', want '$2'" >&2
		return 1
	fi
}

# --- live-process helpers ----------------------------------------------------

# Serialise tests that change global state (THP sysfs, swap): one at a time
# on the machine, whatever make -j does and however many build trees run
# their tests at once (the state is the machine's, not the tree's).
global_state_lock() {
	if [ -d /run/lock ] && [ -w /run/lock ]; then
		exec 9>/run/lock/ptview-tests.lock
	else
		exec 9>"$PTV_BUILDDIR/tests/.global-state.lock"
	fi
	flock 9
}

# set_sysfs FILE VALUE: write VALUE, restoring the old value at exit.
set_sysfs() {
	local old
	old=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$1")
	[ -n "$old" ] || old=$(cat "$1")
	test_cleanup "echo '$old' > '$1'"
	echo "$2" >"$1"
}

# start_layout [--swap]: run tests/helpers/layout and wait for READY.
# Sets LAYOUT_PID, CHILD_PID, ZERO_PAGE, HZERO; region_* read its output.
start_layout() {
	local disk="$TEST_TMP/disk-file" shm_dir=/dev/shm
	mkfifo "$TEST_TMP/layout.in"
	"$PTV_BUILDDIR/tests/helpers/layout" "$@" "$disk" \
		"$shm_dir/ptv-layout.$$" <"$TEST_TMP/layout.in" \
		>"$TEST_TMP/layout.out" 2>&1 &
	LAYOUT_PID=$!
	exec 8>"$TEST_TMP/layout.in"
	test_cleanup "exec 8>&-; kill $LAYOUT_PID; wait $LAYOUT_PID; rm -f '$shm_dir/ptv-layout.$$'"
	local i=0
	while ! grep -q -e '^READY' -e '^FAIL' "$TEST_TMP/layout.out"; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$LAYOUT_PID" 2>/dev/null; then
			echo "Bail out! layout did not start: $(cat "$TEST_TMP/layout.out")"
			exit 1
		fi
		sleep 0.1
	done
	if grep -q '^FAIL' "$TEST_TMP/layout.out"; then
		echo "Bail out! layout: $(grep '^FAIL' "$TEST_TMP/layout.out")"
		exit 1
	fi
	CHILD_PID=$(sed -n 's/^CHILD //p' "$TEST_TMP/layout.out")
	ZERO_PAGE=$(sed -n 's/^ZERO_PAGE //p' "$TEST_TMP/layout.out")
	HZERO=$(sed -n 's/^HZERO //p' "$TEST_TMP/layout.out")
}

region_start() { awk -v n="$1" '$1 == "REGION" && $2 == n { print $3 }' "$TEST_TMP/layout.out"; }
region_npages() { awk -v n="$1" '$1 == "REGION" && $2 == n { print $4 }' "$TEST_TMP/layout.out"; }

# region_pages NAME PID [FIRST COUNT]: ptview's page records for pages
# FIRST..FIRST+COUNT of region NAME in process PID, one JSON line each.
region_pages() {
	local start first=${3:-0} count=${4:-$(region_npages "$1")}
	start=$(region_start "$1")
	local lo=$((start + first * 4096)) hi=$((start + (first + count) * 4096))
	"$PTVIEW" dump --pages --format=json --range "$(printf '%x-%x' $lo $hi)" "$2" |
		"$JQ" -c 'select(.type == "page")'
}

# expect_pages NAME PID FIRST COUNT JQ-CONDITION: every one of the COUNT
# pages satisfies the condition (and there are COUNT of them).
expect_pages() {
	region_pages "$1" "$2" "$3" "$4" >"$TEST_TMP/pages.json" || return 1
	local n bad
	n=$(wc -l <"$TEST_TMP/pages.json")
	expect_eq "$n" "$4" "page records for $1[$3..+$4]" || return 1
	bad=$("$JQ" -c "select(($5) | not)" "$TEST_TMP/pages.json" | head -n 3)
	if [ -n "$bad" ]; then
		echo "pages of $1 (pid $2) failing: $5" >&2
		echo "$bad" >&2
		return 1
	fi
}

# smaps_field PID START FIELD: the kB figure of FIELD in the smaps entry of
# the VMA that starts at START (hex, with 0x).
smaps_field() {
	awk -v start="$(echo "${2#0x}" | sed "s/^0*//")" -v field="$3:" '
		/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); sub(/^0+/, "", r[1]); cur = (r[1] == start); next }
		cur && $1 == field { print $2; exit }' "/proc/$1/smaps"
}

status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# run_status WANT CMD...: run CMD, keeping its output in $TEST_TMP/out and
# its standard error in $TEST_TMP/err (shown), and expect exit status WANT.
run_status() {
	want=$1; shift
	"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	cat "$TEST_TMP/err"
	expect_eq "$rc" "$want" "exit status of $*"
}

# json_any FILE COND / json_all FILE COND: whether any / every JSON record
# of FILE satisfies COND (jq -e alone judges only the last output).
json_any() { "$JQ" -s -e "any(.[]; $2)" "$1" >/dev/null; }
json_all() { "$JQ" -s -e "all(.[]; $2)" "$1" >/dev/null; }

# --- deb61-basic's /proc/kcore, rebuilt from its vmcore ---------------------
# Callers set FIX (the unpacked deb61-basic), META (its truth-meta.json),
# MKKCORE (tests/helpers/mkkcore) and KCORE (where the file goes).

# The guest's kcore PT_LOADs as "vaddr paddr memsz" lines.
kcore_layout() {
	"$JQ" -r '.kernel.kcore[]
		| capture("vaddr=(?<v>\\S+) paddr=(?<p>\\S+) memsz=(?<m>\\S+)")
		| "\(.v) \(.p) \(.m)"' "$META"
}

# make_kcore: (re)build $KCORE unless it is newer than all its inputs.
# One writer at a time (flock), and a reader only ever sees a whole file
# (rename).  mkkcore's per-segment summary is kept in kcore.elf.log.
make_kcore() {
	(
		flock 7 || exit 1
		if [ -s "$KCORE" ] && [ "$KCORE" -nt "$MKKCORE" ] &&
		   [ "$KCORE" -nt "$FIX/vmcore.elf" ] && [ "$KCORE" -nt "$META" ]; then
			exit 0
		fi
		kcore_layout >"$KCORE.layout" &&
		"$MKKCORE" "$FIX/vmcore.elf" "$KCORE.tmp" --layout "$KCORE.layout" \
			2>"$KCORE.log" &&
		mv -f "$KCORE.tmp" "$KCORE"
	) 7>"$FIX/.kcore.lock"
}

