#!/bin/bash
# Fetch what the recording VM needs into WORKDIR (default /work/qemu61):
# the Debian 12 kernel 6.1.0-56-amd64 (6.1.192-2), busybox-static, qemu,
# a ptview binary (built for Debian 12) and the traces, with the 6.1
# rewrites of traces that set mthp.* keys.
# Usage: prepare.sh [WORKDIR] [PTVIEW_BINARY] [REPO]
set -eu
W=${1:-/work/qemu61}; PTV=${2:-/work/main/build/ptview}; REPO=${3:-/work/main}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"/scripts && cd "$W"
apt-get install -y qemu-system-x86 cpio
apt-get download linux-image-6.1.0-56-amd64 busybox-static
rm -rf kroot bb && dpkg-deb -x linux-image-6.1.0-56-amd64_*.deb kroot
dpkg-deb -x busybox-static_*.deb bb
cp "$PTV" ptview.bin
cp "$HERE"/*.sh "$HERE"/adapt-6.1.py scripts/
rm -rf traces && mkdir -p traces/project traces/shared traces/adapted
cp "$REPO"/tests/traces/*.trace traces/project/
cp "$REPO"/../shared/traces/*.trace traces/shared/ 2>/dev/null || cp /work/shared/traces/*.trace traces/shared/
for t in traces/project/*.trace traces/shared/*.trace; do
	n=$(basename "$t"); [ "$(basename "$(dirname "$t")")" = shared ] && n=shared-$n
	r=$(python3 scripts/adapt-6.1.py "$t" /tmp/adapt.$$)
	[ "$r" = unchanged ] || { cp /tmp/adapt.$$ traces/adapted/"$n"; echo "${n%.trace} $r"; }
done > adapted-list.txt
rm -f /tmp/adapt.$$
cat adapted-list.txt
