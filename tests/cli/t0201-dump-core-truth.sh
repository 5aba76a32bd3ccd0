#!/bin/sh
# ptview dump --core on the deb61-basic crash dumps (Debian 12's 6.1 kernel
# under QEMU): every page of both workload processes, in all three dump
# formats and with both type sources, against the guest's own pagemap;
# the walk for sampled addresses against drgn's raw entries.
. "$PTV_SRCDIR/tests/lib.sh"
require_shared
F=$PTV_FIXTURES/deb61-basic
S=$PTV_SHARED/fixtures/deb61-basic
[ -f "$F/vmcore.elf" ] && [ -f "$F/truth/truth-pages.jsonl" ] ||
	test_skip_all "fixtures were not unpacked into $PTV_FIXTURES"

BTF="--btf $S/kernel/vmlinux.btf --system-map $F/kernel/System.map"
DWARF="--vmlinux $F/kernel/vmlinux.dwarf"
DUMPS="$F/vmcore.elf $S/vmcore.kdump $S/vmcore.filtered-d31.kdump"
# The kcore code path a live dump takes when /proc/kcore is readable, on a
# kcore-layout copy of the same memory (tests/helpers/mkkcore).
FIX=$F META=$S/truth/truth-meta.json KCORE=$F/kcore.elf
MKKCORE=$PTV_BUILDDIR/tests/helpers/mkkcore
make_kcore 2>/dev/null || KCORE=
if [ "${PTV_TEST_SUBSET:-}" = sanitizer ]; then
	# the sanitizer build checks one dump per type source
	COMBOS="$F/vmcore.elf:BTF $S/vmcore.kdump:DWARF"
else
	COMBOS=""
	for d in $DUMPS; do COMBOS="$COMBOS $d:BTF $d:DWARF"; done
fi
[ -n "$KCORE" ] && COMBOS="$COMBOS $KCORE:BTF"

HEX='def hex: ltrimstr("0x") | explode |
	reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));'

# The guest's truth: pid, vaddr (decimal), state, pfn, swap type, offset.
"$JQ" -r "$HEX"'
	(if .present then "present" elif .swap then "swap" else "none" end) as $s |
	[.pid, (.vaddr | hex), $s,
	 (if .present then .pfn else "-" end),
	 (if .swap then .swap_type else "-" end),
	 (if .swap then .swap_offset else "-" end)] | @tsv' \
	"$F/truth/truth-pages.jsonl" >"$TEST_TMP/truth.tsv"

# pages PID DUMP TYPES...: ptview's pages of PID, expanded from runs, in
# the truth's columns.
pages() {
	pid=$1 dump=$2; shift 2
	"$PTVIEW" dump --format=json --core "$dump" "$@" "$pid" >"$TEST_TMP/dump.json" || return 1
	"$JQ" -r "$HEX"'select(.type == "run") |
		[(.vaddr | hex), .npages, .state, (.pfn // "-"),
		 (.swap_type // "-"), (.swap_offset // "-"), (.pfn_step // 1)] | @tsv' \
		"$TEST_TMP/dump.json" |
	awk -v pid="$pid" -F '\t' '{
		for (i = 0; i < $2; i++) {
			pfn = $4 == "-" ? "-" : $4 + i * $7
			off = $6 == "-" ? "-" : $6 + i
			printf "%s\t%.0f\t%s\t%s\t%s\t%s\n", pid, $1 + i * 4096, $3, pfn, $5, off
		}
	}'
}

# compare PID: every truth page of PID equals ptview's page (no VMA: none).
compare() {
	awk -F '\t' -v pid="$1" '
		FILENAME == ARGV[1] { if ($1 == pid) got[$2] = $3 "\t" $4 "\t" $5 "\t" $6; next }
		$1 != pid { next }
		{
			n++
			want = $3 "\t" $4 "\t" $5 "\t" $6
			have = ($2 in got) ? got[$2] : "none\t-\t-\t-"
			if (have != want) {
				bad++
				if (bad <= 5) printf "pid %s vaddr %.0f: want %s, got %s\n", pid, $2, want, have
			}
		}
		END {
			printf "pid %s: %d pages, %d mismatches\n", pid, n, bad
			exit (n > 1000 && bad == 0) ? 0 : 1
		}' "$TEST_TMP/pages.tsv" "$TEST_TMP/truth.tsv"
}

for combo in $COMBOS; do
	dump=${combo%:*} types=${combo#*:}
	eval "typeopts=\$$types"
	name="$(basename "$dump") with $types"
	test_expect_success "$name: every workload page equals the guest's pagemap" '
		for pid in 98 100; do
			pages $pid "$dump" $typeopts >"$TEST_TMP/pages.tsv" &&
			compare $pid || exit 1
		done
	'
done

# The counters at dump time: drgn read the same mm_structs (the guest's
# own status lines were printed earlier, before the child's last writes).
test_expect_success 'task records: mm, pgd and counters equal drgn'"'"'s reading of the dump' '
	"$PTVIEW" ps --format=json --core "$F/vmcore.elf" $BTF >ps.json &&
	zstd -dc "$S/peers/drgn/drgn-walk.jsonl.zst" | "$JQ" -c "select(.type == \"task\")" >drgn.json &&
	test "$(wc -l <drgn.json)" = 2 &&
	while read -r t; do
		pid=$(echo "$t" | "$JQ" .pid) &&
		want=$(echo "$t" | "$JQ" -c "[.mm, .pgd, .pgd_phys, .rss_stat[1] * 4, .rss_stat[0] * 4, .rss_stat[3] * 4, .rss_stat[2] * 4, .pgtables_bytes / 1024]") &&
		got=$("$JQ" -c "select(.pid == $pid) | [.mm, .pgd, .pgd_phys, .rss_anon_kb, .rss_file_kb, .rss_shmem_kb, .swap_kb, .pgtables_kb]" ps.json) &&
		expect_eq "$got" "$want" "pid $pid" || exit 1
	done <drgn.json
'

test_expect_success 'VMAs equal the guest'"'"'s maps (start, end, perms, offset)' '
	for pid in 98 100; do
		"$PTVIEW" dump --summary --format=json --core "$F/vmcore.elf" $BTF $pid >/dev/null &&
		"$PTVIEW" dump --format=json --core "$F/vmcore.elf" $BTF $pid |
			"$JQ" -r "select(.type == \"vma\") | \"\(.start | ltrimstr(\"0x\"))-\(.end | ltrimstr(\"0x\")) \(.perms)\"" >ours.$pid &&
		"$JQ" -r ".. | objects | select(.pid? == $pid and has(\"maps\")) | .maps[]" "$S/truth/truth-meta.json" |
			awk "{ split(\$1, r, \"-\"); sub(/^0+/, \"\", r[1]); sub(/^0+/, \"\", r[2]); print r[1] \"-\" r[2], \$2 }" |
			grep -v vsyscall >theirs.$pid &&
		test -s theirs.$pid && diff theirs.$pid ours.$pid || exit 1
	done
'

test_expect_success 'vtop of sampled pages walks the raw entries drgn read' '
	zstd -dc "$S/peers/drgn/drgn-walk.jsonl.zst" |
		"$JQ" -r "select(.type == \"page\" and .pid == 98) | [.va, (.path | join(\" \"))] | @tsv" |
		awk "NR % 97 == 1" | head -n 60 >samples &&
	test "$(wc -l <samples)" -ge 30 &&
	while IFS="	" read -r va path; do
		got=$("$PTVIEW" vtop 98 "$va" --format=json --core "$F/vmcore.elf" $BTF |
			"$JQ" -r "[.levels[].raw] | join(\" \")") &&
		expect_eq "$got" "$path" "walk of $va" || exit 1
	done <samples
'

test_expect_success '--tables: each table page and its non-empty entries' '
	"$PTVIEW" dump --tables --format=json --core "$F/vmcore.elf" $BTF \
		--range 100300000000-100300040000 98 >tables.json &&
	json_any tables.json ".type == \"table\" and .level == \"pte\" and (.entries | length) == 64" &&
	json_any tables.json ".type == \"table\" and .level == \"pgd\" and .phys == \"0x2bf8000\""
'
test_done
