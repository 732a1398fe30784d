#!/bin/sh
# `ciguard wait` as a user runs it: exit codes, COMMAND, --json, --log.
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"
# a listener on a free loopback port, stopped by pid at exit
port=$(free_port)
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(16); time.sleep(120)" &
pids="$pids $!"
closed=$(free_port)
i=0; while [ $i -lt 50 ] && ! "$ciguard" wait --quiet --timeout 100ms tcp://127.0.0.1:$port 2>/dev/null; do i=$((i+1)); sleep 0.1; done

expect_exit 0 "$ciguard" wait --help
grep -q '^usage: ciguard wait' "$tmp/out" && ok || bad "wait --help"
expect_exit 2 "$ciguard" wait
expect_exit 2 "$ciguard" wait --timeout soon tcp://127.0.0.1:$port
expect_exit 2 "$ciguard" wait --timeout nan tcp://127.0.0.1:$port
expect_exit 2 "$ciguard" wait --timeout inf tcp://127.0.0.1:$port
expect_exit 2 "$ciguard" wait --timeout -1s tcp://127.0.0.1:$port
expect_exit 0 "$ciguard" wait --quiet --timeout 1d tcp://127.0.0.1:$port
expect_exit 2 "$ciguard" wait ftp://127.0.0.1:$port
grep -q "unknown target" "$tmp/err" && ok || bad "unknown scheme reason: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" wait tcp://127.0.0.1:$port --
expect_exit 2 "$ciguard" wait --expect-json status=ok tcp://127.0.0.1:$port
expect_exit 0 "$ciguard" wait tcp://127.0.0.1:$port
expect_exit 0 "$ciguard" wait tcp://localhost:$port

# COMMAND runs only when all are ready, and its status is ours
expect_exit 7 "$ciguard" wait tcp://127.0.0.1:$port -- sh -c 'echo ran; exit 7'
grep -q '^ran$' "$tmp/out" && ok || bad "COMMAND output"
expect_exit 1 "$ciguard" wait --timeout 500ms --interval 50ms tcp://127.0.0.1:$closed -- sh -c 'echo ran'
grep -q ran "$tmp/out" && bad "COMMAND ran although not ready" || ok
grep -q "tcp://127.0.0.1:$closed: not ready: connect to 127.0.0.1:$closed: Connection refused" "$tmp/err" && ok || bad "last error: $(cat "$tmp/err")"
grep -q "deadline passed" "$tmp/err" && ok || bad "deadline message"

# --json: one object per target
expect_exit 1 "$ciguard" wait --json --timeout 400ms --interval 50ms tcp://127.0.0.1:$port tcp://127.0.0.1:$closed
python3 - "$tmp/out" "$port" "$closed" <<'P' && ok || bad "json: $(cat "$tmp/out")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2, rows
a, b = rows
assert a["target"] == "tcp://127.0.0.1:" + sys.argv[2] and a["ready"] is True and a["last_error"] is None
assert b["target"] == "tcp://127.0.0.1:" + sys.argv[3] and b["ready"] is False
assert b["attempts"] >= 2 and "refused" in b["last_error"] and b["elapsed_ms"] >= 300
assert list(a) == ["target", "ready", "attempts", "elapsed_ms", "last_error"]
P

# --log: the last 50 lines of each log explain a failure
seq 1 120 | sed 's/^/worker line /' >"$tmp/worker.log"
expect_exit 1 "$ciguard" wait --timeout 300ms --log "$tmp/worker.log" --log "$tmp/missing.log" tcp://127.0.0.1:$closed
grep -q '^worker line 120$' "$tmp/err" && grep -q '^worker line 71$' "$tmp/err" && ! grep -q '^worker line 70$' "$tmp/err" && ok || bad "log tail: $(tail -5 "$tmp/err")"
grep -q "missing.log" "$tmp/err" && ok || bad "missing log not named"

# --quiet prints nothing on success
expect_exit 0 "$ciguard" wait --quiet tcp://127.0.0.1:$port
[ ! -s "$tmp/err" ] && [ ! -s "$tmp/out" ] && ok || bad "--quiet printed something"

# libcurl and libpq (and their ~30 dependencies) are mapped only when a
# probe needs them: `check`, run by pre-commit hooks, must not pay for them
LD_DEBUG=files "$ciguard" --version >/dev/null 2>"$tmp/ld"
grep -qE 'file=(libcurl|libpq)' "$tmp/ld" && bad "--version maps libcurl or libpq" || ok
LD_DEBUG=files "$ciguard" check "$src/examples/clean-service" >/dev/null 2>"$tmp/ld"
grep -qE 'file=(libcurl|libpq)' "$tmp/ld" && bad "check maps libcurl or libpq" || ok
LD_DEBUG=files "$ciguard" wait --timeout 300ms http://127.0.0.1:$closed/ >/dev/null 2>"$tmp/ld"
grep -q 'file=libcurl.so.4' "$tmp/ld" && ok || bad "an http:// probe does not load libcurl"
LD_DEBUG=files "$ciguard" wait --timeout 300ms postgres://127.0.0.1:$closed/db >/dev/null 2>"$tmp/ld"
grep -q 'file=libpq.so.5' "$tmp/ld" && ok || bad "a postgres:// probe does not load libpq"

# a library that cannot be loaded makes its targets a usage error naming
# the package; other targets do not need it
mkdir "$tmp/broken-libs"
: >"$tmp/broken-libs/libcurl.so.4"
: >"$tmp/broken-libs/libpq.so.5"
expect_exit 2 env LD_LIBRARY_PATH="$tmp/broken-libs" "$ciguard" wait https://127.0.0.1:$port/
grep -q "'https://127.0.0.1:$port/': https:// targets need libcurl (libcurl4): .*libcurl.so.4" "$tmp/err" && ok || bad "no libcurl: $(cat "$tmp/err")"
expect_exit 2 env LD_LIBRARY_PATH="$tmp/broken-libs" "$ciguard" wait postgres://app:s3cret@127.0.0.1:$port/db
grep -q "'postgres://app:\*\*\*@127.0.0.1:$port/db': postgres:// targets need libpq (libpq5): .*libpq.so.5" "$tmp/err" && ok || bad "no libpq: $(cat "$tmp/err")"
grep -q s3cret "$tmp/err" && bad "no libpq: password shown" || ok
expect_exit 0 env LD_LIBRARY_PATH="$tmp/broken-libs" "$ciguard" wait tcp://127.0.0.1:$port

finish
