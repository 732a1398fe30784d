#!/usr/bin/python3
"""Random differential test: generated scripts, bash as the oracle.

usage: gen.py --ciguard PATH [--count N] [--seed S] [--jobs N]
              [--depth D] [--batch B] [--no-shrink] [--show]

Builds N small scripts (1-6 lines) from a grammar of what CI scripts do
around a critical command (&&, ||, !, pipes, set -e/+e/-o pipefail,
subshells, groups, if/while/until/for, functions with return and local,
$(...) and backticks, || true / || exit N, rc=$?, exit $?, traps, eval,
bash -c / sh -c, timeout, xargs, & and wait; assignment builtins around
$(...) (local, export, readonly, declare), [[ ]] and (( )) on a saved
status, time, nohup, env, case on $? and $rc, while read fed by a pipe or
a file, for over $(...), set -e/+e inside functions and subshells,
|| { rc=$?; ...; exit $rc; }, trailing comments, line continuations, and
here-documents piped into bash/sh or read by -s) and judges each one the way
run.py judges a table case: under every runner that can run it (gh-default,
gh-bash, gh-sh for POSIX scripts, gitlab, gitlab-items for scripts whose
lines are whole commands), with the stubs failing on cue, against what
ciguard says. The same seed gives the same scripts.

Every disagreement is printed as a case block ready for tests/oracle/cases/
(the recorded verdict is bash's), after the shrinker has dropped every line
and every simplification it can while the disagreement stays. Scripts the
oracle cannot run (the dry run fails, no critical command runs) are counted
and skipped: they say nothing about ciguard.

Exit status 1 when some case disagrees.
"""
import argparse
import concurrent.futures
import importlib.util
import os
import random
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("oracle_run",
                                               os.path.join(HERE, "run.py"))
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

CRITICAL = ["pytest", "pytest -q tests/", "python -m pytest -x",
            "npm test", "make test", "alembic upgrade head", "go test ./...",
            "cargo test", "tox -e py311", "python manage.py migrate",
            "yarn test", "ctest --output-on-failure", "yarn test:ci",
            "pnpm prisma migrate deploy"]
PLAIN = ["echo done", "pip install -r requirements.txt", "ruff check .",
         "./upload.sh", "cat test.log", "mkdir -p out", "ls",
         'echo "tests finished"', "./notify.sh", "true", ":",
         "curl -fsS http://localhost:8000/health", "./collect-logs.sh",
         "grep -q error log"]
PIPE_TAIL = ["| tee test.log", "2>&1 | tee test.log", "| cat",
             "| tail -n 20", "| head -n 100", "| sed -n p", "| tee -a log"]
OR_TAIL = ["|| true", "|| :", '|| echo "tests failed"', "|| exit 0",
           "|| exit 1", "|| exit $?", "|| exit", "|| false",
           "|| ./notify.sh", "|| { ./collect-logs.sh; exit 1; }",
           "|| { echo failed; exit 0; }",
           "|| { rc=$?; echo failed; exit $rc; }",
           "|| { rc=$?; ./collect-logs.sh; exit $rc; }",
           "|| { rc=$?; ./notify.sh; }"]
SETS = ["set -e", "set +e", "set -eu", "set -x", "set -o errexit",
        "set +o errexit"]
SETS_BASH = ["set -o pipefail", "set +o pipefail", "set -euo pipefail",
             "set -eo pipefail", "set -Eeuo pipefail"]


class Gen:
    """one script; `bash` records a bash-only construct, `split` a line
    that is not a whole command (so no gitlab-items)"""

    def __init__(self, rnd, depth):
        self.r = rnd
        self.max_depth = depth
        self.bash = False
        self.split = False
        self.fns = []
        self.nfn = 0

    def pick(self, *weighted):
        total = sum(w for w, _ in weighted)
        x = self.r.uniform(0, total)
        for w, f in weighted:
            x -= w
            if x <= 0:
                return f()
        return weighted[-1][1]()

    def crit(self):
        return self.r.choice(CRITICAL)

    def plain(self):
        return self.r.choice(PLAIN)

    # a simple or compound command; sq: inside single quotes
    def command(self, d, sq, fn):
        leaf = [(6, self.crit), (3, self.plain)]
        if d >= self.max_depth:
            return self.pick(*leaf)
        q = '"' if sq else "'"
        opts = leaf + [
            (1, lambda: f"( {self.list_(d + 1, sq, fn)} )"),
            (1, lambda: f"{{ {self.list_(d + 1, sq, fn)}; }}"),
            (1.5, lambda: self.if_(d, sq, fn)),
            (0.7, lambda: f"for t in a b; do {self.list_(d + 1, sq, fn)}; "
                          "done"),
            (0.7, lambda: f"while {self.list_(d + 1, sq, fn)}; do "
                          f"{self.list_(d + 1, sq, fn)}; break; done"),
            (0.5, lambda: f"for i in 1 2 3; do {self.crit()} && break; "
                          "done"),
            (0.4, lambda: f"until {self.crit()}"
                          f"{self.r.choice(['', ' ' + PIPE_TAIL[0]])}; "
                          "do sleep 0; done"),
            (1, lambda: f"timeout 60 {self.crit()}"),
            (1, lambda: f"echo \"$({self.list_(d + 1, sq, fn)})\""),
            (0.6, lambda: f"echo $({self.list_(d + 1, sq, fn)})"),
            (1, lambda: f"x=$({self.list_(d + 1, sq, fn)})"),
            (0.5, lambda: f"export OUT=$({self.andor(d + 1, sq, fn)})"),
            (0.6, lambda: f"x=`{self.crit()}`"),
            (0.5, lambda: "cat tests.txt | xargs " + self.crit()),
            (0.3, lambda: "xargs -n1 pytest < tests.txt"),
        ]
        if not sq:
            opts += [
                (0.8, lambda: f"bash -c '{self.list_(d + 1, True, None)}'"),
                (0.6, lambda: f"bash -ec '{self.list_(d + 1, True, None)}'"),
                (0.6, lambda: f"sh -c '{self.list_(d + 1, True, None)}'"),
                (0.8, lambda: f"eval '{self.list_(d + 1, True, fn)}'"),
                (0.4, lambda: "timeout 60 bash -c "
                              f"'{self.list_(d + 1, True, None)}'"),
            ]
        if self.fns:
            opts.append((2, lambda: self.r.choice(self.fns)))
        opts += [
            (0.4, lambda: f"command {self.crit()}"),
            (0.4, lambda: f"env CI=1 {self.crit()}"),
            (0.4, lambda: f"( set -e; {self.list_(d + 1, sq, fn)} )"),
            (0.3, lambda: f"( set +e; {self.list_(d + 1, sq, fn)} )"),
            (0.4, lambda: f"if ! {self.crit()}; then "
                          f"{self.r.choice(['exit 1', 'echo failed', 'exit 0', 'false'])}; fi"),
        ]
        opts += self.idioms(d, sq, fn)
        if fn:
            opts += [(0.7, lambda: f"local out=$({self.andor(d + 1, sq, fn)})"),
                     (0.3, lambda: f"local out; out=$({self.andor(d + 1, sq, fn)})"),
                     (0.2, lambda: self.bashism(
                         f"local -r out=$({self.crit()})")),
                     (0.4, lambda: "return"), (0.4, lambda: "return $?"),
                     (0.3, lambda: "return 0")]
        return self.pick(*opts)

    def bashism(self, text):
        """text uses bash's syntax: dash cannot run it"""
        self.bash = True
        return text

    def idioms(self, d, sq, fn):
        """CI idioms: assignment builtins, [[ ]] and (( )), time, nohup,
        case, loops fed by pipes or $(...), set -e in a subshell, status
        checks after the command"""
        q = '"' if sq else "'"
        return [
            (0.4, lambda: f"readonly RO=$({self.crit()})"),
            (0.3, lambda: self.bashism(f"declare out=$({self.crit()})")),
            (0.3, lambda: self.bashism(
                f"declare -i n=0; n=$({self.crit()})")),
            (0.3, lambda: f"export OUT; OUT=$({self.crit()})"),
            (0.3, lambda: f"OUT=$({self.crit()}) ./notify.sh"),
            (0.3, lambda: f"a=1 b=$({self.crit()})"),
            (0.3, lambda: f"b=$({self.crit()}) a=1"),
            (0.4, lambda: f"x=$({self.crit()}) && echo ok"),
            (0.5, lambda: self.bashism(
                f"time {self.crit()}{self.r.choice(['', ' | tee test.log'])}")),
            (0.3, lambda: self.bashism(f"time {{ {self.list_(d + 1, sq, fn)}; }}")),
            (0.4, lambda: f"nohup {self.crit()}"),
            (0.3, lambda: f"command -v pytest && {self.crit()}"),
            (0.3, lambda: f"env -u DEBUG {self.crit()}"),
            (0.4, lambda: f"{self.crit()}; case $? in 0) echo ok;; "
                          f"*) {self.r.choice(['exit 1', 'echo failed', 'exit $?', 'false'])};; esac"),
            (0.3, lambda: f"{self.crit()}; rc=$?; case $rc in 0) ;; "
                          "*) exit $rc;; esac"),
            (0.5, lambda: f"cat tests.txt | while read -r t; do "
                          f"{self.list_(d + 1, sq, fn)}; done"),
            (0.4, lambda: f"while read -r t; do {self.list_(d + 1, sq, fn)}; "
                          "done < tests.txt"),
            (0.3, lambda: f"{self.crit()} | while read -r line; do "
                          "echo \"$line\"; done"),
            (0.4, lambda: f"for t in $(cat tests.txt); do "
                          f"{self.list_(d + 1, sq, fn)}; done"),
            (0.4, lambda: f"for t in $({self.crit()}); do echo \"$t\"; done"),
            (0.3, lambda: f"until {self.crit()}; do echo retry; "
                          f"{self.r.choice(['break', 'exit 1', 'sleep 0'])}; done"),
            (0.3, lambda: f"( set -e; {self.crit()}; echo ok )"),
            (0.3, lambda: f"( set -e; {self.crit()}; echo ok ) || exit 1"),
            (0.3, lambda: f"if ( set -e; {self.crit()}; echo ok ); then "
                          "echo passed; fi"),
            (0.3, lambda: f"{self.crit()}; rc=$?; "
                          f"{self.r.choice(['[ $rc -eq 0 ] || exit $rc', 'test $rc = 0 || exit 1', '[ $rc -ne 0 ] && exit $rc'])}"),
            (0.3, lambda: self.bashism(
                f"{self.crit()}; rc=$?; "
                f"{self.r.choice(['(( rc != 0 )) && exit $rc', '(( rc == 0 )) || exit $rc', '[[ $rc -eq 0 ]] || exit $rc', '[[ $rc != 0 ]] && exit 1', '(( rc )) && exit 1', '(( ! rc )) || exit $rc'])}")),
            (0.3, lambda: self.bashism(
                f"if [[ $({self.crit()} >/dev/null; echo $?) -ne 0 ]]; "
                "then exit 1; fi")),
            (0.3, lambda: f"if ! {self.crit()} | tee test.log; then exit 1; fi"),
            (0.3, lambda: f"! {self.crit()} | tee test.log"),
            (0.3, lambda: f"echo {q}#{q}; {self.crit()}"),
            (0.3, lambda: f"{self.crit()} || echo {q}a | b{q}"),
            # process substitution: nobody reads its status
            (0.3, lambda: self.bashism(
                f"while read -r l; do echo \"$l\"; done < <({self.crit()})")),
            (0.2, lambda: self.bashism(f"cat <({self.crit()}) > out.log")),
            (0.2, lambda: self.bashism(
                f"{self.crit()} > >(tee test.log) 2>&1")),
            # the exit code against one number: the tool's codes decide
            (0.4, lambda: f"{self.crit()} || rc=$?; "
                          f"[ \"${{rc:-0}}\" -{self.r.choice(['eq', 'ne', 'gt', 'ge'])} "
                          f"{self.r.choice(['1', '2', '5', '101'])} ] "
                          f"&& exit {self.r.choice(['1', '0', '$rc'])}"),
            (0.3, lambda: f"{self.crit()}; case $? in "
                          f"{self.r.choice(['1', '1|2', '2', '5', '0|5'])}) "
                          f"{self.r.choice(['exit 1', 'echo failed', 'exit 0'])};; esac"),
            (0.2, lambda: f"{self.crit()} || [ $? -eq {self.r.choice(['1', '5'])} ]"),
            # a command named by a variable
            (0.3, lambda: f"CMD={q}{self.crit()}{q}; $CMD"
                          f"{self.r.choice(['', ' || true', ' | tee test.log'])}"),
            (0.2, lambda: self.bashism(
                f"cmd=({self.crit()}); \"${{cmd[@]}}\""
                f"{self.r.choice(['', ' || true'])}")),
            # does the shell have pipefail?
            (0.2, lambda: "if set -o | grep -q pipefail; then "
                          "set -o pipefail; fi"),
            # a status kept in a variable, a counter of failures
            (0.3, lambda: f"{self.crit()} && rc=0 || rc=$?"),
            (0.3, lambda: f"status=0; {self.crit()} || status=$?"),
            (0.3, lambda: f"fails=0; {self.crit()} || "
                          "fails=$((fails + 1))"),
            (0.2, lambda: self.bashism(f"fails=0; {self.crit()} || "
                          f"{self.r.choice(['((fails++))', '((fails+=1))', 'let fails++', 'let fails+=1'])}")),
            (0.3, lambda: f"if {self.crit()}; then :; else rc=$?; fi"),
            # (one critical job: two would race for the stubs' count)
            (0.3, lambda: f"{self.crit()} & p1=$!; {self.plain()} & p2=$!; "
                          f"{self.r.choice(['wait $p1 && wait $p2', 'wait $p1; wait $p2', 'wait $p1 $p2', 'wait'])}"),
            (0.2, lambda: f"exec {self.crit()}"),
            (0.2, lambda: f"command exec {self.crit()}"),
            # a guard on the environment: HOME is set, SKIP_SLOW is not
            (0.3, lambda: f"[ -n \"${self.r.choice(['HOME', 'SKIP_SLOW'])}\" ] "
                          f"&& {self.crit()} || true"),
            (0.2, lambda: f"if [ -z \"${self.r.choice(['HOME', 'SKIP_SLOW'])}\" ]; "
                          f"then {self.crit()}; else {self.crit()} || true; fi"),
            (0.2, lambda: f"unset HOME; [ -n \"$HOME\" ] && {self.crit()} || true"),
            (0.2, lambda: f"eval {q}rc=$?; {self.crit()}{q}"),
            # util-linux script: exits 0 unless -e
            (0.3, lambda: f"script -q{self.r.choice(['', 'e', ' --return'])} "
                          f"-c {q}{self.crit()}{q} /dev/null"
                          f"{self.r.choice(['', ' || true', ' | tee test.log'])}"),
            # counters a retry loop keeps, numbers compared
            (0.3, lambda: f"n=0; until {self.crit()}; do n=$((n+1)); "
                          f"[ $n -ge {self.r.choice(['1', '2', '3'])} ] && "
                          f"{self.r.choice(['break', 'exit 1'])}; done"),
            (0.3, lambda: f"tries=0; while [ $tries -lt {self.r.choice(['1', '2', '4'])} ]; "
                          f"do {self.crit()} && break; tries=$((tries+1)); done; "
                          f"{self.r.choice(['[ $tries -lt 2 ]', 'echo $tries', '[ $tries -eq 0 ] || exit 1'])}"),
            (0.2, lambda: self.bashism(
                f"n=0; for t in a b; do {self.crit()} || ((n++)); done; "
                f"{self.r.choice(['exit $n', '(( n == 0 ))', '[ $n -lt 2 ]'])}")),
            (0.3, lambda: f"rc=0; {self.crit()} || rc=$?; "
                          f"[ $rc -ne 0 ] && [ $rc -ne {self.r.choice(['1', '5'])} ] && exit $rc"),
        ]

    def if_(self, d, sq, fn):
        c = self.list_(d + 1, sq, fn)
        t = self.list_(d + 1, sq, fn)
        k = self.r.random()
        if k < 0.4:
            return f"if {c}; then {t}; fi"
        e = self.list_(d + 1, sq, fn)
        if k < 0.8:
            return f"if {c}; then {t}; else {e}; fi"
        c2 = self.list_(d + 1, sq, fn)
        return f"if {c}; then {t}; elif {c2}; then {e}; fi"

    def pipeline(self, d, sq, fn):
        c = self.command(d, sq, fn)
        k = self.r.random()
        if k < 0.18:
            return c + " " + self.r.choice(PIPE_TAIL)
        if k < 0.23:
            self.bash = True
            return c + " |& tee test.log"
        if k < 0.30:
            return "! " + c
        return c

    def andor(self, d, sq, fn):
        s = self.pipeline(d, sq, fn)
        for _ in range(2):
            if self.r.random() > (0.3 if d == 0 else 0.15):
                break
            k = self.r.random()
            if k < 0.45:
                tail = self.r.choice(OR_TAIL)
                if sq:
                    tail = tail.replace("'", '"')
                if fn and self.r.random() < 0.3:
                    tail = self.r.choice(["|| return 1", "|| return",
                                          "|| return 0", "|| return $?"])
                s += " " + tail
            elif k < 0.75:
                s += " && " + self.pipeline(d + 1, sq, fn)
            else:
                s += " || " + self.pipeline(d + 1, sq, fn)
        return s

    def list_(self, d, sq, fn):
        s = self.andor(d, sq, fn)
        for _ in range(2):
            if self.r.random() > (0.2 if d == 0 else 0.1):
                break
            k = self.r.random()
            if k < 0.15:
                s += "; true"
            elif k < 0.3:
                s += "; rc=$?"
            elif k < 0.4:
                s += self.r.choice(["; set +e", "; set -e"])
            else:
                s += "; " + self.andor(d + 1, sq, fn)
        return s

    def function(self):
        name = ["run_tests", "migrate", "check", "retry_tests"][self.nfn % 4]
        self.nfn += 1
        body = self.list_(1, False, name)
        k = self.r.random()
        if k < 0.15:
            body = "set -e; " + body    # errexit is global: not the caller's
        elif k < 0.22:
            body = "set +e; " + body
        if self.r.random() < 0.35:
            body += "; " + self.r.choice(["return $?", "return 0", "return 1",
                                          "echo ok"])
        self.fns.append(name)
        call = []
        if self.r.random() < 0.7:
            call = [self.r.choice([
                name, f"{name} || true", f"if {name}; then echo ok; fi",
                f"{name} | tee test.log", f"x=$({name})",
                f"{name} || exit 1", f"{name} && echo ok",
                f"if ! {name}; then exit 1; fi", f"{name}; rc=$?"])]
        if self.r.random() < 0.1:
            # a function whose body is a subshell: its set -e stays there
            self.fns.append(name)
            return [f"{name}() ( {body} )"] + call
        if self.r.random() < 0.5 and not re.search(r"[{}'\"(`]", body):
            self.split = True
            return [f"{name}() {{",
                    *("  " + p for p in body.split("; ")), "}"] + call
        return [f"{name}() {{ {body}; }}"] + call

    def line(self, last):
        k = self.r.random()
        if k < 0.12:
            if self.r.random() < 0.3:
                self.bash = True
                return [self.r.choice(SETS_BASH)]
            return [self.r.choice(SETS)]
        if k < 0.17:
            t = self.r.choice(["'echo cleanup' EXIT", "'exit 0' EXIT",
                               "'./collect-logs.sh' EXIT",
                               "'rc=$?; ./collect-logs.sh; exit $rc' EXIT",
                               "'echo failed >&2' ERR", "'exit 1' ERR",
                               "'exit 0' ERR", "- EXIT",
                               '"./collect-logs.sh; exit $?" EXIT',
                               "'./collect-logs.sh; exit' EXIT",
                               '"rc=$?; exit $rc" EXIT'])
            if t.endswith("ERR"):
                self.bash = True
            if self.r.random() < 0.2:
                self.split = True
                return ["cleanup() { ./collect-logs.sh; "
                        + self.r.choice(["", "exit 0; ", "exit; ",
                                         "return 0; "]) + "}",
                        "trap cleanup " + self.r.choice(["EXIT", "ERR"])]
            return ["trap " + t]
        if k < 0.25:
            return self.function()
        if k < 0.30:
            c = self.crit()
            w = self.r.choice(["wait", "wait $!", "wait %1"])
            if self.r.random() < 0.5:
                return [f"{c} &", w]
            return [f"{c} & pid=$!", self.r.choice(["wait $pid", "wait",
                                                     "wait $pid || true"])]
        if k < 0.34:
            return [self.r.choice(["rc=$?", "exit $?", "exit $rc",
                                   '[ "$rc" -eq 0 ] || exit $rc',
                                   "test $rc -eq 0", 'echo "status $?"',
                                   "exit 0", "wait"])]
        if k < 0.40 and not self.bash:
            # a multi-line if
            self.split = True
            c = self.list_(1, False, None)
            return [f"if {c}; then", "  " + self.list_(1, False, None),
                    "else", "  " + self.list_(1, False, None), "fi"]
        if k < 0.36 and self.r.random() < 0.5:
            self.bash = True
            return self.r.choice([
                [f"{self.crit()} | tee test.log; exit ${{PIPESTATUS[0]}}"],
                [f"{self.crit()} | tee test.log",
                 "test ${PIPESTATUS[0]} -eq 0"],
                ["shopt -s inherit_errexit"],
                [f"{self.crit()} & {self.crit()} &", "wait -n; wait -n"],
                ["set -E", "trap 'exit 1' ERR"],
            ])
        if k < 0.38:
            self.split = True
            sh = self.r.choice(["bash -e", "bash", "sh -e", "sh"])
            # unquoted: the outer shell expands `$?` in it first
            delim = self.r.choice(["'EOF'", "EOF"])
            status = self.r.choice(["exit $?", "rc=$?", "exit $rc",
                                    "[ $? -eq 0 ] || exit 1",
                                    "case $? in 0) ;; *) exit 1;; esac"])
            body = [self.list_(1, False, None), self.list_(1, False, None)]
            if self.r.random() < 0.5:
                body.insert(self.r.randint(1, 2), status)
            return [f"{sh} <<{delim}"] + body + ["EOF"]
        if k < 0.40:
            return [self.r.choice(["[ $? -eq 0 ] || exit 1",
                                   "test $? -ne 0 && exit 1",
                                   "if [ $? -ne 0 ]; then exit 1; fi",
                                   f"exec {self.crit()}",
                                   f"{self.crit()} && echo ok || "
                                   "echo failed"])]
        if k < 0.415:
            return [self.r.choice([
                "exit $status", "exit ${rc:-0}", "exit $fails",
                '[ "$fails" -eq 0 ] || exit 1', "exit $((fails > 0))",
                '[ "${status:-0}" = 0 ] || exit "$status"'])]
        if k < 0.43:
            return [f"{self.crit()}; rc=$?",
                    self.r.choice(["exit $rc", "[ $rc -eq 0 ] || exit $rc",
                                   'echo "exit code $rc"',
                                   "if [ $rc -ne 0 ]; then exit 1; fi"])]
        if k < 0.47:
            return self.line_idiom()
        return [self.list_(0, False, None)]

    def line_idiom(self):
        """idioms that need a line of their own: comments, continuations,
        here-documents piped into a shell"""
        self.split = True
        c = self.crit()
        return self.r.choice([
            [f"{c} # || true"],
            [f"{c}  # | tee test.log"],
            ["# pytest || true", self.list_(1, False, None)],
            [f"{c} \\", "  || true"],
            [f"{c} \\", "  | tee test.log"],
            [f"{c} \\", "  && echo ok"],
            [f"{self.list_(1, False, None)} && \\", f"  {c}"],
            [f"{self.list_(1, False, None)} || \\", f"  {c}"],
            [f"cat <<'EOF' | {self.r.choice(['bash', 'bash -e', 'sh', 'sh -e'])}",
             self.list_(1, False, None), "EOF"],
            [f"{self.r.choice(['bash', 'bash -e', 'sh -e'])} -s <<EOF",
             self.list_(1, False, None), "EOF"],
            [f'{self.r.choice(["bash", "sh"])} -c "{c}; exit $?"'],
            [f'{self.r.choice(["bash", "sh"])} -c "{c}; rc=$?; exit $rc"'],
            [f'eval "{c}; exit $?"'],
        ])


BASH_ONLY = (r"(\|&|pipefail|ERR|\[\[|\(\(|declare|\btime\b|local -r|"
             r"[<>]\(|\w=\()")


def dash_runs_bash(text):
    """does sh (dash) get bash's syntax: in `sh -c '...'`, or in a
    here-document that sh reads?"""
    if re.search(r"sh -c '[^']*" + BASH_ONLY, text):
        return True
    for m in re.finditer(r"(\bsh( -e)?( -s)? <<'?EOF'?|<<'?EOF'? \| sh"
                         r"( -e)?)\n(.*?)\nEOF", text, re.S):
        if re.search(BASH_ONLY, m.group(5)):
            return True
    return False


def script(rnd, depth):
    """a script, whether it is bash only, whether a line is not a whole
    command"""
    while True:
        g = Gen(rnd, depth)
        n = rnd.randint(1, 5)
        lines = []
        for i in range(n):
            more = g.line(i == n - 1)
            if lines and len(lines) + len(more) > 6:
                break
            lines += more
        text = "\n".join(lines) + "\n"
        if "local out" in text and not any(
                ln.startswith(tuple(g.fns)) or "() {" in ln for ln in lines):
            continue
        if not any(c.split()[0] in text for c in CRITICAL):
            continue
        # dash cannot parse bash's syntax in `sh -c` or a here-document
        # fed to sh either
        # (some of them kept: dash stops at the line it cannot parse)
        if dash_runs_bash(text) and rnd.random() < 0.7:
            continue
        if "$rc" in text and ("rc=" not in text or
                              text.index("rc=") > text.index("$rc")):
            continue
        # `$(` of a subshell `( ... )`, not arithmetic (`$((n + 1))`)
        return text.replace("$(( ", "$( ( "), g.bash, g.split


def runners_for(text, bash_only, split):
    rs = ["gh-default", "gh-bash"]
    if not bash_only:
        rs.append("gh-sh")
    rs.append("gitlab")
    if not split and len([ln for ln in text.splitlines() if ln.strip()]) > 1:
        rs.append("gitlab-items")
    return rs


def make_case(name, body, runners):
    c = run.Case(name, os.path.join(HERE, "random"), 1)
    c.keys = {"runners": [" ".join(runners)]}
    c.body = body
    return c


def judge_cases(cases, ciguard, base, pool):
    """run.table() for cases in memory: the units, with .bash and .rule"""
    units = run.make_units(cases)
    gh_repo = tempfile.mkdtemp(prefix="repo-gh-", dir=base)
    repos = {}
    for u in units:
        repo = tempfile.mkdtemp(prefix="repo-gl-", dir=base) \
            if u.kind == "gitlab" else gh_repo
        run.write(os.path.join(repo, u.relpath), u.text)
        repos[id(u)] = repo

    def judge(u):
        try:
            run.judge_unit(u, base, repos[id(u)])
        except Exception as e:      # a shrunk body YAML cannot carry
            u.bash, u.note = "BROKEN", repr(e)
        except SystemExit as e:
            u.bash, u.note = "BROKEN", str(e)

    futs = [pool.submit(judge, u) for u in units]
    findings = {}

    def cg(r):
        findings[r] = run.run_ciguard(ciguard, r)
    futs += [pool.submit(cg, r) for r in sorted(set(repos.values()))]
    for f in futs:
        f.result()
    run.take_findings(units, repos, findings)
    for r in set(repos.values()):
        shutil.rmtree(r, ignore_errors=True)
    return units


def disagrees(u):
    return u.bash in ("masked", "caught") and u.bash != u.rule


def candidates(body):
    """smaller scripts: each line dropped, each `; x` / `&& x` / `|| x`
    part dropped, each critical command made plain `pytest`"""
    lines = body.splitlines()
    out = []
    for i in range(len(lines)):
        out.append(lines[:i] + lines[i + 1:])
    for i, ln in enumerate(lines):
        for m in re.finditer(r"(; |\s&&\s|\s\|\|\s|\s\|\s)", ln):
            # drop from this operator to the next one at the same level
            rest = ln[m.end():]
            nxt = re.search(r"(; |\s&&\s|\s\|\|\s|\s\|\s)", rest)
            cut = ln[:m.start()] + (rest[nxt.start():] if nxt else "")
            if cut.count("'") % 2 == 0 and cut.count('"') % 2 == 0:
                out.append(lines[:i] + [cut] + lines[i + 1:])
        for c in CRITICAL:
            if c != "pytest" and c in ln:
                out.append(lines[:i] + [ln.replace(c, "pytest", 1)] +
                           lines[i + 1:])
    seen, res = set(), []
    for ls in out:
        t = "\n".join(x for x in ls) + "\n"
        if t.strip() and t not in seen and t != body:
            seen.add(t)
            res.append(t)
    return res


def shrink(body, runner, want, ciguard, base, pool, budget=60):
    """the smallest body that still disagrees the same way under runner
    (bash still says `want`)"""
    n = [0]
    while n[0] < budget:
        cands = candidates(body)
        cases = [make_case(f"shrink-{i}", c, [runner])
                 for i, c in enumerate(cands)]
        if not cases:
            break
        n[0] += len(cases)
        units = judge_cases(cases, ciguard, base, pool)
        better = [u for u in units if disagrees(u) and u.bash == want]
        if not better:
            break
        body = min((u.case.body for u in better), key=len)
    return body


def block(name, body, units, note):
    verdicts = " ".join(f"{u.runner}={u.bash}" for u in units
                        if u.bash in ("masked", "caught"))
    return (f"== {name}\nrunners: {verdicts}\nnote: {note}\n--\n{body}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ciguard", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2 * (os.cpu_count() or 2))
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--skip", type=int, default=0,
                    help="generate, but do not run, the first K scripts")
    ap.add_argument("--show", action="store_true",
                    help="print the scripts, run nothing")
    args = ap.parse_args()
    args.ciguard = os.path.abspath(args.ciguard)
    rnd = random.Random(args.seed)
    scripts = [script(rnd, args.depth) for _ in range(args.count)]
    if args.show:
        for i, (t, b, s) in enumerate(scripts):
            print(f"== {args.seed}-{i} bash={b} split={s}\n{t}")
        return 0
    base = tempfile.mkdtemp(prefix="ciguard-gen-")
    # a copy, so that a rebuild during a long run changes nothing
    shutil.copy2(args.ciguard, os.path.join(base, "ciguard"))
    args.ciguard = os.path.join(base, "ciguard")
    stats = {}
    found = []
    seen = set()
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for start in range(args.skip, len(scripts), args.batch):
                cases = []
                for i in range(start, min(start + args.batch, len(scripts))):
                    t, b, s = scripts[i]
                    cases.append(make_case(f"rand-{args.seed}-{i}", t,
                                           runners_for(t, b, s)))
                units = judge_cases(cases, args.ciguard, base, pool)
                for u in units:
                    key = "ok" if u.bash == u.rule else \
                        ("DISAGREE" if disagrees(u) else u.bash)
                    st = stats.setdefault(u.runner, {})
                    st[key] = st.get(key, 0) + 1
                by_case = {}
                for u in units:
                    by_case.setdefault(u.case.name, []).append(u)
                for name, us in by_case.items():
                    bad = [u for u in us if disagrees(u)]
                    if not bad:
                        continue
                    u = bad[0]
                    body = u.case.body
                    if not args.no_shrink:
                        body = shrink(body, u.runner, u.bash, args.ciguard, base,
                                      pool)
                    if body in seen:
                        continue
                    seen.add(body)
                    us2 = judge_cases([make_case(name, body, runners_for(
                        body, "|&" in body or "pipefail" in body or
                        "ERR" in body, True))], args.ciguard, base, pool)
                    found.append((name, u.case.body, body, us2))
                    print(f"\n# DISAGREE {name} [{u.runner}]: bash "
                          f"{u.bash}, ciguard {u.rule}")
                    print("# original:")
                    print(run.indent(u.case.body, 4), end="")
                    for x in us2:
                        print(f"# {x.runner}: bash {x.bash} ciguard "
                              f"{x.rule} {'; '.join(x.rule_msgs)}")
                    print(block(name, body, us2,
                                f"found by gen.py --seed {args.seed}"))
                    sys.stdout.flush()
                done = min(start + args.batch, len(scripts))
                print(f"# {done}/{len(scripts)} scripts", file=sys.stderr)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("\n# per runner:")
    for r, st in sorted(stats.items()):
        print(f"#   {r:<13} " + " ".join(f"{k}={v}"
                                         for k, v in sorted(st.items())))
    print(f"# {len(found)} distinct disagreements")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
