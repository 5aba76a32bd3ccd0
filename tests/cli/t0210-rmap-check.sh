#!/bin/sh
# ptview rmap and ptview check on the deb61-basic dumps: every mapped
# workload page is found through the kernel's reverse maps at the address
# the guest's own pagemap reported; shared pages list every process that
# maps them; check finds no mismatch in the real dumps and exactly the one
# made by corrupting a PTE in a copy.
. "$PTV_SRCDIR/tests/lib.sh"
require_shared
F=$PTV_FIXTURES/deb61-basic
S=$PTV_SHARED/fixtures/deb61-basic
[ -f "$F/vmcore.elf" ] || test_skip_all "fixtures were not unpacked into $PTV_FIXTURES"
BTF="--btf $S/kernel/vmlinux.btf --system-map $F/kernel/System.map"
TRUTH=$F/truth/truth-pages.jsonl

if [ "${PTV_TEST_SUBSET:-}" = sanitizer ]; then
	DUMPS="$F/vmcore.elf"
else
	DUMPS="$F/vmcore.elf $S/vmcore.kdump $S/vmcore.filtered-d31.kdump"
fi
for d in $DUMPS; do
	test_expect_success "check: no mismatch in $(basename "$d")" '
		"$PTVIEW" check --format=json --core "$d" $BTF >out &&
		json_any out ".type == \"check\" and .mismatches == 0 and .pages > 10000" &&
		! json_any out ".type == \"mismatch\""
	'
done
test_expect_success 'check with DWARF types, two pids: no mismatch' '
	"$PTVIEW" check --core "$F/vmcore.elf" --vmlinux "$F/kernel/vmlinux.dwarf" 98 100 >out &&
	grep -q "mismatches 0" out
'

# Present, non-zero-page workload pages: (pid, vaddr, pfn).
"$JQ" -r 'select(.present and ((.kpageflags_names // []) | index(["ZERO_PAGE"]) | not))
	| [.pid, .vaddr, .pfn] | @tsv' "$TRUTH" >"$TEST_TMP/mapped.tsv"

test_expect_success 'every mapped workload page: the rmap reaches its (pid, vaddr), verified' '
	test "$(wc -l <"$TEST_TMP/mapped.tsv")" -gt 5000 &&
	cut -f3 "$TEST_TMP/mapped.tsv" | sort -un >pfns &&
	"$PTVIEW" rmap --format=json --core "$F/vmcore.elf" $BTF $(cat pfns) >rmap.json &&
	"$JQ" -r "select(.type == \"rmap\") | .pfn as \$p | .mappings[] | select(.verified)
		| [.pid, .vaddr, \$p] | @tsv" rmap.json | sort -u >found.tsv &&
	sort -u "$TEST_TMP/mapped.tsv" >want.tsv &&
	comm -23 want.tsv found.tsv >missing &&
	if [ -s missing ]; then head -n 5 missing; exit 1; fi
'

test_expect_success 'COW-shared anon pages list the parent and the child' '
	"$JQ" -r "select(.pid == 98 and .region == \"anon_rw\" and .present and (.exclusive | not)) | .pfn" \
		"$TRUTH" | head -n 5 >shared &&
	test -s shared &&
	"$PTVIEW" rmap --format=json --core "$F/vmcore.elf" $BTF $(cat shared) >r.json &&
	json_all r.json ".via == \"anon_vma\" and ([.mappings[] | select(.verified) | .pid] | sort) == [98, 100]"
'

test_expect_success 'a shared file page lists every process and VMA that maps it' '
	pfn=$("$JQ" -r "select(.pid == 98 and .region == \"file_shared\" and .present) | .pfn" "$TRUTH" | head -n1) &&
	"$PTVIEW" rmap --format=json --core "$F/vmcore.elf" $BTF $pfn >r.json &&
	json_all r.json ".via == \"i_mmap\"" &&
	test "$("$JQ" -c "[.mappings[] | select(.verified) | [.pid, .vaddr]] | sort" r.json)" = \
	     "[[98,\"0x100240000000\"],[98,\"0x100280000000\"],[100,\"0x100240000000\"],[100,\"0x100440000000\"]]"
'

test_expect_success 'rmap --pid --addr: the frame there, and its mappings' '
	"$PTVIEW" rmap --pid 98 --addr 0x1000001e1000 --format=json --core "$F/vmcore.elf" $BTF >r.json &&
	json_all r.json "([.mappings[] | select(.pid == 98 and .vaddr == \"0x1000001e1000\" and .verified)] | length) == 1"
'

# One PTE of the parent, for a page it alone maps, now points at another
# frame of the same region: exactly one mismatch, at that address.
test_expect_success 'a corrupted PTE in a copy of the dump: exactly that mismatch' '
	line=$("$JQ" -r "select(.pid == 98 and .region == \"anon_rw\" and .present and .exclusive) | [.vaddr, .pfn] | @tsv" "$TRUTH" | sed -n 3p) &&
	va=${line%	*} &&
	other=$("$JQ" -r "select(.pid == 98 and .region == \"anon_rw\" and .present and .exclusive) | .pfn" "$TRUTH" | sed -n 9p) &&
	"$PTVIEW" vtop 98 "$va" --format=json --core "$F/vmcore.elf" $BTF >w.json &&
	tphys=$("$JQ" -r ".levels[-1].table_phys" w.json) &&
	idx=$("$JQ" -r ".levels[-1].index" w.json) &&
	raw=$("$JQ" -r ".levels[-1].raw" w.json) &&
	raw16=$(printf "%16s" "${raw#0x}" | tr " " 0) &&
	new16=$(echo "$raw16" | cut -c1-3)$(printf "%010x" "$other")$(echo "$raw16" | cut -c14-16) &&
	phdr=$(readelf -lW "$F/vmcore.elf" | awk "\$1 == \"LOAD\" && \$4 == \"0x0000000000000000\" { print \$2; exit }") &&
	test -n "$phdr" &&
	off=$(( phdr + tphys + idx * 8 )) &&
	cp "$F/vmcore.elf" bad.elf && chmod u+w bad.elf &&
	esc="" &&
	for b in $(echo "$new16" | sed "s/../& /g"); do esc="$(printf "\\\\%03o" "0x$b")$esc"; done &&
	printf "$esc" | dd of=bad.elf bs=1 seek=$off conv=notrunc 2>/dev/null &&
	"$PTVIEW" vtop 98 "$va" --format=json --core bad.elf $BTF | "$JQ" -e ".page.pfn == $other" >/dev/null &&
	{ "$PTVIEW" check --format=json --core bad.elf $BTF >out; test $? = 3; } &&
	json_any out ".type == \"check\" and .mismatches == 1" &&
	json_any out ".type == \"mismatch\" and .kind == \"not_in_rmap\" and .pid == 98 and .vaddr == \"$va\" and .pfn == $other"
'
test_done
