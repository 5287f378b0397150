#!/usr/bin/env python3
"""Rewrites Sources/Kernel/Model/KFunc+Table.swift, the modelled functions' id table: sorts and
de-duplicates the names and writes one `static var` per name with its id.
Usage: python3 Fixtures/scripts/kfuncs.py [NAME ...]   (names given are added)."""
import re, sys, pathlib

path = pathlib.Path(__file__).resolve().parents[2] / "Sources/Kernel/Model/KFunc+Table.swift"
text = path.read_text()
table = text.split("    static let names: [String] = [\n", 1)[1].split("    ]\n", 1)[0]
names = sorted(set(re.findall(r'"([^"]+)"', table)) | set(sys.argv[1:]), key=lambda n: n.encode())
path.write_text(
    "// The modelled functions' id table, written by Fixtures/scripts/kfuncs.py (names sorted, ids in\n"
    "// that order; one static per name). Add a name with `python3 Fixtures/scripts/kfuncs.py NAME`.\n\n"
    "extension KFunc {\n"
    "    /// The modelled functions, in the order of their ids.\n"
    "    static let names: [String] = [\n"
    + "".join(f'        "{n}",\n' for n in names)
    + "    ]\n\n"
    + "".join(f"    public static var {n}: KFunc {{ KFunc(id: {i}) }}\n" for i, n in enumerate(names))
    + "}\n")
