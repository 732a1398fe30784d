"""Redis-backed worker pool, run with `python -m app.worker.pool`.

Pops jobs from the `orders:jobs` list and runs them on a thread pool, with at
most TENANT_MAX_ACTIVE_JOBS jobs of one tenant in flight at a time.
"""
import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import redis

from app.config import settings
from app.worker import limiter
from app.worker.tasks import HANDLERS

QUEUE = "orders:jobs"
POLL_TIMEOUT_SECONDS = 5
SLOT_WAIT_SECONDS = 0.5

_stopping = False


def _request_stop(signum, frame) -> None:
    global _stopping
    _stopping = True


def run_job(r: redis.Redis, job: dict) -> None:
    try:
        HANDLERS[job["type"]](job)
    except Exception as exc:  # one bad job must not take the pool down
        print(f"job {job['id']} ({job['type']}) failed: {exc!r}")
    finally:
        limiter.release(r, job["tenant_id"], job["id"])


def main() -> None:
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    r = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    print(f"worker pool: {settings.worker_concurrency} threads on {QUEUE}")
    with ThreadPoolExecutor(max_workers=settings.worker_concurrency, thread_name_prefix="job") as pool:
        while not _stopping:
            item = r.brpop(QUEUE, timeout=POLL_TIMEOUT_SECONDS)
            if item is None:
                continue
            job = json.loads(item[1])
            # Wait for a free slot of this tenant; the other tenants' jobs
            # already running keep going meanwhile.
            while not limiter.try_acquire(r, job["tenant_id"], job["id"], settings.tenant_max_active_jobs):
                time.sleep(SLOT_WAIT_SECONDS)
            pool.submit(run_job, r, job)
    print("worker pool: stopped")


if __name__ == "__main__":
    main()
