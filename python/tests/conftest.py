"""Fixtures: real redis-server processes of our own on free loopback ports.

Each server is started by the test run and stopped by its pid (never on
6379). A port found free can be taken by someone else before redis-server
binds it, so a server counts as started only when our process is alive and
its log says it accepts connections; else another port is tried.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Iterator

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="ciguard-py-redis-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def args(self) -> list[str]:
        """redis-server's arguments for port self.port."""
        return ["--port", str(self.port), "--bind", "127.0.0.1"]

    def start(self) -> None:
        log = os.path.join(self.dir, "redis.log")
        for _ in range(5):
            self.port = free_port()
            with open(log, "wb") as out:
                self.proc = subprocess.Popen(
                    ["redis-server", *self.args(), "--save", "",
                     "--appendonly", "no", "--dir", self.dir],
                    cwd=self.dir, stdout=out, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                with open(log, "rb") as f:
                    if b"Ready to accept connections" in f.read():
                        return
                time.sleep(0.02)
            self.stop()
        with open(log, encoding="utf-8", errors="replace") as f:
            raise RuntimeError("redis-server did not start:\n" + f.read())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    """One redis-server for the tests that leave it running."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (scripts/deps.sh test)")
    srv = RedisServer()
    srv.start()
    yield srv
    srv.close()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of the test's own, which the test may stop."""
    srv = RedisServer()
    srv.start()
    yield srv
    srv.close()


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    """A limiter key no other test uses."""
    return f"{request.node.name}-{os.getpid()}-{time.monotonic_ns()}"
