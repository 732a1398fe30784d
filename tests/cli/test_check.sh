#!/bin/sh
# The check command as a user runs it: exit codes, formats, baseline, help.
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"

# exit codes
expect_exit 1 "$ciguard" check "$src/examples/broken-service"
expect_exit 0 "$ciguard" check "$src/examples/clean-service"
expect_exit 2 "$ciguard" check "$tmp/does-not-exist"
grep -q "does-not-exist" "$tmp/err" && ok || bad "missing path not named on stderr"
expect_exit 2 "$ciguard" check "$src/examples/clean-service" --format yaml
expect_exit 2 "$ciguard" check "$src/examples/clean-service" --rule no-such-rule
expect_exit 2 "$ciguard" check "$src/examples/clean-service" --config "$tmp/nope.yml"
expect_exit 2 "$ciguard" nonsense
for c in check rules explain; do
	expect_exit 0 "$ciguard" $c --help
	grep -q "usage: ciguard $c" "$tmp/out" && ok || bad "$c --help has no usage line"
done
expect_exit 0 "$ciguard" --help
expect_exit 0 "$ciguard" --version
grep -q '^ciguard [0-9]' "$tmp/out" && ok || bad "--version output"

# explain shows a bad and a good example
expect_exit 0 "$ciguard" explain masked-failure
grep -q 'Bad' "$tmp/out" && grep -q 'Good' "$tmp/out" && grep -q '|| true' "$tmp/out" && ok || bad "explain masked-failure lacks examples"
expect_exit 2 "$ciguard" explain no-such-rule

# a repository with one masked pytest
mkdir -p "$tmp/r/.github/workflows"
cat >"$tmp/r/.github/workflows/ci.yml" <<'Y'
on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: pytest -q || true
Y
expect_exit 1 "$ciguard" check "$tmp/r" --format github
grep -q '^::error file=.github/workflows/ci.yml,line=6,col=24,endLine=6,endColumn=31,title=masked-failure::' "$tmp/out" && ok || bad "github format: $(cat "$tmp/out")"
expect_exit 1 "$ciguard" check "$tmp/r" --format text --color never
grep -q '^.github/workflows/ci.yml:6:24: error: failure of `pytest` is swallowed by `|| true` \[masked-failure\]' "$tmp/out" && ok || bad "text format: $(cat "$tmp/out")"
grep -q '^                       ^~~~~~~$' "$tmp/out" && ok || bad "text caret: $(cat "$tmp/out")"
grep -q "$(printf '\033')" "$tmp/out" && bad "escape codes with --color never" || ok
NO_COLOR=1 "$ciguard" check "$tmp/r" >"$tmp/out" 2>&1
grep -q "$(printf '\033')" "$tmp/out" && bad "escape codes with NO_COLOR" || ok
"$ciguard" check "$tmp/r" --color always >"$tmp/out" 2>&1
grep -q "$(printf '\033')" "$tmp/out" && ok || bad "no colour with --color always"
expect_exit 1 "$ciguard" check "$tmp/r" --format sarif
python3 - "$tmp/out" <<'P' && ok || bad "sarif structure"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0"
run = d["runs"][0]
ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
assert "masked-failure" in ids and "pipe-masks-failure" in ids, ids
res = run["results"][0]
assert res["ruleId"] == "masked-failure"
assert res["partialFingerprints"]["ciguard/v1"]
reg = res["locations"][0]["physicalLocation"]["region"]
assert (reg["startLine"], reg["startColumn"]) == (6, 24), reg
P
expect_exit 0 "$ciguard" check "$tmp/r" --fail-on error --rule pipe-masks-failure

# --fail-on: a warning only fails with --fail-on warning
printf 'version: 1\nrules:\n  masked-failure: warning\n' >"$tmp/r/.ciguard.yml"
expect_exit 0 "$ciguard" check "$tmp/r"
expect_exit 1 "$ciguard" check "$tmp/r" --fail-on warning
printf 'version: 1\nrules:\n  masked-failur: warning\n' >"$tmp/r/.ciguard.yml"
expect_exit 2 "$ciguard" check "$tmp/r"
grep -q ".ciguard.yml:3:3: unknown rule 'masked-failur'" "$tmp/err" && ok || bad "unknown rule in config: $(cat "$tmp/err")"
printf 'version: 1\nrules:\n  masked-failure: loud\n' >"$tmp/r/.ciguard.yml"
expect_exit 2 "$ciguard" check "$tmp/r"
grep -q ".ciguard.yml:3:19: rule 'masked-failure' must be off, note, warning or error" "$tmp/err" && ok || bad "bad severity: $(cat "$tmp/err")"
rm "$tmp/r/.ciguard.yml"

# baseline: recorded findings are hidden, and survive unrelated edits
expect_exit 0 "$ciguard" check "$tmp/r" --write-baseline "$tmp/base.json"
expect_exit 0 "$ciguard" check "$tmp/r" --baseline "$tmp/base.json" --format json
grep -q '"suppressed": 1' "$tmp/out" && ok || bad "baseline not counted: $(cat "$tmp/out")"
sed -i 's/^on: push/# a comment line\non: [push, pull_request]/' "$tmp/r/.github/workflows/ci.yml"
expect_exit 0 "$ciguard" check "$tmp/r" --baseline "$tmp/base.json"
echo '      - run: tox || true' >>"$tmp/r/.github/workflows/ci.yml"
expect_exit 1 "$ciguard" check "$tmp/r" --baseline "$tmp/base.json" --format json
grep -q '"line": 8' "$tmp/out" && ! grep -q '"line": 7,' "$tmp/out" && ok || bad "new finding beside baseline: $(cat "$tmp/out")"
echo '{"nope": 1}' >"$tmp/bad.json"
expect_exit 2 "$ciguard" check "$tmp/r" --baseline "$tmp/bad.json"
grep -q "bad.json: not a ciguard baseline" "$tmp/err" && ok || bad "bad baseline: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" check "$tmp/r" --baseline "$tmp/no-such.json"
grep -q "^ciguard: $tmp/no-such.json: cannot read baseline: " "$tmp/err" && ok || bad "missing baseline: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" check "$tmp/r" --write-baseline "$tmp/no-dir/base.json"
grep -q "cannot write baseline '$tmp/no-dir/base.json'" "$tmp/err" && ok || bad "unwritable baseline: $(cat "$tmp/err")"
# the baseline holds what is shown: written with the old one, it is empty
expect_exit 0 "$ciguard" check "$tmp/r" --baseline "$tmp/base.json" --write-baseline "$tmp/base2.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"] == 1 and d["tool"] == "ciguard" and len(d["findings"]) == 1, d' \
	"$tmp/base2.json" && ok || bad "baseline written beside one: $(cat "$tmp/base2.json")"

# --staged reads the index, not the work tree
mkdir -p "$tmp/g/.github/workflows" && cd "$tmp/g" && git init -q . &&
	printf 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest -q\n' >.github/workflows/ci.yml &&
	git add -A && cd - >/dev/null
echo '      - run: pytest || true' >>"$tmp/g/.github/workflows/ci.yml"
expect_exit 0 "$ciguard" check "$tmp/g" --quick --staged
expect_exit 1 "$ciguard" check "$tmp/g" --quick
expect_exit 2 "$ciguard" check "$tmp/r" --staged
grep -q "^ciguard: --staged needs a git work tree, and '$tmp/r' is not in one$" "$tmp/err" &&
	ok || bad "--staged outside git: $(cat "$tmp/err")"
# a mistake that is staged is found though the work tree has fixed it, at
# its line in the staged text; renames, deletions and symlinks are the
# index's; one ls-files and one cat-file, however many files
g=$tmp/g
wf() { printf 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n%b' "$1"; }
(cd "$g" && git add -A &&
	wf '      - run: pytest -q\n' >.github/workflows/ci.yml &&
	mkdir -p ci && wf '      - run: echo\n      - run: echo\n      - run: make test || true\n' >ci/real.yml &&
	ln -s ../../ci/real.yml .github/workflows/linked.yml && ln -s /etc/passwd .github/workflows/out.yml &&
	wf '      - run: tox || true\n' >.github/workflows/gone.yml &&
	wf '      - run: nox || true\n' >.github/workflows/old.yml &&
	git add ci .github/workflows/linked.yml .github/workflows/out.yml .github/workflows/gone.yml .github/workflows/old.yml &&
	git rm -q --cached .github/workflows/gone.yml &&
	git mv .github/workflows/old.yml .github/workflows/new.yml &&
	wf '      - run: ruff || true\n' >.github/workflows/unstaged.yml)
mkdir -p "$tmp/gitlog"
printf '#!/bin/sh\necho "$*" >>"%s/gitlog/calls"\nPATH="%s" exec git "$@"\n' "$tmp" "$PATH" >"$tmp/gitlog/git"
chmod +x "$tmp/gitlog/git"
: >"$tmp/gitlog/calls"
PATH="$tmp/gitlog:$PATH" "$ciguard" check "$g" --quick --staged --format json >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] && python3 - "$tmp/out" <<'P' && ok || bad "--staged: $(cat "$tmp/out" "$tmp/err")"
import json, sys
d = json.load(open(sys.argv[1]))
got = sorted((f["rule"], f["path"], f["line"], f["column"]) for f in d["findings"])
assert got == [("masked-failure", ".github/workflows/ci.yml", 7, 21),
               ("masked-failure", ".github/workflows/linked.yml", 8, 24),
               ("masked-failure", ".github/workflows/new.yml", 6, 18),
               # staged with the mistake, fixed only in the work tree
               ("partially-staged", ".github/workflows/ci.yml", 1, 1)], got
P
grep -q "'.github/workflows/out.yml' is a symlink to outside the repository, skipped" "$tmp/err" &&
	ok || bad "--staged symlink out: $(cat "$tmp/err")"
# and two `git diff --name-only` for what is staged and what is not
[ "$(grep -c "ls-files" "$tmp/gitlog/calls")" = 1 ] && [ "$(grep -c "cat-file --batch" "$tmp/gitlog/calls")" = 1 ] &&
	[ "$(grep -c " diff .*--name-only" "$tmp/gitlog/calls")" = 2 ] &&
	[ "$(wc -l <"$tmp/gitlog/calls")" = 4 ] && ok || bad "--staged git calls: $(cat "$tmp/gitlog/calls")"
# a staged file whose object git lacks (a damaged or partial clone): a
# note for it, the other files still read
m=$tmp/missing
mkdir -p "$m/.github/workflows" && git init -q "$m"
for i in 1 2; do wf '      - run: pytest || true\n' >"$m/.github/workflows/w$i.yml"; echo "# $i" >>"$m/.github/workflows/w$i.yml"; done
git -C "$m" add -A
id=$(git -C "$m" ls-files -s .github/workflows/w1.yml | awk '{print $2}')
rm -f "$m/.git/objects/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-)"
expect_exit 1 "$ciguard" check "$m" --staged --quick --color never
grep -q "w1.yml' is staged, but git does not have its content" "$tmp/err" &&
	grep -q "^.github/workflows/w2.yml:6:21: error" "$tmp/out" && ok || bad "missing object: $(cat "$tmp/out" "$tmp/err")"

# --quick lists tracked files from the index and walks the work tree only
# for the untracked files it reads: an untracked workflow is checked, an
# ignored one is not, nor one in node_modules or in another repository;
# two git processes (ls-files --cached, then ls-files --others over the
# untracked candidates)
q=$tmp/quick
mkdir -p "$q/.github/workflows" "$q/node_modules/pkg" "$q/nested" && git init -q "$q" && git init -q "$q/nested"
wf '      - run: pytest -q\n' >"$q/.github/workflows/ci.yml"
git -C "$q" add -A
wf '      - run: pytest || true\n' >"$q/.github/workflows/new.yml"
wf '      - run: tox || true\n' >"$q/.github/workflows/local.yml"
echo local.yml >"$q/.github/workflows/.gitignore"
printf 'services:\n  w:\n    image: python:3.12\n    command: python -m app.worker\n' >"$q/node_modules/pkg/docker-compose.yml"
cp "$q/node_modules/pkg/docker-compose.yml" "$q/nested/docker-compose.yml"
: >"$tmp/gitlog/calls"
PATH="$tmp/gitlog:$PATH" "$ciguard" check "$q" --quick --format json >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] && python3 - "$tmp/out" <<'P' && ok || bad "--quick discovery: $(cat "$tmp/out" "$tmp/err")"
import json, sys
d = json.load(open(sys.argv[1]))
got = sorted((f["rule"], f["path"]) for f in d["findings"])
assert got == [("masked-failure", ".github/workflows/new.yml")], got
assert d["summary"]["files"] == 2, d["summary"]
P
[ "$(grep -c "ls-files" "$tmp/gitlog/calls")" = 2 ] && [ "$(wc -l <"$tmp/gitlog/calls")" = 2 ] &&
	ok || bad "--quick git calls: $(cat "$tmp/gitlog/calls")"

# --jobs: the same output, byte for byte, whatever the number of threads.
# A repository of many files (read ahead on worker threads), some broken
# (notes), a Helm template (declined by the k8s loader, a note), rules of
# every kind finding something.
python3 - "$tmp/j" <<'P'
import os, sys
root = sys.argv[1]
def put(path, text):
    path = os.path.join(root, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write(text)
for i in range(40):
    put(f".github/workflows/w{i:02d}.yml", f"""on: push
jobs:
  t:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis:7
      postgres:
        image: postgres:16
    env:
      DATABASE_URL: ${{{{ secrets.DB_{i} }}}}
    steps:
      - run: pytest -q || true
      - run: python -m app.worker{i} &
      - run: sleep 5 && pytest | tee log
""")
    put(f"svc{i:02d}/docker-compose.yml", f"""services:
  worker:
    build: .
    command: python -m app.w{i}
    environment:
      REDIS_URL: redis://redis:6379/{i}
  redis:
    image: redis:7
""")
    put(f"svc{i:02d}/.env.example", f"REDIS_URL=redis://localhost:6379/{i}\n")
    put(f"svc{i:02d}/k8s/deploy.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: w{i}
spec:
  template:
    spec:
      containers:
        - name: w
          image: ghcr.io/x/w{i}:1
          command: ["python", "-m", "app.w{i}"]
""")
put(".github/workflows/broken.yml", "on: [push\njobs: {\n")
# a script too deep to read (a note, made ahead or not), and one run:
# shared by two steps through an alias
put(".github/workflows/deep.yml", "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n"
    "    steps:\n      - run: echo " + "$(" * 400 + "\n"
    "      - run: &r pytest || true\n      - run: *r\n")
put("chart/Chart.yaml", "name: c\n")
put("chart/templates/d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.n }}\n")
# git-ignored files where the workers start reading before git has listed
# the files (the root, .github/workflows): never a finding, never a note
put(".gitignore", ".github/workflows/ignored-*.yml\n/ignored-compose.yaml\n")
put(".github/workflows/ignored-masks.yml", "on: push\njobs:\n  t:\n"
    "    runs-on: ubuntu-latest\n    steps:\n      - run: pytest || true\n")
put(".github/workflows/ignored-broken.yml", "on: [push\n")
put("ignored-compose.yaml", "services: [\n")
P
git -C "$tmp/j" init -q
for fmt in json text sarif github; do
	"$ciguard" check "$tmp/j" --jobs 1 --format $fmt --color never >"$tmp/j1" 2>"$tmp/j1.err"
	rc1=$?
	for n in 2 3 8; do
		"$ciguard" check "$tmp/j" --jobs $n --format $fmt --color never >"$tmp/jn" 2>"$tmp/jn.err"
		rcn=$?
		sed -i 's/"elapsed_ms": [0-9]*/"elapsed_ms": 0/' "$tmp/j1" "$tmp/jn"
		[ "$rc1" = 1 ] && [ "$rcn" = 1 ] && cmp -s "$tmp/j1" "$tmp/jn" && cmp -s "$tmp/j1.err" "$tmp/jn.err" &&
			ok || bad "--jobs $n --format $fmt differs from --jobs 1: $(diff "$tmp/j1" "$tmp/jn" | head -5)"
	done
done
"$ciguard" check "$tmp/j" --jobs 3 --format json >"$tmp/out" 2>/dev/null
python3 - "$tmp/out" <<'P' && ok || bad "--jobs 3 lost findings or notes: $(head -c 300 "$tmp/out")"
import json, sys
d = json.load(open(sys.argv[1]))
rules = {f["rule"] for f in d["findings"]}
want = {"masked-failure", "pipe-masks-failure", "unbuffered-python",
        "unverified-background-process", "service-url-from-secret",
        "ci-sleep-as-readiness", "service-no-healthcheck",
        "service-url-missing"}
assert want <= rules, sorted(rules)
assert d["summary"]["files"] >= 160, d["summary"]
P
"$ciguard" check "$tmp/j" --jobs 3 --format text --color never >"$tmp/out" 2>&1
grep -q "broken.yml" "$tmp/out" && grep -q "chart/templates/d.yaml: a Helm template, skipped" "$tmp/out" &&
	grep -q "deep.yml:6:14: script not checked: shell script nests deeper than 200 levels" "$tmp/out" &&
	[ "$(grep -c "^.github/workflows/deep.yml:7:.*masked-failure" "$tmp/out")" = 1 ] &&
	ok || bad "--jobs 3: notes lost: $(grep -i skipped "$tmp/out" | head -3)"
! grep -q "ignored-" "$tmp/out" &&
	ok || bad "--jobs 3 read git-ignored files: $(grep "ignored-" "$tmp/out" | head -3)"
for n in 0 -1 x 1025; do
	expect_exit 2 "$ciguard" check "$tmp/j" --jobs "$n"
done

finish
