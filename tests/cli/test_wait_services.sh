#!/bin/sh
# The README's worked example against real parts: a real redis-server with a
# password, a worker process that logs its start and serves a JSON health
# endpoint, then `ciguard wait` on all of them before running a command.
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"
command -v redis-server >/dev/null || { echo "redis-server is missing (make test installs it)"; echo "0 passed, 1 failed"; exit 1; }

start_redis "$tmp" --requirepass hunter2x || exit 1
pids="$pids $redis_pid"
rport=$redis_port
hport=$(free_port)
# the "worker": starts slowly, logs worker_started, serves /worker/health
cat >"$tmp/worker.py" <<PY
import http.server, json, sys, time
time.sleep(1.0)
print("worker_started pool=4", flush=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"status": "ok" if self.path == "/worker/health" else "no"}).encode()
        self.send_response(200 if self.path == "/worker/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", $hport), H).serve_forever()
PY
python3 -u "$tmp/worker.py" app.worker.pool >"$tmp/worker.log" 2>&1 &
pids="$pids $!"

start=$(date +%s)
"$ciguard" wait --timeout 30s --log "$tmp/worker.log" \
	"redis://:hunter2x@127.0.0.1:$rport" \
	--expect-json status=ok "http://127.0.0.1:$hport/worker/health" \
	proc:app.worker.pool "log:$tmp/worker.log:worker_started" \
	-- sh -c 'echo all-ready' >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && grep -q '^all-ready$' "$tmp/out" && ok || bad "all ready: exit $rc: $(cat "$tmp/err")"
grep -q hunter2x "$tmp/out" "$tmp/err" && bad "password printed" || ok
grep -q 'redis://:\*\*\*@127.0.0.1' "$tmp/err" && ok || bad "masked target not shown: $(cat "$tmp/err")"

# a rejected password can never work: exit 2 at once, not at the deadline
start=$(date +%s)
"$ciguard" wait --timeout 60s "redis://:notit9@127.0.0.1:$rport" >"$tmp/out" 2>"$tmp/err"
rc=$?
took=$(( $(date +%s) - start ))
[ $rc = 2 ] && [ $took -lt 20 ] && ok || bad "wrong password: exit $rc after ${took}s: $(cat "$tmp/err")"
grep -qi 'WRONGPASS\|invalid password\|invalid username-password' "$tmp/err" && ok || bad "reason: $(cat "$tmp/err")"
grep -q notit9 "$tmp/err" && bad "wrong password printed" || ok

# redis-cli ping would say 0 here; ciguard says why not (NOAUTH is fatal:
# it ends at once, so the timeout is only a bound for a loaded machine)
"$ciguard" wait --timeout 10s "redis://127.0.0.1:$rport" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 2 ] && grep -q NOAUTH "$tmp/err" && ok || bad "no password: exit $rc: $(cat "$tmp/err")"

# a 404 is never ready; the failure report ends with the worker's log
# (3 s: the first attempt loads libcurl, slow under ASan on a busy machine)
"$ciguard" wait --timeout 3s --log "$tmp/worker.log" "http://127.0.0.1:$hport/nope" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q 'HTTP 404' "$tmp/err" && grep -q '^worker_started pool=4$' "$tmp/err" && ok || bad "404: exit $rc: $(cat "$tmp/err")"

finish
