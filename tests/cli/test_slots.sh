#!/bin/sh
# `ciguard slots` as a user runs it, against a real redis-server on a free
# loopback port (stopped by pid at exit): exit codes of acquire / release /
# refresh / status, and `slots run` passing the status through and
# releasing its slot on a normal exit, after SIGTERM to ciguard (forwarded
# to COMMAND) and after COMMAND is killed; `--wait` queues first come,
# first served.
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"
holders() { "$ciguard" slots status "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
expect_holders() { # key want
	got=$(holders "$1")
	[ "$got" = "$2" ] && ok || bad "$1: $got holders (want $2)"
}

start_redis "$tmp" || exit 1
pids="$pids $redis_pid"
port=$redis_port
export REDIS_URL="redis://127.0.0.1:$port/0"
closed=$(free_port)

# usage
expect_exit 0 "$ciguard" slots --help
grep -q '^usage: ciguard slots acquire' "$tmp/out" && ok || bad "slots --help"
expect_exit 2 "$ciguard" slots
expect_exit 2 "$ciguard" slots acquire k
expect_exit 2 "$ciguard" slots acquire k --max 0
expect_exit 2 "$ciguard" slots acquire k --max 1 --ttl 0
expect_exit 2 "$ciguard" slots frobnicate k
expect_exit 2 "$ciguard" slots release k not-a-token
expect_exit 2 "$ciguard" slots run k --max 1
expect_exit 2 "$ciguard" slots acquire k --max 1 --redis "redis://u:s3cret@127.0.0.1:x/0"
grep -q s3cret "$tmp/err" && bad "password printed" || ok

# acquire / status / refresh / release
expect_exit 0 "$ciguard" slots acquire cli --max 2 --ttl 120s
a=$(cat "$tmp/out")
echo "$a" | grep -Eq '^[0-9a-f]{32}$' && ok || bad "token '$a'"
expect_exit 0 "$ciguard" slots acquire cli --max 2 --json
b=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["fence"] >= 2, d; print(d["token"])' "$tmp/out") && ok || bad "json: $(cat "$tmp/out")"
expect_exit 1 "$ciguard" slots acquire cli --max 2
grep -q "all 2 slots of 'cli' are taken" "$tmp/err" && ok || bad "full message: $(cat "$tmp/err")"
expect_exit 0 "$ciguard" slots status cli
grep -q "^cli: 2 holders" "$tmp/out" && grep -q "$a" "$tmp/out" && ok || bad "status: $(cat "$tmp/out")"
expect_exit 0 "$ciguard" slots refresh cli "$a"
expect_exit 0 "$ciguard" slots release cli "$a"
expect_exit 1 "$ciguard" slots release cli "$a"
expect_exit 1 "$ciguard" slots refresh cli "$a"
grep -q "lost" "$tmp/err" && ok || bad "lost message"
expect_exit 0 "$ciguard" slots release cli "$b"
expect_holders cli 0
# --wait queues until a slot frees up (the holder's ttl leaves room for a
# slow start of the next command on a loaded machine)
expect_exit 0 "$ciguard" slots acquire w --max 1 --ttl 3s
expect_exit 1 "$ciguard" slots acquire w --max 1 --wait 200ms
grep -q "the one slot of 'w' is taken, still after waiting 0.2s" "$tmp/err" && ok || bad "wait expired message: $(cat "$tmp/err")"
expect_exit 0 "$ciguard" slots acquire w --max 1 --wait 10s
# first come, first served: three `run --wait` queue behind a holder, and
# run in the order they came once it releases
waiting() { "$ciguard" slots status "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["waiting"])'; }
expect_exit 0 "$ciguard" slots acquire fifo --max 1 --ttl 30s
h=$(cat "$tmp/out")
qpids=""
for who in A B C; do
	"$ciguard" slots run fifo --max 1 --wait 20s -- sh -c "echo $who >>'$tmp/order'; sleep 0.1" 2>>"$tmp/fifo.err" &
	qpids="$qpids $!"
	n=0; want=$(printf 'A\nB\nC\n' | grep -n "$who" | cut -d: -f1)
	until [ "$(waiting fifo)" = "$want" ]; do
		n=$((n + 1)); [ $n -gt 100 ] && { bad "$who never queued"; break; }
		sleep 0.05
	done
done
"$ciguard" slots status fifo --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["waiting"] == 3 and len(d["queue"]) == 3, d' && ok || bad "status while 3 wait"
expect_exit 0 "$ciguard" slots release fifo "$h"
for p in $qpids; do wait "$p" || bad "a waiter exited $?: $(cat "$tmp/fifo.err")"; done
[ "$(cat "$tmp/order" 2>/dev/null | tr -d '\n')" = ABC ] && ok || bad "order '$(cat "$tmp/order" 2>/dev/null | tr '\n' ' ')' (want A B C)"
expect_holders fifo 0

# Redis unreachable: fail-closed exits 2, fail-open goes ahead
expect_exit 2 "$ciguard" slots acquire k --max 1 --redis "redis://127.0.0.1:$closed"
expect_exit 0 "$ciguard" slots acquire k --max 1 --fail-open --redis "redis://127.0.0.1:$closed"
grep -q '^open-' "$tmp/out" && grep -q 'fail-open' "$tmp/err" && ok || bad "fail-open output"
expect_exit 0 "$ciguard" slots release k "$(cat "$tmp/out")" --redis "redis://127.0.0.1:$closed"

# run: status passed through, slot held while running, released after
expect_exit 7 "$ciguard" slots run r --max 1 -- sh -c 'exit 7'
expect_holders r 0
expect_exit 0 "$ciguard" slots run r --max 1 -- sh -c "\"$ciguard\" slots status r --json > \"$tmp/inside\""
grep -q '"count":1' "$tmp/inside" && ok || bad "no holder while running: $(cat "$tmp/inside")"
expect_holders r 0
expect_exit 127 "$ciguard" slots run r --max 1 -- /nonexistent/command
expect_holders r 0
# full: COMMAND does not run
"$ciguard" slots acquire r --max 1 >"$tmp/tok"
expect_exit 1 "$ciguard" slots run r --max 1 -- sh -c "touch \"$tmp/ran\""
[ -e "$tmp/ran" ] && bad "COMMAND ran although full" || ok
"$ciguard" slots release r "$(cat "$tmp/tok")"
# refreshed while running longer than its TTL
expect_exit 0 "$ciguard" slots run long --max 1 --ttl 3s -- sh -c 'sleep 5'
grep -q lost "$tmp/err" && bad "slot lost although refreshed" || ok

# SIGTERM to ciguard: forwarded to COMMAND, slot released
"$ciguard" slots run sig --max 1 -- sh -c "trap 'echo got-term > \"$tmp/term\"; exit 3' TERM; sleep 30 & wait" \
	>"$tmp/out" 2>"$tmp/err" &
run=$!
i=0; while [ "$(holders sig)" != 1 ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
sleep 0.2
kill -TERM $run
wait $run; got=$?
[ "$got" = 3 ] && ok || bad "run after SIGTERM: exit $got (want 3)"
grep -q got-term "$tmp/term" 2>/dev/null && ok || bad "SIGTERM not forwarded"
expect_holders sig 0

# COMMAND killed: 128+9, slot released
"$ciguard" slots run kill --max 1 -- sh -c "echo \$\$ > \"$tmp/child\"; exec sleep 30" \
	>"$tmp/out" 2>"$tmp/err" &
run=$!
i=0; while [ ! -s "$tmp/child" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
kill -KILL "$(cat "$tmp/child")"
wait $run; got=$?
[ "$got" = 137 ] && ok || bad "run after COMMAND killed: exit $got (want 137)"
expect_holders kill 0

finish
