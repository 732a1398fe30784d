"""Redis-backed worker pool, run with `python -u -m app.worker.pool`.

Pops jobs from the `orders:jobs` list and runs them on a thread pool, with at
most TENANT_MAX_ACTIVE_JOBS jobs of one tenant in flight at a time. Serves
GET /health on port 8001 (app/worker/health.py).
"""
import json
import logging
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import redis

from app.config import settings
from app.worker import health
from app.worker.limiter import TenantLimiter
from app.worker.tasks import HANDLERS

QUEUE = "orders:jobs"
POLL_TIMEOUT_SECONDS = 5
SLOT_WAIT_SECONDS = 0.5

logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("orders.worker")

_stopping = False


def _request_stop(signum, frame) -> None:
    global _stopping
    log.info("signal %d received, finishing running jobs", signum)
    _stopping = True


def run_job(limiter: TenantLimiter, job: dict) -> None:
    try:
        HANDLERS[job["type"]](job)
    except Exception:  # one bad job must not take the pool down
        log.exception("job %s (%s) failed", job["id"], job["type"])
    finally:
        limiter.release(job["tenant_id"], job["id"])


def main() -> None:
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    r = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    r.ping()  # fail fast, with the real error, if Redis is unreachable
    limiter = TenantLimiter(r, settings.tenant_max_active_jobs)
    health.serve_in_background(r)
    log.info("worker started: concurrency=%d queue=%s health_port=%d",
             settings.worker_concurrency, QUEUE, health.HEALTH_PORT)
    with ThreadPoolExecutor(max_workers=settings.worker_concurrency, thread_name_prefix="job") as pool:
        while not _stopping:
            health.mark_poll()
            item = r.brpop(QUEUE, timeout=POLL_TIMEOUT_SECONDS)
            if item is None:
                continue
            job = json.loads(item[1])
            # Wait for a free slot of this tenant; the other tenants' jobs
            # already running keep going meanwhile.
            while not limiter.try_acquire(job["tenant_id"], job["id"]):
                health.mark_poll()
                time.sleep(SLOT_WAIT_SECONDS)
            pool.submit(run_job, limiter, job)
    log.info("worker stopped")


if __name__ == "__main__":
    main()
