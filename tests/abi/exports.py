#!/usr/bin/env python3
"""libciguard.so exports exactly the functions include/ciguard/*.h declares.

Usage: exports.py LIBRARY SRC. The public names are read from the headers
(comments removed); the exported ones from `nm -D --defined-only`. A
function added to a header without CG_API, or a part's function that leaks
out of the library, fails this test; so does a missing SONAME.
"""
import glob
import os
import re
import subprocess
import sys


def declared(src):
    names = set()
    for h in glob.glob(os.path.join(src, "include", "ciguard", "*.h")):
        text = open(h, encoding="utf-8").read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)
        # `cg_name(` is a function; `(*cg_name_fn)(` a pointer type
        names.update(re.findall(r"\b(cg_\w+)\s*\(", text))
    return names


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    return {f[2] for f in (line.split() for line in out.splitlines())
            if len(f) == 3}


def soname(lib):
    out = subprocess.run(["readelf", "-d", lib], check=True,
                         capture_output=True, text=True).stdout
    m = re.search(r"\(SONAME\).*\[(.*)\]", out)
    return m.group(1) if m else None


def main():
    lib, src = sys.argv[1], sys.argv[2]
    want, got = declared(src), exported(lib)
    fails = []
    if len(want) < 20:
        fails.append(f"only {len(want)} public functions found in headers")
    for name in sorted(want - got):
        fails.append(f"declared in include/ciguard but not exported: {name}")
    for name in sorted(got - want):
        fails.append(f"exported but not a public function: {name}")
    if soname(lib) != "libciguard.so.0":
        fails.append(f"SONAME is {soname(lib)!r}, not 'libciguard.so.0'")
    for f in fails:
        print("FAIL:", f)
    print(f"{len(got)} exported, {len(want)} declared, {len(fails)} failures")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
