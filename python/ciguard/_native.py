"""ctypes declarations of libciguard's limiter API (include/ciguard/limiter.h).

The structures here mirror the C header field by field; tests/test_abi.py
compiles the header and compares sizes and offsets, so a change to the
header that is not made here too fails the tests.

Where the library comes from, first found wins:

1. ``$CIGUARD_LIBRARY``: the path of a libciguard.so;
2. next to this package: ``ciguard/libciguard.so.0`` (``make install-python``
   puts a copy there);
3. the system loader: ``libciguard.so.0`` on the loader's path
   (``make install``, then ``ldconfig``).
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import Optional

SONAME = "libciguard.so.0"

# enum cg_limit_status
OK = 0
ACQUIRED = 1
FULL = 2
ACQUIRED_FAIL_OPEN = 3
DENIED_FAIL_CLOSED = 4
RELEASED = 5
REFRESHED = 6
LOST = 7
NOT_HELD = 8
ERROR = 9

TOKEN_HEX = 32
TOKEN_MAX = 38


class LimitToken(ctypes.Structure):
    """struct cg_limit_token"""

    _fields_ = [
        ("id", ctypes.c_char * (TOKEN_HEX + 1)),
        ("fence", ctypes.c_uint64),
        ("fail_open", ctypes.c_bool),
    ]


class LimiterOptions(ctypes.Structure):
    """struct cg_limiter_options"""

    _fields_ = [
        ("redis_url", ctypes.c_char_p),
        ("ttl_ms", ctypes.c_long),
        ("connect_timeout_ms", ctypes.c_long),
        ("command_timeout_ms", ctypes.c_long),
        ("fail_open", ctypes.c_bool),
        ("ca_file", ctypes.c_char_p),
    ]


HOLDER_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p,
                             ctypes.c_long, ctypes.c_uint64)
WAITER_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p,
                             ctypes.c_long)

_lib: Optional[ctypes.CDLL] = None
_lock = threading.Lock()


def _candidates() -> list[str]:
    found = []
    env = os.environ.get("CIGUARD_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    for name in (SONAME, "libciguard.so"):
        path = os.path.join(here, name)
        if os.path.exists(path):
            found.append(path)
    found.append(SONAME)
    return found


def _declare(lib: ctypes.CDLL) -> None:
    p = ctypes.c_void_p
    s = ctypes.c_char_p
    i = ctypes.c_int
    tok = ctypes.POINTER(LimitToken)
    sigs = {
        "cg_limit_status_name": (s, [i]),
        "cg_limit_token_format": (None, [tok, ctypes.c_char_p]),
        "cg_limit_token_parse": (i, [tok, s]),
        "cg_limiter_open": (p, [ctypes.POINTER(LimiterOptions),
                                ctypes.c_char_p, ctypes.c_size_t]),
        "cg_limiter_close": (None, [p]),
        "cg_limiter_last_error": (s, [p]),
        "cg_limiter_acquire": (i, [p, s, i, tok]),
        "cg_limiter_acquire_wait": (i, [p, s, i, ctypes.c_long, tok]),
        "cg_limiter_release": (i, [p, s, tok]),
        "cg_limiter_refresh": (i, [p, s, tok]),
        "cg_limiter_count": (i, [p, s, ctypes.POINTER(ctypes.c_int)]),
        "cg_limiter_holders": (i, [p, s, HOLDER_FN, p]),
        "cg_limiter_waiters": (i, [p, s, WAITER_FN, p]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def library() -> ctypes.CDLL:
    """libciguard, loaded and declared on the first call.

    Raises OSError naming every place looked at when it is nowhere.
    """
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        errors = []
        for cand in _candidates():
            try:
                lib = ctypes.CDLL(cand)
            except OSError as e:
                errors.append(f"{cand}: {e}")
                continue
            _declare(lib)
            _lib = lib
            return lib
        raise OSError(
            "cannot load libciguard (build it with `make`, install it with "
            "`make install` or `make install-python`, or name it in "
            "CIGUARD_LIBRARY): " + "; ".join(errors))
