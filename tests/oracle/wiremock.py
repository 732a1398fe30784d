#!/usr/bin/python3
"""Differential test: real WireMock as the oracle of wiremock-mapping-invalid.

usage: wiremock.py --ciguard PATH [NAME...]          (the recorded verdicts)
       wiremock.py --real [--record] [--jar JAR] [NAME...]

Each case of tests/oracle/wiremock_cases.txt is one mapping file and what
WireMock 3.13.2 (standalone) did with it, recorded from the real server:

  wiremock: rejected     POST /__admin/mappings/reset (which reloads the
                         files under mappings/ from disk) answered 500 (a
                         MappingFileException, or a NullPointerException
                         for a file that is `null`) or 422 (a duplicate
                         stub id); at startup the same file stops the
                         server (exit status 1)
  wiremock: loads N      the reset answered 200 and GET /__admin/mappings
                         counted N stubs (`loads` alone: it could not
                         list them, as for a jsonBody 999 levels deep)

Default mode (make test; no Java): each case is written to a fresh repository
as wiremock/mappings/case.json and ciguard must report
wiremock-mapping-invalid on that file (or on the case's other mapping
files, see also:) exactly when WireMock rejects it:

  wiremock: rejected  <=>  a wiremock-mapping-invalid finding in
                           wiremock/mappings/

except where the case says `ciguard: finding` (below).

--real: starts the jar once on a free loopback port with a temporary root,
and for each case writes the file, resets and reads the outcome; a recorded
verdict that differs is reported STALE (exit 1). --record rewrites the
verdicts (and answers) in the cases file. The jar comes from the npm
package wiremock@3.13.2 (`npm pack`), cached in build/wiremock-cache/.

CASE FILE. Lines before the first case are comments. A case is

    == NAME
    KEY: VALUE
    ...
    --
    BODY

and runs to the next line that starts with `== `; trailing blank lines are
dropped and the body is written with one final newline. Keys:

  wiremock: VERDICT   as above, recorded by --real --record
  raw: LITERAL        the file's exact text as a Python string literal, in
                      place of the body (empty and whitespace-only files,
                      a BOM, control characters, no final newline)
  bodyfile: NAME      a file __files/NAME exists (text `{}`)
  also: {NAME: TEXT}  more mapping files beside case.json (a Python dict
                      literal): the verdict is the server's, for all of
                      them, and so is ciguard's (a finding on any)
  probe: METHOD PATH  after loading, the real server is sent this request
  answer: STATUS      the status it answered (recorded), such as 500 when a
                      bodyFileName is missing
  ciguard: finding    WireMock loads the file but the stub cannot answer as
                      meant (the probe shows it): ciguard reports it by
                      design, so a finding is expected although it loads
  known: REASON       ciguard disagrees and the fix is left (the reason):
                      the case is reported KNOWN, not failed; once ciguard
                      agrees it is reported FIXED and fails until the key
                      is dropped
  note: TEXT          why the case is here
"""
import argparse
import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CASES = os.path.join(HERE, "wiremock_cases.txt")
VERSION = "3.13.2"
CACHE = os.path.join(TOP, os.environ.get("BUILD", "build"), "wiremock-cache")
RULE = "wiremock-mapping-invalid"


class Case:
    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.keys = {}
        self.body = []

    def text(self):
        if "raw" in self.keys:
            return ast.literal_eval(self.keys["raw"])
        body = list(self.body)
        while body and not body[-1].strip():
            body.pop()
        return "\n".join(body) + "\n"

    def bodyfiles(self):
        return self.keys.get("bodyfile", "").split()


def parse(path):
    cases, head, cur, in_body = [], [], None, False
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for no, line in enumerate(lines, 1):
        if line.startswith("== "):
            cur = Case(line[3:].strip(), no)
            cases.append(cur)
            in_body = False
        elif cur is None:
            head.append(line)
        elif in_body:
            cur.body.append(line)
        elif line == "--":
            in_body = True
        elif ":" in line:
            k, v = line.split(":", 1)
            cur.keys[k.strip()] = v.strip()
        elif line.strip():
            sys.exit("%s:%d: not KEY: VALUE: %r" % (path, no, line))
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit("%s: duplicate case names: %s" % (path, sorted(dup)))
    return head, cases


def write_cases(path, head, cases):
    out = list(head)
    order = ["wiremock", "probe", "answer", "ciguard", "known", "bodyfile",
             "also", "raw", "note"]
    for c in cases:
        out.append("== " + c.name)
        keys = sorted(c.keys, key=lambda k: (order.index(k)
                                             if k in order else 99, k))
        for k in keys:
            out.append("%s: %s" % (k, c.keys[k]))
        out.append("--")
        out.extend(c.body)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def write_case_files(root, case):
    """root is a WireMock root: mappings/case.json and __files/."""
    os.makedirs(os.path.join(root, "mappings"), exist_ok=True)
    os.makedirs(os.path.join(root, "__files"), exist_ok=True)
    with open(os.path.join(root, "mappings", "case.json"), "wb") as f:
        f.write(case.text().encode("utf-8", "surrogateescape"))
    for name, text in ast.literal_eval(case.keys.get("also", "{}")).items():
        with open(os.path.join(root, "mappings", name), "w") as f:
            f.write(text)
    for name in case.bodyfiles():
        p = os.path.join(root, "__files", name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write("{}\n")


# ------------------------------------------------------------ ciguard


def run_ciguard(ciguard, cases):
    bad = 0
    for c in cases:
        if "wiremock" not in c.keys:
            print("UNRECORDED %s (line %d)" % (c.name, c.line))
            bad += 1
            continue
        with tempfile.TemporaryDirectory(prefix="cg-wm-") as repo:
            write_case_files(os.path.join(repo, "wiremock"), c)
            p = subprocess.run([ciguard, "check", repo, "--format", "json",
                                "--rule", RULE], capture_output=True,
                               timeout=60)
            if p.returncode not in (0, 1):
                print("ERROR %s: ciguard exited %d: %s" % (
                    c.name, p.returncode, p.stderr.decode(errors="replace")))
                bad += 1
                continue
            found = [f for f in json.loads(p.stdout)["findings"]
                     if f["rule"] == RULE
                     and f["path"].startswith("wiremock/mappings/")]
        rejected = c.keys["wiremock"] == "rejected"
        want = rejected or c.keys.get("ciguard") == "finding"
        if "known" in c.keys:
            if bool(found) != want:
                print("KNOWN %s (line %d): %s" % (c.name, c.line,
                                                  c.keys["known"]))
            else:
                bad += 1
                print("FIXED %s (line %d): ciguard agrees now; drop its "
                      "known: key" % (c.name, c.line))
            continue
        if bool(found) != want:
            bad += 1
            print("DISAGREE %s (line %d): WireMock %s, ciguard %s" % (
                c.name, c.line, c.keys["wiremock"],
                "; ".join("%d:%d: %s" % (f["line"], f["column"],
                                         f["message"]) for f in found)
                or "no finding"))
    print("%d cases, %d disagreements" % (len(cases), bad))
    return bad == 0


# --------------------------------------------------------------- real


def find_jar(path):
    if path:
        return path
    jar = os.path.join(CACHE, "package", "build",
                       "wiremock-standalone-%s.jar" % VERSION)
    if not os.path.exists(jar):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(["npm", "pack", "wiremock@" + VERSION], cwd=CACHE,
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["tar", "xzf", "wiremock-%s.tgz" % VERSION],
                       cwd=CACHE, check=True)
    return jar


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, method, path, timeout=30):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 method=method,
                                 data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Server:
    def __init__(self, jar):
        self.root = tempfile.mkdtemp(prefix="cg-wm-real-")
        self.port = free_port()
        os.makedirs(os.path.join(self.root, "mappings"))
        self.log = open(os.path.join(self.root, "log"), "w")
        self.proc = subprocess.Popen(
            ["java", "-jar", jar, "--port", str(self.port),
             "--bind-address", "127.0.0.1", "--root-dir", self.root,
             "--disable-banner"], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                if http(self.port, "GET", "/__admin/health", 2)[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        sys.exit("wiremock did not start")

    def judge(self, case):
        for d in ("mappings", "__files"):
            shutil.rmtree(os.path.join(self.root, d), ignore_errors=True)
        write_case_files(self.root, case)
        status, body = http(self.port, "POST", "/__admin/mappings/reset")
        if status != 200:
            # 500: a MappingFileException, or an exception that escaped the
            # loader (`null` as the whole file: a NullPointerException);
            # 422: the stubs were read but one was refused (a duplicate
            # id). Each of them stops the server at startup too (exit 1).
            if status not in (422, 500):
                sys.exit("%s: reset answered %d" % (case.name, status))
            return "rejected", None
        status, body = http(self.port, "GET", "/__admin/mappings")
        # (by pattern: a deeply nested jsonBody is too deep for json.loads;
        # 999 levels and more are too deep for WireMock to write back: 500)
        m = re.search(rb'"total"\s*:\s*(\d+)\s*}\s*}\s*$', body)
        if status == 500:
            m = None
        elif status != 200 or not m:
            sys.exit("%s: GET /__admin/mappings answered %d" % (case.name,
                                                               status))
        answer = None
        if "probe" in case.keys:
            method, path = case.keys["probe"].split(None, 1)
            answer = str(http(self.port, method, path)[0])
        return ("loads %s" % m.group(1).decode()) if m else "loads", answer

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def run_real(jar, head, cases, record):
    server = Server(jar)
    stale = 0
    try:
        for c in cases:
            verdict, answer = server.judge(c)
            old = (c.keys.get("wiremock"), c.keys.get("answer"))
            if old != (verdict, answer):
                stale += 1
                print("STALE %s (line %d): recorded %s, WireMock %s" % (
                    c.name, c.line, "/".join(map(str, old)),
                    "/".join(map(str, (verdict, answer)))))
                c.keys["wiremock"] = verdict
                if answer is not None:
                    c.keys["answer"] = answer
    finally:
        server.stop()
    print("%d cases, %d stale" % (len(cases), stale))
    if record and stale:
        write_cases(CASES, head, cases)
        print("recorded into %s" % CASES)
        return True
    return stale == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ciguard")
    ap.add_argument("--real", action="store_true")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--jar")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    head, cases = parse(CASES)
    chosen = [c for c in cases if not a.names or c.name in a.names]
    if a.real:
        if a.record and a.names:
            sys.exit("--record rewrites every case: name none")
        ok = run_real(find_jar(a.jar), head, chosen, a.record)
    else:
        if not a.ciguard:
            sys.exit("--ciguard PATH is needed (or --real)")
        ok = run_ciguard(a.ciguard, chosen)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
