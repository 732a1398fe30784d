# Sourced by the CLI tests (tests/cli/test_*.sh, run as `sh TEST CIGUARD
# SRC`): a scratch folder $tmp, background $pids killed at exit, the
# pass/fail tally with ok, bad and expect_exit, and finish to print it and
# set the exit status.
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_exit() { # want cmd...
	want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"; got=$?
	[ "$got" = "$want" ] && ok || bad "exit $got (want $want): $* :: $(head -c 300 "$tmp/err")"
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_redis DIR [ARGS...] starts a redis-server of our own on a free
# loopback port and sets $redis_port and $redis_pid (add it to $pids).
# A port found free can be taken by another test before redis-server binds
# it (and another test's server would then answer our PING), so it counts
# as started only when our process is still alive and says it listens;
# else it tries another port.
start_redis() {
	dir=$1
	shift
	for attempt in 1 2 3 4 5; do
		redis_port=$(free_port)
		redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
			--appendonly no --dir "$dir" "$@" >"$dir/redis.log" 2>&1 &
		redis_pid=$!
		i=0
		while kill -0 "$redis_pid" 2>/dev/null && [ $i -lt 100 ]; do
			# any answer (PONG, NOAUTH) from a live process of ours
			if [ -n "$(redis-cli -p "$redis_port" ping 2>/dev/null)" ] &&
				kill -0 "$redis_pid" 2>/dev/null &&
				grep -q "Ready to accept connections" "$dir/redis.log"; then
				return 0
			fi
			i=$((i + 1))
			sleep 0.05
		done
		kill "$redis_pid" 2>/dev/null
		wait "$redis_pid" 2>/dev/null
	done
	echo "redis-server did not start:"
	cat "$dir/redis.log"
	return 1
}

# start_postgres DIR starts a postgres of our own (trust auth, user `app`)
# on a free loopback port and sets $pg_port and $pg_pid (the postmaster's,
# from postmaster.pid: add it to $pids). As root it runs as the postgres
# user (postgres refuses root), which must reach DIR.
start_postgres() {
	dir=$1/pg
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	as=""
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then
		chmod 755 "$1" "$dir"
		chown postgres "$dir"
		as="runuser -u postgres --"
	fi
	$as "$bin/initdb" -D "$dir/data" -A trust -U app --no-sync >"$dir/initdb.log" 2>&1 ||
		{ echo "initdb failed:"; cat "$dir/initdb.log"; return 1; }
	for attempt in 1 2 3 4 5; do
		pg_port=$(free_port)
		$as "$bin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -o "-h 127.0.0.1 -p $pg_port -k $dir" \
			-w -t 30 start >/dev/null 2>&1 &&
			pg_pid=$(head -n 1 "$dir/data/postmaster.pid") && kill -0 "$pg_pid" 2>/dev/null && return 0
	done
	echo "postgres did not start:"
	cat "$dir/pg.log"
	return 1
}
