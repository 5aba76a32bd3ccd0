#!/bin/sh
# Print the closing line of a test run from one or more automake
# test-suite.log files: "N passed, N failed, N skipped".
pass=0 fail=0 skip=0
for log in "$@"; do
	[ -f "$log" ] || continue
	# The trs files hold one ":test-result:" line per TAP result.
	dir=$(dirname "$log")
	for trs in $(find "$dir" -name '*.trs'); do
		p=$(grep -c '^:test-result: PASS' "$trs")
		x=$(grep -c '^:test-result: XFAIL' "$trs")
		f=$(grep -c -E '^:test-result: (FAIL|XPASS|ERROR)' "$trs")
		s=$(grep -c '^:test-result: SKIP' "$trs")
		pass=$((pass + p + x)) fail=$((fail + f)) skip=$((skip + s))
	done
done
echo "$pass passed, $fail failed, $skip skipped"
