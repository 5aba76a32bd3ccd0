#!/bin/busybox sh
# /init of the recording VM: Debian 12 kernel 6.1, busybox userland, ptview.
# Runs every trace under /traces/{project,shared} with `ptview replay --live
# --format=json`, twice (pass1, pass2), and sends the results as a
# base64-encoded tar over the second serial port (/dev/ttyS1).
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /run /tmp /out
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /out
echo "=== ptview-vm: $(uname -a)"
K=/lib/modules/$(uname -r)/kernel
insmod $K/mm/zsmalloc.ko
insmod $K/drivers/block/zram/zram.ko num_devices=1
# zram swap, as tests/traces/README describes for the 6.18 corpus
echo lzo-rle > /sys/block/zram0/comp_algorithm
echo 256M > /sys/block/zram0/disksize
mkswap /dev/zram0 >/dev/null
swapon /dev/zram0   # busybox swapon has no -p; it is the only swap device
T=/sys/kernel/mm/transparent_hugepage
# The recording machine's defaults (/work/shared/traces/ENVIRONMENT.txt)
echo madvise > $T/enabled
echo madvise > $T/defrag
echo 1 > $T/use_zero_page
echo never > $T/shmem_enabled
echo 1 > $T/khugepaged/defrag
echo 511 > $T/khugepaged/max_ptes_none
echo 256 > $T/khugepaged/max_ptes_shared
echo 64 > $T/khugepaged/max_ptes_swap
echo 4096 > $T/khugepaged/pages_to_scan
echo 60000 > $T/khugepaged/alloc_sleep_millisecs
echo 10000 > $T/khugepaged/scan_sleep_millisecs
echo 3 > /proc/sys/vm/page-cluster
echo 60 > /proc/sys/vm/swappiness
echo 0 > /proc/sys/vm/overcommit_memory
{
	echo "uname: $(uname -a)"
	echo "cmdline: $(cat /proc/cmdline)"
	for f in enabled defrag use_zero_page shmem_enabled; do
		echo "thp/$f: $(cat $T/$f)"; done
	for f in $T/khugepaged/*; do echo "khugepaged/${f##*/}: $(cat $f)"; done
	ls -d $T/hugepages-* 2>/dev/null || echo "mthp: no hugepages-*kB directories"
	echo "swaps:"; cat /proc/swaps
	echo "zswap enabled: $(cat /sys/module/zswap/parameters/enabled 2>&1)"
	echo "zram0 comp: $(cat /sys/block/zram0/comp_algorithm)"
	echo "page-cluster: $(cat /proc/sys/vm/page-cluster) swappiness: $(cat /proc/sys/vm/swappiness)"
	echo "vma_ra_enabled: $(cat /sys/kernel/mm/swap/vma_ra_enabled 2>&1)"
	echo "lockdown: $(cat /sys/kernel/security/lockdown 2>&1)"
	echo "kcore readable: $(head -c 4 /proc/kcore >/dev/null 2>&1 && echo yes || echo no)"
	echo "nproc: $(nproc)"; grep MemTotal /proc/meminfo
} > /out/environment.txt 2>&1
cat /out/environment.txt
for pass in pass1 pass2; do
	mkdir -p /out/$pass
	# verbatim traces, then the 6.1 rewrites of the mthp.* ones (adapt-6.1.py)
	for set in project shared adapted; do
		mkdir -p /out/$pass/$set
		for t in /traces/$set/*.trace; do
			n=${t##*/}; n=${n%.trace}
			[ $set = shared ] && n=shared-$n
			o=/out/$pass/$set/$n
			ptview replay --live --format=json "$t" \
				> $o.observed.jsonl 2> $o.stderr
			rc=$?
			echo $rc > $o.rc
			echo "=== $pass $set $n rc=$rc $(head -c 300 $o.stderr)"
		done
	done
done
free -m > /out/free.txt
cat /proc/swaps >> /out/free.txt
dmesg > /out/dmesg.txt
stty -F /dev/ttyS1 raw -echo 115200 2>/dev/null
{
	echo "=== BEGIN RESULTS"
	tar c -C /out . | gzip | base64
	echo "=== END RESULTS"
} > /dev/ttyS1
echo "=== ptview-vm: done"
sync
echo o > /proc/sysrq-trigger
sleep 10
