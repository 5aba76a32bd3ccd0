#!/bin/sh
# replay --from: the model's t0 starts as a real process (tests/helpers/
# layout), from its PID or from a .ptsnap file.  With an empty trace the
# predicted records of every region equal what the snapshot saw (state,
# zero page, PMD mapping, kpagecount, anon); a trace of absolute addresses
# acts on those VMAs with the kernel's rules (zero-page COW, VM_DONTCOPY at
# fork); errors name the file.
. "$PTV_SRCDIR/tests/lib.sh"
require_root "snapshots read PFNs, kpageflags and kpagecount"

start_layout
"$PTVIEW" snapshot -o "$TEST_TMP/lay.ptsnap" "$LAYOUT_PID" >/dev/null ||
	test_skip_all "ptview snapshot failed"
anon_r=$(region_start anon_r)
anon_w=$(region_start anon_w)
v_anon_r=v${anon_r#0x}
v_anon_w=v${anon_w#0x}

test_expect_success 'an empty trace predicts the snapshot itself' '
	printf "ptview-trace 1\n" >empty.trace &&
	"$PTVIEW" replay --from "$TEST_TMP/lay.ptsnap" --format=json empty.trace >pred &&
	"$PTVIEW" snapshot --format=json --read "$TEST_TMP/lay.ptsnap" >snap &&
	"$JQ" -c "select(.check == \"end\" and .state == \"present\") | [.region, .off, (.frame == \"zero\" or .frame == \"hzero\"), .pmd, .mapcount, .anon]" pred | sort >p.present &&
	test -s p.present &&
	"$JQ" -r "select(.check == \"end\" and .counters) | .counters.rss_anon_kb, .counters.pgtables_kb" pred >p.counters &&
	expect_eq "$(tr "\n" " " <p.counters)" "0 0 " "t0 counters are relative to the snapshot"
'
test_expect_success 'present pages: as many as the snapshot has' '
	n=$("$JQ" -s "[.[] | select(.type == \"snapshot\")][0].present" snap) &&
	m=$(wc -l <p.present) &&
	expect_eq "$m" "$n" "present pages"
'
test_expect_success 'zero pages, PMD mappings and kpagecount come through' '
	"$JQ" -c "select(.type == \"page\" and .state == \"present\") | [(.zero_page or .huge_zero_page), .level == \"pmd\", .kpagecount, ((.kpageflags | ltrimstr(\"0x\") | explode | map(if . >= 97 then . - 87 else . - 48 end) | reduce .[] as \$d (0; . * 16 + \$d)) as \$f | (\$f / 4096 | floor) % 2 == 1)]" snap | sort | uniq -c | sort >s.kinds &&
	"$JQ" -c ".[2:]" p.present | sort | uniq -c | sort >p.kinds &&
	diff s.kinds p.kinds
'
test_expect_success 'a write to a zero-page region: do_wp_page copies, one fault a page' '
	printf "ptview-trace 1\nt0 touch %s 8K write\ncheck w\n" "$anon_r" >w.trace &&
	"$PTVIEW" replay --from "$LAYOUT_PID" --format=json w.trace >out &&
	grep -q "\"line\":2,\"task\":\"t0\",\"event\":\"touch\",\"ret\":0,\"faults\":{\"minor\":2,\"major\":0},\"outcomes\":\[{\"fn\":\"do_wp_page\"" out &&
	json_any out ".check == \"w\" and .region == \"$v_anon_r\" and .off == 0 and .anon and .exclusive and .mapcount == 1" &&
	json_any out ".check == \"w\" and .counters.rss_anon_kb == 8"
'
test_expect_success 'fork: a VM_DONTCOPY region is not in the child' '
	printf "ptview-trace 1\nt0 fork t1\nt1 touch %s write\n" "$anon_w" >dc.trace &&
	"$PTVIEW" replay --from "$TEST_TMP/lay.ptsnap" dc.trace >out 2>err; test $? = 1 &&
	grep -q "dc.trace:3: task t1 would be killed by SIGSEGV" err
'
test_expect_success 'a damaged snapshot is exit 1, naming the file' '
	head -c 100 "$TEST_TMP/lay.ptsnap" >bad.ptsnap &&
	"$PTVIEW" replay --from bad.ptsnap empty.trace >out 2>err; test $? = 1 &&
	grep -q "bad.ptsnap" err && test ! -s out
'
test_expect_success 'a process that does not exist, or a missing file, is exit 1' '
	"$PTVIEW" replay --from 999999999 empty.trace >out 2>err; test $? = 1 &&
	grep -q "no such process 999999999" err && test ! -s out &&
	"$PTVIEW" replay --from no-such.ptsnap empty.trace >out 2>err; test $? = 1 &&
	grep -q "no-such.ptsnap: No such file" err && test ! -s out
'
test_expect_success '--from with --live or --compare is a usage error' '
	"$PTVIEW" replay --live --from 1 empty.trace 2>/dev/null; test $? = 2 &&
	"$PTVIEW" replay --compare --from 1 empty.trace 2>/dev/null; test $? = 2
'
test_done
