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

finish
