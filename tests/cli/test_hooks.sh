#!/bin/sh
# ciguard hooks, in real repositories with real `git commit` and `git push`
# (to a local bare remote): a mistake blocks, a clean change passes, a hook
# that was there still runs and its failure still blocks, uninstall puts it
# back byte for byte with its mode, core.hooksPath is honoured.
set -u
ciguard=$(realpath "$1") src=$2
. "$src/tests/cli/lib.sh"

g() { git -c user.name=t -c user.email=t@t -c commit.gpgsign=false "$@"; }
bad_wf='on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest || true\n'
good_wf='on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest -q\n'

r=$tmp/repo
git init -q --bare "$tmp/remote.git"
git init -q "$r"
cd "$r" || exit 1
git remote add origin "$tmp/remote.git"
mkdir -p .github/workflows
# a hook the team already has: it logs, and fails when asked to
printf '#!/bin/sh\necho ran >>"%s/prev.log"\nexit ${PREV_FAIL:-0}\n' "$tmp" >.git/hooks/pre-commit
chmod 0750 .git/hooks/pre-commit
cp -p .git/hooks/pre-commit "$tmp/orig-hook"

expect_exit 0 "$ciguard" hooks status
grep -q "^pre-commit: a hook that is not ciguard's is at " "$tmp/out" &&
	grep -q "^pre-push: not installed" "$tmp/out" && ok || bad "status before: $(cat "$tmp/out")"
expect_exit 0 "$ciguard" hooks install
ls -l .git/hooks >"$tmp/ls1"
cksum .git/hooks/pre-commit .git/hooks/pre-push >"$tmp/sum1"
expect_exit 0 "$ciguard" hooks install
cksum .git/hooks/pre-commit .git/hooks/pre-push | cmp -s - "$tmp/sum1" &&
	ls -l .git/hooks | cmp -s - "$tmp/ls1" && ok || bad "installing twice changed something"
grep -q "^pre-commit: ciguard's, at .*; runs the hook that was there before first" "$tmp/out" &&
	ok || bad "status after install: $(cat "$tmp/out")"
# the hook records where ciguard is: it runs with an empty PATH too
grep -q "^ciguard='$ciguard'$" .git/hooks/pre-commit && ok || bad "ciguard path not recorded"

# a commit that adds `pytest || true` is blocked; the team's hook ran
printf "$bad_wf" >.github/workflows/ci.yml
g add -A
g commit -q -m bad >"$tmp/c.out" 2>&1 && bad "a masked pytest was committed" || ok
grep -q "masked-failure" "$tmp/c.out" && grep -q "git commit --no-verify" "$tmp/c.out" &&
	ok || bad "no finding or skip hint: $(cat "$tmp/c.out")"
[ "$(wc -l <"$tmp/prev.log")" = 1 ] && ok || bad "the previous hook did not run"
# fixed in the work tree but not staged: still blocked (--staged)
printf "$good_wf" >.github/workflows/ci.yml
g commit -q -m bad >"$tmp/c.out" 2>&1 && bad "a staged mistake was committed" || ok
# staged: passes
g add -A
g commit -q -m good >"$tmp/c.out" 2>&1 && ok || bad "a clean commit was blocked: $(cat "$tmp/c.out")"
# the team's hook failing still blocks, though ciguard finds nothing
PREV_FAIL=3 g commit -q --allow-empty -m x >"$tmp/c.out" 2>&1 && bad "a failing previous hook did not block" || ok
# with a PATH of nothing but git's folder (GUI clients), the recorded path
PATH=$(dirname "$(command -v git)") g commit -q --allow-empty -m empty >"$tmp/c.out" 2>&1 &&
	ok || bad "commit with a short PATH: $(cat "$tmp/c.out")"

# the pre-push hook runs the full check: a push of a failing commit is
# blocked, a clean one passes
g push -q origin HEAD:main >"$tmp/p.out" 2>&1 && ok || bad "a clean push was blocked: $(cat "$tmp/p.out")"
printf "$bad_wf" >.github/workflows/ci.yml
g add -A
g commit -q --no-verify -m bad
g push -q origin HEAD:main >"$tmp/p.out" 2>&1 && bad "a failing push went through" || ok
grep -q "git push --no-verify" "$tmp/p.out" && ok || bad "push: no skip hint: $(cat "$tmp/p.out")"
[ "$(git --git-dir="$tmp/remote.git" log --oneline main | wc -l)" = 2 ] && ok || bad "the bad commit reached the remote"

# uninstall restores the team's hook exactly, mode included
expect_exit 0 "$ciguard" hooks uninstall
cmp -s .git/hooks/pre-commit "$tmp/orig-hook" &&
	[ "$(stat -c %a .git/hooks/pre-commit)" = 750 ] && [ ! -e .git/hooks/pre-push ] &&
	[ ! -e .git/hooks/pre-commit.ciguard-chained ] && ok || bad "uninstall: $(ls -l .git/hooks)"
expect_exit 0 "$ciguard" hooks uninstall
cmp -s .git/hooks/pre-commit "$tmp/orig-hook" && ok || bad "a second uninstall touched the team's hook"

# core.hooksPath
git config core.hooksPath team-hooks
expect_exit 0 "$ciguard" hooks install --pre-commit
[ -x team-hooks/pre-commit ] && [ ! -e team-hooks/pre-push ] && [ ! -e .git/hooks/pre-push ] &&
	ok || bad "core.hooksPath: $(ls -la team-hooks .git/hooks 2>&1)"
grep -q "team-hooks/pre-commit" "$tmp/out" && ok || bad "status names the path: $(cat "$tmp/out")"

# a core.hooksPath folder that does not exist yet is made
git config core.hooksPath deep/er/hooks
expect_exit 0 "$ciguard" hooks install --pre-push
[ -x deep/er/hooks/pre-push ] && ok || bad "core.hooksPath not made: $(cat "$tmp/err")"

# usage
expect_exit 2 "$ciguard" hooks
expect_exit 2 "$ciguard" hooks frobnicate
expect_exit 2 "$ciguard" hooks status "$tmp"
grep -q "is not in a git repository" "$tmp/err" && ok || bad "not a repository: $(cat "$tmp/err")"
cd / && finish
