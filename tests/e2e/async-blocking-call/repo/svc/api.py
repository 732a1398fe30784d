"""An async API that blocks its event loop in every way."""
import socket
import subprocess
import time as t
import urllib.request
from time import sleep

import psycopg2
import redis
import requests as rq

cache = redis.StrictRedis(host="localhost")
session = rq.Session()


async def fetch(url: str) -> bytes:
    sleep(0.1)
    t.sleep(0.1)
    resp = rq.post(url, json={})
    body = urllib.request.urlopen(url).read()
    return resp.content + body + session.get(url).content


async def run_tool() -> str:
    subprocess.run(["true"], check=True)
    proc = subprocess.Popen(["sleep", "1"])
    proc.wait()
    return subprocess.check_output(["date"]).decode()


async def probe(host: str) -> None:
    with socket.create_connection((host, 80), timeout=1):
        pass


async def counter(key: str) -> int:
    n = cache.incr(key)
    pipe = cache.pipeline()
    pipe.expire(key, 60)
    pipe.execute()
    return n


async def orders() -> list:
    conn = psycopg2.connect("dbname=orders")
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM orders")
        return cur.fetchall()


class Handler:
    async def on_message(self, client: redis.Redis, key: str) -> None:
        client.delete(key)
