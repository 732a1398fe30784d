#!/usr/bin/env python3
"""Golden end-to-end tests for `ciguard check`.

Each case is a folder tests/e2e/<case>/ with
  repo/          the repository to check (copied to a temporary folder)
  args           optional: extra arguments, shell-quoted, one line
                 ({repo} is replaced by the copy's path)
  setup          optional: lines of `git` (git init + commit everything),
                 `bigline PATH N`, `longitem PATH N`, `deep PATH N`,
                 `symlink PATH TARGET`, `modify PATH`, `stage PATH`,
                 `write PATH [TEXT]` (a file made after the commit: git
                 does not track it, and may ignore it)
  expected.json  the --format json output, elapsed_ms zeroed
  exit           the expected exit status (default 1 if findings, else 0)
  stderr         optional: a substring stderr must contain
CIGUARD_UPDATE_GOLDEN=1 rewrites expected.json and exit from the output.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t",
                    "-c", "init.defaultBranch=main", "-c",
                    "commit.gpgsign=false", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prepare(case_dir, tmp):
    repo = os.path.join(tmp, "repo")
    shutil.copytree(os.path.join(case_dir, "repo"), repo, symlinks=True)
    setup = os.path.join(case_dir, "setup")
    if os.path.exists(setup):
        for line in open(setup):
            words = line.split()
            if not words:
                continue
            if words[0] == "git":
                git(repo, "init", "-q")
                git(repo, "add", "-A")
                git(repo, "commit", "-q", "-m", "fixture")
            elif words[0] == "bigline":
                # a YAML file whose one scalar is N bytes on one line
                with open(os.path.join(repo, words[1]), "w") as f:
                    f.write("key: " + "x" * int(words[2]) + "\n")
            elif words[0] == "longitem":
                # GitLab: a before_script item of N bytes, then short items
                with open(os.path.join(repo, words[1]), "w") as f:
                    f.write("default:\n  before_script:\n"
                            "    - set +e; echo " + "x" * int(words[2]) + "\n"
                            "job:\n  script:\n    - pytest -q\n"
                            "    - echo done\n")
            elif words[0] == "deep":
                with open(os.path.join(repo, words[1]), "w") as f:
                    f.write("[" * int(words[2]) + "\n")
            elif words[0] == "symlink":
                os.symlink(words[2], os.path.join(repo, words[1]))
            elif words[0] == "modify":
                with open(os.path.join(repo, words[1]), "a") as f:
                    f.write("\n# modified after commit\n")
            elif words[0] == "stage":
                git(repo, "add", words[1])
            elif words[0] == "write":
                path = os.path.join(repo, words[1])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(" ".join(words[2:]) + "\n")
            else:
                raise SystemExit(f"{setup}: unknown setup line {line!r}")
    return repo


def normalise(out):
    doc = json.loads(out)
    doc["summary"]["elapsed_ms"] = 0
    doc["tool"]["version"] = "X"
    return doc


def run_case(ciguard, name, update):
    case_dir = os.path.join(HERE, name)
    with tempfile.TemporaryDirectory(prefix="ciguard-e2e-") as tmp:
        repo = prepare(case_dir, tmp)
        args_file = os.path.join(case_dir, "args")
        extra = []
        if os.path.exists(args_file):
            extra = shlex.split(open(args_file).read().replace("{repo}", repo))
        cmd = [ciguard, "check", repo, "--format", "json"] + extra
        env = dict(os.environ, NO_COLOR="1")
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           env=env, cwd=tmp)
        exit_file = os.path.join(case_dir, "exit")
        want_exit = int(open(exit_file).read()) if os.path.exists(exit_file) else None
        stderr_file = os.path.join(case_dir, "stderr")
        needle = open(stderr_file).read().strip() if os.path.exists(stderr_file) else None
        if needle is not None and needle not in p.stderr:
            return f"stderr lacks {needle!r}: {p.stderr!r}"
        if want_exit == 2:
            if p.returncode != 2:
                return f"exit {p.returncode}, expected 2"
            return None
        if p.returncode not in (0, 1):
            return f"exit {p.returncode}: {p.stderr.strip()}"
        try:
            got = normalise(p.stdout)
        except (ValueError, KeyError) as e:
            return f"output is not the JSON contract ({e}): {p.stdout[:300]}"
        exp_file = os.path.join(case_dir, "expected.json")
        if update:
            with open(exp_file, "w") as f:
                json.dump(got, f, indent=2)
                f.write("\n")
            with open(exit_file, "w") as f:
                f.write(f"{p.returncode}\n")
            return None
        want = json.load(open(exp_file))
        problems = []
        if got != want:
            problems.append("findings differ:\n--- expected\n" +
                            json.dumps(want["findings"], indent=1) +
                            "\n--- got\n" + json.dumps(got["findings"], indent=1) +
                            "\n--- summary got " + json.dumps(got["summary"]))
        if want_exit is not None and p.returncode != want_exit:
            problems.append(f"exit {p.returncode}, expected {want_exit}")
        return "\n".join(problems) or None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ciguard", required=True)
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    update = os.environ.get("CIGUARD_UPDATE_GOLDEN") == "1"
    cases = a.cases or sorted(d for d in os.listdir(HERE)
                              if os.path.isdir(os.path.join(HERE, d, "repo")))
    failed = 0
    for name in cases:
        err = run_case(a.ciguard, name, update)
        if err:
            failed += 1
            print(f"FAIL {name}: {err}")
        else:
            print(f"ok   {name}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
