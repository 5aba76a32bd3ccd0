#!/bin/sh
# ptview page with bad input: a PFN beyond memory, a non-number, no PFN,
# no --core, and a dump whose memory map was left out; each a one-line
# error naming what is wrong, with the documented exit status.
. "$PTV_SRCDIR/tests/lib.sh"
require_shared
F=$PTV_FIXTURES/deb61-basic
S=$PTV_SHARED/fixtures/deb61-basic
[ -f "$F/vmcore.elf" ] || test_skip_all "fixtures were not unpacked into $PTV_FIXTURES"
BTF="--btf $S/kernel/vmlinux.btf --system-map $F/kernel/System.map"


test_expect_success 'a PFN beyond memory: exit 1, the PFN and the last frame named' '
	run_status 1 "$PTVIEW" page 0x10000000 --core "$F/vmcore.elf" $BTF &&
	grep -q "^ptview: PFN 268435456 (0x10000000) is beyond memory: the last frame is 65503$" "$TEST_TMP/err" &&
	! test -s "$TEST_TMP/out"
'
test_expect_success 'good and bad PFNs: the good ones are printed, exit 1' '
	run_status 1 "$PTVIEW" page 12288 99999999 12289 --format=json \
		--core "$S/vmcore.kdump" $BTF &&
	test "$(wc -l <"$TEST_TMP/out")" = 2 &&
	test "$(grep -c "^ptview:" "$TEST_TMP/err")" = 1 &&
	grep -q "PFN 99999999" "$TEST_TMP/err"
'
test_expect_success 'a PFN that is not a number: a usage error (exit 2)' '
	run_status 2 "$PTVIEW" page 12x --core "$F/vmcore.elf" $BTF &&
	grep -q "^ptview: .12x. is not a PFN" "$TEST_TMP/err" &&
	run_status 2 "$PTVIEW" page -- -5 --core "$F/vmcore.elf" $BTF
'
test_expect_success 'no PFN, no --core: usage errors (exit 2)' '
	run_status 2 "$PTVIEW" page --core "$F/vmcore.elf" $BTF &&
	run_status 2 "$PTVIEW" page 5 &&
	grep -q -- "--core" "$TEST_TMP/err"
'

# The full dump with the end of RAM cut off (p_filesz of its PT_LOAD
# lowered to 0xfe00000, as a filtered dump leaves pages out): the memory
# map's pages there are no longer in the file.
test_expect_success 'a struct page that is not in the dump: exit 1, PFN and address named' '
	cp "$F/vmcore.elf" cut.elf && chmod u+w cut.elf &&
	phoff=$(od -An -tu8 -j32 -N8 cut.elf | tr -d " ") &&
	test "$(od -An -tu4 -j$((phoff + 56)) -N4 cut.elf | tr -d " ")" = 1 &&
	printf "\000\000\340\017\000\000\000\000" |
		dd of=cut.elf bs=1 seek=$((phoff + 56 + 32)) conv=notrunc 2>/dev/null &&
	run_status 1 "$PTVIEW" page 12288 --core cut.elf $BTF &&
	grep -q "^ptview: PFN 12288: its struct page at 0xfffff8c8000c0000 is not in the dump" "$TEST_TMP/err"
'
test_done
