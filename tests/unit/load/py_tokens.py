#!/usr/bin/env python3
"""Differential test of src/load/python.c against Python's own tokenizer.

Every *.py file under the given paths that this Python compiles is
tokenized twice: by the tokenize module (the truth) and by ciguard's
tokenizer (through the py_tokdump driver). Kinds and start positions
must agree token for token, and end positions too except where a token
has none (NEWLINE, NL, DEDENT, ENDMARKER). tokenize's FSTRING_START ...
FSTRING_END (3.12+) become the one STRING token ciguard emits.

Files that do not compile, that hold a lone \\r (tokenize reads lines
at \\n only, the compiler at \\r too), or that are not UTF-8 are skipped:
there is no truth to compare with. Exit 1 on a difference, 2 when
nothing was compared.
"""
import argparse
import io
import os
import subprocess
import sys
import token
import tokenize
import warnings

NO_END = {"NEWLINE", "NL", "DEDENT", "ENDMARKER"}


def truth(data):
    out = []
    fstring = []  # starts of the f-strings open
    for t in tokenize.tokenize(io.BytesIO(data).readline):
        name = token.tok_name[t.type]
        if name == "ENCODING":
            continue
        if name == "FSTRING_START":
            fstring.append(t.start)
            continue
        if name == "FSTRING_END":
            start = fstring.pop()
            if not fstring:
                out.append(("STRING", start, t.end))
            continue
        if fstring:
            continue
        out.append((name, t.start, t.end))
    return out


def utf8(data):
    """Whether Python reads `data` as UTF-8, as ciguard does (it skips
    files in other encodings, and columns count UTF-8 code points)."""
    try:
        data.decode("utf-8")
        enc, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (UnicodeDecodeError, SyntaxError):
        return False
    return enc in ("utf-8", "utf-8-sig")


def files_under(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for root, dirs, names in os.walk(p):
            dirs.sort()
            for n in sorted(names):
                if n.endswith(".py"):
                    yield os.path.join(root, n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True, help="the py_tokdump driver")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    cases, skipped = [], 0
    for path in files_under(args.paths):
        with open(path, "rb") as f:
            data = f.read()
        if b"\r" in data.replace(b"\r\n", b"") or not utf8(data):
            skipped += 1
            continue
        try:
            compile(data, path, "exec", dont_inherit=True)
            want = truth(data)
        except (SyntaxError, ValueError, tokenize.TokenError):
            skipped += 1
            continue
        cases.append((path, want))
    if not cases:
        print("py_tokens: no file to compare", file=sys.stderr)
        return 2

    res = subprocess.run([args.dump] + [p for p, _ in cases],
                         capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stderr, file=sys.stderr)
        return 1
    got_all = res.stdout.split("END\n")
    bad = 0
    ntokens = 0
    for (path, want), block in zip(cases, got_all):
        got = []
        for line in block.splitlines():
            kind, l, c, el, ec = line.split()
            got.append((kind, (int(l), int(c)), (int(el), int(ec))))
        ntokens += len(want)
        for k in range(max(len(want), len(got))):
            w = want[k] if k < len(want) else None
            g = got[k] if k < len(got) else None
            same = (w and g and w[0] == g[0] and w[1] == g[1] and
                    (w[0] in NO_END or w[2] == g[2]))
            if not same:
                print(f"{path}: token {k}: python {w}, ciguard {g}")
                bad += 1
                break
    print(f"py_tokens: {len(cases)} files, {ntokens} tokens compared, "
          f"{bad} differ, {skipped} skipped")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
