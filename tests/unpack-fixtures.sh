#!/bin/sh
# Decompress the shared fixtures' .zst files once into the build tree.
# usage: unpack-fixtures.sh SHARED_DIR OUT_DIR
# Without SHARED_DIR/fixtures, it does nothing: the fixture tests skip.
set -eu
shared=$1 out=$2
mkdir -p "$out"
[ -d "$shared/fixtures" ] || { echo "no fixtures in $shared: fixture tests will skip"; exit 0; }
command -v zstd >/dev/null || { echo "zstd is needed to unpack the fixtures (apt-get install zstd)" >&2; exit 1; }
for f in "$shared"/fixtures/*/*.zst "$shared"/fixtures/*/*/*.zst "$shared"/fixtures/*/*/*/*.zst; do
	[ -e "$f" ] || continue
	rel=${f#"$shared"/fixtures/}
	case $rel in deb61-big/*) continue ;; esac	# bench/ only
	dst="$out/${rel%.zst}"
	[ -e "$dst" ] && [ "$dst" -nt "$f" ] && continue
	mkdir -p "$(dirname "$dst")"
	zstd -q -d --long=27 -f -o "$dst.tmp" "$f"
	mv "$dst.tmp" "$dst"
	chmod a-w "$dst"
done
