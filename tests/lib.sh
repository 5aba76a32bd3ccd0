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
	if (cd "$TEST_TMP" && eval "$body") >"$out" 2>&1; then
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
