#!/bin/sh
# TLS as a user meets it on the command line: `ciguard wait rediss://` and
# `ciguard slots --redis rediss://` against a real redis-server serving
# TLS only (--port 0 --tls-port), and `ciguard wait https://` against a
# small HTTPS server, all with a throwaway CA made by openssl here. The CA
# comes from --cacert, ?ssl_ca_certs= or $CIGUARD_REDIS_CACERT; a wrong CA
# fails with a message that says what to do; ssl_cert_reqs=none works
# with a warning.
set -u
ciguard=$1 src=$2
. "$src/tests/cli/lib.sh"

# a CA, a certificate it signs for localhost and 127.0.0.1, another CA
(
	cd "$tmp" || exit 1
	k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
	# shellcheck disable=SC2086
	openssl req -x509 $k -days 2 -subj /CN=ciguard-cli-ca -keyout ca.key -out ca.pem &&
		openssl req -x509 $k -days 2 -subj /CN=other-ca -keyout other.key -out other.pem &&
		openssl req $k -subj /CN=localhost -keyout server.key -out server.csr &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 2 -extfile san.ext -out server.pem
) >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; exit 1; }
ca=$tmp/ca.pem other=$tmp/other.pem

# redis-server speaking TLS only, on a free loopback port
started=""
for attempt in 1 2 3 4 5; do
	port=$(free_port)
	redis-server --port 0 --tls-port "$port" --bind 127.0.0.1 --save '' \
		--appendonly no --dir "$tmp" --tls-cert-file "$tmp/server.pem" \
		--tls-key-file "$tmp/server.key" --tls-ca-cert-file "$ca" \
		--tls-auth-clients no --requirepass s3cret >"$tmp/redis.log" 2>&1 &
	redis_pid=$!
	i=0
	while kill -0 "$redis_pid" 2>/dev/null && [ $i -lt 100 ]; do
		if grep -q "Ready to accept connections" "$tmp/redis.log" &&
			[ -n "$(redis-cli --tls --cacert "$ca" -p "$port" ping 2>/dev/null)" ]; then
			started=1
			break
		fi
		i=$((i + 1))
		sleep 0.05
	done
	[ -n "$started" ] && break
	kill "$redis_pid" 2>/dev/null
	wait "$redis_pid" 2>/dev/null
done
[ -n "$started" ] || { echo "redis-server (TLS) did not start:"; cat "$tmp/redis.log"; exit 1; }
pids="$pids $redis_pid"
url="rediss://:s3cret@localhost:$port/0"

# --help says so
expect_exit 0 "$ciguard" wait --help
grep -q '^  rediss://' "$tmp/out" && grep -q '^  --cacert FILE ' "$tmp/out" && ok || bad "wait --help: $(cat "$tmp/out")"
expect_exit 0 "$ciguard" slots --help
grep -q 'rediss://' "$tmp/out" && grep -q '^  --cacert FILE ' "$tmp/out" && ok || bad "slots --help"

# wait: the CA from --cacert, the URL, the environment
expect_exit 0 "$ciguard" wait --timeout 5s --cacert "$ca" "$url"
expect_exit 0 "$ciguard" wait --timeout 5s "$url?ssl_ca_certs=$ca"
expect_exit 0 env CIGUARD_REDIS_CACERT="$ca" "$ciguard" wait --timeout 5s "$url"
grep -q s3cret "$tmp/err" && bad "password printed" || ok
# a wrong CA: not ready, and the message says what failed and what to do
expect_exit 1 "$ciguard" wait --timeout 1s --cacert "$other" "$url"
grep -q "certificate verify failed" "$tmp/err" && grep -q -- "--cacert" "$tmp/err" && ok || bad "wrong CA: $(cat "$tmp/err")"
grep -q s3cret "$tmp/err" && bad "password printed" || ok
expect_exit 2 "$ciguard" wait --timeout 1s --cacert "$tmp/nonexistent.pem" "$url"
grep -q "cannot read CA file" "$tmp/err" && ok || bad "missing CA file: $(cat "$tmp/err")"
# plain text to a TLS port
expect_exit 1 "$ciguard" wait --timeout 1s "redis://:s3cret@localhost:$port/0"
grep -q "use rediss://" "$tmp/err" && ok || bad "plain to TLS: $(cat "$tmp/err")"
# no verification: works, with a warning
expect_exit 0 "$ciguard" wait --timeout 5s "$url?ssl_cert_reqs=none"
grep -q "warning: ssl_cert_reqs=none" "$tmp/err" && ok || bad "no warning: $(cat "$tmp/err")"

# slots: every verb over TLS
export REDIS_URL="$url"
expect_exit 0 "$ciguard" slots acquire tls --max 1 --cacert "$ca"
tok=$(cat "$tmp/out")
expect_exit 1 "$ciguard" slots acquire tls --max 1 --cacert "$ca"
expect_exit 0 "$ciguard" slots status tls --json --cacert "$ca"
grep -q '"count": *1' "$tmp/out" && ok || bad "status: $(cat "$tmp/out")"
expect_exit 0 "$ciguard" slots refresh tls "$tok" --cacert "$ca"
expect_exit 0 env CIGUARD_REDIS_CACERT="$ca" "$ciguard" slots release tls "$tok"
expect_exit 7 "$ciguard" slots run tls --max 1 --redis "$url?ssl_ca_certs=$ca" -- sh -c 'exit 7'
expect_exit 0 "$ciguard" slots status tls --json --cacert "$ca"
grep -q '"count": *0' "$tmp/out" && ok || bad "run released: $(cat "$tmp/out")"
# a wrong CA is an error, even with --fail-open
expect_exit 2 "$ciguard" slots acquire tls --max 1 --fail-open --cacert "$other"
grep -q "certificate verify failed" "$tmp/err" && ok || bad "slots wrong CA: $(cat "$tmp/err")"
expect_exit 0 "$ciguard" slots status tls --redis "$url?ssl_cert_reqs=none"
grep -q "warning: ssl_cert_reqs=none" "$tmp/err" && ok || bad "slots: no warning"
unset REDIS_URL

# wait https:// --cacert: a private CA is common in CI
python3 "$src/tests/integration/tls_server.py" "$tmp/server.pem" "$tmp/server.key" >"$tmp/https.port" 2>"$tmp/https.log" &
pids="$pids $!"
i=0
while [ ! -s "$tmp/https.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
hport=$(head -n 1 "$tmp/https.port")
expect_exit 0 "$ciguard" wait --timeout 5s --cacert "$ca" "https://localhost:$hport/"
expect_exit 1 "$ciguard" wait --timeout 4s "https://localhost:$hport/"
grep -q "certificate" "$tmp/err" && grep -q -- "--cacert" "$tmp/err" && ok || bad "https without the CA: $(cat "$tmp/err")"

finish
