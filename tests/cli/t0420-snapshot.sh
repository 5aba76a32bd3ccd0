#!/bin/sh
# ptview snapshot: a snapshot of a live process agrees with /proc (VMAs with
# maps, present pages and PFNs with pagemap), reads back and re-encodes to
# the same bytes, and damaged files fail with exit 1 and the offset.
. "$PTV_SRCDIR/tests/lib.sh"

test_expect_success 'usage errors exit 2 and name the problem' '
	"$PTVIEW" snapshot 2>err; test $? = 2 && grep -q "no process given" err &&
	"$PTVIEW" snapshot self 2>err; test $? = 2 && grep -q -- "-o FILE is required" err &&
	"$PTVIEW" snapshot 12abc -o x 2>err; test $? = 2 && grep -q "not a process ID" err &&
	"$PTVIEW" snapshot 1 2 -o x 2>err; test $? = 2 && grep -q "one process" err &&
	"$PTVIEW" snapshot --read x 1 2>err; test $? = 2 &&
	"$PTVIEW" snapshot --format=xml self -o x 2>err; test $? = 2 &&
	"$PTVIEW" snapshot --bogus 2>err; test $? = 2 && grep -q "unknown option" err &&
	! test -e x
'

test_expect_success 'no such process: exit 1, nothing written' '
	pid=$(( $(cat /proc/sys/kernel/pid_max) - 1 )) &&
	if kill -0 $pid 2>/dev/null; then exit 0; fi
	"$PTVIEW" snapshot $pid -o s.ptsnap 2>err; rc=$? &&
	expect_eq $rc 1 "exit status" && grep -q "no such process" err &&
	! test -e s.ptsnap
'

test_expect_success 'a missing file: exit 1, the message names it' '
	"$PTVIEW" snapshot --read nonexistent.ptsnap 2>err; rc=$?
	expect_eq $rc 1 "exit status" && grep -q "^ptview: nonexistent.ptsnap: " err
'

if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || test_skip_all "setpriv (util-linux) is needed"
	test_expect_success 'without root: exit 4, one line, nothing written' '
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$PTVIEW" snapshot self -o /tmp/ptv-never.$$ 2>err; rc=$?
		expect_eq $rc 4 "exit status" && test "$(wc -l <err)" = 1 &&
		grep -q "root" err && ! test -e /tmp/ptv-never.$$
	'
else
	test_expect_success 'without root: exit 4, one line, nothing written' '
		"$PTVIEW" snapshot self -o s.ptsnap 2>err; rc=$?
		expect_eq $rc 4 "exit status" && test "$(wc -l <err)" = 1 &&
		! test -e s.ptsnap
	'
	test_done
	exit
fi

start_layout
SNAP=$TEST_TMP/layout.ptsnap

test_expect_success 'snapshot of a live process, with a JSON summary record' '
	"$PTVIEW" snapshot --format=json "$LAYOUT_PID" -o "$SNAP" >rec &&
	test -s "$SNAP" && test "$(wc -l <rec)" = 1 &&
	json_all rec ".type == \"snapshot\" and .pid == $LAYOUT_PID and .version == 1
		and .comm == \"layout\" and .pages > 0 and .vmas > 10" &&
	expect_eq "$("$JQ" .bytes rec)" "$(stat -c %s "$SNAP")" "bytes" &&
	expect_eq "$(stat -c %a "$SNAP")" 600 "mode" &&
	"$PTVIEW" snapshot --read "$SNAP" --format=json >"$TEST_TMP/snap.json"
'

test_expect_success 'the VMAs are those of /proc/PID/maps' '
	while read -r range perms off dev ino path; do
		printf "%s %s %s %d %s\n" "${range%-*}" "${range#*-}" "$perms" \
			$((0x$off / 4096)) "$path"
	done <"/proc/$LAYOUT_PID/maps" >maps.txt &&
	"$JQ" -r "select(.type == \"vma\") |
		\"\(.start[2:]) \(.end[2:]) \(.perms) \(.pgoff) \(.path // \"\")\"" \
		"$TEST_TMP/snap.json" >snap.txt &&
	diff maps.txt snap.txt
'

# pagemap_present START NPAGES: "vaddr pfn" of the present pages, read
# from /proc/PID/pagemap directly (dd seeks; od decodes).
pagemap_present() {
	dd if="/proc/$LAYOUT_PID/pagemap" bs=8 skip=$(($1 / 4096)) count="$2" \
		2>/dev/null | od -An -v -tx8 | tr -s " " "\n" | grep . |
	{
		i=0
		while read -r e; do
			# Bit 63 is "present"; shells saturate at 2^63 - 1, so
			# look at the first digit, and at 56 bits for the PFN.
			case $e in
			[89a-f]*)
				printf "0x%x %d\n" $(($1 + i * 4096)) \
					$((0x${e#??} & 0x7fffffffffffff)) ;;
			esac
			i=$((i + 1))
		done
	}
}

for r in anon_w anon_r thp split file_priv file_shared memfd shanon tmpfs cow swapped hzero; do
	test_expect_success "region $r: present pages and PFNs equal pagemap's" '
		start=$(region_start '$r') n=$(region_npages '$r') &&
		pagemap_present $start $n >want &&
		"$JQ" -r --arg lo "$(printf "%016x" $start)" \
			--arg hi "$(printf "%016x" $((start + n * 4096)))" \
			"select(.type == \"page\" and .state == \"present\")
			 | select((.vaddr[2:] | (\"0000000000000000\" + .)[-16:]) as \$a
			          | \$a >= \$lo and \$a < \$hi)
			 | \"\(.vaddr) \(.pfn)\"" "$TEST_TMP/snap.json" >got &&
		test -s want && diff want got
	'
done

test_expect_success 'every present or swapped page of the process, as dump counts them' '
	"$PTVIEW" dump --pagemap --format=json "$LAYOUT_PID" |
		"$JQ" -s "[.[] | select(.type == \"run\" and
			(.state == \"present\" or .state == \"swap\")) | .npages] | add" >want &&
	"$JQ" -s "[.[] | select(.type == \"page\")] | length" "$TEST_TMP/snap.json" >got &&
	diff want got &&
	expect_eq "$("$JQ" .pages rec)" "$(cat got)" "pages in the summary"
'

test_expect_success 'pages carry what dump --pages says of them (thp, hzero, cow regions)' '
	for r in thp hzero cow anon_w; do
		start=$(region_start $r) n=$(region_npages $r)
		region_pages $r "$LAYOUT_PID" | "$JQ" -c "select(.state == \"present\") |
			[.vaddr, .pfn, .kpagecount, .level // \"pte\",
			 (.zero_page // false), (.huge_zero_page // false), (.exclusive // false)]"
	done >want &&
	for r in thp hzero cow anon_w; do
		start=$(region_start $r) n=$(region_npages $r)
		"$JQ" -c --arg lo "$(printf "%016x" $start)" \
			--arg hi "$(printf "%016x" $((start + n * 4096)))" \
			"select(.type == \"page\" and .state == \"present\")
			 | select((.vaddr[2:] | (\"0000000000000000\" + .)[-16:]) as \$a
			          | \$a >= \$lo and \$a < \$hi)
			 | [.vaddr, .pfn, .kpagecount, .level, .zero_page,
			    .huge_zero_page, .exclusive]" "$TEST_TMP/snap.json"
	done >got &&
	test -s want && diff want got
'

test_expect_success 'zero_page_maps agrees with the layout'"'"'s own probe' '
	if [ "$ZERO_PAGE" = unknown ]; then exit 0; fi
	expect_eq "$("$JQ" -s ".[0].zero_page_maps" "$TEST_TMP/snap.json")" "$ZERO_PAGE" \
		"zero_page_maps"
'

test_expect_success 'backings and VmFlags: memfd is shmem, thp has hg, anon_w has dc' '
	vma() { "$JQ" -c "select(.type == \"vma\" and .start == \"$(region_start $1)\")" \
		"$TEST_TMP/snap.json"; }
	vma memfd | json_all /dev/stdin ".backing == \"shmem\" and .perms == \"rw-s\"" &&
	vma tmpfs | json_all /dev/stdin ".backing == \"shmem\"" &&
	vma file_priv | json_all /dev/stdin ".backing == \"file\" and .anon_vma" &&
	vma thp | json_all /dev/stdin "(.vmflags | index(\"hg\")) and .anon_vma" &&
	vma anon_w | json_all /dev/stdin "(.vmflags | index(\"dc\")) and (.vmflags | index(\"nh\"))"
'

test_expect_success 'round trip: read and write again gives the same bytes' '
	"$PTVIEW" snapshot --read "$SNAP" -o again.ptsnap >/dev/null &&
	cmp "$SNAP" again.ptsnap
'

# damage FILE OFFSET BYTE: overwrite one byte in place.
damage() { printf "\\$(printf %o "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }

test_expect_success 'a truncated file: exit 1, one line naming the file and offset' '
	head -c 1000 "$SNAP" >cut.ptsnap &&
	"$PTVIEW" snapshot --read cut.ptsnap 2>err; rc=$?
	expect_eq $rc 1 "exit status" && test "$(wc -l <err)" = 1 &&
	grep -q "^ptview: cut.ptsnap: offset 16: .*truncated" err
'

test_expect_success 'bad magic, bad version, a flipped byte: exit 1 and the offset' '
	cp "$SNAP" m.ptsnap && damage m.ptsnap 0 88 &&
	"$PTVIEW" snapshot --read m.ptsnap 2>err; rc=$?
	expect_eq $rc 1 "magic" && grep -q "^ptview: m.ptsnap: offset 0: .*magic" err &&
	cp "$SNAP" v.ptsnap && damage v.ptsnap 8 2 &&
	"$PTVIEW" snapshot --read v.ptsnap 2>err; rc=$?
	expect_eq $rc 1 "version" && grep -q "^ptview: v.ptsnap: offset 8: format version 2" err &&
	cp "$SNAP" f.ptsnap && size=$(stat -c %s f.ptsnap) &&
	damage f.ptsnap $((size - 3)) 255 &&
	"$PTVIEW" snapshot --read f.ptsnap 2>err; rc=$?
	expect_eq $rc 1 "flipped" && grep -q "^ptview: f.ptsnap: offset [0-9]*: PAGES section checksum mismatch" err
'

test_done
