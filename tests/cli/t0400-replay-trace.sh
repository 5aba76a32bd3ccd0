#!/bin/sh
# ptview replay without a kernel: trace errors name file:line:column and
# stop before anything runs, the model predicts (text, --explain, json), and
# --score scores check records field by field.
. "$PTV_SRCDIR/tests/lib.sh"

# expect_error TRACE-TEXT MESSAGE: replay fails with exit 1 and MESSAGE.
expect_error() {
	printf "$1" >bad.trace
	"$PTVIEW" replay bad.trace >out 2>err
	status=$?
	expect_eq "$status" 1 "exit status" || return 1
	test ! -s out || { echo "stdout: $(cat out)"; return 1; }
	grep -qF "ptview: bad.trace:$2" err || { echo "stderr: $(cat err)"; return 1; }
}

test_expect_success 'the first statement must be the header' '
	expect_error "t0 map a 4K rw- private anon\n" "1:1: the first statement must be"
'
test_expect_success 'a bad size names its column' '
	expect_error "ptview-trace 1\nt0 map a 6K rw- private anon\n" \
		"2:10: region size 0x1800 is not a multiple of 4 KiB"
'
test_expect_success 'a duplicate label names the first one' '
	expect_error "ptview-trace 1\ncheck x\n\ncheck x\n" \
		"4:7: duplicate check label '\''x'\'' (first at line 2)"
'
test_expect_success 'an error at the end stops a trace whose start is fine' '
	expect_error "ptview-trace 1\nset thp=never\nt0 map a 4K rw- private anon\nt0 touch a+4K read\n" \
		"4:12: offset 0x1000 is past the end of region '\''a'\''"
'
test_expect_success 'unpin must match an earlier pin of the same task' '
	expect_error "ptview-trace 1\nt0 map a 8K rw- private anon\nt0 pin a 8K\nt0 unpin a+4K 4K\n" \
		"4:10: unpin must name exactly the range"
'
test_expect_success 'the trace file is only read' '
	printf "ptview-trace 1\nt0 map a 4K rw- private anon\n" >ro.trace &&
	chmod 0444 ro.trace && cp ro.trace ro.copy &&
	"$PTVIEW" replay ro.trace >out &&
	cmp ro.trace ro.copy && test ! -w ro.trace || test "$(id -u)" = 0
'
test_expect_success 'a missing trace file is exit 1' '
	"$PTVIEW" replay no-such.trace 2>err; test $? = 1 &&
	grep -q "no-such.trace: No such file" err
'
test_expect_success 'the model predicts: a write fault, one new page' '
	printf "ptview-trace 1\nset thp=never\nt0 map a 8K rw- private anon\nt0 touch a write\n" >good.trace &&
	"$PTVIEW" replay --format=json good.trace >out 2>err &&
	grep -q "\"line\":4,\"task\":\"t0\",\"event\":\"touch\",\"ret\":0,\"faults\":{\"minor\":1,\"major\":0},\"outcomes\":\[{\"fn\":\"do_anonymous_page\"" out &&
	grep -q "{\"check\":\"end\",\"task\":\"t0\",\"region\":\"a\",\"off\":0,\"state\":\"present\",\"frame\":\"F1\",\"anon\":true,\"exclusive\":true,\"thp\":false,\"pmd\":false,\"mapcount\":1}" out &&
	grep -q "{\"check\":\"end\",\"task\":\"t0\",\"region\":\"a\",\"off\":4096,\"state\":\"none\"}" out &&
	grep -q "\"counters\":{\"rss_anon_kb\":4,\"rss_file_kb\":0,\"rss_shmem_kb\":0,\"swap_kb\":0,\"pgtables_kb\":12}" out
'
test_expect_success 'text output; --explain adds the rule that fired' '
	"$PTVIEW" replay good.trace >plain &&
	grep -q "^  do_anonymous_page 0x200000000000+0x1000$" plain &&
	"$PTVIEW" replay --explain good.trace >explained &&
	grep -q "^  do_anonymous_page 0x200000000000+0x1000: new anonymous page$" explained
'
test_expect_success '--kernel: a version, or a usage error naming it' '
	"$PTVIEW" replay --kernel 6.1 good.trace >/dev/null &&
	"$PTVIEW" replay --kernel 6.18.44 good.trace >/dev/null &&
	"$PTVIEW" replay --kernel banana good.trace 2>err; test $? = 2 &&
	grep -q "banana" err
'
test_expect_success 'a task the kernel would kill stops the prediction with an error' '
	printf "ptview-trace 1\nt0 map a 4K r-- private anon\nt0 touch a write\n" >segv.trace &&
	"$PTVIEW" replay segv.trace >out 2>err; test $? = 1 &&
	grep -q "segv.trace:3: task t0 would be killed by SIGSEGV" err
'
test_expect_success 'usage errors are exit 2' '
	"$PTVIEW" replay 2>/dev/null; test $? = 2 &&
	"$PTVIEW" replay a b 2>/dev/null; test $? = 2 &&
	"$PTVIEW" replay --format=xml good.trace 2>/dev/null; test $? = 2 &&
	"$PTVIEW" replay --live --kernel 6.18 good.trace 2>/dev/null; test $? = 2 &&
	"$PTVIEW" replay --score one 2>/dev/null; test $? = 2
'
# As root, drop to nobody to see --live refuse before it touches anything.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	test_expect_success 'without root, --live is exit 4 and changes nothing' '
		printf "ptview-trace 1\nset thp=never use_zero_page=0\n" >set.trace &&
		chmod 0644 set.trace && chmod 0755 . &&
		before=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null) &&
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$PTVIEW" replay --live set.trace >out 2>err; test $? = 4 &&
		test ! -s out && grep -q "needs root" err &&
		expect_eq "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)" "$before" thp
	'
elif [ "$(id -u)" != 0 ]; then
	test_expect_success 'without root, --live is exit 4' '
		printf "ptview-trace 1\n" >t.trace &&
		"$PTVIEW" replay --live t.trace >out 2>err; test $? = 4 &&
		test ! -s out && grep -q "needs root" err
	'
else
	test_skip 'without root, --live is exit 4' "setpriv is not installed"
fi
test_expect_success 'every shared trace parses and is predicted' '
	[ -d "$PTV_SHARED/traces" ] || exit 0
	for t in "$PTV_SHARED"/traces/*.trace; do
		"$PTVIEW" replay "$t" >/dev/null 2>err || { cat err; exit 1; }
	done
'

# --score
cat >"$TEST_TMP/obs.jsonl" <<'EOF2'
{"line":4,"task":"t0","event":"map","ret":0,"faults":{"minor":0,"major":0}}
{"check":"c","task":"t0","region":"a","off":0,"state":"present","frame":"F1","anon":true,"exclusive":true,"thp":false,"pmd":false,"mapcount":1}
{"check":"c","task":"t0","region":"a","off":4096,"state":"none"}
{"check":"c","task":"t0","counters":{"rss_anon_kb":4,"rss_file_kb":0,"rss_shmem_kb":0,"swap_kb":0,"pgtables_kb":12},"faults":{"minor":1,"major":0}}
EOF2
test_expect_success '--score of a file against itself: 1.0000, exit 0' '
	"$PTVIEW" replay --score obs.jsonl obs.jsonl >out &&
	expect_eq "$(cat out)" "accuracy: 1.0000 (15/15 fields)" output
'
test_expect_success '--score counts nested fields one by one and lists differences' '
	sed -e "s/\"frame\":\"F1\"/\"frame\":\"zero\"/" \
	    -e "s/\"swap_kb\":0/\"swap_kb\":4/" obs.jsonl >pred.jsonl &&
	"$PTVIEW" replay --score obs.jsonl pred.jsonl >out; test $? = 3 &&
	grep -qx "check=c task=t0 region=a off=0: frame: observed \"F1\", predicted \"zero\"" out &&
	grep -qx "check=c task=t0: counters.swap_kb: observed 0, predicted 4" out &&
	expect_eq "$(tail -n 1 out)" "accuracy: 0.8667 (13/15 fields)" "last line"
'
test_expect_success '--score: a missing record costs all its fields; extra ones are free' '
	grep -v "\"off\":4096" obs.jsonl >pred.jsonl &&
	echo "{\"check\":\"c\",\"task\":\"t1\",\"counters\":{}}" >>pred.jsonl &&
	"$PTVIEW" replay --score obs.jsonl pred.jsonl >out; test $? = 3 &&
	grep -q "off=4096: missing from the prediction (1 fields)" out &&
	grep -q "check=c task=t1: extra in the prediction" out &&
	expect_eq "$(tail -n 1 out)" "accuracy: 0.9333 (14/15 fields)" "last line"
'
test_expect_success '--score: a key absent from the prediction is a mismatch' '
	sed -e "s/,\"mapcount\":1//" obs.jsonl >pred.jsonl &&
	"$PTVIEW" replay --score obs.jsonl pred.jsonl >out; test $? = 3 &&
	grep -q "mapcount: observed 1, predicted nothing" out
'
test_expect_success '--score: bad JSON names the file and line' '
	printf "{\"check\":\"c\",\"task\":\"t0\"}\n{oops\n" >bad.jsonl &&
	"$PTVIEW" replay --score obs.jsonl bad.jsonl 2>err; test $? = 1 &&
	grep -q "ptview: bad.jsonl:2:" err &&
	printf "{\"check\":\"c\",\"task\":\"t0\"}\n{\"check\":\"c\",\"task\":\"t0\"}\n" >dup.jsonl &&
	"$PTVIEW" replay --score dup.jsonl obs.jsonl 2>err; test $? = 1 &&
	grep -q "dup.jsonl:2: a second record for check=c task=t0" err &&
	printf "[1]\n" >arr.jsonl &&
	"$PTVIEW" replay --score arr.jsonl obs.jsonl 2>err; test $? = 1 &&
	grep -q "arr.jsonl:1: not a JSON object" err
'
test_done
