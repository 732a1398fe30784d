"""Shared fixtures. The tests talk to the real Redis, Postgres and WireMock
named by REDIS_URL, DATABASE_URL and PAYMENTS_API_URL."""
import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import text


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running concurrency tests")
    config.addinivalue_line("markers", "sandbox: talks to the provider's public sandbox")


@pytest.fixture
def redis_client():
    from app.config import settings

    r = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    r.flushdb()
    yield r
    r.close()


@pytest.fixture
def clean_db():
    from app.db import engine

    with engine.begin() as conn:
        # keep the rows scripts/seed.sh inserted
        conn.execute(text("DELETE FROM orders WHERE id NOT LIKE 'ord_seed_%'"))
    yield engine


@pytest.fixture
def client(redis_client, clean_db):
    from app.main import app

    with TestClient(app) as c:
        yield c
