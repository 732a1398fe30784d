"""Settings, read once from the environment (see .env.example)."""
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    payments_api_url: str
    payments_api_key: str
    payments_webhook_secret: str
    log_level: str
    worker_concurrency: int
    tenant_max_active_jobs: int


def load_settings() -> Settings:
    # No silent fallbacks for anything that points at another system: a missing
    # URL must fail loudly here, not talk to some default host.
    return Settings(
        database_url=os.environ["DATABASE_URL"],
        redis_url=os.environ["REDIS_URL"],
        payments_api_url=os.environ["PAYMENTS_API_URL"],
        payments_api_key=os.environ["PAYMENTS_API_KEY"],
        payments_webhook_secret=os.environ["PAYMENTS_WEBHOOK_SECRET"],
        log_level=os.environ.get("LOG_LEVEL", "info"),
        worker_concurrency=int(os.environ.get("WORKER_CONCURRENCY", "4")),
        tenant_max_active_jobs=int(os.environ.get("TENANT_MAX_ACTIVE_JOBS", "2")),
    )


settings = load_settings()
