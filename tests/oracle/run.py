#!/usr/bin/python3
"""Differential test: bash as the oracle of masked-failure, pipe-masks-failure.

usage: run.py --ciguard PATH [--record] [--jobs N] [--keep] [--no-e2e]
              [NAME...]

A case runs under the real shell its CI runner would use, with the critical
commands (test runners, migrations) replaced by stubs that fail on cue. The
rules must fire on a case exactly when that shell lets a failure through:

  bash says `masked`  <=>  ciguard reports masked-failure or pipe-masks-failure
                           in that case's CI file

Part 1, the table: tests/oracle/cases/*.txt. Part 2: every tests/e2e/*/repo
CI file, step by step (GitHub) and job by job (GitLab), against the findings
in that e2e case's expected.json.

E2E units that bash cannot judge as they stand are listed, with the
reason, in tests/oracle/e2e-outside.txt.

Random cases: tests/oracle/gen.py generates scripts from a grammar of CI
shell idioms, judges them with this file's machinery under every runner,
and prints each disagreement, shrunk, as a case block for cases/.

CASE FILES (tests/oracle/cases/*.txt). Lines before the first case are
comments. A case is

    == NAME
    KEY: VALUE
    ...
    --
    BODY

and runs to the next line that starts with `== `; trailing blank lines are
dropped. Keys:

  runners: R=VERDICT ...   the body is a shell script, run under each runner R
                           (one case per runner); VERDICT (masked | caught) is
                           what bash said, recorded by --record
  ci: github|gitlab|composite
                           the body is a whole CI file (a GitHub workflow, a
                           .gitlab-ci.yml, an action.yml with composite steps)
  oracle: VERDICT          the recorded verdict of a `ci:` case
  shell: TEMPLATE          the `shell:` of the gh-custom runner, such as
                           bash -l {0}
  code: N                  the exit code of the failing invocation (default:
                           the tool's own, see FAILURE_CODES)
  dry: fails               the dry run is expected to fail (`! pytest` on the
                           last line fails when the tests pass)
  critical: WORDS          one more critical command, as a word prefix
                           (critical_commands in the .ciguard.yml that
                           ciguard then reads)
  fails: WORDS             a command that the oracle fails on cue like a
                           critical one, while ciguard is told nothing: a
                           readiness command (`./wait-for-services.sh`,
                           `dockerize -wait`), whose lost failure ciguard
                           must find on its own. The first word is a stub
                           (a script in the work folder when it holds a
                           `/`, else a command on PATH); the words are a
                           prefix, as for critical:
  outside: REASON          bash cannot judge this case (a GitHub expression,
                           an `if:` condition, ...): it is not run, and the
                           rule's verdict is only shown
  note: TEXT               free text: why the case is here

Runners:
  gh-default   a GitHub step without `shell:`: `bash -e {0}`
               (actions/runner ScriptHandler: the default shell is "sh"'s
               argument format `-e {0}` run by bash when bash is on PATH)
  gh-bash      `shell: bash`: bash --noprofile --norc -e -o pipefail {0}
  gh-sh        `shell: sh`: sh -e {0} (dash on Debian)
  gh-custom    `shell: TEMPLATE` (the case's shell: key), {0} = the file
  gitlab       a .gitlab-ci.yml job whose script is the body as ONE item
  gitlab-items the same job with each line of the body as its own item

THE ORACLE. The CI file is simulated:
  GitHub (actions/runner, src/Runner.Worker/Handlers/ScriptHandler.cs and
    ScriptHandlerHelpers.cs): jobs in order, steps in order; a step writes
    its `run:` text unchanged to a file and runs its shell on it; a failing
    step fails the job and skips the later steps, unless it has
    `continue-on-error: true`; a job with `continue-on-error: true` cannot
    fail the workflow. Steps share the working directory, not the
    environment, except what a step writes to $GITHUB_ENV (NAME=value,
    NAME<<DELIM), which later steps of the job get over the job's env and
    under their own (SetEnvFileCommand). `uses:` steps do nothing. An `if:`, a `${{ }}` in what
    matters, a pwsh step (a Windows runner's default): outside. A step
    of a container job without `shell:` runs `sh -e {0}` (dash).
  GitLab (gitlab-runner's bash shell: shells/bash.go BashWriter.Finish and
    shells/abstract.go writeCommands; the same in
    functions/concrete/run/stages/internal/scriptwriter/scriptwriter.go):
    before_script items (the job's, else default:'s, else the top-level
    one) then script items become ONE script, each item preceded by the
    runner's `echo "$ ITEM"` line (so $? at the start of every item is 0),
    run by one bash as

        trap 'exit 1' TERM
        case "$(set -o)" in *"pipefail"*) set -o pipefail;; esac; set -o errexit
        set +o noclobber
        (trap 'exit 1' TERM; eval 'BODY') < /dev/null
        exit 0

    (older runners: `if set -o | grep pipefail ...` for the case line, and
    `: | eval 'BODY'` or `: | (eval 'BODY')` for the subshell line, which
    FF_USE_LEGACY_BASH_EVAL still selects: the same semantics, eval in a
    subshell that inherits errexit and pipefail.) The feature flags
    FF_USE_LEGACY_BASH_EVAL and FF_ENABLE_BASH_EXIT_CODE_CHECK (a
    `_runner_exit_code=$?` test after every item) are honoured when the
    file sets them as variables. after_script items run the
    same way in a second bash whose status is ignored. A failed job passes
    when `allow_failure: true`, or when its exit code is in
    `allow_failure: {exit_codes: [...]}`. A `rules:` entry's allow_failure
    replaces the job's when that entry is the first to match; an entry with
    if:/changes:/exists: is taken to match in some pipeline, so the job
    passes if ANY reachable entry allows its exit code (masked = some
    pipeline lets the failure through). include: local, extends,
    !reference, default:, inherit:default, variables: are followed; a
    manual job is outside.
  A run is a fresh scratch folder, a PATH that starts with the stubs
  (tests/oracle/stub.sh; login shells get it back from ~/.bash_profile),
  and 10 s per shell. The dry run (no stub fails) must end with every shell
  exiting 0 and at least one critical invocation (N of them); else the
  case is BROKEN. Then for K = 1..N the K-th critical invocation fails,
  with each exit code that tool fails with (FAILURE_CODES: pytest 1 and 2,
  make 2, ctest 8, cargo 101, others 1; or the case's `code:`). The case is
  `masked` when some such run still ends with the CI run passing, else
  `caught`. An e2e fixture may call commands no stub knows:
  they get a stub that succeeds (the note says which).

  The scratch folder holds backend/ frontend/ app/ tests/ reports/test.log,
  log (two lines, one with "error"), test.log, pytest.log, out.log,
  requirements.txt, tests.txt (two test file names), docker-compose.yml,
  docker-compose.test.yml, and the executable scripts collect-logs.sh,
  other.sh, upload.sh and notify.sh (each exits 0).

RESULT per case: ok, DISAGREE (bash and ciguard differ), outside (not judged),
BROKEN (the dry run failed), STALE (bash no longer says what the case
records). Exit status 1 on any DISAGREE, BROKEN or STALE, in either part.
--record rewrites the recorded verdicts from what bash says now.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
E2E = os.path.join(ROOT, "tests", "e2e")
RULES = ("masked-failure", "pipe-masks-failure")
SHELL_TIMEOUT = 10

CRITICAL_STUBS = ("pytest py.test tox nox ctest ciguard python python3 npm "
                  "yarn pnpm make go cargo alembic flask prisma").split()
WRAPPER_STUBS = ("docker podman docker-compose podman-compose kubectl poetry "
                 "pipenv pdm hatch uv npx sudo coverage").split()
PLAIN_STUBS = ("pip pip3 ruff flake8 mypy black isort pylint curl wget "
               "codecov notify upload-coverage go-junit-report mkdocs "
               "apt-get git redis-cli psql pg_isready junit2html aws gh helm "
               "slack-notify send-report").split()

GITHUB_SHELLS = {
    None: ["bash", "-e", "{0}"],
    "bash": ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
}
NOT_POSIX = {"python", "pwsh", "powershell", "cmd"}

GITLAB_PRELUDE = (
    "trap 'exit 1' TERM\n\n"
    "case \"$(set -o)\" in *\"pipefail\"*) set -o pipefail;; esac; "
    "set -o errexit\n"
    "set +o noclobber\n")

RUNNERS = ("gh-default", "gh-bash", "gh-sh", "gh-custom", "gitlab",
           "gitlab-items")


class Outside(Exception):
    """bash cannot judge this (the message says why)"""


class Broken(Exception):
    """the case cannot be run as written"""


# ---------------------------------------------------------------- YAML

class YMap(dict):
    src = None
    span = None       # (first line, last line), 1-based
    keyspans = None   # key -> (first line, last line) of key and value


class YList(list):
    src = None
    span = None


class Ref:
    """a GitLab !reference [a, b, ...]"""

    def __init__(self, path, src, span):
        self.path, self.src, self.span = path, src, span


class Source:
    def __init__(self, path, text):
        self.path = path          # relative to the repository
        self.lines = text.split("\n")


def node_span(src, node):
    first = node.start_mark.line
    em = node.end_mark
    last = em.line
    if last >= len(src.lines) or src.lines[last][:em.column].strip(" -") == "":
        last -= 1
    while last > first and (src.lines[last].strip() == "" or
                            src.lines[last].lstrip().startswith("#")):
        last -= 1
    return (first + 1, max(first, last) + 1)


def to_value(src, node, memo):
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, yaml.MappingNode):
        m = YMap()
        memo[id(node)] = m
        m.src, m.span, m.keyspans = src, node_span(src, node), {}
        merged = {}
        for k, v in node.value:
            if k.tag == "tag:yaml.org,2002:merge":
                base = to_value(src, v, memo)
                for b in (base if isinstance(base, list) else [base]):
                    if isinstance(b, dict):
                        for bk, bv in b.items():
                            # a merged key's lines are where the anchored
                            # map wrote it
                            merged.setdefault(bk, (bv, getattr(
                                b, "keyspans", {}).get(bk, m.span)))
                continue
            key = to_value(src, k, memo)
            try:
                hash(key)
            except TypeError:
                key = str(key)
            m[key] = to_value(src, v, memo)
            m.keyspans[key] = (k.start_mark.line + 1, node_span(src, v)[1])
        for bk, (bv, span) in merged.items():
            if bk not in m:
                m[bk] = bv
                m.keyspans[bk] = span
        return m
    if isinstance(node, yaml.SequenceNode):
        items = [to_value(src, n, memo) for n in node.value]
        if node.tag == "!reference":
            r = Ref([str(i) for i in items], src, node_span(src, node))
            memo[id(node)] = r
            return r
        lst = YList(items)
        lst.src, lst.span = src, node_span(src, node)
        memo[id(node)] = lst
        return lst
    tag, v = node.tag, node.value
    if tag == "tag:yaml.org,2002:bool":
        return v.lower() in ("true", "yes", "on", "y")
    if tag == "tag:yaml.org,2002:int":
        try:
            return int(v.replace("_", ""), 0)
        except ValueError:
            return v
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:float":
        try:
            return float(v)
        except ValueError:
            return v
    return v


def load_yaml(path, rel):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Outside("not UTF-8")
    if "\0" in text:
        raise Outside("binary file")
    if text.count("*") > 200 and text.count("&") > 20:
        raise Outside("alias bomb")
    src = Source(rel, text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise Outside("YAML does not parse: " + str(e).split("\n")[0])
    if node is None:
        return None, src
    return to_value(src, node, {}), src


def has_expr(*values):
    for v in values:
        if isinstance(v, str) and "${{" in v:
            return True
        if isinstance(v, dict) and has_expr(*v.keys(), *v.values()):
            return True
        if isinstance(v, list) and has_expr(*v):
            return True
    return False


def env_of(mapping, what):
    env = {}
    if mapping is not None and not isinstance(mapping, dict):
        raise Outside(f"{what} env is not a mapping")
    for k, v in (mapping or {}).items():
        if isinstance(v, dict):
            v = v.get("value", "")
        if v is None:
            v = ""
        if isinstance(v, bool):
            v = "true" if v else "false"
        if has_expr(str(v)):
            raise Outside(f"{what} env {k} is a GitHub expression")
        env[str(k)] = str(v)
    return env


# ---------------------------------------------------------------- plans
#
# A plan is what a CI run does: a list of jobs, each a list of shell
# executions and a rule that says whether the job passes.

class Exec:
    def __init__(self, argv, script, env, label, ignore_status=False,
                 step_env=None):
        self.argv = argv            # '{0}' is the script file
        self.script = script
        self.env = env
        self.label = label
        self.ignore_status = ignore_status
        self.step_env = step_env or {}  # github: the step's own env:


class Job:
    """kind github: steps run until one fails without continue-on-error.
    kind gitlab: execs[0] is the job script, the rest after_script."""

    def __init__(self, name, kind, span_sources):
        self.name = name
        self.kind = kind
        self.execs = []
        self.step_coe = []          # github: continue-on-error per exec
        self.job_coe = False        # github: the job's continue-on-error
        self.allow_failure = []     # gitlab: per possible rules: entry,
        #                             True, False or the allowed exit codes
        self.sources = span_sources  # [(path, first, last)]
        self.text = ""


def github_shell(shell):
    if shell is None or shell in GITHUB_SHELLS:
        return GITHUB_SHELLS[shell if shell is None else shell]
    if not isinstance(shell, str):
        raise Outside(f"shell {shell!r}")
    if has_expr(shell):
        raise Outside("shell is a GitHub expression")
    if shell in NOT_POSIX:
        raise Outside(f"shell: {shell} is not a POSIX shell")
    if "{0}" not in shell:
        raise Outside(f"shell {shell!r} has no {{0}}")
    argv = shlex.split(shell)
    if argv[0] in NOT_POSIX:
        raise Outside(f"shell: {shell} is not a POSIX shell")
    return argv


def coe_value(v, what):
    if v is None or v is False:
        return False
    if v is True:
        return True
    # a literal alone in an expression is that value
    m = re.fullmatch(r"\$\{\{[ \t]*(true|false)[ \t]*\}\}", str(v))
    if m:
        return m.group(1) == "true"
    raise Outside(f"{what} continue-on-error: {v!r} is an expression")


def github_base_env():
    return {"CI": "true", "GITHUB_ACTIONS": "true"}


def github_step_exec(step, defaults_shell, env, where):
    if "if" in step:
        raise Outside(f"{where} has an `if:` condition")
    run = step.get("run")
    if not isinstance(run, str):
        raise Outside(f"{where}: run is not text")
    if has_expr(run):
        raise Outside(f"{where}: run holds a GitHub expression")
    if "working-directory" in step:
        raise Outside(f"{where} sets working-directory")
    shell = step.get("shell", defaults_shell)
    argv = github_shell(shell)
    e = dict(env)
    own = env_of(step.get("env"), where)
    e.update(own)
    return Exec(argv, run, e, where, step_env=own)


def defaults_shell_of(m):
    d = (m or {}).get("defaults") or {}
    return ((d.get("run") or {}) if isinstance(d, dict) else {}).get("shell")


def github_jobs(doc, src, per_step=False):
    """the jobs of a workflow; with per_step, one Job per run: step (a job
    with continue-on-error stays whole), and (unit, Outside) pairs for
    what cannot be judged"""
    out = []
    if not isinstance(doc, dict):
        return out
    wf_shell = defaults_shell_of(doc)
    wf_env = github_base_env()
    try:
        wf_env.update(env_of(doc.get("env"), "workflow"))
    except Outside as e:
        return [((src.path, 1, 1), e)]
    jobs = doc.get("jobs")
    if not isinstance(jobs, YMap):
        return out
    for jname, job in jobs.items():
        if not isinstance(job, YMap):
            continue
        jspan = (src.path,) + doc["jobs"].keyspans[jname]
        try:
            if "if" in job:
                raise Outside(f"job {jname} has an `if:` condition")
            ro = job.get("runs-on", "")
            windows = "windows" in json.dumps(ro, default=str).lower()
            # runs-on: ${{ matrix.KEY }} over Windows runners only
            mk = re.search(r"matrix\.([A-Za-z0-9_-]+)", str(ro))
            mx = (job.get("strategy") or {}).get("matrix") \
                if isinstance(job.get("strategy"), YMap) else None
            if mk and isinstance(mx, YMap):
                vals = list(mx.get(mk.group(1)) or [])
                vals += [e.get(mk.group(1)) for e in mx.get("include") or []
                         if isinstance(e, YMap) and mk.group(1) in e]
                wins = ["windows" in str(v).lower() for v in vals]
                windows = bool(wins) and all(wins)
            # a job container: the runner runs `sh` there, not the
            # bash it finds on the runner (ScriptHandler.cs: fileName is
            # shellCommand in a container step host), and sh is dash in
            # Debian images; an empty image makes no container
            cont = job.get("container")
            if isinstance(cont, YMap):
                cont = cont.get("image")
            in_container = cont not in (None, "")
            if "uses" in job:
                raise Outside(f"job {jname} calls a reusable workflow")
            jcoe = coe_value(job.get("continue-on-error"), f"job {jname}")
            # Windows runners default to pwsh; `shell: bash` there is Git
            # Bash with the same flags
            shell = defaults_shell_of(job) or wf_shell or \
                ("pwsh" if windows else "sh" if in_container else None)
            env = dict(wf_env)
            env.update(env_of(job.get("env"), f"job {jname}"))
        except Outside as e:
            out.append((jspan, e))
            continue
        steps = job.get("steps") or []
        if not isinstance(steps, list):
            out.append((jspan, Outside(f"job {jname}: steps is not a list")))
            continue
        whole = Job(jname, "github", [jspan])
        whole.job_coe = jcoe
        whole_outside = None
        for i, step in enumerate(steps):
            if not isinstance(step, YMap) or "run" not in step:
                if isinstance(step, YMap) and "if" in step and not per_step:
                    whole_outside = Outside(f"job {jname} step {i + 1} has "
                                            "an `if:` condition")
                continue
            where = f"job {jname} step {i + 1}"
            sspan = (src.path,) + step.span
            try:
                ex = github_step_exec(step, shell, env, where)
                coe = coe_value(step.get("continue-on-error"), where)
                if coe and any(isinstance(s, dict) and "if" in s
                               for s in steps[i + 1:]):
                    raise Outside(f"{where} has continue-on-error and a "
                                  "later step has an `if:` that may "
                                  "re-raise its failure")
            except Outside as e:
                if per_step and not jcoe:
                    out.append((sspan, e))
                else:
                    whole_outside = whole_outside or e
                continue
            if per_step and not jcoe:
                j = Job(where, "github", [sspan])
                j.execs, j.step_coe, j.text = [ex], [coe], ex.script
                out.append(j)
            whole.execs.append(ex)
            whole.step_coe.append(coe)
            whole.text += ex.script
        if per_step and not jcoe:
            continue
        out.append((jspan, whole_outside) if whole_outside else whole)
    return out


def composite_jobs(doc, src):
    runs = (doc or {}).get("runs") or {}
    if runs.get("using") != "composite":
        return []
    j = Job("composite", "github", [(src.path,) + doc.span])
    env = github_base_env()
    for i, step in enumerate(runs.get("steps") or []):
        if not isinstance(step, dict) or "run" not in step:
            continue
        where = f"composite step {i + 1}"
        if "shell" not in step:
            raise Broken(f"{where} has no shell: (required in composite)")
        ex = github_step_exec(step, None, env, where)
        j.execs.append(ex)
        j.step_coe.append(coe_value(step.get("continue-on-error"), where))
        j.text += ex.script
    return [j]


# GitLab

GITLAB_RESERVED = {"image", "services", "stages", "types", "before_script",
                   "after_script", "variables", "cache", "include", "default",
                   "workflow", "spec"}


def deep_merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base else v
        return out
    return over


class GitlabDoc:
    def __init__(self, repo, main="/.gitlab-ci.yml", text=None):
        self.repo = repo
        self.top = {}
        self.origins = {}       # top-level key -> [(path, first, last)]
        self.sub_origins = {}   # (key, subkey) -> [(path, first, last)]
        self._load(main, text, 0)

    def _load(self, rel, text, depth):
        if depth > 10:
            raise Outside("include nesting deeper than 10")
        rel = rel.lstrip("/")
        if text is None:
            path = os.path.join(self.repo, rel)
            if not os.path.exists(path):
                raise Outside(f"included file {rel} is missing")
            doc, src = load_yaml(path, rel)
        else:
            src = Source(rel, text)
            doc = to_value(src, yaml.compose(text, Loader=yaml.SafeLoader),
                           {})
        if not isinstance(doc, dict):
            return
        inc = doc.get("include")
        if inc is not None:
            for item in (inc if isinstance(inc, list) else [inc]):
                if isinstance(item, dict) and list(item) == ["local"]:
                    item = item["local"]
                if not isinstance(item, str) or "://" in item:
                    raise Outside(f"include {item!r} is not a local file")
                matches = sorted(glob.glob(os.path.join(self.repo,
                                                        item.lstrip("/"))))
                if not matches:
                    raise Outside(f"included file {item} is missing")
                for m in matches:
                    self._load(os.path.relpath(m, self.repo), None, depth + 1)
        for k, v in doc.items():
            if k == "include":
                continue
            self.top[k] = deep_merge(self.top[k], v) if k in self.top else v
            self.origins.setdefault(k, []).append(
                (src.path,) + doc.keyspans[k])
            if isinstance(v, YMap):
                for sk in v:
                    self.sub_origins.setdefault((k, sk), []).append(
                        (src.path,) + v.keyspans[sk])

    def resolve_refs(self, v, used, depth=0):
        if depth > 10:
            raise Outside("!reference nesting deeper than 10")
        if isinstance(v, Ref):
            cur = self.top
            for p in v.path:
                if not isinstance(cur, dict) or p not in cur:
                    raise Outside(f"!reference {v.path} points nowhere")
                cur = cur[p]
            if len(v.path) >= 2:
                used.extend(self.sub_origins.get(tuple(v.path[:2]), []))
            else:
                used.extend(self.origins.get(v.path[0], []))
            return self.resolve_refs(cur, used, depth + 1)
        if isinstance(v, list):
            out = []
            for i in v:
                r = self.resolve_refs(i, used, depth)
                # a !reference inside a list splices one level in
                if isinstance(i, Ref) and isinstance(r, list):
                    out.extend(r)
                else:
                    out.append(r)
            return out
        if isinstance(v, dict):
            return {k: self.resolve_refs(x, used, depth) for k, x in v.items()}
        return v

    def expand(self, name, used, seen=()):
        if name in seen:
            raise Outside(f"extends cycle through {name}")
        job = self.top.get(name)
        if not isinstance(job, dict):
            raise Outside(f"extends {name!r}: no such job")
        used.extend(self.origins.get(name, []))
        ext = job.get("extends")
        merged = {}
        for parent in ([] if ext is None else
                       ext if isinstance(ext, list) else [ext]):
            merged = deep_merge(merged, self.expand(str(parent), used,
                                                    seen + (name,)))
        return deep_merge(merged, {k: v for k, v in job.items()
                                   if k != "extends"})

    @staticmethod
    def rule_allows(name, rules, job_allow):
        """the allow_failure of each rules: entry that can be the first to
        match in some pipeline (an entry with an if:, changes: or exists:
        is taken to be satisfiable; nothing after an entry without one is
        reachable); entries with when: never or manual start no job"""
        if not isinstance(rules, list):
            raise Outside(f"job {name}: rules is not a list")
        out = []
        for e in rules:
            if not isinstance(e, dict):
                raise Outside(f"job {name}: a rules entry is not a mapping")
            if set(e) - {"if", "changes", "exists", "when", "allow_failure",
                         "variables", "needs", "start_in", "interruptible"}:
                raise Outside(f"job {name}: rules entry {sorted(e)}")
            if e.get("when", "on_success") not in ("never", "manual"):
                out.append(e.get("allow_failure", job_allow))
            if not set(e) & {"if", "changes", "exists"}:
                break
        return out

    def jobs(self):
        out = []
        for name, job in self.top.items():
            if (not isinstance(name, str) or name.startswith(".") or
                    name in GITLAB_RESERVED or not isinstance(job, dict)):
                continue
            used = []
            span = self.origins.get(name, [])
            try:
                j = self.job(name, used)
            except Outside as e:
                out.append((span[0] if span else ("?", 0, 0), e))
                continue
            if j is not None:
                out.append(j)
        return out

    def job(self, name, used):
        spec = self.resolve_refs(self.expand(name, used), used)
        if "trigger" in spec:
            return None
        if "script" not in spec:
            return None
        if spec.get("when") == "manual":
            raise Outside(f"job {name} is manual")
        allow = spec.get("allow_failure", False)
        rules = spec.get("rules")
        if rules is None:
            allows = [allow]
        else:
            allows = self.rule_allows(name, rules, allow)
            if not allows:
                return None
        allows = [allow_codes(a, name) for a in allows]
        inherit = spec.get("inherit", {}) or {}
        inh = inherit.get("default", True) if isinstance(inherit, dict) \
            else True
        default = self.resolve_refs(self.top.get("default") or {}, used) \
            if isinstance(self.top.get("default"), dict) else {}

        def section(key):
            if key in spec:
                return spec[key]
            if (inh is True or (isinstance(inh, list) and key in inh)) \
                    and key in default:
                used.extend(self.sub_origins.get(("default", key), []))
                return default[key]
            if key in self.top:
                used.extend(self.origins.get(key, []))
                return self.resolve_refs(self.top[key], used)
            return []

        before = flatten(section("before_script"), name)
        script = flatten(spec["script"], name)
        after = flatten(section("after_script"), name)
        env = {"CI": "true", "GITLAB_CI": "true"}
        for vs in (self.top.get("variables"), default.get("variables"),
                   spec.get("variables")):
            if isinstance(vs, dict):
                env.update(env_of(vs, f"job {name}"))
        j = Job(name, "gitlab", list(dict.fromkeys(used)))
        j.allow_failure = allows
        j.execs.append(Exec(["bash", "{0}"],
                            gitlab_script(before + script, env), env,
                            f"job {name}"))
        if after:
            j.execs.append(Exec(["bash", "{0}"], gitlab_script(after, env),
                                env, f"job {name} after_script",
                                ignore_status=True))
        j.text = "\n".join(before + script + after)
        return j


def allow_codes(allow, name):
    """True, False, or the list of exit codes allowed to fail"""
    if isinstance(allow, dict):
        codes = allow.get("exit_codes", [])
        return [int(c) for c in (codes if isinstance(codes, list)
                                 else [codes])]
    if not isinstance(allow, bool):
        raise Outside(f"job {name}: allow_failure {allow!r}")
    return allow


def allowed(allow, rc):
    return allow is True or (isinstance(allow, list) and rc in allow)


def flatten(v, job, depth=0):
    if depth > 10:
        raise Outside(f"job {job}: script nested deeper than 10")
    if v is None:
        return []
    if isinstance(v, list):
        out = []
        for i in v:
            out.extend(flatten(i, job, depth + 1))
        return out
    if isinstance(v, (dict, Ref)):
        raise Outside(f"job {job}: a script item is not text")
    if isinstance(v, bool):
        v = "true" if v else "false"
    return [str(v)]


def feature_flag(env, name):
    """a runner feature flag set as a CI variable (Go's strconv.ParseBool)"""
    return env.get(name, "") in ("1", "t", "T", "TRUE", "true", "True")


def gitlab_script(items, env):
    """the step script gitlab-runner's bash shell writes for these items"""
    check = feature_flag(env, "FF_ENABLE_BASH_EXIT_CODE_CHECK")
    body = []
    for item in items:
        item = item.strip()
        if item == "":
            body.append("echo")
        elif "\n" in item:
            first = item.split("\n", 1)[0]
            body.append("echo " + shlex.quote(
                f"\x1b[32;1m$ {first} # collapsed multi-line command\x1b[0;m"))
        else:
            body.append("echo " + shlex.quote(f"\x1b[32;1m$ {item}\x1b[0;m"))
        body.append(item)
        if check:
            body.append("_runner_exit_code=$?; if [ $_runner_exit_code -ne 0 "
                        "]; then exit $_runner_exit_code; fi")
    body = shlex.quote("\n".join(body) + "\n")
    if feature_flag(env, "FF_USE_LEGACY_BASH_EVAL"):
        run = f": | eval {body}\n"
    else:
        run = f"(trap 'exit 1' TERM; eval {body}) < /dev/null\n"
    return GITLAB_PRELUDE + run + "exit 0\n"


# ---------------------------------------------------------------- running

STUB = open(os.path.join(HERE, "stub.sh")).read()
_counter = [0]
_counter_lock = threading.Lock()


def fail_stubs(fails):
    """the stubs' word prefixes for `fails:` values, the names to link on
    PATH, and the paths (with a `/`) to link in the work folder"""
    extra, on_path, in_work = [], [], []
    for f in fails:
        words = f.split()
        extra.append(" ".join([os.path.basename(words[0])] + words[1:]))
        (in_work if "/" in words[0] else on_path).append(words[0])
    return extra, on_path, in_work


def make_case_dir(base, extra_critical, more=(), fails=()):
    """the stubs, the home folder and the stubs' state for one case; each
    run gets a fresh work folder (reset_run)"""
    fail_extra, fail_path, fail_work = fail_stubs(fails)
    extra_critical = list(extra_critical) + fail_extra
    more = list(more) + [m for m in fail_path if m not in
                         CRITICAL_STUBS + WRAPPER_STUBS + PLAIN_STUBS]
    with _counter_lock:
        _counter[0] += 1
        d = os.path.join(base, f"case{_counter[0]}")
    for sub in ("bin", "state", "home"):
        os.makedirs(os.path.join(d, sub))
    stub = os.path.join(d, "bin", ".stub")
    with open(stub, "w") as f:
        f.write(STUB.replace("@STATE@", shlex.quote(os.path.join(d, "state"))))
    os.chmod(stub, 0o755)
    for name in CRITICAL_STUBS + WRAPPER_STUBS + PLAIN_STUBS + \
            [m for m in more if "/" not in m]:
        os.symlink(".stub", os.path.join(d, "bin", name))
    with open(os.path.join(d, "state", "extra"), "w") as f:
        f.write("".join(c + "\n" for c in extra_critical))
    home = os.path.join(d, "home")
    for rc in (".bash_profile", ".profile"):
        with open(os.path.join(home, rc), "w") as f:
            f.write(f"PATH={shlex.quote(os.path.join(d, 'bin'))}:$PATH\n")
    d_more = [m for m in more if "/" in m]
    return d, d_more, fail_work


def reset_run(d, d_more, fail_at, fail_code, d_fail=()):
    state = os.path.join(d, "state")
    for fname, text in (("count", "0\n"), ("fail_at", f"{fail_at}\n"),
                        ("fail_code", f"{fail_code}\n"), ("log", ""),
                        ("lock", "")):
        with open(os.path.join(state, fname), "w") as f:
            f.write(text)
    for sub in ("tmp", "work"):
        shutil.rmtree(os.path.join(d, sub), ignore_errors=True)
        os.makedirs(os.path.join(d, sub))
    w = os.path.join(d, "work")
    for sub in ("backend", "frontend", "app", "tests", "reports"):
        os.makedirs(os.path.join(w, sub))
    files = {"log": "collected 2 items\nerror: an example line\n",
             "test.log": "log\n", "pytest.log": "log\n",
             "out.log": "log\n", "reports/test.log": "log\n",
             "requirements.txt": "pytest\n",
             "tests.txt": "tests/test_a.py\ntests/test_b.py\n",
             "docker-compose.yml": "services: {}\n",
             "docker-compose.test.yml": "services: {}\n"}
    for name, text in files.items():
        with open(os.path.join(w, name), "w") as f:
            f.write(text)
    for name in ["collect-logs.sh", "other.sh", "upload.sh", "notify.sh"] + \
            d_more:
        p = os.path.normpath(os.path.join(w, name))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(p, 0o755)
    for name in d_fail:
        p = os.path.normpath(os.path.join(w, name))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(os.path.join(d, "bin", ".stub"), p)


def read_github_env(path):
    """the variables a step wrote to $GITHUB_ENV, as the runner reads them
    (actions/runner SetEnvFileCommand): NAME=value lines and NAME<<DELIM
    blocks; the file is gone afterwards (each step gets a new one)"""
    out = {}
    try:
        with open(path, errors="replace") as f:
            lines = f.read().split("\n")
    except OSError:
        return out
    os.unlink(path)
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, hd = line.find("="), line.find("<<")
        if eq > 0 and (hd < 0 or eq < hd):
            out[line[:eq]] = line[eq + 1:]
        elif hd > 0:
            name, delim, body = line[:hd], line[hd + 2:], []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            i += 1
            out[name] = "\n".join(body)
    return out


def run_exec(d, ex, n, written=None):
    tmp = os.path.join(d, "tmp")
    script = os.path.join(tmp, f"step{n}.sh")
    with open(script, "w") as f:
        f.write(ex.script)
    argv = [a.replace("{0}", script) for a in ex.argv]
    env = {"PATH": os.path.join(d, "bin") + ":/usr/local/bin:/usr/bin:/bin",
           "HOME": os.path.join(d, "home"), "LANG": "C.UTF-8",
           "TMPDIR": tmp, "USER": "runner"}
    for k in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH",
              "GITHUB_STEP_SUMMARY"):
        env[k] = os.path.join(tmp, k.lower())
    env.update(ex.env)
    # what earlier steps wrote to $GITHUB_ENV: over the job's env, under
    # the step's own
    env.update(written or {})
    env.update(ex.step_env)
    out = os.path.join(tmp, f"step{n}.out")
    with open(out, "w") as o:
        p = subprocess.Popen(argv, cwd=os.path.join(d, "work"), env=env,
                             stdin=subprocess.DEVNULL, stdout=o, stderr=o,
                             start_new_session=True)
        try:
            rc = p.wait(timeout=SHELL_TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = None
        # let what the script left in the background finish, then stop it
        for _ in range(50):
            try:
                os.killpg(p.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.01)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if rc is None:
            p.wait()
    with open(out, errors="replace") as f:
        output = f.read()
    return rc, output


def run_jobs(cd, jobs, fail_at, code):
    """one CI run: whether it passes, whether every shell exited 0, the
    number of critical invocations, and a log"""
    d, d_more, d_fail = cd
    reset_run(d, d_more, fail_at, code, d_fail)
    passed, all_zero, log, n = True, True, [], 0
    for job in jobs:
        failed = False
        if job.kind == "github":
            written = {}
            for ex, coe in zip(job.execs, job.step_coe):
                n += 1
                rc, out = run_exec(d, ex, n, written)
                written.update(read_github_env(
                    os.path.join(d, "tmp", "github_env")))
                log.append((ex.label, rc, out))
                if rc != 0:
                    all_zero = False
                    if not coe:
                        failed = True
                        break
            if failed and job.job_coe:
                failed = False
        else:
            rc = None
            for ex in job.execs:
                n += 1
                r, out = run_exec(d, ex, n)
                log.append((ex.label, r, out))
                if r != 0:
                    all_zero = False
                if not ex.ignore_status:
                    rc = r
            if rc != 0:
                # in some pipeline a rules: entry may allow what the
                # others do not: the job passes if one of them allows rc
                failed = not any(allowed(a, rc) for a in job.allow_failure)
        if failed:
            passed = False
    with open(os.path.join(d, "state", "count")) as f:
        count = int(f.read().strip() or 0)
    with open(os.path.join(d, "state", "log")) as f:
        calls = f.read()
    return passed, all_zero, count, log, calls


# How each tool exits when it fails: pytest 1 (tests failed) or 2 (a
# collection error or an interruption), GNU make 2 when a recipe fails,
# ctest 8, cargo test 101, the others 1.
FAILURE_CODES = {"pytest": (1, 2), "py.test": (1, 2), "make": (2,),
                 "ctest": (8,), "cargo": (101,)}


def failure_codes(logged):
    """the exit codes a failing invocation may have; LOGGED is its line in
    the stubs' log: `N NAME ARGS...`"""
    words = logged.split()[1:]
    if words[:3] in (["python", "-m", "pytest"], ["python3", "-m", "pytest"]):
        return FAILURE_CODES["pytest"]
    return FAILURE_CODES.get(words[0] if words else "", (1,))


def oracle(base, jobs, extra=(), code=None, more=(), dry_fails=False,
           fails=()):
    """'masked' | 'caught' | 'none' (no critical invocation), and a note"""
    cd = make_case_dir(base, extra, more, fails)
    try:
        return judge(cd, jobs, code, dry_fails)
    finally:
        shutil.rmtree(cd[0], ignore_errors=True)


def judge(cd, jobs, code, dry_fails):
    passed, all_zero, n, log, calls = run_jobs(cd, jobs, 0, 1)
    if dry_fails:
        if passed:
            raise Broken("the dry run passes, but the case says dry: fails")
    elif not all_zero or not passed:
        bad = [(lbl, rc, out) for lbl, rc, out in log if rc != 0]
        lbl, rc, out = bad[0] if bad else ("?", "?", "")
        why = "timed out" if rc is None else f"exit {rc}"
        raise Broken(f"dry run: {lbl} {why}: " +
                     " | ".join(out.strip().splitlines()[-3:]))
    if n == 0:
        return "none", "no critical invocation"
    dry = calls.splitlines()
    tried = 0
    for k in range(1, n + 1):
        codes = (code,) if code is not None else \
            failure_codes(dry[k - 1] if k <= len(dry) else "")
        for c in codes:
            tried += 1
            p, _, _, _, calls = run_jobs(cd, jobs, k, c)
            if p:
                lines = calls.splitlines()
                what = lines[k - 1].split(" ", 1)[1].strip() \
                    if len(lines) >= k else f"invocation {k}"
                return "masked", (f"the run passes when invocation {k} "
                                  f"({what}) exits {c}")
    return "caught", (f"{n} critical invocation(s), {tried} failing "
                      "run(s): each fails the run")


# ---------------------------------------------------------------- cases

class Case:
    def __init__(self, name, path, line):
        self.name, self.path, self.line = name, path, line
        self.keys = {}
        self.body = ""

    @property
    def rel(self):
        return f"{os.path.relpath(self.path, HERE)}:{self.line}"


def parse_cases(path):
    cases, cur, in_body = [], None, False
    lines = open(path).read().split("\n")
    for i, line in enumerate(lines, 1):
        if line.startswith("== "):
            cur = Case(line[3:].strip(), path, i)
            cases.append(cur)
            in_body = False
            continue
        if cur is None:
            continue
        if in_body:
            cur.body += line + "\n"
        elif line == "--":
            in_body = True
        elif line.strip() == "":
            continue
        else:
            k, sep, v = line.partition(":")
            if not sep or k.strip() not in ("runners", "ci", "oracle", "shell",
                                            "code", "critical", "outside",
                                            "dry", "fails",
                                            "note"):
                raise SystemExit(f"{path}:{i}: not a case key: {line!r}")
            cur.keys.setdefault(k.strip(), []).append(v.strip())
    for c in cases:
        c.body = c.body.rstrip("\n") + "\n"
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", c.name):
            raise SystemExit(f"{c.rel}: bad case name {c.name!r}")
        if ("runners" in c.keys) == ("ci" in c.keys):
            raise SystemExit(f"{c.rel}: give exactly one of runners: / ci:")
    return cases


class Unit:
    """one case under one runner: a CI file and two verdicts"""

    def __init__(self, case, runner, recorded):
        self.case, self.runner, self.recorded = case, runner, recorded
        self.kind = None       # github | gitlab | composite
        self.text = None       # the CI file
        self.relpath = None    # where ciguard sees it
        self.bash = None
        self.note = ""
        self.rule = None
        self.rule_msgs = []
        self.status = None

    @property
    def label(self):
        return self.case.name + (f" [{self.runner}]" if self.runner else "")


def indent(text, n):
    pad = " " * n
    return "".join(pad + ln if ln.strip() else "\n"
                   for ln in text.splitlines(True))


def github_file(case, runner):
    step = f"      - name: {case.name}\n"
    if runner == "gh-bash":
        step += "        shell: bash\n"
    elif runner == "gh-sh":
        step += "        shell: sh\n"
    elif runner == "gh-custom":
        tpl = case.keys.get("shell", [None])[0]
        if not tpl:
            raise SystemExit(f"{case.rel}: gh-custom needs shell:")
        step += f"        shell: {tpl}\n"
    step += "        run: |\n" + indent(case.body, 10)
    return ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            "    steps:\n" + step)


def gitlab_file(case, runner):
    if runner == "gitlab":
        items = "    - |\n" + indent(case.body, 6)
    else:
        items = "".join(f"    - {json.dumps(ln)}\n"
                        for ln in case.body.splitlines() if ln.strip())
    return "test:\n  script:\n" + items


def make_units(cases):
    units = []
    for c in cases:
        if "runners" in c.keys:
            for tok in " ".join(c.keys["runners"]).split():
                r, _, v = tok.partition("=")
                if r not in RUNNERS:
                    raise SystemExit(f"{c.rel}: unknown runner {r!r}")
                u = Unit(c, r, v or None)
                if r.startswith("gh-"):
                    u.kind, u.text = "github", github_file(c, r)
                    u.relpath = f".github/workflows/{c.name}--{r}.yml"
                else:
                    u.kind, u.text = "gitlab", gitlab_file(c, r)
                    u.relpath = ".gitlab-ci.yml"
                units.append(u)
        else:
            kind = c.keys["ci"][0]
            u = Unit(c, None, (c.keys.get("oracle") or [None])[0])
            u.kind, u.text = kind, c.body
            if kind == "github":
                u.relpath = f".github/workflows/{c.name}.yml"
            elif kind == "gitlab":
                u.relpath = ".gitlab-ci.yml"
            elif kind == "composite":
                u.relpath = f".github/actions/{c.name}/action.yml"
            else:
                raise SystemExit(f"{c.rel}: unknown ci: {kind}")
            units.append(u)
    return units


def unit_jobs(u, repo):
    path = os.path.join(repo, u.relpath)
    if u.kind == "gitlab":
        jobs = GitlabDoc(repo).jobs()
    else:
        doc, src = load_yaml(path, u.relpath)
        if u.kind == "github":
            jobs = github_jobs(doc, src)
        else:
            jobs = composite_jobs(doc, src)
    for j in jobs:
        if isinstance(j, tuple):
            raise j[1]
    if not jobs:
        raise Broken("no job with a shell script")
    return jobs


def judge_unit(u, base, repo):
    c = u.case
    if "outside" in c.keys:
        u.bash, u.note = "outside", c.keys["outside"][0]
        return
    if u.kind == "github" and u.runner:
        # the generated step must carry the script unchanged
        doc = yaml.safe_load(u.text)
        if doc["jobs"]["test"]["steps"][0]["run"] != c.body:
            raise SystemExit(f"{c.rel}: the script does not survive YAML")
    try:
        jobs = unit_jobs(u, repo)
        code = int(c.keys["code"][0]) if "code" in c.keys else None
        dry = c.keys.get("dry", [""])[0]
        if dry not in ("", "fails"):
            raise SystemExit(f"{c.rel}: dry: takes only `fails`")
        verdict, u.note = oracle(base, jobs, c.keys.get("critical", []), code,
                                 dry_fails=dry == "fails",
                                 fails=c.keys.get("fails", []))
        if verdict == "none":
            raise Broken("no critical command ran in the dry run")
        u.bash = verdict
    except Outside as e:
        u.bash, u.note = "BROKEN", f"the oracle cannot run it: {e}"
    except Broken as e:
        u.bash, u.note = "BROKEN", str(e)


def run_ciguard(ciguard, repo):
    p = subprocess.run([ciguard, "check", repo, "--format", "json"]
                       + sum((["--rule", r] for r in RULES), []),
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, NO_COLOR="1"))
    if p.returncode not in (0, 1):
        raise SystemExit(f"ciguard failed on {repo} (exit {p.returncode}): "
                         f"{p.stderr.strip()}")
    return [f for f in json.loads(p.stdout)["findings"]
            if f["rule"] in RULES]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def table(args, base, pool):
    files = sorted(glob.glob(os.path.join(HERE, "cases", "*.txt")))
    cases = [c for f in files for c in parse_cases(f)]
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit(f"case names used twice: {sorted(dup)}")
    if args.names:
        cases = [c for c in cases if any(n in c.name for n in args.names)]
    units = make_units(cases)

    # the files ciguard reads: GitHub cases share one repository, each
    # GitLab case has its own
    gh_repo = os.path.join(base, "repo-github")
    os.makedirs(gh_repo)
    repos = {}
    for i, u in enumerate(units):
        critical = u.case.keys.get("critical", [])
        if u.kind == "gitlab" or critical:
            repo = os.path.join(base, f"repo-{i}")
        else:
            repo = gh_repo
        write(os.path.join(repo, u.relpath), u.text)
        if critical:
            write(os.path.join(repo, ".ciguard.yml"),
                  "version: 1\ncritical_commands:\n" +
                  "".join(f"  - {json.dumps(c)}\n" for c in critical))
        repos[id(u)] = repo

    futs = [pool.submit(judge_unit, u, base, repos[id(u)]) for u in units]
    findings = {}
    for repo in sorted(set(repos.values())):
        futs.append(pool.submit(lambda r: findings.__setitem__(
            r, run_ciguard(args.ciguard, r)), repo))
    for f in futs:
        f.result()
    take_findings(units, repos, findings)
    return cases, units


def take_findings(units, repos, findings):
    """Each unit's ciguard verdict from the findings of its repository
    (repos: id(unit) -> repo; findings: repo -> ciguard's findings): masked
    when a finding is in the unit's CI file."""
    for u in units:
        fs = [f for f in findings[repos[id(u)]] if f["path"] == u.relpath]
        u.rule = "masked" if fs else "caught"
        u.rule_msgs = [f"{f['rule']} {f['line']}:{f['column']} "
                       f"{f['message']}" for f in fs]


def report_table(units, args):
    failed = 0
    for u in units:
        if u.bash == "outside":
            u.status = "outside"
        elif u.bash == "BROKEN":
            u.status = "BROKEN"
        elif u.recorded != u.bash and not args.record:
            u.status = "STALE"
        elif u.rule != u.bash:
            u.status = "DISAGREE"
        else:
            u.status = "ok"
        if u.status in ("BROKEN", "STALE", "DISAGREE"):
            failed += 1
        if u.runner:
            first = u.case.body.strip().splitlines()[0]
        else:
            first = f"(a {u.kind} file)"
        print(f"{u.status:<8} {u.label:<44} bash: {u.bash:<8} "
              f"ciguard: {u.rule:<7} {first[:60]}")
        if u.status != "ok" or args.verbose:
            if u.status == "STALE":
                print(f"    recorded `{u.recorded}`, bash now says "
                      f"`{u.bash}`")
            print(f"    {u.case.rel}: {u.note}")
            if u.status != "outside" or args.verbose:
                print(indent(u.case.body, 6), end="")
            for m in u.rule_msgs:
                print(f"    ciguard: {m}")
    return failed


def record(cases, units):
    by_case = {}
    for u in units:
        by_case.setdefault(id(u.case), []).append(u)
    edits = {}
    for c in cases:
        us = by_case.get(id(c), [])
        if "outside" in c.keys or any(u.bash == "BROKEN" for u in us):
            continue
        if c.keys.get("runners"):
            new = "runners: " + " ".join(f"{u.runner}={u.bash}" for u in us)
            key = "runners:"
        else:
            new, key = f"oracle: {us[0].bash}", "oracle:"
        edits.setdefault(c.path, []).append((c.line, key, new))
    for path, es in edits.items():
        lines = open(path).read().split("\n")
        for line, key, new in sorted(es, reverse=True):
            i = line
            while i < len(lines) and lines[i] != "--" and \
                    not lines[i].startswith(key):
                i += 1
            if i < len(lines) and lines[i].startswith(key):
                lines[i] = new
            else:
                lines.insert(line, new)
        with open(path, "w") as f:
            f.write("\n".join(lines))


# ---------------------------------------------------------------- e2e

SUPPRESS = re.compile(r"ciguard:\s*ignore\[([^\]]*)\]")


def e2e_units(repo):
    """(source spans, Job or Outside, label) for every CI unit of a repo"""
    out = []
    wfs = sorted(glob.glob(os.path.join(repo, ".github", "workflows",
                                        "*.y*ml")))
    for path in wfs:
        rel = os.path.relpath(path, repo)
        try:
            doc, src = load_yaml(path, rel)
        except Outside as e:
            out.append(([(rel, 1, 1)], e, rel))
            continue
        try:
            units = github_jobs(doc, src, per_step=True)
        except (AttributeError, TypeError, KeyError, ValueError) as e:
            units = [((rel, 1, 1), Outside(f"malformed workflow: {e!r}"))]
        for j in units:
            if isinstance(j, tuple):
                out.append(([j[0]], j[1], f"{rel}:{j[0][1]}"))
            else:
                out.append((j.sources, j, f"{rel}:{j.sources[0][1]}"))
    for path in sorted(glob.glob(os.path.join(repo, "**", "action.y*ml"),
                                 recursive=True)):
        rel = os.path.relpath(path, repo)
        try:
            doc, src = load_yaml(path, rel)
            for j in composite_jobs(doc, src):
                out.append((j.sources, j, rel))
        except (Outside, Broken) as e:
            out.append(([(rel, 1, 1)], Outside(str(e)), rel))
    if os.path.exists(os.path.join(repo, ".gitlab-ci.yml")):
        try:
            for j in GitlabDoc(repo).jobs():
                if isinstance(j, tuple):
                    out.append(([j[0]], j[1], f"{j[0][0]}:{j[0][1]}"))
                else:
                    out.append((j.sources, j, f".gitlab-ci.yml job {j.name}"))
        except Outside as e:
            out.append(([(".gitlab-ci.yml", 1, 1)], e, ".gitlab-ci.yml"))
    return out


def read_config(repo):
    """rules turned off, and extra critical commands, from .ciguard.yml"""
    p = os.path.join(repo, ".ciguard.yml")
    if not os.path.exists(p):
        return set(), []
    try:
        cfg = yaml.safe_load(open(p)) or {}
    except yaml.YAMLError:
        return set(), []
    if not isinstance(cfg, dict):
        return set(), []
    rules = cfg.get("rules") or {}
    # YAML 1.1 reads a bare `off` as false
    off = {r for r in RULES if isinstance(rules, dict) and
           rules.get(r) in ("off", False)}
    extra = [str(c) for c in cfg.get("critical_commands") or []]
    return off, extra


def suppressed(repo, sources):
    for rel, first, last in sources:
        try:
            lines = open(os.path.join(repo, rel), errors="replace").read() \
                .split("\n")
        except OSError:
            continue
        for ln in lines[max(0, first - 2):last]:
            m = SUPPRESS.search(ln)
            if m and any(r.strip() in RULES for r in m.group(1).split(",")):
                return True
    return False


class E2EResult:
    def __init__(self, case, label, sources, text):
        self.case, self.label, self.sources, self.text = \
            case, label, sources, text
        self.bash = self.note = self.rule = self.status = None


def e2e_outside():
    """tests/oracle/e2e-outside.txt: e2e units bash cannot judge, one a
    line: CASE PATH 'TEXT IN THE SCRIPT' REASON..."""
    out = []
    p = os.path.join(HERE, "e2e-outside.txt")
    for line in open(p) if os.path.exists(p) else []:
        if line.strip() and not line.startswith("#"):
            w = shlex.split(line)
            out.append((w[0], w[1], w[2], " ".join(w[3:])))
    return out


def judge_e2e(case, base):
    repo = os.path.join(E2E, case, "repo")
    marked = [(p, t, why) for c, p, t, why in e2e_outside() if c == case]
    off, extra = read_config(repo)
    exp = os.path.join(E2E, case, "expected.json")
    if not os.path.exists(exp):
        return []
    want = json.load(open(exp))
    found = [f for f in want.get("findings", []) if f["rule"] in RULES]
    results = []
    for sources, job, label in e2e_units(repo):
        r = E2EResult(case, label, sources,
                      job.text if isinstance(job, Job) else "")
        hits = [f for f in found for rel, a, b in sources
                if f["path"] == rel and a <= f["line"] <= b]
        r.rule = "masked" if hits else "caught"
        r.hits = hits
        if isinstance(job, Exception):
            r.bash, r.note = "outside", str(job)
            results.append(r)
            continue
        why = [w for p, t, w in marked
               if p == sources[0][0] and t in job.text]
        if why:
            r.bash, r.note = "outside", why[0]
            results.append(r)
            continue
        try:
            r.bash, r.note = oracle_e2e(base, job, extra)
        except Broken as e:
            r.bash, r.note = "BROKEN", str(e)
        if r.bash == "masked" and not hits:
            if suppressed(repo, sources):
                r.bash, r.note = "outside", "a suppression comment hides it"
            elif off:
                r.bash, r.note = "outside", \
                    f"{', '.join(sorted(off))} is off in .ciguard.yml"
        results.append(r)
    return results


def oracle_e2e(base, job, extra):
    """like oracle(), but a command the fixture calls that no stub knows
    gets a stub that succeeds (e2e fixtures call whatever they like)"""
    more = []
    for _ in range(8):
        try:
            v, note = oracle(base, [job], extra, None, more)
            if more:
                note += f" (stubbed: {', '.join(more)})"
            return v, note
        except Broken as e:
            m = re.search(r"([\w.-]+): (?:command )?not found", str(e)) or \
                re.search(r"(\./[\w./-]+): No such file or directory", str(e))
            if not m or m.group(1) in more:
                raise
            more.append(m.group(1))
    raise Broken("too many unknown commands")


def e2e(args, base, pool):
    cases = sorted(d for d in os.listdir(E2E)
                   if os.path.isdir(os.path.join(E2E, d, "repo")))
    futs = [pool.submit(judge_e2e, c, base) for c in cases]
    results = [r for f in futs for r in f.result()]
    failed = 0
    for r in results:
        want = r.bash
        if r.bash in ("outside", "BROKEN"):
            r.status = r.bash
        elif (r.bash == "masked") == (r.rule == "masked"):
            r.status = "ok"
        else:
            r.status = "DISAGREE"
        if r.status in ("DISAGREE", "BROKEN"):
            failed += 1
        print(f"{r.status:<8} e2e/{r.case}: {r.label:<40} bash: {want:<8} "
              f"expected.json: {r.rule}")
        if r.status != "ok" or args.verbose:
            print(f"    {r.note}")
            if r.status in ("DISAGREE", "BROKEN") or args.verbose:
                print(indent(r.text.rstrip("\n") + "\n", 6), end="")
            for f in r.hits:
                print(f"    expected: {f['rule']} {f['path']}:{f['line']} "
                      f"{f['message']}")
    return results, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ciguard", required=True)
    ap.add_argument("--record", action="store_true",
                    help="rewrite the recorded verdicts from bash")
    ap.add_argument("--jobs", type=int, default=2 * (os.cpu_count() or 2))
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary folder")
    ap.add_argument("--no-e2e", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("names", nargs="*", help="only cases whose name has this")
    args = ap.parse_args()
    args.ciguard = os.path.abspath(args.ciguard)
    for tool in ("bash", "sh", "flock", "timeout"):
        if not shutil.which(tool):
            raise SystemExit(f"the oracle needs {tool}")
    base = tempfile.mkdtemp(prefix="ciguard-oracle-")
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            cases, units = table(args, base, pool)
            failed = report_table(units, args)
            if args.record:
                record(cases, units)
            counted = len(units)
            if not args.no_e2e and not args.names:
                print()
                results, e2e_failed = e2e(args, base, pool)
                failed += e2e_failed
                counted += len(results)
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    scripts = len({u.case.body for u in units})
    outside = sum(1 for u in units if u.status == "outside")
    print(f"{len(units)} table cases ({scripts} distinct scripts or files, "
          f"{outside} outside)")
    print(f"{counted - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
