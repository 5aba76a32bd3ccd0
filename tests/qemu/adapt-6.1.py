#!/usr/bin/env python3
"""Rewrite a trace's `set mthp.*` keys for Linux 6.1, which has no
hugepages-*kB sysfs directories (multi-size THP came in 6.8), keeping every
line number (unlabelled checks are named L<line>).

Dropped because 6.1 already behaves so:
  mthp.2M=inherit      6.1's PMD-sized THP follows transparent_hugepage/enabled
  mthp.S=never, S!=2M  6.1 has no folio sizes between 4K and 2M for anon
  mthp.2M=never        only when the same trace sets thp=never before it
Dropped with NO 6.1 equivalent (reported as not equivalent):
  mthp.S=always|madvise|inherit, S!=2M, and mthp.2M=always|madvise|never
  otherwise.
A `set` line left with no key becomes a comment.
Usage: adapt-6.1.py IN OUT  -> prints 'unchanged', 'equivalent' or
'NOT-EQUIVALENT: keys'"""
import re, sys

src, dst = sys.argv[1], sys.argv[2]
out, lossy, changed, thp = [], [], False, None
for line in open(src):
    body = line.rstrip("\n")
    code = body.split("#", 1)[0]
    toks = code.split()
    if not toks or toks[0] != "set":
        out.append(body); continue
    keep = []
    for kv in toks[1:]:
        k, _, v = kv.partition("=")
        if k == "thp":
            thp = v
        if not k.startswith("mthp."):
            keep.append(kv); continue
        size = k[5:].upper()
        changed = True
        if size == "2M" and v == "inherit":
            continue
        if size != "2M" and v == "never":
            continue
        if size == "2M" and v == "never" and thp == "never":
            continue
        lossy.append(kv)
    if len(keep) == len(toks) - 1:
        out.append(body)
    elif keep:
        out.append("set " + " ".join(keep) + "   # 6.1: was: " + code.strip())
    else:
        out.append("# 6.1: dropped: " + code.strip())
open(dst, "w").write("\n".join(out) + "\n")
print("unchanged" if not changed else
      ("NOT-EQUIVALENT: " + " ".join(lossy)) if lossy else "equivalent")
