"""Health endpoint of the worker process, for k8s probes, compose and CI.

Served on its own port by a small uvicorn server on a daemon thread, so it
answers even while every job thread is busy.
"""
import threading
import time

import redis
import uvicorn
from fastapi import FastAPI, Response

HEALTH_PORT = 8001
# The dispatcher polls Redis at least every POLL_TIMEOUT_SECONDS; much longer
# than that without a poll means it is stuck.
STALE_AFTER_SECONDS = 30

health_app = FastAPI(title="orders-worker", docs_url=None, redoc_url=None)

_state = {"redis": None, "last_poll": time.monotonic()}


def mark_poll() -> None:
    _state["last_poll"] = time.monotonic()


@health_app.get("/health")
def health(response: Response) -> dict:
    problems = []
    try:
        _state["redis"].ping()
    except (redis.RedisError, AttributeError) as exc:
        problems.append(f"redis: {exc}")
    idle = time.monotonic() - _state["last_poll"]
    if idle > STALE_AFTER_SECONDS:
        problems.append(f"dispatcher idle for {idle:.0f}s")
    if problems:
        response.status_code = 503
        return {"status": "unhealthy", "problems": problems}
    return {"status": "ok"}


def serve_in_background(r: redis.Redis) -> threading.Thread:
    _state["redis"] = r
    server = uvicorn.Server(uvicorn.Config(health_app, host="0.0.0.0", port=HEALTH_PORT, log_level="warning"))
    thread = threading.Thread(target=server.run, name="health", daemon=True)
    thread.start()
    return thread
