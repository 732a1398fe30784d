"""Job handlers run by the worker pool, one per job type."""
import logging

from sqlalchemy import text

from app.config import settings
from app.db import engine
from app.payments import PaymentError, PaymentsClient

log = logging.getLogger("orders.worker.tasks")

payments = PaymentsClient(settings.payments_api_url, settings.payments_api_key)


def charge_order(job: dict) -> None:
    order_id = job["order_id"]
    with engine.connect() as conn:
        order = conn.execute(
            text("SELECT customer_id, amount_cents, currency FROM orders WHERE id = :id"),
            {"id": order_id},
        ).one()
    try:
        charge = payments.create_charge(order_id, order.customer_id, order.amount_cents, order.currency)
    except PaymentError as exc:
        log.warning("charge for order %s declined: %s", order_id, exc)
        status, charge_id = "payment_failed", None
    else:
        status, charge_id = "paid", charge["id"]
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE orders SET status = :status, charge_id = :charge_id WHERE id = :id"),
            {"status": status, "charge_id": charge_id, "id": order_id},
        )
    log.info("order %s is now %s", order_id, status)


def refund_order(job: dict) -> None:
    order_id = job["order_id"]
    with engine.connect() as conn:
        order = conn.execute(
            text("SELECT charge_id, amount_cents FROM orders WHERE id = :id"), {"id": order_id}
        ).one()
    payments.refund(order.charge_id, order.amount_cents)
    with engine.begin() as conn:
        conn.execute(text("UPDATE orders SET status = 'refunded' WHERE id = :id"), {"id": order_id})
    log.info("order %s refunded", order_id)


HANDLERS = {
    "charge": charge_order,
    "refund": refund_order,
}
