#!/bin/sh
# `ciguard flaky` as a user runs it, with real processes: flaky, broken and
# passing commands, failure grouping after normalisation, --timeout killing
# the whole process group, --until-fail, --parallel, --json, bad usage.
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"

# fails exactly the runs whose CIGUARD_FLAKY_RUN is a multiple of 3; the
# failure prints what differs per run: a time, a pid, a temp path, an
# address, a duration
cat >"$tmp/flaky.sh" <<'EOF'
#!/bin/sh
echo "collecting tests"
if [ $((CIGUARD_FLAKY_RUN % 3)) -eq 0 ]; then
	d=$(mktemp -d)
	echo "$(date '+%Y-%m-%dT%H:%M:%S') worker pid $$ wrote $d/state.db" >&2
	echo "AssertionError: <Conn at 0x7f$(printf %08x $$)> after 0.$$s" >&2
	echo "1 failed, 2 passed in 0.$$s"
	rm -rf "$d"
	exit 1
fi
echo "3 passed in 0.$$s"
EOF

expect_exit 0 "$ciguard" flaky --help
grep -q '^usage: ciguard flaky' "$tmp/out" && ok || bad "flaky --help"
grep -q -- '--until-fail' "$tmp/out" && ok || bad "--help lists the options"
"$ciguard" --help | grep -q '^  flaky' && ok || bad "ciguard --help lists flaky"

# 1 run in 3 fails: flaky, exit 1, 4 passed / 2 failed, one distinct failure
expect_exit 1 "$ciguard" flaky -n 6 -- sh "$tmp/flaky.sh"
grep -q '^  passed    4$' "$tmp/out" && ok || bad "flaky passed count: $(cat "$tmp/out")"
grep -q '^  failed    2$' "$tmp/out" && ok || bad "flaky failed count"
grep -q '^failure 1 of 1: 2 runs (runs 3, 6), exit status 1$' "$tmp/out" && ok || bad "one distinct failure: $(cat "$tmp/out")"
grep -q '^  | <TIME> worker pid <PID> wrote <TMP>$' "$tmp/out" && ok || bad "normalised example"
grep -q '^  | AssertionError: <Conn at <ADDR>> after <DURATION>$' "$tmp/out" && ok || bad "normalised address and duration"
grep -q '^flaky: results differ: 4 passed, 2 failed, 1 distinct failure$' "$tmp/out" && ok || bad "verdict"
grep -q 'duration  min [0-9.]*m\{0,1\}s, median' "$tmp/out" && ok || bad "duration spread"
# not a terminal: one line per run on stderr
[ "$(grep -c 'ciguard: flaky: run [0-9]/6 ' "$tmp/err")" = 6 ] && ok || bad "per-run lines: $(cat "$tmp/err")"
grep -q 'run 3/6 FAILED in .*: exit status 1' "$tmp/err" && ok || bad "failed run line"

# the same, 3 at a time, as JSON
expect_exit 1 "$ciguard" flaky -n 9 --parallel=3 --json -- sh "$tmp/flaky.sh"
python3 - "$tmp/out" <<'P' && ok || bad "json: $(cat "$tmp/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert list(r) == ["tool", "command", "runs_requested", "parallel",
    "timeout_ms", "until_fail", "verdict", "summary", "failures", "runs"], list(r)
assert r["tool"]["name"] == "ciguard"
assert r["command"][0] == "sh" and r["command"][1].endswith("flaky.sh")
assert r["runs_requested"] == 9 and r["parallel"] == 3
assert r["timeout_ms"] == 600000 and r["until_fail"] is False
assert r["verdict"] == "flaky"
s = r["summary"]
assert (s["runs"], s["passed"], s["failed"], s["timed_out"], s["not_run"],
        s["distinct_failures"]) == (9, 6, 3, 0, 0, 1), s
d = s["duration_ms"]
assert 0 <= d["min"] <= d["median"] <= d["max"], d
[f] = r["failures"]
assert f["count"] == 3 and f["runs"] == [3, 6, 9], f
assert f["outcome"] == "exit status 1" and f["exit_code"] == 1
assert f["signal"] is None and f["timed_out"] is False
assert f["output"] == ["collecting tests",
    "<TIME> worker pid <PID> wrote <TMP>",
    "AssertionError: <Conn at <ADDR>> after <DURATION>",
    "1 failed, 2 passed in <DURATION>"], f["output"]
assert [x["run"] for x in r["runs"]] == list(range(1, 10))
for x in r["runs"]:
    bad = x["run"] % 3 == 0
    assert x["passed"] is (not bad) and x["exit_code"] == (1 if bad else 0)
    assert x["failure"] == (0 if bad else None) and x["timed_out"] is False
    assert x["signal"] is None and x["duration_ms"] >= 0
P
[ ! -s "$tmp/err" ] && ok || bad "--json printed progress: $(cat "$tmp/err")"

# always failing: broken, exit 2, one failure with every run
expect_exit 2 "$ciguard" flaky -n 3 -- sh -c 'echo "error at $(date)"; exit 3'
grep -q '^failure 1 of 1: 3 runs (runs 1, 2, 3), exit status 3$' "$tmp/out" && ok || bad "broken grouping: $(cat "$tmp/out")"
grep -q '^  | error at <TIME>$' "$tmp/out" && ok || bad "date(1) normalised"
grep -q '^broken: every run failed (3 of 3), not a flake$' "$tmp/out" && ok || bad "broken verdict"
# different failures stay apart; a signal is named
expect_exit 2 "$ciguard" flaky -n 4 -q -- sh -c 'if [ $CIGUARD_FLAKY_RUN = 2 ]; then kill -SEGV $$; fi; echo "err $CIGUARD_FLAKY_RUN"; exit 1'
grep -q '^failure 4 of 4: 1 run (run 4), exit status 1$' "$tmp/out" && ok || bad "distinct failures: $(cat "$tmp/out")"
grep -q '^failure 2 of 4: 1 run (run 2), killed by SIGSEGV$' "$tmp/out" && ok || bad "signal named"

# failures are listed by the first run that showed them, whatever order
# parallel runs end in (here the last started ends first)
expect_exit 2 "$ciguard" flaky -n 4 -j 4 -- sh -c 'sleep 0.$((5 - CIGUARD_FLAKY_RUN)); echo "kind $((CIGUARD_FLAKY_RUN % 2))"; exit 1'
sed -n 's/^failure \([0-9]\) of 2: 2 runs (runs \(.*\)), exit status 1$/\1: \2/p' "$tmp/out" | tr '\n' ' ' | grep -qx '1: 1, 3 2: 2, 4 ' && ok || bad "failure order: $(cat "$tmp/out")"

# passing: exit 0
expect_exit 0 "$ciguard" flaky -n 3 -j 2 -- true
grep -q '^  passed    3$' "$tmp/out" && grep -q '^passed: every run passed (3 of 3)$' "$tmp/out" && ok || bad "passing: $(cat "$tmp/out")"
# COMMAND is run directly, not through a shell
expect_exit 0 "$ciguard" flaky -n 1 -- test 'a b' = 'a b'

# each run sees its number; --until-fail starts nothing after a failure
expect_exit 1 "$ciguard" flaky -n 10 --until-fail -- sh -c '[ "$CIGUARD_FLAKY_RUN" -lt 4 ] && [ "$CIGUARD_FLAKY_RUNS" = 10 ]'
grep -q '^  passed    3$' "$tmp/out" && grep -q '^  failed    1$' "$tmp/out" && grep -q '^  not run   6 (--until-fail)$' "$tmp/out" && ok || bad "--until-fail: $(cat "$tmp/out")"

# K at a time: 4 runs of 1s, 4 at a time, take about 1s, not 4
start=$(date +%s)
expect_exit 0 "$ciguard" flaky -n 4 -j 4 -- sleep 1
[ $(($(date +%s) - start)) -le 3 ] && ok || bad "--parallel did not run at once"

# --timeout kills the whole process group: the run and its background
# grandchild are gone afterwards, and the run is reported as timed out
cat >"$tmp/hang.sh" <<EOF
#!/bin/sh
sleep 100 &
echo \$! >"$tmp/bg.\$CIGUARD_FLAKY_RUN"
echo \$\$ >"$tmp/leader.\$CIGUARD_FLAKY_RUN"
echo "waiting forever"
sleep 100
EOF
start=$(date +%s)
expect_exit 2 "$ciguard" flaky -n 2 -j 2 --timeout 1s --json -- sh "$tmp/hang.sh"
[ $(($(date +%s) - start)) -le 6 ] && ok || bad "timeout took too long"
python3 - "$tmp/out" <<'P' && ok || bad "timeout json: $(cat "$tmp/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "broken" and r["summary"]["timed_out"] == 2
for x in r["runs"]:
    assert x["timed_out"] is True and x["passed"] is False
    assert x["exit_code"] is None and 1000 <= x["duration_ms"] < 5000, x
[f] = r["failures"]
assert f["outcome"] == "timed out after 1.00s" and f["timed_out"] is True
assert f["output"] == ["waiting forever"], f
P
for f in "$tmp"/bg.1 "$tmp"/bg.2 "$tmp"/leader.1 "$tmp"/leader.2; do
	p=$(cat "$f")
	if kill -0 "$p" 2>/dev/null; then
		bad "process $p ($(basename "$f")) still alive: $(ps -o pid,stat,args -p "$p" | tail -1)"
		kill -9 "$p" 2>/dev/null
	else
		ok
	fi
done
expect_exit 2 "$ciguard" flaky -n 1 --timeout 300ms -- sh "$tmp/hang.sh"
grep -q '^failure 1 of 1: 1 run (run 1), timed out after 300ms$' "$tmp/out" && grep -q '^  failed    1 (1 timed out)$' "$tmp/out" && ok || bad "timeout text: $(cat "$tmp/out")"
kill -0 "$(cat "$tmp/bg.1")" 2>/dev/null && bad "grandchild survived" || ok

# what a run leaves behind when it ends is killed too
expect_exit 0 "$ciguard" flaky -n 1 -- sh -c "sleep 100 & echo \$! >'$tmp/left'"
kill -0 "$(cat "$tmp/left")" 2>/dev/null && bad "leftover survived" || ok

# a signal to ciguard stops every run and says so
rm -f "$tmp"/bg.* "$tmp"/leader.*
"$ciguard" flaky -n 5 -j 2 -- sh "$tmp/hang.sh" >"$tmp/out" 2>"$tmp/err" &
cg=$!
i=0; while ! { [ -s "$tmp/bg.1" ] && [ -s "$tmp/bg.2" ]; } && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
kill -TERM "$cg"
wait "$cg"; got=$?
[ "$got" = 143 ] && ok || bad "interrupted exit $got"
grep -q '^interrupted by SIGTERM after 0 finished runs$' "$tmp/out" && grep -q '^  not run   5 (interrupted)$' "$tmp/out" && ok || bad "interrupted: $(cat "$tmp/out")"
for f in "$tmp"/bg.1 "$tmp"/bg.2 "$tmp"/leader.1 "$tmp"/leader.2; do
	p=$(cat "$f")
	[ -n "$p" ] && ! kill -0 "$p" 2>/dev/null && ok || bad "interrupted run's process $p ($(basename "$f")) survived"
done
[ ! -e "$tmp/bg.3" ] && ok || bad "a run started after the signal"

# on a terminal (script(1) gives one): a progress bar instead of per-run
# lines, the verdict in colour; NO_COLOR turns both off
if command -v script >/dev/null 2>&1; then
	script -qec "'$ciguard' flaky -n 3 -- true" /dev/null >"$tmp/tty" 2>&1
	grep -q '\[##############################\] 3/3  passed 3  failed 0' "$tmp/tty" && ok || bad "no progress bar: $(od -c "$tmp/tty" | head)"
	grep -q 'run 1/3 passed' "$tmp/tty" && bad "per-run lines on a terminal" || ok
	grep -q "$(printf '\033')\[32mpassed: every run passed" "$tmp/tty" && ok || bad "verdict not in colour"
	NO_COLOR=1 script -qec "'$ciguard' flaky -n 3 -- true" /dev/null >"$tmp/tty" 2>&1
	grep -q "$(printf '\033')" "$tmp/tty" && bad "NO_COLOR: escape codes: $(od -c "$tmp/tty" | head)" || ok
fi

# bad usage: a clear reason and exit 2
expect_exit 2 "$ciguard" flaky -n 3 true
grep -q "COMMAND goes after '--'" "$tmp/err" && ok || bad "no --: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" flaky -n 3
grep -q "no COMMAND" "$tmp/err" && ok || bad "no COMMAND: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" flaky -n 3 --
expect_exit 2 "$ciguard" flaky -n 0 -- true
grep -q -- "--runs takes a whole number from 1" "$tmp/err" && ok || bad "-n 0: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" flaky -n many -- true
expect_exit 2 "$ciguard" flaky --parallel 0 -- true
expect_exit 2 "$ciguard" flaky --timeout soon -- true
grep -q -- "--timeout takes a duration" "$tmp/err" && ok || bad "bad duration: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" flaky --timeout=-1s -- true
expect_exit 2 "$ciguard" flaky --nope -- true
expect_exit 2 "$ciguard" flaky -n 2 -- "$tmp/no-such-program"
grep -q "cannot run '$tmp/no-such-program'" "$tmp/err" && ok || bad "missing program: $(cat "$tmp/err")"

finish
