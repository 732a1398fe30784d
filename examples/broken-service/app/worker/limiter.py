"""Per-tenant cap on jobs in flight, so one busy tenant cannot starve the others.

Each tenant has a sorted set of the job ids that hold a slot, scored by the
time they took it.
"""
import time

import redis

# A holder that has not released its slot after this long is presumed dead
# (OOM-killed pod, lost node) and its slot is handed out again.
SLOT_TTL_SECONDS = 300


def _key(tenant_id: str) -> str:
    return f"orders:slots:{tenant_id}"


def try_acquire(r: redis.Redis, tenant_id: str, job_id: str, max_active: int) -> bool:
    """Take one of the tenant's slots; False when all of them are in use."""
    key = _key(tenant_id)
    now = time.time()
    r.zremrangebyscore(key, 0, now - SLOT_TTL_SECONDS)
    if r.zcard(key) < max_active:
        r.zadd(key, {job_id: now})
        return True
    return False


def release(r: redis.Redis, tenant_id: str, job_id: str) -> None:
    r.zrem(_key(tenant_id), job_id)
