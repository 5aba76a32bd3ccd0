#!/bin/sh
# tests/helpers/mkkcore: deb61-basic's /proc/kcore rebuilt from its vmcore,
# with the PT_LOADs the guest's own kcore had (truth-meta.json,
# kernel.kcore), then read back through the image layer by tests/unit/t-kcore.
#
# The kcore lands in $PTV_FIXTURES/deb61-basic/kcore.elf, made once per
# build tree, for any test that wants a kcore to read.
. "$PTV_SRCDIR/tests/lib.sh"
require_shared
FIX=$PTV_FIXTURES/deb61-basic
META=$PTV_SHARED/fixtures/deb61-basic/truth/truth-meta.json
[ -r "$FIX/vmcore.elf" ] && [ -r "$META" ] ||
	test_skip_all "deb61-basic vmcore.elf or truth-meta.json absent"
MKKCORE=$PTV_BUILDDIR/tests/helpers/mkkcore
KCORE=$FIX/kcore.elf

# hexnorm: 0x-prefixed hex numbers without leading zeros, on stdin.
hexnorm() { sed -E 's/0x0*([0-9a-f]+)/\1/g'; }

# tap_relay PROGRAM ARGS...: run a TAP program and report each of its
# results as one of this file's tests, renumbered.
tap_relay() {
	"$@" >"$TEST_TMP/relay.out" 2>&1
	local rc=$? n=0 plan=none line desc
	while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*)
			n=$((n + 1))
			test_count=$((test_count + 1))
			desc=$(printf '%s\n' "$line" | sed -E 's/^(not )?ok [0-9]+//')
			case $line in
			"not ok "*)
				test_failures=$((test_failures + 1))
				echo "not ok $test_count$desc" ;;
			*)	echo "ok $test_count$desc" ;;
			esac ;;
		"1..0 # SKIP"*) test_skip "$1" "${line#*SKIP }" ;;
		1..*) plan=${line#1..} ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done <"$TEST_TMP/relay.out"
	test_expect_success "$(basename "$1") exits 0 and ran all $plan of its tests" "
		test $rc = 0 && test $n -gt 0 && test $n = $plan
	"
}

test_expect_success 'no --layout: usage error, nothing written' '
	"$MKKCORE" "$FIX/vmcore.elf" out.kcore 2>err; test $? = 2 &&
	grep -q "^usage: mkkcore" err && test ! -e out.kcore
'

test_expect_success 'a bad layout line is named by file and line; no output is left' '
	printf "# comment\n0xffff888000000000 0x0 zz\n" >bad.layout &&
	"$MKKCORE" "$FIX/vmcore.elf" out.kcore --layout bad.layout 2>err; test $? = 1 &&
	grep -q "bad.layout:2: " err && test ! -e out.kcore &&
	printf "0xffff888000000800 0x800 0x1000\n" >bad.layout &&
	"$MKKCORE" "$FIX/vmcore.elf" out.kcore --layout bad.layout 2>err; test $? = 1 &&
	grep -q "not page-aligned" err && test ! -e out.kcore
'

test_expect_success 'OUT naming IN is refused before anything is opened' '
	echo not-a-vmcore >in && ln -s in same &&
	"$MKKCORE" in same --layout /dev/null 2>err; test $? = 2 &&
	grep -q "same file" err && test "$(cat in)" = not-a-vmcore
'

test_expect_success 'builds kcore.elf from vmcore.elf' '
	make_kcore && test -s "$KCORE" && ! test -e "$KCORE.tmp"
'

if command -v readelf >/dev/null; then
	test_expect_success 'PT_LOADs are the guest'"'"'s kcore list: vaddr, paddr, memsz, in order' '
		kcore_layout | hexnorm >want &&
		readelf -lW "$KCORE" | awk "\$1 == \"LOAD\" { print \$3, \$4, \$6 }" |
			hexnorm >got &&
		test -s want && diff -u want got
	'
	test_expect_success 'p_filesz: all of direct map, text and vmemmap; none of vmalloc' '
		readelf -lW "$KCORE" | awk "\$1 == \"LOAD\" { print \$3, \$4, \$5, \$6 }" |
			hexnorm >loads &&
		awk "\$2 != \"ffffffffffffffff\" && \$3 != \$4 { bad = 1 } END { exit bad }" loads &&
		grep -q "^ffffcf3100000000 ffffffffffffffff 0 1fffffffffff\$" loads &&
		grep -q "^fffff8c800004000 ffffffffffffffff 3fc000 3fc000\$" loads
	'
else
	test_skip 'PT_LOADs against the truth' 'readelf (binutils) is absent'
fi

test_expect_success 'the file is sparse and within twice the vmcore'"'"'s size' '
	set -- $(stat -c "%s %b %B" "$KCORE") &&
	vmcore=$(stat -c %s "$FIX/vmcore.elf") &&
	echo "kcore: $1 bytes, $(($2 * $3)) on disk; vmcore: $vmcore bytes" &&
	test "$1" -le $((2 * vmcore)) && test $(($2 * $3)) -lt "$1"
'

tap_relay "$PTV_BUILDDIR/tests/unit/t-kcore" "$KCORE" "$FIX/vmcore.elf" "$FIX"
test_done
