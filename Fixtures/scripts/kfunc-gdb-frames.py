#!/usr/bin/env python3
"""Reads Debian's 6.1 build (linux-image-<abi>-amd64-dbg's vmlinux, e1000.ko and virtio_net.ko,
`make vm-dbg`)
and writes Sources/Kernel/Model/KFunc+GDBBreaks.swift and KFunc+GDBCallSites.swift: what gdb's `bt` shows for the 6.1 profile's
frames, so that `--kernel 6.1 --format bt` prints gdb's frames and lines, not guesses.

Usage: python3 Fixtures/scripts/kfunc-gdb-frames.py VM_DIR [--check]   (root: it boots the guest)

Two tables, for every modelled function (KFunc+Table.swift and the profile's context frames):
  - breakpoints: the file and line gdb's `break FUNCTION` reports;
  - call sites: for each call instruction (objdump) in a modelled function G whose target is a
    modelled function F, or a function that ends in a jump to F (a tail call, up to three deep),
    or an indirect call (F "*"), the frames gdb's `bt` shows between F's frame and G's, G's
    included: the tail-call frames gdb rebuilds from DWARF call-site records, the functions
    inlined at the call, then G, each with file and line.
The frames are gdb's own: the 6.1 guest boots under qemu (run-job.sh; once per NIC driver, with
that NIC, for the module's load address), gdb attaches, and for each
call site sets the registers as at F's entry called from there ($sp at a scratch word holding
the return address, $pc at F) and walks gdb.Frame.older() (Python API) — gdb's unwinders,
inline-frame and tail-call logic, not a re-implementation of them. The registers and the scratch
word are put back before the guest goes on.
A function with several copies (.constprop.0, .isra.0, .part.0, .cold) is the one name gdb shows;
a label without a size of its own (entry_SYSCALL_64_after_hwframe) is the function it sits in.
Why by hand: no library maps a kernel's call graph to gdb's frames; objdump and gdb do the
reading, this joins them. --check: exit 1 when the committed table differs."""
import json, os, pathlib, re, subprocess, sys, tempfile, importlib.util

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Two tables, a file each: where gdb breaks in each function, and what it shows between a callee
# and its caller.
OUT_BREAKS = ROOT / "Sources/Kernel/Model/KFunc+GDBBreaks.swift"
OUT_SITES = ROOT / "Sources/Kernel/Model/KFunc+GDBCallSites.swift"
spec = importlib.util.spec_from_file_location("ks", ROOT / "Fixtures/scripts/kfunc-sources.py")
ks = importlib.util.module_from_spec(spec); spec.loader.exec_module(ks)

vm = pathlib.Path(sys.argv[1])
dbg = vm / "dbg"
check = "--check" in sys.argv[2:]
vmlinux = sorted((dbg / "usr/lib/debug/boot").glob("vmlinux-*"))[0]
# The NIC drivers' modules: (driver, module file).
MODULES = [("e1000", sorted((dbg / "usr/lib/debug/lib/modules").glob("*/kernel/drivers/net/ethernet/intel/e1000/e1000.ko"))[0]),
           ("virtio_net", sorted((dbg / "usr/lib/debug/lib/modules").glob("*/kernel/drivers/net/virtio_net.ko"))[0])]
abi = vmlinux.name.removeprefix("vmlinux-")
# The frames below the modelled ones (Profile.swift's context: softirq and syscall entry).
CONTEXT = {"asm_common_interrupt", "common_interrupt", "__irq_exit_rcu", "handle_softirqs", "__do_softirq",
           "do_syscall_64", "entry_SYSCALL_64_after_hwframe", "run_ksoftirqd", "smpboot_thread_fn", "kthread", "ret_from_fork"}
names = set(ks.names()) | CONTEXT
SUFFIX = re.compile(r"\.(cold|constprop|isra|part|llvm)(\.\d+)*")


def base(sym):
    return SUFFIX.split(sym, 1)[0] if "." in sym else sym


def src(path):
    """gdb's file, as the profile writes files: the tree-relative path."""
    path = re.sub(r"^.*?debian/build/build_amd64_none_amd64/", "", path)
    path = re.sub(r"^/build/[^/]+/linux-[^/]+/", "", path)
    return re.sub(r"^(\.\./|\./)+", "", path)


def disassemble(obj, ranges, relocs=False):
    """{function: [(return address, "call"|"jmp", target)]} for the call and jmp instructions in
    `ranges` ((function, start, stop) in obj's addresses); target "*" for an indirect call (a
    retpoline thunk), None for a jump within the function."""
    calls = {}
    for fn, start, stop in ranges:
        args = ["objdump", "-d", "--no-show-raw-insn", f"--start-address={start:#x}", f"--stop-address={stop:#x}"] + (["-r", "-j", ".text"] if relocs else [])
        lines = subprocess.run(args + [str(obj)], capture_output=True, text=True, check=True).stdout.splitlines()
        insns = []   # [address, mnemonic, target]
        for line in lines:
            m = re.match(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
            r = re.match(r"^\s*([0-9a-f]+): R_X86_64_(?:PLT32|PC32)\s+(\S+?)(?:-0x4)?$", line)
            if r and insns:   # a module's calls out are relocations
                insns[-1][2] = "*" if r.group(2).startswith("__x86_indirect_thunk") else base(r.group(2))
            elif m:
                t = re.search(r"<([^>+]+)(\+0x[0-9a-f]+)?>", m.group(3))
                target = None
                if t and t.group(1).startswith("__x86_indirect_thunk"): target = "*"
                elif t and not t.group(2): target = base(t.group(1))
                insns.append([int(m.group(1), 16), m.group(2), target])
        for k, (addr, op, target) in enumerate(insns):
            if op.startswith("call") or op.startswith("jmp"):
                nxt = insns[k + 1][0] if k + 1 < len(insns) else stop
                calls.setdefault(fn, []).append((nxt, "call" if op.startswith("call") else "jmp", target))
    return calls


def symbols(obj):
    """(name as gdb shows it, start, stop) of each text symbol; a label without a size is given
    the range of the sized symbol it sits in."""
    out = subprocess.run(["nm", "-S", "--defined-only", str(obj)], capture_output=True, text=True, check=True).stdout
    sized, labels = [], []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "tTW" and int(f[1], 16) > 0:
            sized.append((base(f[3]), int(f[0], 16), int(f[0], 16) + int(f[1], 16)))
        elif len(f) == 3 and f[1] in "tT":
            labels.append((f[2], int(f[0], 16)))
    sized.sort(key=lambda x: x[1])
    starts = [x[1] for x in sized]
    import bisect
    for name, addr in labels:
        if name in names:
            i = bisect.bisect_right(starts, addr) - 1
            if i >= 0 and sized[i][1] <= addr < sized[i][2]:
                sized.append((name, sized[i][1], sized[i][2]))
    return sized


def triples(obj, syms, relocs=False):
    """(callee, caller, return address): the calls between modelled functions, direct or through
    tail calls; callee "*" for an indirect call."""
    ranges = [s for s in syms if s[0] in names]
    calls = disassemble(obj, ranges, relocs)
    every = disassemble(obj, [s for s in syms if s[0] not in names and any(t == s[0] for cs in calls.values() for _, _, t in cs)], relocs)
    jumps = {}
    for fn, cs in list(calls.items()) + list(every.items()):
        for _, op, target in cs:
            if op == "jmp" and target not in (None, "*", fn, "__x86_return_thunk"):
                jumps.setdefault(fn, set()).add(target)
    out = set()
    for fn, cs in calls.items():
        for ret, op, target in cs:
            if op != "call" or target is None or target == "__fentry__": continue
            if target == "*": out.add(("*", fn, ret)); continue
            reach, frontier = {target}, {target}
            for _ in range(3):   # tail calls, up to three deep
                frontier = {j for t in frontier for j in jumps.get(t, ())} - reach
                reach |= frontier
            for callee in reach:
                if callee in names: out.add((callee, fn, ret))
    return out


# Runs inside gdb, attached to the guest: each call site's frames, as gdb's unwinders see them.
WALK = r"""
import gdb, json, re
job = json.load(open(IN_JSON))
text = int(re.search(r"-s \.text (0x[0-9a-f]+)", MODARGS).group(1), 16)
regs = {r: int(gdb.parse_and_eval("$" + r)) for r in ("pc", "sp")}
scratch = (regs["sp"] - 0x800) & ~0xf
saved = int(gdb.parse_and_eval(f"*(unsigned long *){scratch:#x}"))
dummy = job["entry"]["kfree_skb_reason"]   # an indirect call's callee: any function will do

def group(callee, ret):
    # As at the callee's first instruction, called from `ret`: the frames older than its own,
    # up to and including the caller's (tail-call and inline frames on the way).
    gdb.execute(f"set {{unsigned long}}{scratch:#x} = {ret:#x}")
    gdb.execute(f"set $sp = {scratch:#x}")
    gdb.execute(f"set $pc = {callee:#x}")
    f = gdb.newest_frame()
    while f is not None and f.type() == gdb.INLINE_FRAME: f = f.older()
    f = f.older() if f is not None else None
    out = []
    while f is not None:
        sal = f.find_sal()
        out.append([f.name() or "??", sal.symtab.filename if sal.symtab else "", sal.line])
        if f.type() == gdb.NORMAL_FRAME: break
        f = f.older()
    return out

res = {"sites": [], "breaks": {}, "errors": []}
try:
    for key, offset in (("vmlinux", 0), ("module", text)):
        for callee, caller, ret in job[key]:
            if callee == "*": c = dummy
            elif callee in job["entry"]: c = job["entry"][callee]
            elif callee in job["modentry"]: c = job["modentry"][callee] + text
            else: continue
            try: res["sites"].append([callee, caller, ret + offset, group(c, ret + offset)])
            except gdb.error as e: res["errors"].append([callee, caller, ret + offset, str(e)])
finally:   # the guest goes on as it was
    gdb.execute(f"set $sp = {regs['sp']:#x}"); gdb.execute(f"set $pc = {regs['pc']:#x}")
    gdb.execute(f"set {{unsigned long}}{scratch:#x} = {saved:#x}")
for n in job["names"]:
    try: out = gdb.execute(f"break {n}", to_string=True)
    except gdb.error: continue
    m = re.search(r"Breakpoint (\d+) at 0x[0-9a-f]+: file (\S+), line (\d+)\.", out)
    if m: res["breaks"][n] = [m.group(2), int(m.group(3))]
    k = re.search(r"Breakpoint (\d+)", out)
    if k: gdb.execute(f"delete {k.group(1)}")
json.dump(res, open(OUT_JSON, "w"))
"""


def module_text_symbols(obj):
    """A module's .text functions (its sections all start at 0: the others are left out)."""
    out = subprocess.run(["objdump", "-t", str(obj)], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+)\s.*\sF\s+\.text\s+([0-9a-f]+)\s+(\S+)$", line)
        if m and int(m.group(2), 16) > 0:
            syms.append((base(m.group(3)), int(m.group(1), 16), int(m.group(1), 16) + int(m.group(2), 16)))
    return syms


vsyms = symbols(vmlinux)
vt = triples(vmlinux, vsyms)
entry = {}
for n, a, _ in vsyms:
    entry.setdefault(n, a)
res = {"sites": [], "breaks": {}, "errors": []}
for k, (driver, module) in enumerate(MODULES):
    msyms = module_text_symbols(module)
    mt = triples(module, msyms, relocs=True)
    modentry = {}
    for n, a, _ in msyms:
        modentry.setdefault(n, a)
    # The guest with this driver's NIC: gdb attached (run-job.sh), this Python run inside it.
    # The vmlinux's call sites are walked in the first boot only.
    work = pathlib.Path(tempfile.mkdtemp(prefix="tracer-gdbframes."))
    (work / "in.json").write_text(json.dumps({
        "vmlinux": [[c, g, r] for c, g, r in sorted(vt)] if k == 0 else [], "module": [[c, g, r] for c, g, r in sorted(mt)],
        "entry": entry, "modentry": modentry, "names": sorted(n for n in names if (n in entry and k == 0) or n in modentry)}))
    (work / "walk.py").write_text(WALK.replace("IN_JSON", repr(str(work / "in.json"))).replace("OUT_JSON", repr(str(work / "out.json"))))
    (work / "gdb.in").write_text("\n".join([
        "set pagination off", "set confirm off", "set breakpoint pending off", "target remote @SOCKET@",
        f"add-symbol-file {module} @MODULE_ARGS@", "python MODARGS = '@MODULE_ARGS@'",
        f"source {work / 'walk.py'}", "echo tracer-gdb: armed\\n", "continue", ""]))
    job = subprocess.run([sys.executable, str(ROOT / "Fixtures/vm/guest-job.py"), str(ROOT / "Fixtures/hosts/netns-h"), "1",
                          "--driver", driver, "--gdb"], capture_output=True, text=True, check=True).stdout
    (work / "job.sh").write_text(job)
    subprocess.run(["bash", str(ROOT / "Fixtures/vm/run-job.sh"), str(vm / "kernel"), str(vm / "base.cpio.gz"), str(work / "job.sh"),
                    str(ROOT / "Fixtures/rx/udp-delivered.pcap"), str(work / "run")],
                   env=dict(os.environ, GDB_SCRIPT=str(work / "gdb.in"), VMLINUX=str(vmlinux), HOST_DIR=str(ROOT / "Fixtures/hosts/netns-h"), DRIVER=driver), check=True)
    one = json.load(open(work / "out.json"))
    res["sites"] += one["sites"]; res["errors"] += one["errors"]
    for n, b in one["breaks"].items(): res["breaks"].setdefault(n, b)
for callee, caller, ret, err in res["errors"]:
    print(f"kfunc-gdb-frames: {caller} → {callee} at {ret:#x}: gdb: {err}", file=sys.stderr)


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


sites = {}
for callee, caller, ret, frames in res["sites"]:
    frames = [(fn, src(file), line) for fn, file, line in frames]
    if not frames: continue
    sites.setdefault((caller, callee), {})[ret] = frames
head = [
    "// Written by Fixtures/scripts/kfunc-gdb-frames.py from Debian's " + abi + " build (its -dbg package's",
    "// vmlinux, e1000.ko and virtio_net.ko) and gdb attached to it under qemu; do not edit. What gdb's `bt` shows in",
    "// that kernel: `break FUNCTION`'s line (KFunc+GDBBreaks.swift), and for each call between modelled functions the",
    "// frames between the callee's and the caller's, innermost first, each \"function file:line\" (KFunc+GDBCallSites.swift).",
    "",
    "extension KernelSource {"]
lines = head + [
    "    /// The build these tables were read from.",
    f"    static let gdbBuild6_1 = {q(abi)}",
    "",
    "    /// gdb's `break FUNCTION`: where the breakpoint is reported (after the prologue).",
    "    static let gdbBreak6_1: [String: (file: String, line: Int)] = [",
]
for f in sorted(res["breaks"], key=str.encode):
    file, line = res["breaks"][f]
    lines.append(f"        {q(f)}: ({q(src(file))}, {line}),")
breaks = "\n".join(lines + ["    ]", "}", ""])
lines = head + [
          "    /// \"CALLER CALLEE\" (CALLEE \"*\": an indirect call): each call site's frames, innermost first,",
          "    /// in address order; the last is CALLER's own.",
          "    static let gdbCallSites6_1: [String: [[String]]] = ["]
for key in sorted(sites, key=lambda k: (k[0].encode(), k[1].encode())):
    chs = []
    for ret in sorted(sites[key]):
        ch = sites[key][ret]
        if ch not in chs: chs.append(ch)
    rendered = ", ".join("[" + ", ".join(q(f"{fn} {file}:{line}") for fn, file, line in ch) + "]" for ch in chs)
    lines.append(f"        {q(key[0] + ' ' + key[1])}: [{rendered}],")
lines += ["    ]", "}", ""]
written = {OUT_BREAKS: breaks, OUT_SITES: "\n".join(lines)}
if check:
    same = all(out.exists() and out.read_text() == text for out, text in written.items())
    print("kfunc-gdb-frames: " + ("the tables match" if same else f"{OUT_BREAKS.name} or {OUT_SITES.name} differs from the build"))
    sys.exit(0 if same else 1)
for out, text in written.items():
    out.write_text(text)
print(f"kfunc-gdb-frames: {OUT_BREAKS.relative_to(ROOT)}: {len(res['breaks'])} breakpoints; {OUT_SITES.relative_to(ROOT)}: {len(sites)} caller/callee pairs; from {abi}")
