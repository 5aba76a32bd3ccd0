#!/bin/sh
# Build initrd.img: busybox-static + ptview (+ its shared libraries, taken
# from this Debian 12 host) + the 6.1 kernel's zram modules + the traces.
# Usage: build-initramfs.sh WORKDIR   (WORKDIR has kroot/, bb/, ptview.bin,
# traces/{project,shared,adapted}/, scripts/init.sh)
set -eu
W=${1:-/work/qemu61}
KV=6.1.0-56-amd64
R=$W/rootfs
rm -rf "$R"
mkdir -p "$R"/bin "$R"/sbin "$R"/proc "$R"/sys "$R"/dev "$R"/run "$R"/tmp \
	"$R"/lib/x86_64-linux-gnu "$R"/lib64 "$R"/traces
cp "$W"/bb/bin/busybox "$R"/bin/busybox
cp "$W"/ptview.bin "$R"/bin/ptview
for lib in $(ldd "$W"/ptview.bin | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
	cp -L "$lib" "$R$lib"
done
for m in mm/zsmalloc.ko drivers/block/zram/zram.ko; do
	mkdir -p "$R/lib/modules/$KV/kernel/$(dirname $m)"
	cp "$W/kroot/lib/modules/$KV/kernel/$m" "$R/lib/modules/$KV/kernel/$m"
done
cp -r "$W"/traces/project "$W"/traces/shared "$W"/traces/adapted "$R"/traces/
cp "$W"/scripts/init.sh "$R"/init
chmod +x "$R"/init
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$W"/initrd.img
ls -la "$W"/initrd.img
