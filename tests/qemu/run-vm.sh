#!/bin/sh
# KVM on this host is kvm-pvm (runs only PVM guest kernels; a stock kernel
# hangs at entry), so the VM runs under TCG.
# Boot the 6.1 kernel with the initramfs; the console goes to console.log,
# the results (base64 tar.gz between markers) to results.b64.
set -eu
W=${1:-/work/qemu61}
KV=6.1.0-56-amd64
rm -f "$W"/console.log "$W"/results.b64
timeout 3000 qemu-system-x86_64 -accel tcg -cpu qemu64 -m 4G -smp 2 \
	-kernel "$W"/kroot/boot/vmlinuz-$KV -initrd "$W"/initrd.img \
	-append "console=ttyS0 transparent_hugepage=madvise panic=-1 zswap.enabled=0" \
	-nographic -no-reboot -monitor none \
	-serial file:"$W"/console.log -serial file:"$W"/results.b64
