#!/usr/bin/env python3
"""The yardstick of the Python-code benchmark (issue 12): CPython's own
parser over the same files ciguard reads. Reads a NUL-separated list of
paths on stdin (relative to the current folder), reads each file and
ast.parse()s it; a file Python rejects (Python 2 syntax in test data, a
bad encoding) is counted and skipped, as a user's tool would. Nothing is
run or imported. With an argument, writes `FILES BYTES REJECTED` to that
file."""
import ast
import sys
import warnings

warnings.simplefilter("ignore")  # SyntaxWarning: invalid escapes
paths = sys.stdin.buffer.read().split(b"\0")
files = nbytes = rejected = 0
for p in paths:
    if not p:
        continue
    with open(p, "rb") as f:
        data = f.read()
    files += 1
    nbytes += len(data)
    try:
        ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        rejected += 1
if len(sys.argv) > 1:
    with open(sys.argv[1], "w") as f:
        f.write("%d %d %d\n" % (files, nbytes, rejected))
