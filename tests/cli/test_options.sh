#!/bin/sh
# One option parser for every subcommand (src/cli/opt.c): --opt=value and
# --opt value both work everywhere, an unknown option or a missing value is
# exit 2 with one line on stderr, and --help lists the same options the
# parser accepts. Runs a redis-server of its own for `slots`.
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"

start_redis "$tmp" || exit 1
pids="$pids $redis_pid"
url="redis://127.0.0.1:$redis_port/0"
closed=$(free_port)
# no REDIS_URL: only --redis can point `slots` at our server
unset REDIS_URL

# expect_one_line_error WANT CMD...: exit 2 and exactly one line on stderr
# that contains WANT
expect_one_line_error() {
	want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"; got=$?
	n=$(wc -l <"$tmp/err")
	if [ "$got" = 2 ] && [ "$n" = 1 ] && grep -qF -- "$want" "$tmp/err"; then
		ok
	else
		bad "exit $got, $n stderr lines (want 2, 1 with '$want'): $* :: $(cat "$tmp/err")"
	fi
}

# wait: the value is used in both spellings; the deadline of 300ms (not the
# default 60s) ends the wait on a closed port
expect_exit 0 "$ciguard" wait --timeout=1s "tcp://127.0.0.1:$redis_port"
expect_exit 0 "$ciguard" wait --timeout 1s "tcp://127.0.0.1:$redis_port"
for form in eq space; do
	start=$(date +%s)
	if [ $form = eq ]; then
		expect_exit 1 "$ciguard" wait --timeout=300ms --interval=50ms "tcp://127.0.0.1:$closed"
	else
		expect_exit 1 "$ciguard" wait --timeout 300ms --interval 50ms "tcp://127.0.0.1:$closed"
	fi
	[ $(($(date +%s) - start)) -lt 20 ] && grep -q "deadline passed" "$tmp/err" && ok ||
		bad "wait --timeout ($form) not applied: $(cat "$tmp/err")"
done
expect_exit 0 "$ciguard" wait -q --timeout=1s "tcp://127.0.0.1:$redis_port"
[ ! -s "$tmp/err" ] && ok || bad "wait -q printed: $(cat "$tmp/err")"
# -- ends the options: what follows is COMMAND, options and all
expect_exit 3 "$ciguard" wait --timeout=1s "tcp://127.0.0.1:$redis_port" -- sh -c 'echo "$1"; exit 3' sh --timeout=x
grep -qx -- '--timeout=x' "$tmp/out" && ok || bad "COMMAND's own arguments: $(cat "$tmp/out")"

# slots: --redis=URL and --redis URL reach our server (no REDIS_URL set)
expect_exit 0 "$ciguard" slots acquire opt --max=2 --redis="$url"
tok=$(cat "$tmp/out")
expect_exit 0 "$ciguard" slots status --redis="$url" opt
grep -q '^opt: 1 holder$' "$tmp/out" && grep -q "$tok" "$tmp/out" && ok || bad "status --redis=: $(cat "$tmp/out")"
expect_exit 0 "$ciguard" slots status opt --redis "$url" --json
grep -q '"count":1' "$tmp/out" && ok || bad "status --redis URL: $(cat "$tmp/out")"
expect_exit 2 "$ciguard" slots status opt --redis="redis://127.0.0.1:$closed/0" --timeout=200ms
expect_exit 0 "$ciguard" slots release opt "$tok" --redis="$url"
expect_exit 7 "$ciguard" slots run opt --max=1 --ttl=5s --redis="$url" -- sh -c 'exit 7'

# check: --format=json and --format json both print the JSON report
for spelling in --format=json "--format json"; do
	# shellcheck disable=SC2086 # the second spelling is two words
	expect_exit 1 "$ciguard" check "$src/examples/broken-service" $spelling --color=never
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["findings"] and d["summary"]["errors"] >= 1' \
		"$tmp/out" && ok || bad "check $spelling: not the JSON report: $(head -c 200 "$tmp/out")"
done
# a masked pytest (an error) and a piped one (a warning by config)
mkdir -p "$tmp/r/.github/workflows"
cat >"$tmp/r/.github/workflows/ci.yml" <<'Y'
on: push
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: pytest -q || true
      - run: pytest | tee log
Y
printf 'version: 1\nrules:\n  pipe-masks-failure: warning\n' >"$tmp/r/.ciguard.yml"
expect_exit 0 "$ciguard" check "$tmp/r" --rule=pipe-masks-failure
expect_exit 1 "$ciguard" check --fail-on=warning --rule pipe-masks-failure -- "$tmp/r"
expect_exit 0 "$ciguard" check "$tmp/r" --config="$tmp/r/.ciguard.yml" --rule=pipe-masks-failure --fail-on error

# errors: one line, exit 2, for every command
expect_one_line_error "ciguard: check: unknown option '--x' (see 'ciguard check --help')" \
	"$ciguard" check --x "$src/examples/clean-service"
expect_one_line_error "ciguard: check: unknown option '--x'" \
	"$ciguard" check --x=1 "$src/examples/clean-service"
expect_one_line_error "ciguard: check: --format needs a value" \
	"$ciguard" check "$src/examples/clean-service" --format
expect_one_line_error "ciguard: check: --quick takes no value" \
	"$ciguard" check "$src/examples/clean-service" --quick=yes
expect_one_line_error "ciguard: check: unknown format 'yaml'" \
	"$ciguard" check "$src/examples/clean-service" --format=yaml
expect_one_line_error "ciguard: wait: unknown option '--x'" \
	"$ciguard" wait --x "tcp://127.0.0.1:$redis_port"
expect_one_line_error "ciguard: wait: --timeout needs a value" \
	"$ciguard" wait "tcp://127.0.0.1:$redis_port" --timeout
expect_one_line_error "ciguard: wait: --timeout takes a duration like 500ms, 10s or 2m, not 'soon'" \
	"$ciguard" wait --timeout=soon "tcp://127.0.0.1:$redis_port"
expect_one_line_error "ciguard: wait: unknown option '-x'" \
	"$ciguard" wait -x "tcp://127.0.0.1:$redis_port"
expect_one_line_error "ciguard: slots acquire: unknown option '--x' (see 'ciguard slots --help')" \
	"$ciguard" slots acquire k --max 1 --x --redis="$url"
expect_one_line_error "ciguard: slots status: --redis needs a value" \
	"$ciguard" slots status k --redis
expect_one_line_error "ciguard: slots acquire: --max takes a number from 1 to 1000000, not '0'" \
	"$ciguard" slots acquire k --max=0 --redis="$url"
expect_one_line_error "ciguard: rules: unknown option '--x'" "$ciguard" rules --x
expect_one_line_error "ciguard: explain: unknown option '--x'" "$ciguard" explain --x masked-failure

# --help wins over a bad option, and lists what the parser accepts
expect_exit 0 "$ciguard" check --x --help
grep -q '^usage: ciguard check' "$tmp/out" && ok || bad "check --x --help"
for opt in quick staged "format FMT" "config FILE" "baseline FILE" "write-baseline FILE" \
	"fail-on LEVEL" "rule ID" "jobs N" "color WHEN"; do
	grep -q "^  --$opt  " "$tmp/out" && ok || bad "check --help lacks --$opt"
done
expect_exit 0 "$ciguard" wait --help
grep -q '^  -q, --quiet  ' "$tmp/out" && grep -q '^  --timeout D  ' "$tmp/out" && ok || bad "wait --help: $(cat "$tmp/out")"
expect_exit 0 "$ciguard" slots status --help
grep -q '^  --redis URL  ' "$tmp/out" && grep -q '^  -h, --help  ' "$tmp/out" && ok || bad "slots --help: $(cat "$tmp/out")"
# a value that looks like -h is a value, not a request for help
expect_exit 1 "$ciguard" wait --timeout=200ms --log -h "tcp://127.0.0.1:$closed"
grep -q '^--- -h: ' "$tmp/err" && ok || bad "--log -h: $(tail -3 "$tmp/err")"

finish
