#!/usr/bin/env python3
"""make profile: the functions that cost the most instructions per frame (inclusive), from two
callgrind profiles of the same command, one over 1 frame and one over FRAMES frames: their
difference per extra frame, so start-up (argument parsing, the Swift runtime's first protocol
lookups, loading the host) drops out. Swift names demangled.

usage: bench/profile.py ONE_FRAME_PROFILE FRAMES_PROFILE FRAMES [TOP]"""
import re, subprocess, sys

one, full, frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
top = int(sys.argv[4]) if len(sys.argv) > 4 else 40

def inclusive(path):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path], capture_output=True, text=True).stdout
    costs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+?):(\S+)", line)
        if m and not m.group(3).startswith("0x"):
            costs[m.group(3)] = max(costs.get(m.group(3), 0), int(m.group(1).replace(",", "")))
    return costs

base, run = inclusive(one), inclusive(full)
total = (run.get("tracer_main", 0) - base.get("tracer_main", 0)) / (frames - 1)
rows = sorted(((run[f] - base.get(f, 0)) / (frames - 1), f) for f in run)
rows = [r for r in reversed(rows) if r[1] != "tracer_main" and not r[1].startswith("__libc_start")][:top]
names = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(f for _, f in rows),
                       capture_output=True, text=True).stdout.splitlines()
if len(names) != len(rows):
    names = [f for _, f in rows]
print(f"{total:,.0f} instructions per frame in all (callgrind, {frames} frames less 1)")
print(f"{'instr/frame':>12} {'share':>6}  function (inclusive)")
for (cost, _), name in zip(rows, names):
    print(f"{cost:12,.0f} {100 * cost / total:5.1f}%  {name[:120]}")
