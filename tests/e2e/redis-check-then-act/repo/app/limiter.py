"""Per-tenant slots and counters, each with a race."""
import time

import redis
from redis import asyncio as aioredis

r = redis.Redis.from_url("redis://localhost:6379/0")


def try_acquire(client: redis.Redis, key: str, job_id: str, limit: int) -> bool:
    # ZCARD, then ZADD: two workers both see a free slot
    if client.zcard(key) < limit:
        client.zadd(key, {job_id: time.time()})
        client.expire(key, 300)  # the same race: reported once, at the zadd
        return True
    return False


def bump(key: str) -> None:
    # the read runs first, inside the write's arguments
    r.set(key, int(r.get(key) or 0) + 1)


def claim_once(name: str) -> bool:
    if r.exists(f"claim:{name}"):
        return False
    r.set(f"claim:{name}", "1", ex=60)
    return True


def enqueue_unique(job: str) -> None:
    # MULTI/EXEC makes the writes atomic with each other, not with the read
    if not r.sismember("jobs:seen", job):
        pipe = r.pipeline()
        pipe.sadd("jobs:seen", job)
        pipe.rpush("jobs", job)
        pipe.execute()


class Quota:
    def __init__(self, url: str) -> None:
        self.redis = aioredis.from_url(url)

    async def take(self, user: str, limit: int) -> bool:
        used = await self.redis.hget("quota", user)
        if used is not None and int(used) >= limit:
            return False
        await self.redis.hincrby("quota", user, 1)
        return True
