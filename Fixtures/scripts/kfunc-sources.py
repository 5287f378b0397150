#!/usr/bin/env python3
"""Finds where each modelled kernel function is defined in a kernel source tree and writes
Sources/Kernel/Model/KFunc+Source<VERSION>.swift (KFunc+Source6_12.swift, …): file and line of each
definition, one file per tree (the release is the seam: lines move between them).

Usage: python3 Fixtures/scripts/kfunc-sources.py 6.12=/usr/src/linux-source-6.12 6.1=/usr/src/linux-source-6.1
       python3 Fixtures/scripts/kfunc-sources.py --check 6.12=/usr/src/linux-source-6.12 ...

The names are KFunc's (KFunc+Table.swift) and every name KernelSource lists a file for. Definitions
come from universal-ctags (`ctags -x`), which reads C as a compiler does; what ctags does not see as
a function is found by pattern: a definition in a header that ctags skips (NF_HOOK's `static inline
int` on its own line), a SYSCALL_DEFINEn(name) for the __x64_sys_/__se_sys_/__do_sys_ wrappers it
generates, an assembly SYM_CODE_START(name). A name defined in several files (fq_find is in IPv6
reassembly, nf_conntrack_reasm and 6lowpan) takes the file of its subsystem: the one the previous
table gave (HINTS, below, for names new to it). A name found nowhere is an error: the model would
be claiming a function the kernel does not have.
--check: compare instead of writing; exit 1 when a table in the repository differs."""
import pathlib, re, subprocess, sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "Sources/Kernel/Model"


def out_path(version):
    """The table of one tree: KFunc+Source6_12.swift for 6.12."""
    return MODEL / f"KFunc+Source{version.replace('.', '_')}.swift"
# What ctags reads: every file a modelled function can live in.
SCAN = ["net", "include/net", "include/linux", "drivers/net/veth.c", "drivers/net/ethernet/intel/e1000", "drivers/net/virtio_net.c",
        "kernel/softirq.c", "kernel/smpboot.c", "kernel/kthread.c", "arch/x86/kernel/process.c",
        "arch/x86/entry", "fs/file_table.c", "fs/open.c", "kernel/time/timer.c"]
# The file to prefer when a name has several definitions (the subsystem the model means).
HINTS = {"fq_find": "net/ipv6/reassembly.c", "ip6_frag_queue": "net/ipv6/reassembly.c",
         "ip6_frag_reasm": "net/ipv6/reassembly.c", "ip_expire": "net/ipv4/ip_fragment.c",
         "ip_frag_queue": "net/ipv4/ip_fragment.c", "ip_frag_reasm": "net/ipv4/ip_fragment.c"}
# A file preferred over others by directory: IPv4/IPv6/core code before netfilter's, 6lowpan's, bridge's.
PREFER = ["net/ipv4/", "net/ipv6/", "net/core/", "net/netfilter/", "net/", "include/", "drivers/", "kernel/", "arch/", "fs/"]


def names():
    table = (ROOT / "Sources/Kernel/Model/KFunc+Table.swift").read_text()
    ns = set(re.findall(r'^        "([^"]+)",$', table, re.M))
    prof = (ROOT / "Sources/Kernel/Model/Profile.swift").read_text()
    for block in re.findall(r'static let files(?:5_4)?: \[String: String\] = \[(.*?)\n    \]', prof, re.S):
        ns |= set(re.findall(r'"([^"/]+)": "', block))
    return sorted(ns, key=str.encode)


def ctags(tree):
    scan = [p for p in SCAN if (tree / p).exists()]
    out = subprocess.run(["ctags", "-x", "--_xformat=%N %n %F", "--kinds-C=f", "-R", "--languages=C"] + scan,
                         cwd=tree, capture_output=True, text=True, check=True).stdout
    defs = {}
    for line in out.splitlines():
        n, ln, f = line.split(" ", 2)
        defs.setdefault(n, []).append((f, int(ln)))
    return defs


def headers(tree):
    return sorted(str(p.relative_to(tree)) for d in ("include/net", "include/linux") for p in (tree / d).rglob("*.h"))


TEXT = {}


def by_pattern(tree, name, files):
    """(file, line) of `name`'s definition found by pattern in `files`, else None."""
    syscall = re.match(r"^(?:__x64_sys_|__se_sys_|__do_sys_)(\w+)$", name)
    pats = []
    if syscall:
        pats.append(re.compile(r"^(?:COMPAT_)?SYSCALL_DEFINE\d\(" + re.escape(syscall.group(1)) + r"\b"))
    pats.append(re.compile(r"^SYM_(?:CODE|FUNC|INNER_LABEL)\w*\(" + re.escape(name) + r"\b"))
    # A C definition: the name at the start of a line (type on the line before) or after its type,
    # then parameters, then a body before any `;`.
    head = re.compile(r"^(?:[A-Za-z_][\w \t\*]*[\s\*])?" + re.escape(name) + r"\(")
    for f in files:
        p = tree / f
        if not p.is_file():
            continue
        if p not in TEXT:
            TEXT[p] = p.read_text(errors="replace").splitlines()
        lines = TEXT[p]
        for i, l in enumerate(lines):
            if any(q.match(l) for q in pats):
                return f, i + 1
            if head.match(l) and not l.startswith(("#", " ", "\t")) and "(" in l:
                rest = "\n".join(lines[i:i + 12])
                body, semi = rest.find("{"), rest.find(";")
                if body >= 0 and (semi < 0 or body < semi):
                    return f, i + 1
    return None


def locate(tree, ns, hints):
    defs = ctags(tree)
    found, missing = {}, []
    for n in ns:
        cands = defs.get(n, [])
        hint = HINTS.get(n) or hints.get(n)
        pick = next((c for c in cands if c[0] == hint), None)
        if pick is None and cands:
            pick = sorted(cands, key=lambda c: (next(i for i, p in enumerate(PREFER + [""]) if c[0].startswith(p)), c))[0]
        if pick is None:
            files = ([hint] if hint else []) + headers(tree)
            if n.startswith(("__x64_sys_", "__se_sys_", "__do_sys_")):
                files = ["net/socket.c", "fs/open.c"]
            elif n.startswith(("entry_", "ret_from")):
                files = ["arch/x86/entry/entry_64.S", "arch/x86/kernel/process.c"]
            pick = by_pattern(tree, n, files)
        if pick is None:
            missing.append(n)
        else:
            found[n] = pick
    return found, missing


def previous(versions):
    """The files the tables in the repository give now (in the trees' order: a later tree's file
    wins), and KernelSource's own list (hints for names with several definitions)."""
    prof = (ROOT / "Sources/Kernel/Model/Profile.swift").read_text()
    block = re.search(r'static let files: \[String: String\] = \[(.*?)\n    \]', prof, re.S)
    hints = dict(re.findall(r'"([^"/]+)": "([^"]+)"', block.group(1))) if block else {}
    for v in versions:
        if out_path(v).exists():
            hints.update(re.findall(r'^        "([^"]+)": \("([^"]+)", \d+\),$', out_path(v).read_text(), re.M))
    return hints


def release(tree):
    """The tree's kernel release from its top Makefile (6.12.117)."""
    mk = (tree / "Makefile").read_text() if (tree / "Makefile").exists() else ""
    v = [re.search(rf"^{k} = (\d*)", mk, re.M) for k in ("VERSION", "PATCHLEVEL", "SUBLEVEL")]
    return ".".join(m.group(1) for m in v if m and m.group(1)) or tree.name


def render(version, rel, found):
    """One tree's table, as its own file."""
    ident = "defined" + version.replace(".", "_")
    out = [f"// Where each modelled function is defined in Linux {rel}'s source: written by",
           "// Fixtures/scripts/kfunc-sources.py from the tree of Debian's linux-source package (ctags, then",
           "// patterns for what ctags does not see as a function). Do not edit; rerun the script.", "",
           "extension KernelSource {",
           f"    /// The release of the tree `{ident}` was read from (lines move between releases).",
           f'    static let release{version.replace(".", "_")} = "{rel}"',
           f"    /// Linux {rel}: file and line of each definition.",
           f"    static let {ident}: [String: (file: String, line: Int)] = ["]
    out += [f'        "{n}": ("{f}", {l}),' for n, (f, l) in sorted(found.items(), key=lambda kv: kv[0].encode())]
    out += ["    ]", "}"]
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    check = "--check" in args
    trees = [a.split("=", 1) for a in args if "=" in a]
    if not trees:
        sys.exit(__doc__)
    ns, hints, results, bad = names(), previous([v for v, _ in trees]), [], False
    for k, (version, tree) in enumerate(trees):
        found, missing = locate(pathlib.Path(tree), ns, hints)
        for n in missing:
            # The first tree is the modelled kernel's: a name missing there is an error. Later
            # trees are other kernels, where a function may not exist yet (sk_skb_reason_drop
            # arrived in 6.11); those are listed, not errors.
            print(f"kfunc-sources: {n}: no definition in {tree}" + ("" if k == 0 else " (noted)"), file=sys.stderr)
            bad = bad or k == 0
        results.append((version, release(pathlib.Path(tree)), found))
    for version, rel, found in results:
        out, text = out_path(version), render(version, rel, found)
        if check:
            if not out.exists() or out.read_text() != text:
                print(f"kfunc-sources: {out.relative_to(ROOT)} differs from the tree; rerun without --check", file=sys.stderr)
                bad = True
        else:
            out.write_text(text)
            print(f"wrote {len(found)} names for {version} to {out.relative_to(ROOT)}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":   # kfunc-gdb-frames.py imports names()
    main()
