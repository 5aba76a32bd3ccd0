#!/bin/sh
# The README's demo: start a small process with a varied address space
# (tests/helpers/layout) and show what its page tables say.
# usage: demo-process.sh PTVIEW
set -eu
ptview=$1
dir=$(mktemp -d)
# Closing the layout process's standard input ends it (and its child).
trap 'rc=$?; exec 8>&-; wait "$pid" 2>/dev/null; rm -rf "$dir" /dev/shm/ptv-demo.$$; exit $rc' EXIT
layout="$(dirname "$ptview")/tests/helpers/layout"
[ -x "$layout" ] || (cd "$(dirname "$ptview")" && make -s tests/helpers/layout)
mkfifo "$dir/in"
"$layout" "$dir/file" /dev/shm/ptv-demo.$$ <"$dir/in" >"$dir/out" &
pid=$!
exec 8>"$dir/in"
while ! grep -q -e '^READY' -e '^FAIL' "$dir/out"; do sleep 0.1; done
grep -q '^READY' "$dir/out" || { cat "$dir/out" >&2; exit 1; }
echo "== ptview dump $pid (a process with anon, zero-page, THP, file, shmem and COW regions)"
echo "== its regions: $(awk '$1 == "REGION" { printf "%s@%s ", $2, $3 }' "$dir/out")"
"$ptview" dump --range 200000000000-200300000000 "$pid"
echo
echo "== ptview dump --summary $pid"
"$ptview" dump --summary "$pid" | tail -n 1
