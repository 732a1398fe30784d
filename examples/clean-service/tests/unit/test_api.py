import json

from app.main import JOBS_QUEUE


def test_health(client):
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_create_order_queues_a_charge(client, redis_client):
    resp = client.post("/orders", json={"tenant_id": "t1", "customer_id": "cus_42", "amount_cents": 1999})
    assert resp.status_code == 201
    order_id = resp.json()["id"]

    job = json.loads(redis_client.rpop(JOBS_QUEUE))
    assert job["type"] == "charge"
    assert job["order_id"] == order_id
    assert job["tenant_id"] == "t1"


def test_rejects_non_positive_amount(client):
    resp = client.post("/orders", json={"tenant_id": "t1", "customer_id": "cus_42", "amount_cents": 0})
    assert resp.status_code == 422


def test_unknown_order_is_404(client):
    assert client.get("/orders/ord_missing").status_code == 404


def test_get_seeded_order(client):
    order = client.get("/orders/ord_seed_paid").json()
    assert order["status"] == "paid"
    assert order["charge_id"] == "ch_seed_paid"
