#!/bin/sh
# Build the libFuzzer targets in BUILDDIR (configured with --enable-fuzzers)
# and run each for SECONDS on a scratch corpus; fail on the first crash,
# leak or sanitizer report.  CI runs this briefly; see README for longer runs.
# usage: run-all.sh BUILDDIR [SECONDS]
set -eu
build=$1 secs=${2:-20}
seeds=$(cd "$(dirname "$0")" && pwd)/seeds
cd "$build"
targets=$(make -s -p -n 2>/dev/null | sed -n 's/^PTV_FUZZERS = //p' | head -n1)
targets="$targets tests/fuzz/fuzz-btf"
for t in $targets; do
	[ -n "$t" ] || continue
	make -s "$t" >/dev/null
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for t in $targets; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	mkdir -p "$scratch/$name"
	# seeds/NAME, when there is one, is read but never written to
	set -- "$scratch/$name"
	if [ -d "$seeds/$name" ]; then set -- "$@" "$seeds/$name"; fi
	# the model starts from the project's traces
	if [ "$name" = fuzz-model ]; then set -- "$@" "$seeds/../../traces"; fi
	if "./$t" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$scratch/$name-" "$@" \
		>"$scratch/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$scratch/$name.log" | tail -n1)
		echo "fuzz $name: ${runs:-ran}, no findings"
	else
		echo "fuzz $name: FAILED"
		tail -n 40 "$scratch/$name.log"
		status=1
	fi
done
exit $status
