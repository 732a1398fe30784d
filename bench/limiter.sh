#!/bin/sh
# make bench, limiter part: the Redis counting semaphore (src/limiter)
# against its own redis-server, beside the naive ZCARD-then-ZADD pattern
# and the npm package redis-semaphore (bench/peer.js). Prints one table;
# PASS/MISS per target does not change the exit status, a failed driver
# or an over-admission by ours does.
#
# Usage: bench/limiter.sh LIMITER_BENCH (the driver, bench/limiter_bench.c)
# BENCH_LIMITER_SECONDS (2) per throughput run, the best of
# BENCH_LIMITER_REPEAT (2) runs, ours and the peer taking turns (other work
# on a 2-core machine moves single runs by 10-40 %); BENCH_LIMITER_ROUNDS
# (200) per race; BENCH_LIMITER_ACQUISITIONS (2000) per contention run;
# BENCH_LIMITER_CEILING (100000) redis-benchmark requests;
# BENCH_LIMITER_PEER=0 skips the peer.
set -eu
driver=$(realpath "$1")
cd "$(dirname "$0")"
seconds=${BENCH_LIMITER_SECONDS:-2}
repeat=${BENCH_LIMITER_REPEAT:-2}
rounds=${BENCH_LIMITER_ROUNDS:-200}
acquisitions=${BENCH_LIMITER_ACQUISITIONS:-2000}
ceiling_requests=${BENCH_LIMITER_CEILING:-100000}
peer_versions="redis-semaphore@5.8.0 ioredis@6.0.0"

dir=$(mktemp -d)
server=""
cleanup() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
server=$!
rcli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
i=0
until [ "$(rcli ping 2>/dev/null)" = PONG ]; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "limiter: redis-server did not start:" >&2
		cat "$dir/redis.log" >&2
		exit 1
	fi
	sleep 0.05
done

# the peer: installed into bench/peer-node (git-ignored) on first use
peer=""
if [ "${BENCH_LIMITER_PEER:-1}" = 0 ]; then
	peer_note="peer skipped (BENCH_LIMITER_PEER=0)"
elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	peer_note="peer skipped: node or npm is not installed"
else
	installed() {
		node -e 'const p = require("path"), want = process.argv.slice(1);
			for (const w of want) {
				const [name, v] = [w.slice(0, w.lastIndexOf("@")), w.slice(w.lastIndexOf("@") + 1)];
				if (require(p.resolve("peer-node/node_modules", name, "package.json")).version !== v)
					process.exit(1);
			}' $peer_versions 2>/dev/null
	}
	# no retries: offline, npm would otherwise retry for minutes
	if installed || { npm install --no-audit --no-fund --loglevel=error \
		--fetch-retries=0 --fetch-timeout=20000 --prefix peer-node \
		$peer_versions >"$dir/npm.log" 2>&1 && installed; }; then
		peer=yes
		peer_note="peer: $peer_versions on node $(node --version), all its clients in one node process"
	else
		peer_note="peer skipped: npm install $peer_versions failed (offline?): $(sed -n 's/^npm error //p' "$dir/npm.log" | head -n 1)"
	fi
fi

# field LINE NAME: the value of NAME=... in a result line
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# redis time in commands (scripts included): microseconds since RESETSTAT
redis_usec() { rcli info commandstats | sed -n 's/.*,usec=\([0-9]*\),.*/\1/p' | awk '{s += $1} END {print s + 0}'; }
# CPU used by the redis-server so far (commands, network, all), in clock ticks
redis_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
load() { cut -d' ' -f1 /proc/loadavg; }
failed=0

echo
echo "limiter: redis-server $(redis-server --version | sed 's/.* v=\([^ ]*\).*/\1/') on 127.0.0.1:$port (own, no persistence); $(nproc) cores shared by redis and the clients, nothing pinned"
echo "limiter: $peer_note"
echo "limiter: load average $(load) at the start (other work on the machine makes these numbers noisy)"

echo
echo "limiter: acquire+release pairs, the best of $repeat runs of ${seconds} s, max slots = clients (every acquire admitted), each client its own connection"
echo "  redis cpu: the redis-server's CPU time per pair (user + system, from /proc: every command, script and"
echo "  reply counted once); cmd: INFO commandstats usec per pair, where a command a script calls is counted"
echo "  twice (in its own line and in the EVALSHA's), so it overstates scripts with more calls; busy: its one thread"
printf '%-8s %-5s %9s %8s %8s %9s %7s %6s   %s\n' clients impl "pairs/s" "p50 us" "p99 us" "redis cpu" "cmd" "busy" "targets: ours pairs/s >= 1.2x peer's; ours redis cpu us/pair <= peer's"
# pairs IMPL CLIENTS: one run, its line with usec= and busy= added
pairs() {
	rcli config resetstat >/dev/null
	t0=$(redis_ticks)
	if [ "$1" = ours ]; then
		line=$("$driver" pairs "$port" "$2" "$seconds") || return 1
	else
		line=$(node peer.js pairs "$port" "$2" "$seconds") || return 1
	fi
	t1=$(redis_ticks)
	echo "$line usec=$(redis_usec) ticks=$((t1 - t0)) busy=$(awk -v t="$((t1 - t0))" -v hz="$hz" \
		-v s="$(field "$line" seconds)" 'BEGIN { printf "%.0f", t / hz / s * 100 }')"
}
# cpu_per_pair LINE: the redis-server's CPU microseconds per pair of a run
cpu_per_pair() {
	awk -v t="$(field "$1" ticks)" -v hz="$hz" -v n="$(field "$1" pairs)" \
		'BEGIN { printf "%.2f", n ? t / hz * 1e6 / n : 0 }'
}
# better LINE1 LINE2: the one with the higher rate
better() {
	if [ -z "$1" ] || [ "$(field "$2" rate)" -gt "$(field "$1" rate)" ]; then
		echo "$2"
	else
		echo "$1"
	fi
}
# one untimed run of each first: the scripts get loaded, redis-server and
# node warm up; the first measured run paid for that (1 client: 25 against
# 13 us per pair in the same session)
pairs ours 1 >/dev/null || failed=1
if [ -n "$peer" ]; then
	pairs peer 1 >/dev/null || failed=1
fi
for clients in 1 10 50; do
	ours=""
	peer_line=""
	run=0
	while [ $run -lt "$repeat" ]; do
		line=$(pairs ours "$clients") || failed=1
		ours=$(better "$ours" "$line")
		if [ -n "$peer" ]; then
			line=$(pairs peer "$clients") || failed=1
			peer_line=$(better "$peer_line" "$line")
		fi
		run=$((run + 1))
	done
	for line in "$ours" "$peer_line"; do
		[ -n "$line" ] || continue
		printf '%-8s %-5s %9s %8s %8s %9.1f %7.1f %5s%%' "$clients" "$(field "$line" impl)" \
			"$(field "$line" rate)" "$(field "$line" p50_us)" "$(field "$line" p99_us)" \
			"$(cpu_per_pair "$line")" \
			"$(awk -v u="$(field "$line" usec)" -v n="$(field "$line" pairs)" 'BEGIN { print n ? u / n : 0 }')" \
			"$(field "$line" busy)"
		if [ "$(field "$line" impl)" = peer ]; then
			awk -v o="$(field "$ours" rate)" -v p="$(field "$line" rate)" \
				-v oc="$(cpu_per_pair "$ours")" -v pc="$(cpu_per_pair "$line")" 'BEGIN {
				r = o / p
				printf "   pairs/s %s (ours %.2fx); redis cpu us/pair %s (ours %.1f vs %.1f, %.2fx)",
					(r >= 1.2) ? "PASS" : "MISS", r,
					(oc <= pc) ? "PASS" : "MISS", oc, pc, pc ? oc / pc : 0 }'
		fi
		echo
	done
done

echo
echo "limiter: the ceiling, redis-benchmark -c 50 (on the same 2 cores as redis)"
"$driver" script acquire >"$dir/acquire.lua"
sha=$(rcli -x script load <"$dir/acquire.lua")
if [ "$sha" != "$(sha1sum "$dir/acquire.lua" | cut -d' ' -f1)" ]; then
	echo "limiter: SCRIPT LOAD answered '$sha', not the SHA1 of the acquire script" >&2
	exit 1
fi
rcli config resetstat >/dev/null
# shellcheck disable=SC2046
rps=$(redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -n "$ceiling_requests" -r 1000000000 --csv \
	EVALSHA "$sha" $("$driver" ceiling-args bench-ceiling 'bench-__rand_int__') |
	tail -n 1 | cut -d, -f2 | tr -d '"')
per_call=$(rcli info commandstats | sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p')
printf 'EVALSHA of our acquire script (%s): %.0f requests/s, %s us of redis time per call\n' \
	"$(printf %.12s "$sha")" "$rps" "$per_call"
echo "  (a fresh token each call and a huge max: every call admits, the holders set grows to $ceiling_requests)"
rps=$(redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -n "$ceiling_requests" --csv -t ping_mbulk |
	tail -n 1 | cut -d, -f2 | tr -d '"')
printf 'PING, for scale (one round trip, no work): %.0f requests/s\n' "$rps"

echo
echo "limiter: the race, max 2 slots, CLIENTS threads released at once by a barrier, $rounds rounds"
printf '%-8s %-34s %-34s\n' clients "naive ZCARD then ZADD" "ours cg_limiter_acquire"
for clients in 10 50; do
	out=$("$driver" race "$port" 2 "$clients" "$rounds") || failed=1
	naive=$(printf '%s\n' "$out" | grep 'impl=naive' || true)
	ours=$(printf '%s\n' "$out" | grep 'impl=ours' || true)
	printf '%-8s %-34s %-34s\n' "$clients" \
		"$(field "$naive" over)/$rounds rounds over 2, worst $(field "$naive" worst)" \
		"$(field "$ours" exact)/$rounds rounds exactly 2, worst $(field "$ours" worst)"
	if [ "$(field "$ours" exact)" != "$rounds" ]; then
		echo "limiter: ours did not admit exactly 2 every round" >&2
		failed=1
	fi
done

echo
echo "limiter: contention, max 2 slots, 10 clients each looping acquire (waiting) -> hold 5 ms -> release, $acquisitions acquisitions"
echo "  ideal FIFO wait: (10 - 2) / 2 x 5 ms = 20 ms (a client's whole cycle is (10 / 2) x 5 ms = 25 ms); ideal rate 2 / 5 ms = 400/s"
echo "  ours waits in cg_limiter_acquire_wait (queued, woken by BLPOP); the peer's acquire polls every 10 ms (its default)"
printf '%-5s %8s %8s %8s %8s %15s\n' impl "p50 ms" "p99 ms" "max ms" "acq/s" "share min..max"
ours=$("$driver" contention "$port" 2 10 5 "$acquisitions") || failed=1
peer_line=""
if [ -n "$peer" ]; then
	peer_line=$(node peer.js contention "$port" 2 10 5 "$acquisitions") || failed=1
fi
for line in "$ours" "$peer_line"; do
	[ -n "$line" ] || continue
	printf '%-5s %8s %8s %8s %8.0f %15s\n' "$(field "$line" impl)" \
		"$(field "$line" p50_ms)" "$(field "$line" p99_ms)" "$(field "$line" max_ms)" \
		"$(awk -v n="$(field "$line" acquisitions)" -v s="$(field "$line" seconds)" 'BEGIN { print n / s }')" \
		"$(field "$line" min_share)..$(field "$line" max_share)"
done
if [ -n "$peer_line" ]; then
	awk -v o="$(field "$ours" p99_ms)" -v p="$(field "$peer_line" p99_ms)" 'BEGIN {
		printf "target: ours p99 wait <= peer'\''s / 5: %s (%.1fx lower)\n",
			(o * 5 <= p) ? "PASS" : "MISS", (o > 0) ? p / o : 0 }'
fi
awk -v lo="$(field "$ours" min_share)" -v hi="$(field "$ours" max_share)" 'BEGIN {
	r = (lo > 0) ? hi / lo : 999
	printf "target: ours share per client max/min <= 1.5: %s (%.2f)\n", (r <= 1.5) ? "PASS" : "MISS", r }'
echo "limiter: load average $(load) at the end"
exit $failed
