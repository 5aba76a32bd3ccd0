#!/bin/sh
# snapshot --core: a .ptsnap built from the deb61-basic crash dump (Debian
# 12's 6.1 kernel under QEMU) holds the same pages as `dump --core --pages`
# for the workload's child (pid 100): present pages with their PFN,
# kpagecount, folio order, level, zero pages and anon bit, and swap entries;
# replay --from runs on it, and replay --core DUMP --from PID forks the
# dump's task with its swap entries; damaged or missing dumps are exit 1.
. "$PTV_SRCDIR/tests/lib.sh"
require_shared
F=$PTV_FIXTURES/deb61-basic
S=$PTV_SHARED/fixtures/deb61-basic
[ -f "$F/vmcore.elf" ] && [ -f "$F/kernel/System.map" ] ||
	test_skip_all "fixtures were not unpacked into $PTV_FIXTURES"
BTF="--btf $S/kernel/vmlinux.btf --system-map $F/kernel/System.map"
WL=100

HEX='def hex: ltrimstr("0x") | explode |
	reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));'

test_expect_success 'snapshot --core writes a snapshot of the workload' '
	"$PTVIEW" snapshot --core "$F/vmcore.elf" $BTF $WL -o wl.ptsnap >out &&
	grep -q "pid $WL (wl), kernel 6.1.0-56-amd64, 27 VMAs" out &&
	"$PTVIEW" snapshot --format=json --read wl.ptsnap >snap &&
	json_any snap ".type == \"snapshot\" and .zero_page_maps == 1 and .present > 1000 and .swap > 0"
'
test_expect_success 'its pages are the ones dump --core --pages walks' '
	"$PTVIEW" dump --core "$F/vmcore.elf" $BTF --pages --format=json $WL >dump &&
	"$JQ" -r "$HEX"'"'"'select(.type == "page" and .state == "present") |
		[.vaddr, .pfn, .kpagecount, .folio_order, .level, .zero_page,
		 .huge_zero_page, ((.kpageflags | hex) / 4096 | floor) % 2 == 1] | @tsv'"'"' snap | sort >s.present &&
	"$JQ" -r '"'"'select(.type == "page" and .state == "present") |
		[.vaddr, .pfn, .mapcount, .folio_order, .level, .zero_page,
		 .huge_zero_page, .anon] | @tsv'"'"' dump | sort >d.present &&
	test $(wc -l <s.present) -gt 1000 &&
	diff s.present d.present &&
	"$JQ" -r '"'"'select(.type == "page" and .state == "swap") |
		[.vaddr, .swap_type, .swap_offset] | @tsv'"'"' snap | sort >s.swap &&
	"$JQ" -r '"'"'select(.type == "page" and .state == "swap") |
		[.vaddr, .swap_type, .swap_offset] | @tsv'"'"' dump | sort >d.swap &&
	test -s s.swap && diff s.swap d.swap
'
test_expect_success 'VMAs: vm_flags and anon_vma from the dump' '
	json_any snap ".type == \"vma\" and .start == \"0x1000001e0000\" and .backing == \"anon\" and .anon_vma and (.vmflags | index(\"ac\")) and (.vmflags | index(\"nh\"))"
'
test_expect_success 'VmFlags: what the guest'"'"'s smaps said (but sd)' '
	"$JQ" -r ".processes[\"$WL\"].smaps[]" "$S/truth/truth-meta.json" |
	awk '"'"'/^[0-9a-f]+-[0-9a-f]+ /{ split($1, r, "-"); a = r[1]; sub(/^0+/, "", a) }
		/^VmFlags:/{ n = 0; for (i = 2; i <= NF; i++)
			if ($i ~ /^(hg|nh|lo|lf|dc|wf|dd|ac|nr|mm|pf|io|de|mg|um|uw|ui|gd|ht|ms|sr|rr)$/) f[n++] = $i
			s = ""; for (i = 0; i < n; i++) s = s " " f[i]; print a s }'"'"' |
	while read a f; do echo "$a $(echo $f | tr " " "\n" | sort | tr "\n" " ")"; done >t.flags &&
	"$JQ" -r '"'"'select(.type == "vma") | "\(.start | ltrimstr("0x")) \(.vmflags | sort | join(" ")) "'"'"' snap >s.flags &&
	test $(wc -l <t.flags) = 27 && diff t.flags s.flags
'
test_expect_success 'replay --from runs on it' '
	printf "ptview-trace 1\n" >empty.trace &&
	"$PTVIEW" replay --from wl.ptsnap --format=json empty.trace >pred &&
	grep -q "\"check\":\"end\"" pred
'
test_expect_success 'a truncated dump is exit 1, naming the file, nothing written' '
	head -c 8192 "$F/vmcore.elf" >bad.elf &&
	"$PTVIEW" snapshot --core bad.elf $BTF $WL -o bad.ptsnap >out 2>err; test $? = 1 &&
	grep -q "bad.elf" err && test ! -e bad.ptsnap
'
test_expect_success 'a missing dump or pid is exit 1' '
	"$PTVIEW" snapshot --core nosuch.elf $BTF $WL -o x.ptsnap 2>err; test $? = 1 &&
	grep -q "nosuch.elf" err &&
	"$PTVIEW" snapshot --core "$F/vmcore.elf" $BTF 4242 -o x.ptsnap 2>err; test $? = 1 &&
	grep -q "no process with pid 4242" err && test ! -e x.ptsnap
'
test_expect_success 'usage errors: self, --read with --core, types without --core' '
	"$PTVIEW" snapshot --core "$F/vmcore.elf" $BTF self -o x.ptsnap 2>/dev/null; test $? = 2 &&
	"$PTVIEW" snapshot --core "$F/vmcore.elf" --read wl.ptsnap 2>/dev/null; test $? = 2 &&
	"$PTVIEW" snapshot $BTF $WL -o x.ptsnap 2>/dev/null; test $? = 2
'
test_expect_success 'replay --core DUMP --from PID: a fork of the dump'"'"'s task' '
	printf "ptview-trace 1\nt0 fork t1\ncheck f\n" >fork.trace &&
	"$PTVIEW" replay --core "$F/vmcore.elf" $BTF --from $WL --format=json fork.trace >out &&
	nswap=$("$JQ" -s "[.[] | select(.type == \"snapshot\")][0].swap" snap) &&
	json_any out ".check == \"f\" and .task == \"t1\" and .counters.swap_kb == $nswap * 4" &&
	json_any out ".check == \"f\" and .task == \"t0\" and .counters.rss_anon_kb == 0" &&
	"$PTVIEW" replay --core "$F/vmcore.elf" $BTF fork.trace 2>/dev/null; test $? = 2 &&
	"$PTVIEW" replay --core "$F/vmcore.elf" $BTF --from wl.ptsnap fork.trace 2>/dev/null; test $? = 2
'
test_done
