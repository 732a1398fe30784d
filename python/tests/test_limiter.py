"""ConcurrentRunsLimiter against a real redis-server (conftest.py)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import time
from typing import List, Optional

import pytest

from ciguard import (ConcurrentRunsLimiter, FailClosed, LimiterError,
                     SlotUnavailable, Token)


def race(limiter: ConcurrentRunsLimiter, key: str, n: int,
         max_slots: int) -> List[Optional[Token]]:
    """n threads acquire at once (a barrier lines them up)."""
    got: List[Optional[Token]] = [None] * n
    errors: List[BaseException] = []
    barrier = threading.Barrier(n)

    def one(i: int) -> None:
        try:
            barrier.wait()
            got[i] = limiter.acquire(key, max_slots=max_slots)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return got


def test_seed_ten_threads_two_slots_fifty_times(redis, key):
    limiter = ConcurrentRunsLimiter(redis.url, fail_open=False)
    fences: List[int] = []
    for round_ in range(50):
        got = race(limiter, key, 10, 2)
        tokens = [t for t in got if t is not None]
        assert len(tokens) == 2, f"round {round_}: {got}"
        assert len(set(tokens)) == 2
        assert not any(t.fail_open for t in tokens)
        assert limiter.count(key) == 2
        fences += sorted(t.fence for t in tokens)
        for t in tokens:
            assert limiter.release(key, t) is True
        assert limiter.count(key) == 0
    # fencing numbers only ever increase, one per holder
    assert fences == sorted(fences) and len(set(fences)) == 100


def _process_acquire(limiter: ConcurrentRunsLimiter, key: str,
                     barrier, results) -> None:  # type: ignore[no-untyped-def]
    barrier.wait()
    tok = limiter.acquire(key, max_slots=2)
    results.put((str(tok), tok.fence) if tok is not None else None)


def test_thirty_processes_two_slots(redis, key):
    ctx = multiprocessing.get_context("fork")
    limiter = ConcurrentRunsLimiter(redis.url, fail_open=False)
    assert limiter.count(key) == 0  # the parent's connection, inherited
    for round_ in range(3):
        barrier = ctx.Barrier(30)
        results = ctx.Queue()
        procs = [ctx.Process(target=_process_acquire,
                             args=(limiter, key, barrier, results))
                 for _ in range(30)]
        for p in procs:
            p.start()
        got = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(60)
            assert p.exitcode == 0
        tokens = [g for g in got if g is not None]
        assert len(tokens) == 2, f"round {round_}: {got}"
        assert limiter.count(key) == 2
        # the parent's connection still works, and releases them
        for text, _ in tokens:
            assert limiter.release(key, text) is True
        assert limiter.count(key) == 0


def test_a_spawned_process_gets_a_limiter_with_the_same_options(redis,
                                                                 key):
    ctx = multiprocessing.get_context("spawn")
    limiter = ConcurrentRunsLimiter(redis.url, ttl=30, timeout=2)
    copy = pickle.loads(pickle.dumps(limiter))
    assert (copy.redis_url, copy.fail_open, copy.ttl, copy.timeout) == (
        redis.url, False, 30.0, 2.0)
    held = limiter.acquire(key, 2)
    barrier = ctx.Barrier(1)
    results = ctx.Queue()
    p = ctx.Process(target=_process_acquire,
                    args=(limiter, key, barrier, results))
    p.start()
    text, fence = results.get(timeout=60)
    p.join(60)
    assert p.exitcode == 0
    assert held is not None and fence > held.fence
    assert {h.token for h in limiter.holders(key)} == {str(held), text}
    assert limiter.acquire(key, 2) is None


def test_release_refresh_holders(redis, key):
    limiter = ConcurrentRunsLimiter(redis.url, ttl=30)
    a = limiter.acquire(key, 1)
    assert isinstance(a, Token) and isinstance(a, str)
    assert len(str(a)) == 32 and type(str(a)) is str and a.fence >= 1
    assert not a.fail_open
    assert limiter.acquire(key, 1) is None
    [h] = limiter.holders(key)
    assert h.token == str(a) and h.fence == a.fence and 0 < h.remaining <= 30
    assert limiter.refresh(key, a) is True
    assert limiter.release(key, str(a)) is True  # the plain text works too
    assert limiter.release(key, a) is False  # not held any more
    assert limiter.refresh(key, a) is False  # lost, and not taken again
    assert limiter.count(key) == 0
    b = limiter.acquire(key, 1)
    assert b is not None and b.fence > a.fence
    assert limiter.release(key, b)


def test_refresh_keeps_a_slot_past_its_ttl(redis, key):
    # a ttl that leaves room for a loaded machine (the tests run beside
    # the ASan build's)
    limiter = ConcurrentRunsLimiter(redis.url, ttl=1.0)
    tok = limiter.acquire(key, 1)
    assert tok is not None
    for _ in range(5):
        time.sleep(0.3)
        assert limiter.refresh(key, tok) is True
    assert limiter.acquire(key, 1) is None
    time.sleep(1.3)
    assert limiter.refresh(key, tok) is False
    assert limiter.count(key) == 0


def _crash_holding(url: str, key: str, ready) -> None:  # type: ignore[no-untyped-def]
    tok = ConcurrentRunsLimiter(url, ttl=1.0).acquire(key, 1)
    ready.send(str(tok))  # a pipe: sent before the kill, unlike a Queue
    os.kill(os.getpid(), signal.SIGKILL)


def test_crashed_holder_expires_after_ttl(redis, key):
    ctx = multiprocessing.get_context("fork")
    reader, ready = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_crash_holding, args=(redis.url, key, ready))
    p.start()
    assert reader.poll(30), "the holder never said it holds"
    crashed = reader.recv()
    p.join(30)
    assert p.exitcode == -signal.SIGKILL
    died = time.monotonic()
    limiter = ConcurrentRunsLimiter(redis.url, ttl=1.0)
    assert [h.token for h in limiter.holders(key)] == [crashed]
    assert limiter.acquire(key, 1) is None
    tok = None
    while tok is None and time.monotonic() - died < 5:
        time.sleep(0.05)
        tok = limiter.acquire(key, 1)
    assert tok is not None, "the crashed holder was never freed"
    # not freed before its ttl (less the time it took to see it die)
    assert time.monotonic() - died > 0.7
    assert limiter.release(key, tok)


def test_slot_refreshes_in_the_background_and_releases(redis, key):
    limiter = ConcurrentRunsLimiter(redis.url, ttl=1.0)
    with limiter.slot(key, 1) as token:
        assert isinstance(token, Token) and token.fence >= 1
        time.sleep(2.5)  # 2.5 ttls: only the refresher keeps it
        assert [h.token for h in limiter.holders(key)] == [str(token)]
        assert limiter.acquire(key, 1) is None
    assert limiter.count(key) == 0
    assert limiter.refresh(key, token) is False


def test_slot_releases_on_an_exception(redis, key):
    limiter = ConcurrentRunsLimiter(redis.url)
    with pytest.raises(ZeroDivisionError):
        with limiter.slot(key, 2):
            assert limiter.count(key) == 1
            1 / 0
    assert limiter.count(key) == 0


def test_slot_unavailable(redis, key):
    limiter = ConcurrentRunsLimiter(redis.url)
    held = limiter.acquire(key, 1)
    with pytest.raises(SlotUnavailable) as e:
        with limiter.slot(key, 1):
            pytest.fail("the block ran without a slot")
    assert "the one slot of" in str(e.value) and e.value.key == key
    assert not isinstance(e.value, LimiterError)
    start = time.monotonic()
    with pytest.raises(SlotUnavailable, match="after waiting 0.3s"):
        with limiter.slot(key, 1, wait=0.3):
            pass
    assert time.monotonic() - start >= 0.3
    assert limiter.waiters(key) == []  # it left the queue
    assert limiter.release(key, held)


def test_wait_is_first_come_first_served(redis, key):
    limiter = ConcurrentRunsLimiter(redis.url)
    holder = limiter.acquire(key, 1)
    assert holder is not None
    order: List[str] = []
    got: dict[str, Token] = {}

    def waiter(name: str) -> None:
        tok = limiter.acquire(key, 1, wait=10)
        assert tok is not None
        order.append(name)
        got[name] = tok

    threads = []
    for i, name in enumerate("ABC"):
        t = threading.Thread(target=waiter, args=(name,))
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 5
        while len(limiter.waiters(key)) < i + 1:
            assert time.monotonic() < deadline, f"{name} never queued"
            time.sleep(0.01)
    # a plain acquire does not jump the queue
    assert limiter.acquire(key, 1) is None
    assert limiter.release(key, holder)
    for name in "ABC":
        deadline = time.monotonic() + 5
        while name not in got:
            assert time.monotonic() < deadline, f"{name} never got its slot"
            time.sleep(0.01)
        assert limiter.release(key, got[name])
    for t in threads:
        t.join()
    assert order == ["A", "B", "C"]


def test_fences_grow_across_acquire_with_and_without_wait(redis, key):
    # without wait the library takes a short script, with wait a full one;
    # a release with nobody waiting takes no script at all
    limiter = ConcurrentRunsLimiter(redis.url, ttl=30)
    fences: List[int] = []
    held: List[Token] = []
    for i in range(10):
        tok = limiter.acquire(key, 2, wait=1.0 if i % 2 else None)
        assert tok is not None
        fences.append(tok.fence)
        held.append(tok)
        if len(held) == 2:
            assert limiter.acquire(key, 2) is None  # full, and no trace
            assert limiter.count(key) == 2
            assert limiter.release(key, held.pop(0)) is True
    assert fences == sorted(fences) and len(set(fences)) == 10
    assert [h.fence for h in limiter.holders(key)] == [held[0].fence]
    assert limiter.release(key, held[0]) is True
    assert limiter.release(key, held[0]) is False
    assert limiter.count(key) == 0


def test_release_wakes_a_waiter_at_once(redis, key):
    limiter = ConcurrentRunsLimiter(redis.url)
    holder = limiter.acquire(key, 1)
    assert holder is not None
    got: List[float] = []

    def waiter() -> None:
        tok = limiter.acquire(key, 1, wait=10)
        assert tok is not None
        got.append(time.monotonic())
        limiter.release(key, tok)

    t = threading.Thread(target=waiter)
    t.start()
    deadline = time.monotonic() + 5
    while not limiter.waiters(key):
        assert time.monotonic() < deadline, "the waiter never queued"
        time.sleep(0.01)
    time.sleep(0.3)  # well into its wait for a wake-up
    released = time.monotonic()
    assert limiter.release(key, holder) is True
    t.join()
    # woken by the release, not by its next retry (every second)
    assert got and got[0] - released < 0.5


def test_wait_expires_with_none(redis, key):
    limiter = ConcurrentRunsLimiter(redis.url)
    held = limiter.acquire(key, 1)
    start = time.monotonic()
    assert limiter.acquire(key, 1, wait=0.4) is None
    assert 0.35 < time.monotonic() - start < 3
    assert limiter.release(key, held)


def check_fail_policy(url: str, key: str, held: Optional[Token]) -> None:
    opened = ConcurrentRunsLimiter(url, fail_open=True, timeout=0.5)
    tok = opened.acquire(key, 1)
    assert tok is not None and tok.fail_open and tok.fence == 0
    assert str(tok).startswith("open-") and len(str(tok)) == 37
    assert "fail_open=True" in repr(tok)
    assert opened.last_error  # why it went ahead
    assert opened.release(key, tok) is True  # no-ops that succeed
    assert opened.refresh(key, tok) is True
    with opened.slot(key, 1, wait=0.2) as t:
        assert t.fail_open

    closed = ConcurrentRunsLimiter(url, fail_open=False, timeout=0.5)
    with pytest.raises(FailClosed) as e:
        closed.acquire(key, 1)
    assert isinstance(e.value, LimiterError)
    assert "fail-closed" in str(e.value)
    with pytest.raises(SlotUnavailable):
        with closed.slot(key, 1, wait=0.2):
            pytest.fail("the block ran without a slot")
    with pytest.raises(LimiterError):
        closed.count(key)
    if held is not None:
        with pytest.raises(LimiterError):
            closed.release(key, held)
        with pytest.raises(LimiterError):
            closed.refresh(key, held)


def test_fail_open_and_fail_closed_when_redis_stops(own_redis, key):
    limiter = ConcurrentRunsLimiter(own_redis.url, fail_open=True)
    held = limiter.acquire(key, 1)
    assert held is not None and not held.fail_open
    own_redis.stop()
    check_fail_policy(own_redis.url, key, held)
    # the limiter whose server went away falls back to fail-open too
    tok = limiter.acquire(key, 1)
    assert tok is not None and tok.fail_open


def test_fail_open_and_fail_closed_when_redis_never_ran(key):
    from conftest import free_port
    check_fail_policy(f"redis://127.0.0.1:{free_port()}/0", key, None)


def test_redis_url_from_the_environment(redis, key, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis.url)
    limiter = ConcurrentRunsLimiter()
    assert limiter.redis_url == redis.url
    tok = limiter.acquire(key, 1)
    assert tok is not None and not tok.fail_open
    assert limiter.release(key, tok)


def test_fork_gives_the_child_its_own_connection(redis, key):
    """Parent and child hammer the limiter at once after fork(). Had they
    shared the parent's socket, each would read the other's replies."""
    limiter = ConcurrentRunsLimiter(redis.url)
    assert limiter.count(key) == 0  # connected before the fork

    def hammer(mine: str) -> None:
        for _ in range(300):
            tok = limiter.acquire(mine, 1)
            assert tok is not None and not tok.fail_open
            assert limiter.count(mine) == 1
            assert limiter.acquire(mine, 1) is None
            assert limiter.release(mine, tok) is True
            assert limiter.count(mine) == 0

    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            hammer(key + "-child")
            code = 0
        finally:
            os._exit(code)
    hammer(key + "-parent")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_fork_inside_a_slot_keeps_the_parents_slot(redis, key):
    limiter = ConcurrentRunsLimiter(redis.url)
    with limiter.slot(key, 1) as token:
        pid = os.fork()
        if pid == 0:
            # the child leaves the block too, without releasing
            os._exit(0)
        os.waitpid(pid, 0)
        assert [h.token for h in limiter.holders(key)] == [str(token)]
    assert limiter.count(key) == 0


def test_bad_arguments(redis, key):
    with pytest.raises(ValueError, match="bad redis URL"):
        ConcurrentRunsLimiter("http://127.0.0.1/")
    with pytest.raises(ValueError, match="ttl"):
        ConcurrentRunsLimiter(redis.url, ttl=0)
    with pytest.raises(ValueError, match="timeout"):
        ConcurrentRunsLimiter(redis.url, timeout=0)
    limiter = ConcurrentRunsLimiter(redis.url)
    with pytest.raises(ValueError):
        limiter.acquire(key, 0)
    with pytest.raises(TypeError):
        limiter.acquire(key, 1.5)  # type: ignore[arg-type]
    with pytest.raises(LimiterError):
        limiter.acquire("a{b}", 1)
    with pytest.raises(ValueError, match="not a ciguard token"):
        limiter.release(key, "nope")
    with pytest.raises(ValueError, match="bad port") as e:
        ConcurrentRunsLimiter("redis://u:s3cret@127.0.0.1:x/0")
    assert "s3cret" not in str(e.value)
