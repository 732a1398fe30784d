"""The package over TLS: rediss:// to a real redis-server serving only TLS,
its certificate signed by a throwaway CA made here by the openssl CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from typing import Iterator, List

import pytest

from conftest import RedisServer
from ciguard import ConcurrentRunsLimiter, LimiterError


class TLSRedis(RedisServer):
    """A redis-server serving TLS only, with a password."""

    def certificates(self) -> None:
        k = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes"]

        def run(*args: str) -> None:
            subprocess.run(["openssl", *args], cwd=self.dir, check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

        run("req", "-x509", *k, "-days", "2", "-subj", "/CN=py-test-ca",
            "-keyout", "ca.key", "-out", "ca.pem")
        run("req", "-x509", *k, "-days", "2", "-subj", "/CN=other-ca",
            "-keyout", "other.key", "-out", "other.pem")
        run("req", *k, "-subj", "/CN=localhost", "-keyout", "server.key",
            "-out", "server.csr")
        with open(os.path.join(self.dir, "san.ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost\n")
        run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
            "ca.key", "-CAcreateserial", "-days", "2", "-extfile",
            "san.ext", "-out", "server.pem")

    def args(self) -> list[str]:
        return ["--port", "0", "--tls-port", str(self.port), "--bind",
                "127.0.0.1", "--tls-cert-file", "server.pem",
                "--tls-key-file", "server.key", "--tls-ca-cert-file",
                "ca.pem", "--tls-auth-clients", "no", "--requirepass",
                "s3cret"]

    def tls_url(self, query: str = "") -> str:
        return f"rediss://:s3cret@localhost:{self.port}/0{query}"


@pytest.fixture(scope="module")
def tls_redis() -> Iterator[TLSRedis]:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed (scripts/deps.sh test)")
    srv = TLSRedis()
    srv.certificates()
    srv.start()
    yield srv
    srv.close()


def test_tls_the_seed_race(tls_redis: TLSRedis) -> None:
    """10 threads, max_slots=2, exactly 2 tokens, over a verified TLS
    connection (the CA from the URL, redis-py's spelling)."""
    ca = os.path.join(tls_redis.dir, "ca.pem")
    limiter = ConcurrentRunsLimiter(tls_redis.tls_url(f"?ssl_ca_certs={ca}"),
                                    fail_open=False)
    for round_ in range(10):
        key = f"tls-seed-{round_}"
        got: List[object] = []
        lock = threading.Lock()
        start = threading.Barrier(10)

        def worker() -> None:
            start.wait()
            token = limiter.acquire(key, max_slots=2)
            with lock:
                got.append(token)

        threads = [threading.Thread(target=worker) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        tokens = [t for t in got if t is not None]
        assert len(tokens) == 2
        for t in tokens:
            assert limiter.release(key, str(t))
        assert limiter.count(key) == 0


def test_tls_ca_file_option(tls_redis: TLSRedis) -> None:
    limiter = ConcurrentRunsLimiter(
        tls_redis.tls_url(), ca_file=os.path.join(tls_redis.dir, "ca.pem"))
    token = limiter.acquire("tls-ca-file", 1)
    assert token is not None
    assert limiter.release("tls-ca-file", token)


def test_tls_wrong_ca_is_an_error_even_fail_open(tls_redis: TLSRedis) -> None:
    """A certificate that fails verification is never taken for an outage:
    fail_open does not let the caller past it."""
    limiter = ConcurrentRunsLimiter(
        tls_redis.tls_url(), fail_open=True,
        ca_file=os.path.join(tls_redis.dir, "other.pem"))
    with pytest.raises(LimiterError) as e:
        limiter.acquire("tls-wrong-ca", 1)
    assert "certificate verify failed" in str(e.value)


def test_tls_cert_reqs_none_warns(tls_redis: TLSRedis) -> None:
    with pytest.warns(UserWarning, match="not verified"):
        limiter = ConcurrentRunsLimiter(tls_redis.tls_url("?ssl_cert_reqs=none"))
    token = limiter.acquire("tls-none", 1)
    assert token is not None
    assert limiter.release("tls-none", token)
