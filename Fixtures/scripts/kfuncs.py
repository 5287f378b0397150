#!/usr/bin/env python3
"""Rewrites Sources/Kernel/Model/KFunc.swift's id table after names were added to `names`:
sorts and de-duplicates the names and regenerates one `static var` per name with its id.
Usage: python3 Fixtures/scripts/kfuncs.py [NAME ...]   (names given are added first)."""
import re, sys, pathlib

path = pathlib.Path(__file__).resolve().parents[2] / "Sources/Kernel/Model/KFunc.swift"
text = path.read_text()
head, rest = text.split("    static let names: [String] = [\n", 1)
body, tail = rest.split("    ]\n", 1)
names = set(re.findall(r'"([^"]+)"', body)) | set(sys.argv[1:])
ordered = sorted(names, key=lambda n: n.encode())
body = "".join(f'        "{n}",\n' for n in ordered)
tail = re.sub(r"\n    public static var \w+: KFunc \{ KFunc\(id: \d+\) \}", "", tail)
statics = "".join(f"\n    public static var {n}: KFunc {{ KFunc(id: {i}) }}" for i, n in enumerate(ordered))
marker = "    private static let extra = Mutex<[String]>([])\n"
before, after = tail.split(marker, 1)
after = after.lstrip("\n")
path.write_text(head + "    static let names: [String] = [\n" + body + "    ]\n" + before + marker + "\n"
                + statics.lstrip("\n") + "\n" + after)
