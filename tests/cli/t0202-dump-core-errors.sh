#!/bin/sh
# ptview --core with bad or missing inputs: a clear error naming the file
# and the documented exit status, never a crash; a dump without VMCOREINFO
# still opens (the kernel's own copy is found in memory).
. "$PTV_SRCDIR/tests/lib.sh"
require_shared
F=$PTV_FIXTURES/deb61-basic
S=$PTV_SHARED/fixtures/deb61-basic
[ -f "$F/vmcore.elf" ] || test_skip_all "fixtures were not unpacked into $PTV_FIXTURES"
BTF="--btf $S/kernel/vmlinux.btf --system-map $F/kernel/System.map"


test_expect_success 'a missing dump file: exit 1, named' '
	run_status 1 "$PTVIEW" ps --core "$TEST_TMP/nope.elf" $BTF &&
	grep -q "^ptview: .*nope.elf" "$TEST_TMP/err"
'
test_expect_success 'a file of no known format: exit 1, named' '
	head -c 100000 /dev/urandom >junk &&
	run_status 1 "$PTVIEW" ps --core junk $BTF &&
	grep -q "^ptview: .*junk" "$TEST_TMP/err"
'
test_expect_success 'a truncated ELF dump: exit 1, named' '
	head -c 1048576 "$F/vmcore.elf" >short.elf &&
	run_status 1 "$PTVIEW" dump --core short.elf $BTF 98 &&
	grep -q "short.elf" "$TEST_TMP/err"
'
test_expect_success 'a truncated kdump file: exit 1, named' '
	head -c 8192 "$S/vmcore.kdump" >short.kdump &&
	run_status 1 "$PTVIEW" dump --core short.kdump $BTF 98 &&
	grep -q "short.kdump" "$TEST_TMP/err"
'
test_expect_success 'types that cannot be read: exit 1, the BTF file named' '
	head -c 100 "$S/kernel/vmlinux.btf" >bad.btf &&
	run_status 1 "$PTVIEW" ps --core "$F/vmcore.elf" --btf bad.btf \
		--system-map "$F/kernel/System.map" &&
	grep -q "bad.btf" "$TEST_TMP/err"
'
if [ -r /sys/kernel/btf/vmlinux ]; then
	test_expect_success 'types of another kernel are refused, not used' '
		run_status 1 "$PTVIEW" ps --core "$F/vmcore.elf" \
			--btf /sys/kernel/btf/vmlinux --system-map "$F/kernel/System.map" &&
		grep -q "do not match this kernel" "$TEST_TMP/err" &&
		! test -s "$TEST_TMP/out"
	'
fi
test_expect_success 'no type information given: a usage error (exit 2)' '
	run_status 2 "$PTVIEW" ps --core "$F/vmcore.elf" &&
	grep -q -- "--btf" "$TEST_TMP/err"
'
test_expect_success 'type options without --core: a usage error (exit 2)' '
	run_status 2 "$PTVIEW" dump --btf "$S/kernel/vmlinux.btf" 1
'
test_expect_success 'a pid that is not in the dump: exit 1, named' '
	run_status 1 "$PTVIEW" dump --core "$F/vmcore.elf" $BTF 4242 &&
	grep -q "pid 4242" "$TEST_TMP/err"
'
test_expect_success 'vtop without a pid and address: exit 2' '
	run_status 2 "$PTVIEW" vtop 98 --core "$F/vmcore.elf" $BTF
'

# The same dump with its VMCOREINFO note renamed, as QEMU writes it without
# -device vmcoreinfo: KASLR and phys_base come from the kernel's own copy.
test_expect_success 'a dump without a VMCOREINFO note gives the same pages' '
	cp "$F/vmcore.elf" novmci.elf && chmod u+w novmci.elf &&
	off=$(grep -obUa -m1 "VMCOREINFO" novmci.elf | head -n1 | cut -d: -f1) &&
	test -n "$off" && test "$off" -lt 1048576 &&
	printf X | dd of=novmci.elf bs=1 seek="$off" conv=notrunc 2>/dev/null &&
	"$PTVIEW" dump --summary --format=json --core novmci.elf $BTF 98 >a &&
	"$PTVIEW" dump --summary --format=json --core "$F/vmcore.elf" $BTF 98 >b &&
	test -s a && cmp a b
'
test_done
