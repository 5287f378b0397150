#!/usr/bin/env python3
"""Writes Sources/Kernel/Model/KFunc+Symbols6_1.swift: the modelled functions Debian's 6.1 build
(its -dbg package's vmlinux, `make vm-dbg`) has no symbol for, although its tree defines them:
the compiler inlined them wherever they are called, so no stack and no function tracer shows
them (the 6.1 profile's inline table takes them all). Functions of code built as modules
(netfilter, veth) are left out: the vmlinux cannot tell.

Usage: python3 Fixtures/scripts/kfunc-symbols.py .build/vm [--check]"""
import importlib.util, pathlib, re, subprocess, sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("ks", ROOT / "Fixtures/scripts/kfunc-sources.py")
ks = importlib.util.module_from_spec(spec); spec.loader.exec_module(ks)   # its names(): the modelled functions
OUT = ROOT / "Sources/Kernel/Model/KFunc+Symbols6_1.swift"
vm = pathlib.Path(sys.argv[1])
vmlinux = sorted((vm / "dbg/usr/lib/debug/boot").glob("vmlinux-*"))[0]
abi = vmlinux.name.removeprefix("vmlinux-")
MODULES = ("net/netfilter/", "net/ipv4/netfilter/", "net/ipv6/netfilter/", "net/bridge/", "drivers/")

source = (ROOT / "Sources/Kernel/Model/KFunc+Source6_1.swift").read_text()
block = source.split("static let defined6_1: [String: (file: String, line: Int)] = [", 1)[1].split("\n    ]", 1)[0]
defined = dict(re.findall(r'^        "([^"]+)": \("([^"]+)", \d+\),$', block, re.M))
names = ks.names()
syms = set()
for line in subprocess.run(["nm", "--defined-only", str(vmlinux)], capture_output=True, text=True, check=True).stdout.splitlines():
    f = line.split()
    if len(f) == 3 and f[1] in "tTW":
        syms.add(re.split(r"\.(?:cold|constprop|isra|part|llvm)", f[2])[0])
inlined = sorted((n for n in names if n in defined and n not in syms and not defined[n].startswith(MODULES)), key=str.encode)
text = "\n".join([
    "// Written by Fixtures/scripts/kfunc-symbols.py from Debian's " + abi + " vmlinux; do not edit.",
    "",
    "extension Profile {",
    "    /// Modelled functions 6.1's build has no symbol for: inlined at every call.",
    "    static let noSymbol6_1: Set<String> = [",
] + [f'        "{n}",' for n in inlined] + ["    ]", "}", ""])
if "--check" in sys.argv[2:]:
    same = OUT.exists() and OUT.read_text() == text
    print("kfunc-symbols: " + ("the table matches" if same else f"{OUT} differs from the build"))
    sys.exit(0 if same else 1)
OUT.write_text(text)
print(f"kfunc-symbols: {OUT.relative_to(ROOT)}: {len(inlined)} functions without a symbol in {abi}")
