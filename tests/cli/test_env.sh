#!/bin/sh
# `ciguard env`: the checklist table in each format, its errors, and that
# no value (a secret above all) is ever printed.
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"

repo=$src/tests/e2e/env-checklist/repo
expect_exit 0 "$ciguard" env "$repo"
# one row per app variable, the header first
head -1 "$tmp/out" | grep -q '^variable  *\.env\.example  *compose  *CI  *k8s$' && ok ||
	bad "text header: $(head -1 "$tmp/out")"
grep -q '^API_TOKEN  *\.env\.example:4  *docker-compose\.yml:6  *missing  *k8s/deploy\.yaml:15$' "$tmp/out" && ok ||
	bad "API_TOKEN row: $(grep API_TOKEN "$tmp/out")"
grep -q '^LOG_FORMAT  *missing  *missing  *missing  *k8s/deploy\.yaml:33$' "$tmp/out" && ok ||
	bad "envFrom ConfigMap key row: $(grep LOG_FORMAT "$tmp/out")"
# a third-party container's settings and runtime names are no rows
grep -q 'REDIS_ARGS\|POSTGRES_USER\|GITHUB_TOKEN\|^IMAGE' "$tmp/out" && bad "non-app variable listed" || ok
[ "$(wc -l <"$tmp/out")" = 9 ] && ok || bad "want 8 rows and a header, got $(wc -l <"$tmp/out") lines"

expect_exit 0 "$ciguard" env --format markdown "$repo"
head -2 "$tmp/out" | tail -1 | grep -q '^| -* | -* | -* | -* | -* |$' && ok || bad "markdown rule line"
grep -q '^| API_TOKEN  *| \.env\.example:4  *| docker-compose\.yml:6  *| missing  *| k8s/deploy\.yaml:15  *|$' "$tmp/out" && ok ||
	bad "markdown API_TOKEN row: $(grep API_TOKEN "$tmp/out")"

expect_exit 0 "$ciguard" env --format=json "$repo"
python3 - "$tmp/out" <<'PY' && ok || bad "json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["places"] == ["example", "compose", "ci", "k8s"], d["places"]
v = {x["name"]: x for x in d["variables"]}
assert v["API_TOKEN"]["missing"] == ["ci"], v["API_TOKEN"]
assert v["API_TOKEN"]["places"]["ci"] is None
assert v["API_TOKEN"]["places"]["k8s"] == {"path": "k8s/deploy.yaml", "line": 15, "column": 21, "needed": True}
assert v["CACHE_TTL"]["places"]["example"]["needed"] is False  # commented out
assert v["DB_ROOT_PASSWORD"]["missing"] == ["example"]
assert "REDIS_ARGS" not in v and "GITHUB_TOKEN" not in v
PY

# monorepo: a folder column, one part per example file
expect_exit 0 "$ciguard" env "$src/tests/e2e/env-checklist-monorepo/repo"
grep -q '^WEB_ONLY  *web  *missing  *web/docker-compose\.yml:6' "$tmp/out" && ok ||
	bad "monorepo row: $(grep WEB_ONLY "$tmp/out")"

# no secret value in any format: example values, CI secrets, k8s Secret
# data (base64 and stringData)
mkdir -p "$tmp/s/.github/workflows" "$tmp/s/k8s"
printf '# the live key\nSTRIPE_KEY=sk_live_hunter2example\n' >"$tmp/s/.env.example"
cat >"$tmp/s/.github/workflows/ci.yml" <<'YML'
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      STRIPE_KEY: ${{ secrets.STRIPE_KEY }}
      DB_PASSWORD: p4ssw0rd-in-ci
    steps:
      - run: pytest
YML
cat >"$tmp/s/k8s/app.yaml" <<'YML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
        - name: app
          image: acme/app:1
          envFrom:
            - secretRef: {name: app}
---
apiVersion: v1
kind: Secret
metadata: {name: app}
data:
  STRIPE_KEY: c2tfbGl2ZV9rOHNzZWNyZXQ=
stringData:
  DB_PASSWORD: k8s-plain-secret
YML
for f in text markdown json; do
	expect_exit 0 "$ciguard" env --format "$f" "$tmp/s"
	grep -q 'hunter2\|p4ssw0rd\|c2tfbGl2\|sk_live\|k8s-plain' "$tmp/out" &&
		bad "$f output shows a secret value: $(cat "$tmp/out")" || ok
	grep -q STRIPE_KEY "$tmp/out" && ok || bad "$f output lacks STRIPE_KEY"
done

# after `--` a PATH is positional, whatever it looks like
expect_exit 0 "$ciguard" env -- "$repo"
grep -q '^API_TOKEN ' "$tmp/out" && ok || bad "env -- PATH"

# errors: exit 2 with one line
expect_exit 2 "$ciguard" env --format yaml "$repo"
grep -q "unknown format 'yaml'" "$tmp/err" && ok || bad "bad format message: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" env "$repo" "$repo"
expect_exit 2 "$ciguard" env "$tmp/does-not-exist"
grep -q "does-not-exist" "$tmp/err" && ok || bad "missing PATH not named"
expect_exit 0 "$ciguard" env --help
grep -q "usage: ciguard env" "$tmp/out" && ok || bad "--help usage line"
# an empty repository: a sentence, not an empty table
mkdir "$tmp/empty"
expect_exit 0 "$ciguard" env "$tmp/empty"
grep -q "no app variables" "$tmp/out" && ok || bad "empty repository output: $(cat "$tmp/out")"
# the code column: reads of JavaScript code, where each is first read
code=$src/tests/e2e/env-checklist-code/repo
expect_exit 0 "$ciguard" env "$code"
head -1 "$tmp/out" | grep -q '^variable  *\.env\.example  *code  *compose  *CI$' && ok ||
	bad "code header: $(head -1 "$tmp/out")"
grep -q '^STRIPE_KEY  *missing  *src/server\.js:6  *-  *-$' "$tmp/out" && ok ||
	bad "code-only row: $(grep STRIPE_KEY "$tmp/out")"
grep -q '^PORT  *\.env\.example:4  *src/server\.js:7 ' "$tmp/out" && ok ||
	bad "code cell of a documented variable: $(grep PORT "$tmp/out")"
# runtime names (NODE_ENV, npm_*), node_modules and dist are no rows
grep -q 'NODE_ENV\|npm_package\|PGHOST\|BUNDLED' "$tmp/out" && bad "runtime or vendored name listed" || ok
expect_exit 0 "$ciguard" env --format markdown "$code"
grep -q '^| STRIPE_KEY  *| missing  *| src/server\.js:6  *| -  *| -  *|$' "$tmp/out" && ok ||
	bad "markdown code row: $(grep STRIPE_KEY "$tmp/out")"
expect_exit 0 "$ciguard" env --format json "$code"
python3 - "$tmp/out" <<'PY' && ok || bad "json code column"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["places"] == ["example", "code", "compose", "ci"], d["places"]
v = {x["name"]: x for x in d["variables"]}
assert v["STRIPE_KEY"]["missing"] == ["example"], v["STRIPE_KEY"]
assert v["STRIPE_KEY"]["places"]["code"] == {"path": "src/server.js", "line": 6, "column": 31, "needed": False}
assert v["PORT"]["missing"] == [], v["PORT"]
PY
finish
