"""ciguard: a concurrent-runs limiter on Redis, over libciguard.

    from ciguard import ConcurrentRunsLimiter

    limiter = ConcurrentRunsLimiter(fail_open=False)
    token = limiter.acquire("deploys", max_slots=2)
    if token is None:
        ...  # two deploys are running already

See ConcurrentRunsLimiter for the details.
"""

from .limiter import (
    ConcurrentRunsLimiter,
    FailClosed,
    Holder,
    LimiterError,
    SlotUnavailable,
    Token,
)

__all__ = [
    "ConcurrentRunsLimiter",
    "FailClosed",
    "Holder",
    "LimiterError",
    "SlotUnavailable",
    "Token",
]
__version__ = "0.1.0"
