#!/bin/sh
# ciguard rca new / list: a new file with every section of the template
# and the state at writing filled in (doctor's verdicts, the last commits,
# the check's findings); the same title again makes -2 and leaves the
# first file as it was; list shows date and title; bad usage exits 2.
set -u
ciguard=$1
. "$(dirname "$0")/lib.sh"

repo=$tmp/repo
mkdir -p "$repo/.github/workflows"
printf 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest || true\n' \
	>"$repo/.github/workflows/ci.yml"
git -C "$repo" init -q
git -C "$repo" add -A
git -C "$repo" -c user.name=t -c user.email=t@localhost -c commit.gpgsign=false \
	commit -qm "ci: run the tests"
day=$(date -u +%Y-%m-%d)
first=$repo/docs/rca/RCA-$day-workers-lost-their-logs.md

(cd "$repo" && "$ciguard" rca new "Workers lost their logs!") >"$tmp/out" 2>"$tmp/err" && ok || bad "rca new: $(cat "$tmp/err")"
[ "$(cat "$tmp/out")" = "$first" ] && ok || bad "printed '$(cat "$tmp/out")', want $first"
[ -f "$first" ] && ok || bad "no $first"
head -1 "$first" | grep -qx '# Workers lost their logs!' && ok || bad "title line: $(head -1 "$first")"
for section in '## Summary' '## Impact' '## Timeline' '## Root cause' \
	'## Why each layer missed it' '### Pre-commit' '### Pre-push' \
	'### CI self-verification' '### Tests' '## Fix' '## Prevention' \
	'## Regression test' "### Doctor's verdicts" '### Last commits' '### Check findings'; do
	grep -q "^$section" "$first" && ok || bad "no section '$section'"
done
grep -q 'ci: run the tests' "$first" && ok || bad "the last commit is not in it"
grep -q '\[masked-failure\].*pytest' "$first" && ok || bad "the check's finding is not in it"
grep -q 'repository / quick check: \*\*fail\*\*' "$first" && ok || bad "doctor's verdicts are not in it"
sum=$(cksum <"$first")

second=$repo/docs/rca/RCA-$day-workers-lost-their-logs-2.md
expect_exit 0 "$ciguard" rca new "Workers lost their logs!" "$repo"
[ "$(cat "$tmp/out")" = "$second" ] && [ -f "$second" ] && ok || bad "second: '$(cat "$tmp/out")'"
[ "$(cksum <"$first")" = "$sum" ] && ok || bad "the first RCA changed"

expect_exit 0 "$ciguard" rca new "  ?? " --dir "$tmp/elsewhere" "$repo"
[ -f "$tmp/elsewhere/RCA-$day-incident.md" ] && ok || bad "--dir / empty slug: $(ls "$tmp/elsewhere" 2>&1)"

expect_exit 0 "$ciguard" rca list "$repo"
[ "$(wc -l <"$tmp/out")" -eq 2 ] && ok || bad "list: $(cat "$tmp/out")"
head -1 "$tmp/out" | grep -q "^$day  Workers lost their logs!  (.*RCA-$day-workers-lost-their-logs.md)" && ok ||
	bad "list line 1: $(head -1 "$tmp/out")"
sed -n 2p "$tmp/out" | grep -q -- "-2.md)$" && ok || bad "list line 2: $(sed -n 2p "$tmp/out")"
expect_exit 0 "$ciguard" rca list --dir "$tmp/none" "$repo"
[ ! -s "$tmp/out" ] && ok || bad "list of a missing folder printed: $(cat "$tmp/out")"

expect_exit 2 "$ciguard" rca new
grep -q 'TITLE is missing' "$tmp/err" && ok || bad "no title: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" rca frobnicate
expect_exit 2 "$ciguard" rca
chmod 555 "$repo/docs/rca"
if [ "$(id -u)" != 0 ]; then
	expect_exit 2 "$ciguard" rca new "read only" "$repo"
fi
chmod 755 "$repo/docs/rca"
finish
