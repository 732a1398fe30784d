"""The same jobs done without blocking the loop, and look-alikes."""
import asyncio
import functools
import time

import redis
import redis.asyncio as aioredis
import requests

r = aioredis.from_url("redis://localhost")
sync_r = redis.Redis()


def sleep(seconds: float) -> None:
    """A local function that only shares the name."""


async def wait_a_bit() -> None:
    await asyncio.sleep(1)
    sleep(1)


async def in_a_thread(url: str) -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, time.sleep, 1)
    await asyncio.to_thread(requests.get, url, timeout=5)
    await loop.run_in_executor(None, functools.partial(requests.get, url))
    await loop.run_in_executor(None, lambda: time.sleep(1))


async def nested() -> None:
    def work() -> None:
        time.sleep(1)
        requests.get("http://example.com", timeout=5)

    await asyncio.to_thread(work)


async def counter(key: str) -> int:
    n = await r.incr(key)
    await r.expire(key, 60)
    pipe = sync_r.pipeline()  # no request until execute()
    return n


async def unknown_client(self_redis) -> None:
    # nothing says this client is a sync one
    self_redis.get("k")


def plain() -> None:
    time.sleep(1)
    requests.get("http://example.com", timeout=5)
    sync_r.get("k")


async def proxy(requests, url: str) -> None:
    # a parameter, not the requests module (an async client handed in)
    await requests.get(url)
    requests.get(url).raise_for_status()
