#!/bin/sh
# make bench, ciguard wait part: time-to-ready after a server starts
# listening (target: within one interval plus one round trip) and CPU used
# while waiting (target: under 1 % of a core with 10 targets).
set -eu
ciguard=$(realpath "$1")
children=""
trap 'for p in $children; do kill $p 2>/dev/null || true; done' EXIT
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
now_ms() { date +%s%3N; }

# time-to-ready: the listener comes up 1.5 s after the wait starts
port=$(free_port)
"$ciguard" wait --quiet --interval 250ms --timeout 20s tcp://127.0.0.1:$port &
waiter=$!
sleep 1.5
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(16)
open('/tmp/ciguard-bench-listen', 'w').write(str(int(time.time() * 1000)))
time.sleep(30)" &
listener=$!
children="$children $listener"
wait $waiter || true
ready=$(now_ms)
up=$(cat /tmp/ciguard-bench-listen)
kill $listener 2>/dev/null || true
rm -f /tmp/ciguard-bench-listen
echo "wait: tcp ready $((ready - up)) ms after the server listened (interval 250 ms; target: one interval + one round trip)"

if command -v redis-server >/dev/null; then
	port=$(free_port)
	dir=$(mktemp -d)
	"$ciguard" wait --quiet --interval 250ms --timeout 20s redis://127.0.0.1:$port &
	waiter=$!
	sleep 1.5
	up=$(now_ms)
	redis-server --port "$port" --bind 127.0.0.1 --save '' --dir "$dir" --daemonize no >/dev/null &
	server=$!
	children="$children $server"
	wait $waiter || true
	ready=$(now_ms)
	kill $server 2>/dev/null || true
	wait $server 2>/dev/null || true
	rm -rf "$dir"
	echo "wait: redis ready $((ready - up)) ms after redis-server was started (includes its start-up)"
fi

# CPU while waiting: 10 targets that never become ready, 10 s
targets=""
for i in 1 2 3 4 5 6 7 8 9 10; do targets="$targets tcp://127.0.0.1:$(free_port)"; done
/usr/bin/time -f '%U %S' -o /tmp/ciguard-bench-cpu "$ciguard" wait --quiet --timeout 10s $targets 2>/dev/null || true
read -r user sys </tmp/ciguard-bench-cpu
rm -f /tmp/ciguard-bench-cpu
awk -v u="$user" -v s="$sys" 'BEGIN { printf "wait: 10 targets for 10 s used %.2f s of CPU (user+sys, 10 ms resolution) = %.2f %% of a core (target < 1 %%)\n", u + s, (u + s) / 10 * 100 }'
