"""End to end through the running worker pool (started by CI before the tests)."""
import threading
import time

import pytest

from app.worker import limiter


def wait_for_status(client, order_id: str, want: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = client.get(f"/orders/{order_id}").json()
        if order["status"] == want:
            return order
        time.sleep(0.2)
    raise AssertionError(f"order {order_id} never became {want!r}: {order}")


def test_order_gets_charged(client):
    resp = client.post("/orders", json={"tenant_id": "t1", "customer_id": "cus_42", "amount_cents": 1999})
    order = wait_for_status(client, resp.json()["id"], "paid")
    assert order["charge_id"].startswith("ch_")


@pytest.mark.slow
def test_never_more_than_max_active(redis_client):
    admitted = []

    def contender(i: int) -> None:
        if limiter.try_acquire(redis_client, "t-race", f"job-{i}", max_active=2):
            admitted.append(i)

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 2
