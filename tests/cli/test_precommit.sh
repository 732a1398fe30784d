#!/bin/sh
# .pre-commit-hooks.yaml, run by the pre-commit framework itself (Debian's
# pre-commit) with real `git commit` and `git push`: a repository of hooks
# holding this repository's .pre-commit-hooks.yaml, a project that uses it.
set -u
ciguard=$(realpath "$1") src=$(realpath "$2")
. "$src/tests/cli/lib.sh"

g() { git -c user.name=t -c user.email=t@t -c commit.gpgsign=false "$@"; }
export PRE_COMMIT_HOME="$tmp/pc-home"
mkdir -p "$tmp/bin" && ln -s "$ciguard" "$tmp/bin/ciguard"
PATH="$tmp/bin:$PATH"

hooks=$tmp/hooks
git init -q "$hooks"
cp "$src/.pre-commit-hooks.yaml" "$hooks/"
(cd "$hooks" && g add -A && g commit -q -m hooks)
rev=$(git -C "$hooks" rev-parse HEAD)

p=$tmp/project
git init -q --bare "$tmp/remote.git"
git init -q "$p"
cd "$p" || exit 1
git remote add origin "$tmp/remote.git"
printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: ciguard\n      - id: ciguard-full\n' "$hooks" "$rev" >.pre-commit-config.yaml
pre-commit install --hook-type pre-commit --hook-type pre-push >"$tmp/inst.out" 2>&1 &&
	ok || bad "pre-commit install: $(cat "$tmp/inst.out")"
mkdir -p .github/workflows
printf 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest || true\n' >.github/workflows/ci.yml
g add -A
g commit -q -m bad >"$tmp/c.out" 2>&1 && bad "pre-commit let a masked pytest through" || ok
grep -q "masked-failure" "$tmp/c.out" && ok || bad "no finding shown: $(cat "$tmp/c.out")"
printf 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest -q\n' >.github/workflows/ci.yml
g add -A
g commit -q -m good >"$tmp/c.out" 2>&1 && ok || bad "a clean commit was blocked: $(cat "$tmp/c.out")"
g push -q origin HEAD:main >"$tmp/p.out" 2>&1 && ok || bad "a clean push was blocked: $(cat "$tmp/p.out")"
# the full check at push: blocked by a mistake committed past the hook
printf 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: tox || true\n' >.github/workflows/ci.yml
g add -A
g commit -q --no-verify -m bad
g push -q origin HEAD:main >"$tmp/p.out" 2>&1 && bad "pre-push let a failing check through" || ok
grep -q "ciguard check" "$tmp/p.out" && grep -q "masked-failure" "$tmp/p.out" &&
	ok || bad "push output: $(cat "$tmp/p.out")"
cd / && finish
