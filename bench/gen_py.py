#!/usr/bin/env python3
"""Build the Python-code tree of `make bench` (issue 12): N real modules
(default 20,000), copies of the interpreter's own standard library under
/usr/lib/python3*/, repeated into
folders copy0/, copy1/, ... until there are N .py files. Only regular
.py files are copied (no symlinks, no caches), in sorted order, so the
tree is the same for a given N on a given machine. Installed third-party
packages (dist-packages, site-packages) are left out: ciguard does not
read them in a repository (they are a virtualenv's), so the check and
ast.parse would not get the same files.

    gen_py.py OUT [N]

Exit 2 when /usr/lib/python3* holds no .py file."""
import glob
import os
import shutil
import sys

out = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 20000

sources = []
for root in sorted(glob.glob("/usr/lib/python3*/")):
    name = os.path.basename(os.path.normpath(root))
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs
                         if x not in ("__pycache__", "dist-packages",
                                      "site-packages"))
        for f in sorted(files):
            p = os.path.join(d, f)
            if f.endswith(".py") and os.path.isfile(p) and not os.path.islink(p):
                sources.append((p, os.path.join(name, os.path.relpath(p, root))))
if not sources:
    sys.exit("gen_py.py: no .py file under /usr/lib/python3*")

made = 0
copy = 0
while made < total:
    for src, rel in sources:
        if made == total:
            break
        dst = os.path.join(out, "copy%d" % copy, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
        made += 1
    copy += 1
