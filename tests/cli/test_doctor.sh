#!/bin/sh
# `ciguard doctor` against real parts: a real redis-server and a real HTTP
# server (python3 -m http.server, answering WireMock's admin path) on free
# loopback ports, a real worker process whose environment is read from
# /proc, and a CI whose DATABASE_URL points at a documentation-range host,
# which must be a fail without any connection (nothing but 127.0.0.1 is
# contacted here).
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"
command -v redis-server >/dev/null || { echo "redis-server is missing (make test installs it)"; echo "0 passed, 1 failed"; exit 1; }
# what the machine running the tests sets must not leak into the cases
unset CI GITHUB_ACTIONS GITLAB_CI DATABASE_URL REDIS_URL WIREMOCK_URL NO_COLOR

# jq-less JSON assertions: python3 -c CODE FILE, `d` the document,
# `it[(group, name)]` the items
check_json() {
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
it = {(i['group'], i['name']): i for i in d['items']}
$1
" "$tmp/out" && ok || bad "$2: $(head -c 1500 "$tmp/out")"
}

# ---- options and exit codes
expect_exit 0 "$ciguard" doctor --help
grep -q "usage: ciguard doctor" "$tmp/out" && grep -q -- "--timeout" "$tmp/out" &&
	grep -q -- "--env" "$tmp/out" && ok || bad "doctor --help: $(cat "$tmp/out")"
expect_exit 0 "$ciguard" help doctor
expect_exit 2 "$ciguard" doctor --env prod "$tmp"
[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "env" "$tmp/err" && ok || bad "bad --env: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" doctor --timeout=soon "$tmp"
expect_exit 2 "$ciguard" doctor --nope "$tmp"
expect_exit 2 "$ciguard" doctor "$tmp/does-not-exist"
expect_exit 2 "$ciguard" doctor "$tmp" "$tmp"

# ---- CI pointing off the machine: a fail, the source named, never probed
ci=$tmp/ci
mkdir -p "$ci/.github/workflows"
cat >"$ci/.github/workflows/ci.yml" <<'YML'
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:16
        ports: ["5432:5432"]
    env:
      DATABASE_URL: postgres://app:pr0dpassw0rd@db.example.com:5432/app
    steps:
      - run: pytest
YML
start=$(date +%s)
CI=true expect_exit 1 "$ciguard" doctor --json --timeout 30s "$ci"
[ $(($(date +%s) - start)) -lt 20 ] && ok || bad "the off-machine host was waited for"
check_json '
pg = it[("services", "postgres")]
assert d["environment"] == "ci", d["environment"]
assert pg["verdict"] == "fail", pg
assert pg["source"] == {"from": "file", "variable": "DATABASE_URL", "service": None, "place": "ci",
    "path": ".github/workflows/ci.yml", "line": 10, "column": 7}, pg["source"]
assert pg["where"] == ".github/workflows/ci.yml:10:7", pg["where"]
assert pg["location"] == "off-machine" and pg["host"] == "db.example.com", pg
assert pg["probe"] is None, pg
assert pg["value"] == "postgres://app:***@db.example.com:5432/app", pg["value"]
assert "off this machine" in pg["reason"], pg["reason"]
assert d["summary"]["fail"] >= 1
' "CI off-machine DATABASE_URL"
grep -q pr0dpassw0rd "$tmp/out" "$tmp/err" && bad "password printed (json)" || ok
# the text form: the same, `--env ci` instead of $CI
expect_exit 1 "$ciguard" doctor --env=ci "$ci"
grep -q '^  fail    postgres: DATABASE_URL at .github/workflows/ci.yml:10:7$' "$tmp/out" &&
	grep -q 'points off this machine (db.example.com) while CI is set' "$tmp/out" &&
	ok || bad "text form of the off-machine fail: $(cat "$tmp/out")"
grep -q pr0dpassw0rd "$tmp/out" "$tmp/err" && bad "password printed (text)" || ok
# the process env wins over the file, and is named, not dumped
DATABASE_URL="postgresql://u:envpassw0rd@203.0.113.5/app?sslpassword=envpassw0rd&application_name=t" expect_exit 1 "$ciguard" doctor --json --env ci "$ci"
check_json '
pg = it[("services", "postgres")]
assert pg["source"] == {"from": "process-env", "variable": "DATABASE_URL"}, pg["source"]
assert pg["host"] == "203.0.113.5" and pg["verdict"] == "fail", pg
assert pg["value"] == "postgresql://u:***@203.0.113.5/app?sslpassword=***&application_name=t", pg["value"]
' "process env source"
grep -q envpassw0rd "$tmp/out" && bad "process env password printed" || ok

# ---- a repository whose services all run here
start_redis "$tmp" || exit 1
pids="$pids $redis_pid"
start_postgres "$tmp" || exit 1
pids="$pids $pg_pid"
hport=$(free_port)
mkdir -p "$tmp/www/__admin"
echo '{"mappings": []}' >"$tmp/www/__admin/mappings"
(cd "$tmp/www" && exec python3 -m http.server --bind 127.0.0.1 "$hport") >"$tmp/http.log" 2>&1 &
pids="$pids $!"
"$ciguard" wait --timeout 20s "http://127.0.0.1:$hport/__admin/mappings" >/dev/null 2>&1 || bad "http.server did not start"

up=$tmp/up
mkdir -p "$up"
cat >"$up/.env.example" <<ENV
# Redis of the worker pool
REDIS_URL=redis://127.0.0.1:$redis_port/0
# the payments API mock (WireMock)
WIREMOCK_URL=http://127.0.0.1:$hport
# the orders database
DATABASE_URL=postgresql://app@127.0.0.1:$pg_port/postgres
ENV
git -C "$up" init -q -b main && git -C "$up" add -A &&
	git -C "$up" -c user.name=t -c user.email=t@example.com commit -qm init &&
	git init -q --bare "$tmp/remote.git" && git -C "$up" remote add origin "$tmp/remote.git" &&
	git -C "$up" push -q -u origin main 2>/dev/null || bad "git setup"
expect_exit 0 "$ciguard" doctor --json --env local --timeout 5s "$up"
check_json '
assert d["environment"] == "local"
for k in [("services", "redis"), ("services", "wiremock"), ("services", "postgres"),
          ("repository", "uncommitted changes"),
          ("repository", "unpushed HEAD"), ("repository", "quick check")]:
    assert it[k]["verdict"] == "ok", it[k]
r = it[("services", "redis")]
assert r["probe"]["ready"] and r["probe"]["error"] is None, r
assert r["location"] == "loopback" and r["source"]["path"] == ".env.example" and r["source"]["line"] == 2, r
assert it[("services", "wiremock")]["probe"]["target"].endswith("/__admin/mappings")
p = it[("services", "postgres")]
assert p["probe"]["ready"] and p["probe"]["error"] is None and p["source"]["line"] == 6, p
assert d["summary"] == {"ok": 6, "warn": 0, "fail": 0, "skipped": 0}, d["summary"]
' "every service up is all ok"
expect_exit 0 "$ciguard" doctor --env=local "$up"
grep -q '^6 ok, 0 warn, 0 fail, 0 skipped$' "$tmp/out" && ok || bad "text summary: $(cat "$tmp/out")"
# not a terminal: no colour
grep -q "$(printf '\033')" "$tmp/out" && bad "colour when not on a terminal" || ok
# an unpushed commit and an uncommitted change are warnings, not fails
echo "# more" >>"$up/.env.example"
git -C "$up" -c user.name=t -c user.email=t@example.com commit -qam more
echo "# dirty" >>"$up/.env.example"
expect_exit 0 "$ciguard" doctor --json --env local "$up"
check_json '
assert it[("repository", "unpushed HEAD")]["verdict"] == "warn", it[("repository", "unpushed HEAD")]
assert it[("repository", "unpushed HEAD")]["ahead"] == 1
u = it[("repository", "uncommitted changes")]
assert u["verdict"] == "warn" and u["files"] == [".env.example"], u
' "unpushed and uncommitted"

# ---- a stopped service: a fail with the probe's error
kill "$redis_pid"
wait "$redis_pid" 2>/dev/null
expect_exit 1 "$ciguard" doctor --json --env local --timeout 500ms "$up"
check_json '
r = it[("services", "redis")]
assert r["verdict"] == "fail", r
assert not r["probe"]["ready"] and "refused" in r["probe"]["error"].lower(), r["probe"]
assert "refused" in r["reason"].lower(), r["reason"]
assert it[("services", "wiremock")]["verdict"] == "ok"
' "stopped redis"
expect_exit 1 "$ciguard" doctor --env local --timeout 500ms "$up"
grep -q "^  fail    redis: REDIS_URL at .env.example:2:1$" "$tmp/out" && grep -qi "refused" "$tmp/out" &&
	ok || bad "text form of the stopped service: $(cat "$tmp/out")"

# ---- a worker: running, and PYTHONUNBUFFERED read from /proc
wk=$tmp/wk
mod=worker_$$
mkdir -p "$wk/app"
: >"$wk/app/__init__.py"
# it says when it runs: a python3 wrapper (pyenv's shim) may hold the same
# command line for a moment before it execs the interpreter
printf 'import time\nopen("started", "w").close()\ntime.sleep(60)\n' >"$wk/app/$mod.py"
# start_worker ENV-ARGS...: run it under `env ENV-ARGS` in $wpid (added to
# $pids), once it says it runs
start_worker() {
	(cd "$wk" && exec "$@" python3 -m "app.$mod") &
	wpid=$!
	pids="$pids $wpid"
	i=0
	while [ ! -e "$wk/started" ] && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
	rm -f "$wk/started"
}
# compose says PYTHONUNBUFFERED=1; the process itself runs without it:
# /proc is the truth
cat >"$wk/docker-compose.yml" <<YML
services:
  worker:
    image: python:3.12
    command: python3 -m app.$mod
    environment:
      PYTHONUNBUFFERED: "1"
YML
expect_exit 1 "$ciguard" doctor --json --env local "$wk"
check_json '
r = it[("workers", "python3 -m app.'$mod': running")]
assert r["verdict"] == "fail" and r["pids"] == [], r
u = it[("workers", "python3 -m app.'$mod': PYTHONUNBUFFERED")]
assert u["verdict"] == "ok" and u["unbuffered"]["from"] == "config", u
' "worker not running: config read"
start_worker env -u PYTHONUNBUFFERED
expect_exit 0 "$ciguard" doctor --json --env local "$wk"
check_json '
r = it[("workers", "python3 -m app.'$mod': running")]
assert r["verdict"] == "ok" and r["pids"] == ['$wpid'], r
u = it[("workers", "python3 -m app.'$mod': PYTHONUNBUFFERED")]
assert u["verdict"] == "warn", u
assert u["unbuffered"] == {"from": "proc", "pid": '$wpid', "value": None}, u
assert "/proc/'$wpid'/environ" in u["reason"], u["reason"]
' "worker without PYTHONUNBUFFERED is a warn, from /proc"
kill "$wpid"
wait "$wpid" 2>/dev/null
start_worker env PYTHONUNBUFFERED=1
expect_exit 0 "$ciguard" doctor --json --env local "$wk"
check_json '
u = it[("workers", "python3 -m app.'$mod': PYTHONUNBUFFERED")]
assert u["verdict"] == "ok" and u["unbuffered"]["from"] == "proc" and u["unbuffered"]["value"] == "1", u
' "worker with PYTHONUNBUFFERED=1 is ok, from /proc"
kill "$wpid"
wait "$wpid" 2>/dev/null

# ---- workers' log files (CI: `> FILE`): one that grows, one that does not
lg=$tmp/lg
mkdir -p "$lg/app" "$lg/.github/workflows"
: >"$lg/app/__init__.py"
printf 'import time\nwhile True:\n    print("tick", flush=True)\n    time.sleep(0.05)\n' >"$lg/app/tick_worker_$$.py"
printf 'import time\ntime.sleep(60)\n' >"$lg/app/quiet_worker_$$.py"
cat >"$lg/.github/workflows/ci.yml" <<YML
on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: |
          python3 -u -m app.tick_worker_$$ > tick.log 2>&1 &
          python3 -u -m app.quiet_worker_$$ >> quiet.log &
          python3 -u -m app.gone_worker_$$ > gone.log &
YML
(cd "$lg" && exec python3 -u -m "app.tick_worker_$$" >tick.log 2>&1) &
pids="$pids $!"
(cd "$lg" && exec python3 -u -m "app.quiet_worker_$$" >>quiet.log) &
pids="$pids $!"
i=0
while [ ! -s "$lg/tick.log" ] && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
"$ciguard" doctor --json --env ci --timeout 4s "$lg" >"$tmp/out" 2>"$tmp/err"
check_json '
log = {i["log"]: i for i in d["items"] if i["group"] == "workers" and "log" in i}
assert sorted(log) == ["gone.log", "quiet.log", "tick.log"], sorted(log)
t = log["tick.log"]
assert t["name"].endswith(": log tick.log") and "tick_worker_'$$'" in t["name"], t
assert t["verdict"] == "ok" and "grew" in t["reason"] and t["bytes"] > 0, t
q = log["quiet.log"]
assert q["verdict"] == "warn" and "did not grow" in q["reason"] and q["bytes"] == 0, q
g = log["gone.log"]
assert g["verdict"] == "warn" and "does not exist" in g["reason"], g
' "worker logs: growing ok, quiet warn, missing warn"

finish
