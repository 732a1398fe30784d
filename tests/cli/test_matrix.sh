#!/bin/sh
# `ciguard matrix` as a user runs it, and the two matrix rules on the
# bundled examples: options, exit codes, the Markdown/JSON shapes, secrets
# never printed, and the round trip (its Markdown, kept as a doc, is a
# matrix table that matrix-doc-drift reads and finds in agreement).
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"

broken=$src/examples/broken-service
clean=$src/examples/clean-service

# options and exit codes
expect_exit 0 "$ciguard" matrix --help
grep -q "usage: ciguard matrix" "$tmp/out" && grep -q -- "--format" "$tmp/out" &&
	ok || bad "matrix --help"
expect_exit 0 "$ciguard" help matrix
expect_exit 2 "$ciguard" matrix --format yaml "$clean"
[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "format" "$tmp/err" && ok || bad "bad --format message: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" matrix --format
expect_exit 2 "$ciguard" matrix --nope "$clean"
expect_exit 2 "$ciguard" matrix "$tmp/does-not-exist"
grep -q "does-not-exist" "$tmp/err" && ok || bad "missing path not named"
expect_exit 2 "$ciguard" matrix "$clean" "$broken"
expect_exit 2 "$ciguard" matrix --config "$tmp/nope.yml" "$clean"
expect_exit 0 "$ciguard" matrix --format=json "$clean"
expect_exit 0 "$ciguard" matrix --format json "$clean"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["environments"] == ["ci", "local", "production"], d["environments"]
rows = {r["service"]: r for r in d["services"]}
assert set(rows) >= {"postgres", "redis", "wiremock", "api"}, rows.keys()
for r in d["services"]:
    for env in d["environments"]:
        for v in r[env]:
            assert set(v) == {"value", "host", "port", "secret", "from",
                              "name", "path", "line", "column"}, v
assert rows["redis"]["local"][0]["value"] == "localhost:6379"
assert rows["redis"]["local"][0]["path"] == ".env.example"
assert rows["redis"]["local"][0]["line"] == 8
pg = rows["postgres"]["production"][0]
assert pg["value"] == "secret:DATABASE_URL" and pg["secret"] and pg["host"] is None, pg
assert rows["api"]["production"][0]["value"] == "orders-api:80"
' "$tmp/out" && ok || bad "matrix --format json shape"

# Markdown on broken-service: the rows and cells MISTAKES.md describes
expect_exit 0 "$ciguard" matrix "$broken"
cp "$tmp/out" "$tmp/broken.md"
grep -q '^| service | CI | local | production |$' "$tmp/broken.md" && ok || bad "markdown header"
grep -q '^| redis | `secret:REDIS_URL` (.github/workflows/ci.yml:10) | `localhost:6379` (.env.example:8) |' "$tmp/broken.md" &&
	ok || bad "redis row: $(grep '^| redis' "$tmp/broken.md")"
grep -q '^| postgres | `localhost:5432` (.github/workflows/ci.yml:47) | `localhost:5432` (.env.example:6) | `secret:DATABASE_URL` (k8s/deployment.yaml:30) |$' "$tmp/broken.md" &&
	ok || bad "postgres row: $(grep '^| postgres' "$tmp/broken.md")"

# secrets: never a value, in any format
mkdir -p "$tmp/s/.github/workflows" "$tmp/s/k8s"
cat >"$tmp/s/.github/workflows/ci.yml" <<'YML'
on: push
env:
  REDIS_URL: ${{ secrets.REDIS_URL }}
  DATABASE_URL: postgresql://ci:${{ secrets.PG_PASSWORD }}@${{ vars.PG_HOST }}:5432/ci
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: pytest
YML
cat >"$tmp/s/.gitlab-ci.yml" <<'YML'
test:
  variables:
    CACHE_URL: redis://$CACHE_HOST:6379/1
  script: pytest
YML
cat >"$tmp/s/k8s/app.yaml" <<'YML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: app:1
          envFrom:
            - secretRef: {name: app-env}
          env:
            - name: REDIS_URL
              valueFrom: {secretKeyRef: {name: app-secrets, key: redis-url}}
---
apiVersion: v1
kind: Secret
metadata: {name: app-env}
data:
  DATABASE_URL: cG9zdGdyZXNxbDovL2FwcDpodW50ZXIyQGRiLmludGVybmFsOjU0MzIvYXBw
stringData:
  WIREMOCK_URL: http://sekrit-host.internal:8080
YML
for f in markdown json; do
	expect_exit 0 "$ciguard" matrix --format $f "$tmp/s"
	grep -q 'secret:REDIS_URL' "$tmp/out" && grep -q 'secret:DATABASE_URL' "$tmp/out" &&
		grep -q 'secret:WIREMOCK_URL' "$tmp/out" && ok || bad "$f: secrets not shown as secret:NAME: $(cat "$tmp/out")"
	grep -qiE 'hunter2|sekrit|db\.internal|cG9zdGdy|PG_PASSWORD|PG_HOST|CACHE_HOST' "$tmp/out" &&
		bad "$f: a secret leaks: $(cat "$tmp/out")" || ok
done

# the rules on the examples, where MISTAKES.md puts them
expect_exit 1 "$ciguard" check --format json "$broken"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = sorted((f["rule"], f["path"], f["line"], f["column"])
             for f in d["findings"] if f["rule"].startswith("matrix-"))
want = [("matrix-doc-drift", "docs/connectivity.md", 10, 1),
        ("matrix-port-mismatch", ".env.example", 8, 1)]
assert got == want, got
' "$tmp/out" && ok || bad "matrix findings on broken-service"
expect_exit 0 "$ciguard" check --format json "$clean"
grep -q '"rule": "matrix-' "$tmp/out" && bad "matrix finding on clean-service" || ok

# round trip: the printed table, kept as docs/connectivity.md, is read as
# a matrix table and agrees with the repository
for repo in "$clean" "$broken" "$tmp/s"; do
	rm -rf "$tmp/rt" && cp -r "$repo" "$tmp/rt" && mkdir -p "$tmp/rt/docs"
	"$ciguard" matrix "$tmp/rt" >"$tmp/rt/docs/connectivity.md" || bad "matrix failed on $repo"
	expect_exit 0 "$ciguard" check --rule matrix-doc-drift --format json "$tmp/rt"
	grep -q '"findings": \[\]' "$tmp/out" && ok || bad "round trip drifts on $repo: $(cat "$tmp/out")"
	# and a changed port in it is found
	sed -i '0,/`localhost:\([0-9]*\)`/s//`localhost:1`/' "$tmp/rt/docs/connectivity.md"
	"$ciguard" check --rule matrix-doc-drift --format json "$tmp/rt" >"$tmp/out" 2>&1
	if grep -q 'localhost:' "$tmp/rt/docs/connectivity.md"; then
		grep -q '"rule": "matrix-doc-drift"' "$tmp/out" && ok || bad "edited doc of $repo not found drifting"
	fi
done

finish
