"""ConcurrentRunsLimiter: at most N holders of a key at once, across machines.

A thin layer over libciguard's limiter (include/ciguard/limiter.h) through
ctypes: the Lua scripts, the server-clock deadlines, fencing, the FIFO
wait and the failure policy all live in the C library; this module only
converts arguments and results.

Threads and processes: a C limiter is one Redis connection, to be used by
one thread at a time. A ConcurrentRunsLimiter keeps one per thread (and per
process: a handle made before ``fork()`` is never used by the child, which
connects anew), so one object may be shared by every thread of a program.
The C calls release the GIL while they wait for Redis.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
import warnings
from typing import Any, Iterator, List, NamedTuple, Optional, Tuple, Union

from . import _native

__all__ = [
    "ConcurrentRunsLimiter",
    "FailClosed",
    "Holder",
    "LimiterError",
    "SlotUnavailable",
    "Token",
]


class LimiterError(Exception):
    """The C library answered ERROR: a bad key or max_slots, an error reply
    from Redis, or (for release, refresh, count and holders) Redis being
    unavailable. The message is cg_limiter_last_error()'s."""


class SlotUnavailable(Exception):
    """``slot()`` got no slot: all max_slots were taken (after waiting, when
    asked to wait), or Redis was unavailable with fail_open=False (then it
    is a FailClosed, which is also a LimiterError)."""

    def __init__(self, message: str, key: str, max_slots: int) -> None:
        super().__init__(message)
        self.key = key
        self.max_slots = max_slots


class FailClosed(SlotUnavailable, LimiterError):
    """Redis was unreachable, timed out or answered LOADING / BUSY /
    MASTERDOWN, and the limiter is fail-closed (fail_open=False): no slot
    was given. The C library's CG_LIMIT_DENIED_FAIL_CLOSED."""


class Token(str):
    """A slot's token. ``str(token)`` is the plain token (what ``ciguard slots
    release`` takes); a fail-open token reads ``open-`` + 32 hex digits.

    Attributes:
        fence: the fencing number, which increases with every new holder of
            the key (pass it to the resource you guard, so that a holder
            whose slot expired can be told apart); 0 for a fail-open token.
        fail_open: True when Redis was unavailable and the limiter let the
            caller go ahead anyway; releasing or refreshing such a token
            does nothing and succeeds.
    """

    fence: int
    fail_open: bool

    def __new__(cls, text: str, fence: int = 0,
                fail_open: bool = False) -> "Token":
        self = super().__new__(cls, text)
        self.fence = fence
        self.fail_open = fail_open
        return self

    def __str__(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        if self.fail_open:
            return f"Token({str.__repr__(self)}, fail_open=True)"
        return f"Token({str.__repr__(self)}, fence={self.fence})"

    def __reduce__(self) -> tuple:  # type: ignore[type-arg]
        return (Token, (str(self), self.fence, self.fail_open))


class Holder(NamedTuple):
    """A live holder of a key, as ``holders()`` lists it."""

    token: str
    remaining: float  # seconds until it expires unless refreshed
    fence: int


class _Handle:
    """One C limiter (one connection), owned by one thread of one process."""

    def __init__(self, lib: ctypes.CDLL, opts: _native.LimiterOptions) -> None:
        err = ctypes.create_string_buffer(512)
        self.lib = lib
        self.pid = os.getpid()
        self.ptr = lib.cg_limiter_open(ctypes.byref(opts), err, len(err))
        if not self.ptr:
            raise ValueError(err.value.decode("utf-8", "replace"))

    def last_error(self) -> str:
        msg: bytes = self.lib.cg_limiter_last_error(self.ptr)
        return msg.decode("utf-8", "replace")

    def close(self) -> None:
        ptr, self.ptr = self.ptr, None
        # A handle inherited through fork() is abandoned, not closed: its
        # socket is the parent's too.
        if ptr and self.pid == os.getpid():
            self.lib.cg_limiter_close(ptr)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


def _key(key: str) -> bytes:
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, not {type(key).__name__}")
    return key.encode("utf-8")


def _millis(seconds: float) -> int:
    return int(round(seconds * 1000))


class ConcurrentRunsLimiter:
    """A counting semaphore on Redis: at most ``max_slots`` holders of a key.

    Args:
        redis_url: ``redis://[USER:PASS@]HOST[:PORT][/DB]``, or
            ``rediss://...`` for TLS (with redis-py's ``?ssl_ca_certs=FILE``
            and ``?ssl_cert_reqs=none``); None: the ``REDIS_URL``
            environment variable, else ``redis://127.0.0.1:6379/0``.
        fail_open: when Redis is unavailable, let ``acquire`` go ahead with
            a fail-open token (True) or refuse with FailClosed (False).
        ttl: seconds after which a holder that stops refreshing (it
            crashed) is freed.
        timeout: seconds for connecting and for each command.
        ca_file: for ``rediss://``, a PEM file of the CA certificates to
            trust instead of the system's (the URL's ``ssl_ca_certs`` wins
            over it, and it over ``CIGUARD_REDIS_CACERT``). A certificate
            that fails verification is an error, never an outage:
            ``fail_open`` does not go past it.

    Raises:
        ValueError: bad options or URL (nothing is connected yet: the
            connection is made by the first call of each thread).
        OSError: libciguard cannot be loaded.
    """

    def __init__(self, redis_url: Optional[str] = None, *,
                 fail_open: bool = False, ttl: float = 60.0,
                 timeout: float = 1.0,
                 ca_file: Optional[str] = None) -> None:
        if not redis_url:
            redis_url = os.environ.get("REDIS_URL") or None
        if timeout <= 0:
            raise ValueError(f"timeout must be more than 0 s, not {timeout}")
        self.redis_url = redis_url
        self.fail_open = bool(fail_open)
        self.ttl = float(ttl)
        self.timeout = float(timeout)
        self.ca_file = ca_file
        if redis_url and "ssl_cert_reqs=none" in redis_url:
            warnings.warn("ssl_cert_reqs=none: the Redis server's "
                          "certificate is not verified", stacklevel=2)
        self._lib = _native.library()
        self._opts = _native.LimiterOptions(
            redis_url.encode("utf-8") if redis_url else None,
            _millis(ttl), max(1, _millis(timeout)), max(1, _millis(timeout)),
            self.fail_open, ca_file.encode("utf-8") if ca_file else None)
        self._local = threading.local()
        self._handle()  # checks the options now, in the caller's thread

    def __reduce__(self) -> Tuple[Any, ...]:
        # a copy in another process (multiprocessing's spawn and
        # forkserver) is a new limiter with the same options
        return (_rebuild, (self.redis_url, self.fail_open, self.ttl,
                           self.timeout, self.ca_file))

    def _handle(self) -> _Handle:
        h: Optional[_Handle] = getattr(self._local, "handle", None)
        if h is None or h.pid != os.getpid():
            h = _Handle(self._lib, self._opts)
            self._local.handle = h
        return h

    def close(self) -> None:
        """Close the calling thread's connection (the next call opens a new
        one). Other threads' connections close when their thread ends."""
        h: Optional[_Handle] = getattr(self._local, "handle", None)
        if h is not None:
            self._local.handle = None
            h.close()

    def __enter__(self) -> "ConcurrentRunsLimiter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def last_error(self) -> str:
        """Why the calling thread's last call failed, fell back to fail-open
        or was refused fail-closed ("" when it did not)."""
        h: Optional[_Handle] = getattr(self._local, "handle", None)
        return h.last_error() if h is not None else ""

    def _token(self, h: _Handle, st: int, tok: _native.LimitToken,
               key: str, max_slots: int) -> Optional[Token]:
        if st in (_native.ACQUIRED, _native.ACQUIRED_FAIL_OPEN):
            text = ctypes.create_string_buffer(_native.TOKEN_MAX + 1)
            self._lib.cg_limit_token_format(ctypes.byref(tok), text)
            return Token(text.value.decode("ascii"), int(tok.fence),
                         bool(tok.fail_open))
        if st == _native.FULL:
            return None
        if st == _native.DENIED_FAIL_CLOSED:
            raise FailClosed(
                f"no slot of '{key}' (fail-closed): {h.last_error()}",
                key, max_slots)
        raise LimiterError(h.last_error())

    def acquire(self, key: str, max_slots: int,
                wait: Optional[float] = None) -> Optional[Token]:
        """Take one of ``max_slots`` slots of ``key``.

        Args:
            key: the limiter key (1 to 512 characters, no ``{`` or ``}``).
            max_slots: how many holders may hold ``key`` at once (>= 1).
            wait: None or 0: answer at once. Seconds: while all slots are
                taken, queue first come, first served (behind earlier
                waiters, ahead of later plain acquires) for up to that long.

        Returns:
            The token, or None when all slots are taken (still, after
            ``wait``). With fail_open and Redis unavailable, a token whose
            ``fail_open`` is True.

        Raises:
            FailClosed: Redis unavailable and fail_open is False.
            LimiterError: a bad key, or an error from Redis.
            ValueError: max_slots is less than 1.
        """
        if isinstance(max_slots, bool) or not isinstance(max_slots, int):
            raise TypeError("max_slots must be an int")
        if not 1 <= max_slots <= 2**31 - 1:
            raise ValueError(f"max slots must be at least 1, not {max_slots}")
        k = _key(key)
        h = self._handle()
        tok = _native.LimitToken()
        if wait is not None and wait > 0:
            st = self._lib.cg_limiter_acquire_wait(
                h.ptr, k, max_slots, max(1, _millis(wait)), ctypes.byref(tok))
        else:
            st = self._lib.cg_limiter_acquire(h.ptr, k, max_slots,
                                              ctypes.byref(tok))
        return self._token(h, st, tok, key, max_slots)

    def _c_token(self, token: Union[Token, str]) -> _native.LimitToken:
        tok = _native.LimitToken()
        if not isinstance(token, str):
            raise TypeError(
                f"token must be a Token or str, not {type(token).__name__}")
        if self._lib.cg_limit_token_parse(ctypes.byref(tok),
                                          str(token).encode("ascii",
                                                            "replace")) < 0:
            raise ValueError(f"not a ciguard token: {str(token)!r}")
        if isinstance(token, Token):
            tok.fence = token.fence
        return tok

    def release(self, key: str, token: Union[Token, str]) -> bool:
        """Give the slot back, waking the first waiter.

        Returns:
            True when released; False when ``token`` held no live slot (it
            expired, or was released already). A fail-open token: True.

        Raises:
            LimiterError: Redis unavailable or an error from Redis (the slot
                then expires within ttl).
            ValueError: ``token`` is not a token.
        """
        tok = self._c_token(token)
        h = self._handle()
        st = self._lib.cg_limiter_release(h.ptr, _key(key), ctypes.byref(tok))
        if st == _native.ERROR:
            raise LimiterError(h.last_error())
        return bool(st == _native.RELEASED)

    def refresh(self, key: str, token: Union[Token, str]) -> bool:
        """Extend a live slot by ttl from now (by the Redis server's clock).

        Returns:
            True when refreshed; False when the slot was lost (it expired
            first, and is not taken again). A fail-open token: True.

        Raises:
            LimiterError: Redis unavailable or an error from Redis.
            ValueError: ``token`` is not a token.
        """
        tok = self._c_token(token)
        h = self._handle()
        st = self._lib.cg_limiter_refresh(h.ptr, _key(key), ctypes.byref(tok))
        if st == _native.ERROR:
            raise LimiterError(h.last_error())
        return bool(st == _native.REFRESHED)

    def count(self, key: str) -> int:
        """How many live holders ``key`` has (changes nothing).

        Raises:
            LimiterError: Redis unavailable or an error from Redis.
        """
        n = ctypes.c_int(0)
        h = self._handle()
        if self._lib.cg_limiter_count(h.ptr, _key(key),
                                      ctypes.byref(n)) != _native.OK:
            raise LimiterError(h.last_error())
        return n.value

    def holders(self, key: str) -> List[Holder]:
        """The live holders of ``key``, soonest to expire first.

        Raises:
            LimiterError: Redis unavailable or an error from Redis.
        """
        found: List[Holder] = []

        def one(ctx: Optional[int], token: bytes, remaining_ms: int,
                fence: int) -> None:
            found.append(Holder(token.decode("ascii", "replace"),
                                remaining_ms / 1000.0, int(fence)))

        h = self._handle()
        if self._lib.cg_limiter_holders(h.ptr, _key(key),
                                        _native.HOLDER_FN(one),
                                        None) != _native.OK:
            raise LimiterError(h.last_error())
        return found

    def waiters(self, key: str) -> List[str]:
        """The tokens queued by ``acquire(..., wait=...)`` for ``key``, head
        first.

        Raises:
            LimiterError: Redis unavailable or an error from Redis.
        """
        found: List[str] = []

        def one(ctx: Optional[int], token: bytes, position: int) -> None:
            found.append(token.decode("ascii", "replace"))

        h = self._handle()
        if self._lib.cg_limiter_waiters(h.ptr, _key(key),
                                        _native.WAITER_FN(one),
                                        None) != _native.OK:
            raise LimiterError(h.last_error())
        return found

    @contextlib.contextmanager
    def slot(self, key: str, max_slots: int,
             wait: Optional[float] = None) -> Iterator[Token]:
        """Hold a slot of ``key`` for the ``with`` block.

        ``with limiter.slot("deploys", 2, wait=30) as token:`` takes a slot
        like ``acquire``, refreshes it from a background thread every ttl/3
        while the block runs, and releases it when the block ends, normally
        or by an exception. A process forked inside the block does not
        release its parent's slot.

        Raises:
            SlotUnavailable: all slots were taken (after ``wait``).
            FailClosed: Redis unavailable and fail_open is False (a
                SlotUnavailable too).
            LimiterError: a bad key, or an error from Redis.
            ValueError: max_slots is less than 1.
        """
        token = self.acquire(key, max_slots, wait=wait)
        if token is None:
            taken = ("the one slot" if max_slots == 1
                     else f"all {max_slots} slots")
            after = f", still after waiting {wait:g}s" if wait else ""
            raise SlotUnavailable(f"{taken} of '{key}' are taken{after}",
                                  key, max_slots)
        owner = os.getpid()
        stop = threading.Event()
        refresher = None
        if not token.fail_open:
            refresher = threading.Thread(
                target=self._keep, args=(key, token, stop),
                name=f"ciguard-slot-{key}", daemon=True)
            refresher.start()
        try:
            yield token
        finally:
            if os.getpid() == owner:
                stop.set()
                if refresher is not None:
                    refresher.join()
                try:
                    self.release(key, token)
                except LimiterError:
                    pass  # it expires within ttl

    def _keep(self, key: str, token: Token, stop: threading.Event) -> None:
        """The refresher of a slot() block: every ttl/3 until stopped or
        lost. A failed refresh (Redis unavailable) is tried again at the
        next tick; the slot expires if that keeps failing for ttl."""
        try:
            while not stop.wait(self.ttl / 3):
                try:
                    if not self.refresh(key, token):
                        return  # lost: it expired; not taken again
                except LimiterError:
                    continue
        finally:
            self.close()


def _rebuild(redis_url: Optional[str], fail_open: bool, ttl: float,
             timeout: float,
             ca_file: Optional[str] = None) -> ConcurrentRunsLimiter:
    return ConcurrentRunsLimiter(redis_url, fail_open=fail_open, ttl=ttl,
                                 timeout=timeout, ca_file=ca_file)
