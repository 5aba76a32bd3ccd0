#!/bin/sh
# Decode results.b64 into WORKDIR/out/
set -eu
W=${1:-/work/qemu61}
rm -rf "$W"/out; mkdir -p "$W"/out
tr -d '\r' < "$W"/results.b64 | sed -n '/^=== BEGIN RESULTS/,/^=== END RESULTS/p' \
	| sed '1d;$d' | base64 -d | tar xz -C "$W"/out
ls "$W"/out
