#!/usr/bin/env python3
"""gdb-compare.py TRACER OUTDIR: gdb-bt.sh's sessions (OUTDIR/CASE/gdb.log for rx, rx-rps, rx-rps-poll, rx-virtio and tx,
or as Fixtures/vm/gdb keeps them, OUTDIR/CASE.gdb.log) beside the model. For each breakpoint gdb stopped at, its first `bt` and
`tracer ... --kernel 6.1 --driver e1000 (rx-virtio: virtio_net) --format bt --break FUNCTION` for the same frame, frame
for frame: function, file and line (gdb's own frames, inlined ones included as gdb shows them;
gdb's "../" before a path dropped). A breakpoint gdb never stopped at must be one the model says
is not reached. Prints the table and exits 1 on any difference."""
import os, re, subprocess, sys

tracer, outdir = sys.argv[1], sys.argv[2]
repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = {
    "rx": ["explain", "Fixtures/rx/udp-delivered.pcap", "--host", "Fixtures/hosts/netns-h"],
    "rx-rps": ["explain", "Fixtures/rx/rps-udp-delivered.pcap", "--host", "Fixtures/hosts/netns-h-rps"],
    "rx-rps-poll": ["explain", "Fixtures/rx/rps-udp-delivered.pcap", "--host", "Fixtures/hosts/netns-h-rps"],
    "rx-virtio": ["explain", "Fixtures/rx/udp-delivered.pcap", "--host", "Fixtures/hosts/netns-h"],
    "tx": ["replay", "--tx", "Fixtures/tx/seed-udp.pcap", "--host", "default", "--syscall", "sendto"],
}
DRIVER = {"rx-virtio": "virtio_net"}   # else e1000
FRAME = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\)(?: at (\S+):(\d+)| from (\S+))?\s*$")
MODEL_FRAME = re.compile(r"^#(\d+)\s+(\S+) \(…\)(?: at ([^:\s]+)(?::(\d+))?)?$")


def norm(path):
    path = re.sub(r"^/build/[^/]+/linux-[^/]+/", "", path)   # the assembly's: its build directory
    while path and (path.startswith("../") or path.startswith("./")):
        path = path.split("/", 1)[1]
    return path


def gdb_stops(log):
    """{function: (first bt as [(function, file, line)], why gdb's unwinding ended)} and the set
    of breakpoints never hit. A bt ends at gdb's "Backtrace stopped" (the softirq's stack is
    the interrupt stack, and the entry code that switched to it has no DWARF unwind record),
    or at the first frame gdb cannot name (below the syscall entry: user space)."""
    stops, current, hits, where, ended = {}, None, {}, None, {}
    for line in open(log, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^tracer-gdb: stop at (\S+)", line)
        if m:
            current = (m.group(1), len(stops.get(m.group(1), [])))
            stops.setdefault(m.group(1), []).append([])
            continue
        f = FRAME.match(line)
        if f and current is not None:
            # Below the syscall entry is user space: gdb shows "??", or names a small number by
            # the symbol at address 0 (fixed_percpu_data).
            bt = stops[current[0]][current[1]]
            if (f.group(2) == "??" or (bt and bt[-1][0] == "entry_SYSCALL_64")) and current not in ended:
                ended[current] = "user space below the syscall entry" if bt and bt[-1][0] == "entry_SYSCALL_64" else "a frame gdb cannot name"
            if current not in ended:
                stops[current[0]][current[1]].append((f.group(2), norm(f.group(3) or f.group(5) or ""), f.group(4) or ""))
            continue
        if line.startswith("Backtrace stopped") and current is not None:
            ended.setdefault(current, "gdb: " + line)
        if not line.startswith("#"):
            current = None
        b = re.match(r"^(\d+)\s+breakpoint\s+keep\s+y\s+0x[0-9a-f]+\s+in (\S+)", line)
        if b: where = b.group(2); hits.setdefault(where, 0)
        h = re.match(r"^\s+breakpoint already hit (\d+) time", line)
        if h and where: hits[where] = int(h.group(1))
    return {f: [(bt, ended.get((f, i), "")) for i, bt in enumerate(bts)] for f, bts in stops.items()}, {f for f, n in hits.items() if n == 0}


def above_softirq(frames):
    """The frames down to net_rx_action (all of them when it is not there)."""
    names = [x[0] for x in frames]
    return frames[:names.index("net_rx_action") + 1] if "net_rx_action" in names else frames


def pick(stops, model):
    """Which of a breakpoint's stops (several frames were sent) is set beside the model: the first
    whose whole bt is the model's, else the first. Below net_rx_action a stop may differ: a
    backlog's softirq (RPS) runs again at once in the interrupt's, unless a jiffy passed or a task
    woke meanwhile (need_resched): then ksoftirqd runs it, as the guest often does under TCG."""
    for i, (frames, ended) in enumerate(stops):
        if model is not None and frames == model[:len(frames)]:
            return i
    return 0


def model_bt(case, fn):
    cmd = [tracer] + MODEL[case] + ["--kernel", "6.1", "--driver", DRIVER.get(case, "e1000"), "--format", "bt", "--break", fn]
    out = subprocess.run(cmd, cwd=repo, capture_output=True, text=True).stdout.splitlines()
    frames = []
    for line in out[1:]:
        m = MODEL_FRAME.match(line)
        if m: frames.append((m.group(2), m.group(3) or "", m.group(4) or ""))
        elif line.strip().startswith("("): return None, line.strip()
    return frames, " ".join(cmd[1:])


bad = 0
for case in MODEL:
    log = os.path.join(outdir, case, "gdb.log")   # a gdb-bt.sh run; Fixtures/vm/gdb keeps CASE.gdb.log
    if not os.path.exists(log): log = os.path.join(outdir, f"{case}.gdb.log")
    if not os.path.exists(log):
        print(f"{case}: no gdb.log"); bad += 1; continue
    stops, never = gdb_stops(log)
    for fn, all_stops in stops.items():
        model, cmd = model_bt(case, fn)
        chosen = pick(all_stops, model)
        frames, ended = all_stops[chosen]
        print(f"== {case}: b {fn}  (model: tracer {cmd})" if model is not None else f"== {case}: b {fn}")
        if model is None:
            print(f"   gdb stopped here; the model says {cmd}  DIFFERENT"); bad += 1; continue
        beyond = model[len(frames):] if ended and len(model) > len(frames) else []
        if beyond: model = model[:len(frames)]
        for i in range(max(len(frames), len(model))):
            g = frames[i] if i < len(frames) else None
            m = model[i] if i < len(model) else None
            ok = g is not None and m is not None and g[0] == m[0] and g[1] == m[1] and g[2] == m[2]
            bad += not ok
            show = lambda x: "-" if x is None else f"{x[0]} {x[1]}:{x[2]}" if x[2] else f"{x[0]} {x[1]}"
            print(f"   #{i:<3}{show(g):<78}{'agree' if ok else 'DIFFERENT; the model: ' + show(m)}")
        if ended:
            print(f"   (gdb's bt ends: {ended}" + (f"; the model's {len(beyond)} frame{'s' if len(beyond) > 1 else ''} below, not compared: " + ", ".join(x[0] for x in beyond) if beyond else "") + ")")
        # The other stops (one per frame sent): the same frames down to the softirq, or a difference.
        for i, (other, _) in enumerate(all_stops):
            if i == chosen:
                continue
            same = above_softirq(other) == above_softirq(frames)
            bad += not same
            below = [x[0] for x in other[len(above_softirq(other)):]][:3]
            print(f"   (stop {i + 1} of {len(all_stops)}: " + ("the same frames down to net_rx_action" if same else "DIFFERENT above net_rx_action")
                  + (f"; below it {' < '.join(below)}" if other != frames else "; the same bt") + ")")
        if len(all_stops) > 1:
            print(f"   (the bt above is stop {chosen + 1} of {len(all_stops)})")
    for fn in sorted(never):
        model, said = model_bt(case, fn)
        if model is None:
            print(f"== {case}: b {fn}: gdb never stopped; the model: {said}  agree")
        else:
            print(f"== {case}: b {fn}: gdb never stopped, but the model has a stack there  DIFFERENT"); bad += 1
print(f"gdb-compare: {'all frames agree' if bad == 0 else f'{bad} differences'}")
sys.exit(1 if bad else 0)
