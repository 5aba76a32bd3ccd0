#!/bin/bash
# Score every recorded trace: predict with `replay --kernel 6.1` on the
# ORIGINAL trace (and on the 6.1 rewrite for rewritten ones) and run
# `replay --score OBSERVED PREDICTED`.
W=${1:-/work/qemu61}; P=${2:-$W/ptview-score.bin}; PASS=${3:-pass1}
S=$W/score/$PASS; rm -rf $S; mkdir -p $S
for o in $W/out/$PASS/*/*.observed.jsonl; do
	set_=$(basename $(dirname $o)); n=$(basename $o .observed.jsonl)
	rc=$(cat ${o%.observed.jsonl}.rc); [ "$rc" = 0 ] || continue
	case $n in shared-*) orig=$W/traces/shared/${n#shared-}.trace;; *) orig=$W/traces/project/$n.trace;; esac
	$P replay --kernel 6.1 --format=json $orig > $S/$n.pred 2>$S/$n.pred.err
	$P replay --score $o $S/$n.pred > $S/$n.score 2>&1
	acc=$(grep '^accuracy' $S/$n.score)
	if [ $set_ = adapted ]; then
		$P replay --kernel 6.1 --format=json $W/traces/adapted/$n.trace > $S/$n.apred 2>/dev/null
		$P replay --score $o $S/$n.apred > $S/$n.ascore 2>&1
		acc="$acc | vs prediction of rewritten trace: $(grep '^accuracy' $S/$n.ascore)"
	fi
	echo "$n [$set_] $acc"
done | sort > $S/summary.txt
cat $S/summary.txt
