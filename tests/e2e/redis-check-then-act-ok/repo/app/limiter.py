"""The same jobs done atomically, and look-alikes that are no race."""
import time

import redis
from django.core.cache import cache

r = redis.Redis(host="localhost", port=6379)

ACQUIRE = """
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
return 0
"""
acquire = r.register_script(ACQUIRE)


def try_acquire(key: str, job_id: str, limit: int) -> bool:
    # one Lua script: ZCARD and ZADD run as one step on the server
    return acquire(keys=[key], args=[limit, time.time(), job_id]) == 1


def try_acquire_eval(key: str, job_id: str, limit: int) -> bool:
    return r.eval(ACQUIRE, 1, key, limit, time.time(), job_id) == 1


def try_acquire_watch(key: str, job_id: str, limit: int) -> bool:
    # WATCH ... MULTI ... EXECUTE: EXEC fails when the key changed
    with r.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                if pipe.zcard(key) >= limit:
                    pipe.unwatch()
                    return False
                pipe.multi()
                pipe.zadd(key, {job_id: time.time()})
                pipe.execute()
                return True
            except redis.WatchError:
                continue


def copy_count(src: str, dst: str) -> None:
    # a read of one key, a write of another
    n = r.zcard(src)
    r.set(dst, n)


def claim_once(name: str) -> bool:
    # SET NX is the check and the write in one command
    if r.get(name) is not None:
        return False
    return bool(r.set(name, "1", nx=True, ex=60))


def queued_reads(key: str) -> None:
    # reads through a pipeline are queued: nothing is decided on them
    pipe = r.pipeline()
    pipe.zcard(key)
    pipe.zadd(key, {"x": 1})
    pipe.execute()


def counter(key: str) -> int:
    # INCR returns the new value: no read before it
    n = r.incr(key)
    if n == 1:
        r.expire(key, 60)
    return n


def cached(key: str) -> str:
    # Django's cache is no Redis client this function can see
    value = cache.get(key)
    if value is None:
        value = "computed"
        cache.set(key, value)
    return value


def read_here(key: str) -> int:
    return r.zcard(key)


def write_there(key: str) -> None:
    r.zadd(key, {"x": 1})


def under_a_lock(key: str, limit: int) -> bool:
    # whoever holds the lock decides alone
    with r.lock(f"lock:{key}", timeout=5):
        if r.zcard(key) >= limit:
            return False
        r.zadd(key, {"x": time.time()})
        return True
