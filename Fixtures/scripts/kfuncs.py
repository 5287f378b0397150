#!/usr/bin/env python3
"""Rewrites the modelled functions' id table: Sources/Kernel/Model/KFunc+Table.swift (the names,
sorted and de-duplicated, ids in that order) and KFunc+Names.swift (one `static var` per name with
its id, what the model's code calls them by).
Usage: python3 Fixtures/scripts/kfuncs.py [NAME ...]   (names given are added)."""
import re, sys, pathlib

model = pathlib.Path(__file__).resolve().parents[2] / "Sources/Kernel/Model"
path, statics = model / "KFunc+Table.swift", model / "KFunc+Names.swift"
text = path.read_text()
table = text.split("    static let names: [String] = [\n", 1)[1].split("    ]\n", 1)[0]
names = sorted(set(re.findall(r'"([^"]+)"', table)) | set(sys.argv[1:]), key=lambda n: n.encode())
path.write_text(
    "// The modelled functions' id table, written by Fixtures/scripts/kfuncs.py (names sorted, ids in\n"
    "// that order; the static per name is in KFunc+Names.swift). Add a name with\n"
    "// `python3 Fixtures/scripts/kfuncs.py NAME`.\n\n"
    "extension KFunc {\n"
    "    /// The modelled functions, in the order of their ids.\n"
    "    static let names: [String] = [\n"
    + "".join(f'        "{n}",\n' for n in names)
    + "    ]\n"
    + "}\n")
statics.write_text(
    "// One static per modelled function, its id its place in KFunc.names (KFunc+Table.swift): written\n"
    "// by Fixtures/scripts/kfuncs.py with the table. Do not edit; add a name with the script.\n\n"
    "extension KFunc {\n"
    + "".join(f"    public static var {n}: KFunc {{ KFunc(id: {i}) }}\n" for i, n in enumerate(names))
    + "}\n")
