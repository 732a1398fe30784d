"""HTTP API of the orders service."""
import hashlib
import hmac
import json
import logging
import time
import uuid
from contextlib import asynccontextmanager

import redis
import requests
from fastapi import FastAPI, Header, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from app.config import settings
from app.db import engine

logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("orders.api")

JOBS_QUEUE = "orders:jobs"

r = redis.Redis.from_url(settings.redis_url, decode_responses=True)


@asynccontextmanager
async def lifespan(app: FastAPI):
    log.info("api started (log level %s)", settings.log_level)
    yield


app = FastAPI(title="orders", lifespan=lifespan)


class OrderIn(BaseModel):
    tenant_id: str
    customer_id: str
    amount_cents: int = Field(gt=0)
    currency: str = "EUR"


@app.get("/health")
def health() -> dict:
    r.ping()
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}


@app.post("/orders", status_code=201)
def create_order(order: OrderIn) -> dict:
    order_id = f"ord_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO orders (id, tenant_id, customer_id, amount_cents, currency, status) "
                "VALUES (:id, :tenant_id, :customer_id, :amount_cents, :currency, 'pending')"
            ),
            {"id": order_id, **order.model_dump()},
        )
    job = {"id": uuid.uuid4().hex, "type": "charge", "order_id": order_id, "tenant_id": order.tenant_id}
    r.lpush(JOBS_QUEUE, json.dumps(job))
    log.info("order %s queued for charging", order_id)
    return {"id": order_id, "status": "pending"}


@app.get("/orders/{order_id}")
def get_order(order_id: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, tenant_id, amount_cents, currency, status, charge_id FROM orders WHERE id = :id"),
            {"id": order_id},
        ).mappings().first()
    if row is None:
        raise HTTPException(status_code=404, detail="order not found")
    return dict(row)


@app.get("/payments/{charge_id}")
async def payment_status(charge_id: str) -> dict:
    # The provider reports "pending" for a moment after a charge is created:
    # ask again a few times before giving the caller an answer.
    for attempt in range(3):
        resp = requests.get(
            f"{settings.payments_api_url}/v1/charges/{charge_id}",
            headers={"Authorization": f"Bearer {settings.payments_api_key}"},
            timeout=5,
        )
        if resp.status_code == 404:
            raise HTTPException(status_code=404, detail="unknown charge")
        resp.raise_for_status()
        charge = resp.json()
        if charge["status"] != "pending":
            break
        time.sleep(0.2 * (attempt + 1))
    return {"id": charge["id"], "status": charge["status"]}


def _apply_payment_event(event: dict) -> None:
    charge = event["data"]["object"]
    status = "paid" if event["type"] == "charge.succeeded" else "payment_failed"
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE orders SET status = :status WHERE charge_id = :charge_id"),
            {"status": status, "charge_id": charge["id"]},
        )


@app.post("/webhooks/payments", status_code=204)
async def payments_webhook(request: Request, x_signature: str = Header(...)) -> None:
    body = await request.body()
    expected = hmac.new(settings.payments_webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, x_signature):
        raise HTTPException(status_code=400, detail="bad signature")
    await run_in_threadpool(_apply_payment_event, json.loads(body))
