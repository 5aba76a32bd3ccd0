#!/bin/sh
# ptview page and the struct page keys of dump --pages on the deb61-basic
# crash dumps (Debian 12's 6.1 kernel under QEMU): every frame drgn read
# (flags word, counts, mapping, index, folio order, compound mapcount and
# pincount) in all three dump formats and with both type sources; the
# decoded flags and counts against the guest's own /proc/kpageflags and
# /proc/kpagecount; the filtered dump against the full one; the memory map
# through mem_section against the vmemmap.
. "$PTV_SRCDIR/tests/lib.sh"
require_shared
F=$PTV_FIXTURES/deb61-basic
S=$PTV_SHARED/fixtures/deb61-basic
[ -f "$F/vmcore.elf" ] && [ -f "$F/truth/truth-pages.jsonl" ] &&
	[ -f "$F/peers/drgn/drgn-walk.jsonl" ] ||
	test_skip_all "fixtures were not unpacked into $PTV_FIXTURES"

BTF="--btf $S/kernel/vmlinux.btf --system-map $F/kernel/System.map"
DWARF="--vmlinux $F/kernel/vmlinux.dwarf"
DUMPS="$F/vmcore.elf $S/vmcore.kdump $S/vmcore.filtered-d31.kdump"
if [ "${PTV_TEST_SUBSET:-}" = sanitizer ]; then
	COMBOS="$F/vmcore.elf:BTF $S/vmcore.filtered-d31.kdump:DWARF"
else
	COMBOS=""
	for d in $DUMPS; do COMBOS="$COMBOS $d:BTF $d:DWARF"; done
fi

# drgn's struct page of every present frame it met, in our columns: PFN,
# flags word, refcount, _mapcount as stored, mapping, index, order, head
# PFN, compound mapcount as stored and pincount (large folios only).
"$JQ" -r 'select(.type == "page" and .state == "present") |
	[.pfn, .flags, .refcount, .mapcount, .mapping, .index,
	 (.compound_order // 0), (.head_pfn // .pfn),
	 (.compound_mapcount // "-"), (.compound_pincount // "-")] | @tsv' \
	"$F/peers/drgn/drgn-walk.jsonl" | sort -u | sort -n >"$TEST_TMP/drgn.tsv"
cut -f1 "$TEST_TMP/drgn.tsv" >"$TEST_TMP/pfns"

# ours FRAMES.json: the same columns from ptview page's records.
ours() {
	"$JQ" -r '[.pfn, .raw_flags, .refcount, .mapcount - 1, .mapping, .index,
		.folio_order, (.head_pfn // .pfn),
		(if .thp then .entire_mapcount - 1 else "-" end),
		(if .thp then .pincount else "-" end)] | @tsv' "$1" | sort -n
}

for combo in $COMBOS; do
	dump=${combo%:*} types=${combo#*:}
	eval "typeopts=\$$types"
	name="$(basename "$dump") with $types"
	test_expect_success "$name: every frame drgn read, field by field" '
		test "$(wc -l <"$TEST_TMP/pfns")" -gt 5000 &&
		"$PTVIEW" page $(cat "$TEST_TMP/pfns") --format=json \
			--core "$dump" $typeopts >frames.json &&
		ours frames.json >ours.tsv &&
		diff "$TEST_TMP/drgn.tsv" ours.tsv >diff.out ||
		{ head -n 10 diff.out; exit 1; }
	'
done

# The guest's kpageflags names and kpagecount of every present workload
# page, by pid and address, and what ptview's records say in their terms:
# anon, ksm, THP and compound head/tail from the folio, the PG_* bits that
# kpageflags copies, MMAP from the map count.
KPF='"LRU","SWAPBACKED","UPTODATE","DIRTY","REFERENCED","MLOCKED",
	"UNEVICTABLE","MAPPEDTODISK","ACTIVE","LOCKED","WRITEBACK","RECLAIM",
	"SLAB","RESERVED","PRIVATE"'
"$JQ" -r 'select(.present and (.kpageflags_names | index("ZERO_PAGE") | not)) |
	["\(.pid):\(.vaddr)", .pfn, (.kpageflags_names | sort | join(",")),
	 .kpagecount] | @tsv' "$F/truth/truth-pages.jsonl" |
	sort >"$TEST_TMP/truth.tsv"
AS_KPF='def kpf: [(if .anon then "ANON" else empty end),
	(if .ksm then "KSM" else empty end),
	(if .thp then "THP" else empty end),
	(if .thp_head then "COMPOUND_HEAD" elif .thp then "COMPOUND_TAIL"
	 else empty end),
	(if .mapcount > 0 then "MMAP" else empty end),
	(.page_flags[] | ltrimstr("PG_") | ascii_upcase |
	 select(IN('"$KPF"')))] | sort | join(",");'

# against_truth OURS.tsv: every truth page is in OURS with the same PFN,
# flags and count.
against_truth() {
	awk -F '\t' '
		FILENAME == ARGV[1] { got[$1] = $2 "\t" $3 "\t" $4; next }
		{
			n++
			want = $2 "\t" $3 "\t" $4
			have = ($1 in got) ? got[$1] : "(missing)"
			if (have != want && ++bad <= 5)
				printf "%s: want %s, got %s\n", $1, want, have
		}
		END {
			printf "%d truth pages, %d mismatches\n", n, bad
			exit (n > 10000 && bad == 0) ? 0 : 1
		}' "$1" "$TEST_TMP/truth.tsv"
}

for combo in $COMBOS; do
	dump=${combo%:*} types=${combo#*:}
	eval "typeopts=\$$types"
	name="$(basename "$dump") with $types"
	test_expect_success "$name: dump --pages flags and counts equal kpageflags and kpagecount" '
		"$PTVIEW" dump --pages --format=json --core "$dump" $typeopts 98 100 >pages.json &&
		"$JQ" -r "$AS_KPF"'"'"'select(.type == "page" and .state == "present"
			and (.zero_page | not)) |
			["\(.pid):\(.vaddr)", .pfn, kpf, .mapcount] | @tsv'"'"' \
			pages.json | sort >ours.tsv &&
		against_truth ours.tsv
	'
done

test_expect_success 'ptview page: decoded flags and total_mapcount equal kpageflags and kpagecount' '
	cut -f2 "$TEST_TMP/truth.tsv" | sort -un >pfns &&
	"$PTVIEW" page $(cat pfns) --format=json --core "$F/vmcore.elf" $BTF >frames.json &&
	"$JQ" -r "$AS_KPF"'"'"'.page_flags = .flags | .mapcount = .total_mapcount |
		[.pfn, kpf, .mapcount] | @tsv'"'"' frames.json | sort >by_pfn &&
	awk -F "\t" "FILENAME == ARGV[1] { f[\$1] = \$2 \"\t\" \$3; next }
		{ print \$1 \"\t\" \$2 \"\t\" f[\$2] }" by_pfn "$TEST_TMP/truth.tsv" >ours.tsv &&
	against_truth ours.tsv
'

test_expect_success 'swapcache, anon_exclusive and the folio fields where the workload made them' '
	"$PTVIEW" dump --pages --format=json --core "$F/vmcore.elf" $BTF 98 >pages.json &&
	# pinned: io_uring FOLL_LONGTERM pins keep PG_anon_exclusive (6.1:
	# PG_mappedtodisk on anon pages), refcount 1 + 1024 per pin
	json_any pages.json ".anon_exclusive == true and .refcount > 1024" &&
	# a PMD-mapped THP: head and tails, order 9
	json_any pages.json ".thp_head == true and .folio_order == 9 and .level == \"pmd\"" &&
	json_any pages.json ".thp == true and .thp_head == false and .folio_order == 9" &&
	json_all pages.json "(.page_flags // []) | all(startswith(\"PG_\"))"
'

test_expect_success 'the filtered dump decodes every frame as the full dump does' '
	max=$("$JQ" -r "select(.type == \"page\" and .state == \"present\") | .pfn" \
		"$F/peers/drgn/drgn-walk.jsonl" | sort -n | tail -n 1) &&
	seq 0 61 $((max + 4000)) >pfns &&
	"$PTVIEW" page $(cat pfns) --format=json --core "$F/vmcore.elf" $BTF >full.json 2>full.err;
	"$PTVIEW" page $(cat pfns) --format=json --core "$S/vmcore.filtered-d31.kdump" $BTF >filt.json 2>filt.err;
	# (the sanitizer build adds its own report to stderr: compare ours)
	grep "^ptview:" full.err >full.msg; grep "^ptview:" filt.err >filt.msg;
	test "$(wc -l <full.json)" -gt 900 && cmp full.json filt.json &&
	test -s full.msg && cmp full.msg filt.msg
'

test_expect_success 'dump --pages only: runs and summaries carry no struct page keys' '
	"$PTVIEW" dump --format=json --core "$F/vmcore.elf" $BTF 98 >runs.json &&
	json_all runs.json "has(\"page_flags\") or has(\"refcount\") | not" &&
	json_any runs.json ".type == \"run\""
'

test_expect_success 'the memory map through mem_section equals the vmemmap' '
	"$PTV_BUILDDIR/tests/unit/t-kpage" "$F/vmcore.elf" "$S/kernel/vmlinux.btf" \
		"$F/kernel/System.map" >tap.out; rc=$?; cat tap.out;
	test $rc = 0 && ! grep -q "^not ok" tap.out && grep -q "^1\.\.7" tap.out
'

test_expect_success 'text output: one line per frame with the flag names' '
	"$PTVIEW" page 0x3000 --core "$F/vmcore.elf" $BTF >text &&
	test "$(wc -l <text)" = 1 && grep -q "^frame 0x3000 .*PG_head.*folio_order 9" text
'
test_done
