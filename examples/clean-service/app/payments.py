"""Small client for the payments provider's REST API (stubbed by WireMock in tests).

Synchronous on purpose: the worker pool runs jobs on threads. The API's async
routes use their own httpx.AsyncClient (app/main.py).
"""
import httpx


class PaymentError(Exception):
    """The provider declined or rejected a request."""


class PaymentsClient:
    def __init__(self, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )

    def _request(self, method: str, path: str, **kwargs) -> dict:
        resp = self.http.request(method, path, **kwargs)
        if resp.status_code in (402, 422):
            raise PaymentError(resp.json().get("error", {}).get("message", resp.text))
        resp.raise_for_status()
        return resp.json()

    def create_charge(self, order_id: str, customer_id: str, amount_cents: int, currency: str) -> dict:
        return self._request(
            "POST",
            "/v1/charges",
            json={
                "customer": customer_id,
                "amount": amount_cents,
                "currency": currency.lower(),
                "metadata": {"order_id": order_id},
            },
            headers={"Idempotency-Key": f"charge-{order_id}"},
        )

    def get_charge(self, charge_id: str) -> dict:
        return self._request("GET", f"/v1/charges/{charge_id}")

    def refund(self, charge_id: str, amount_cents: int) -> dict:
        return self._request("POST", "/v1/refunds", json={"charge": charge_id, "amount": amount_cents})

    def get_customer(self, customer_id: str) -> dict:
        return self._request("GET", f"/v1/customers/{customer_id}")

    def close(self) -> None:
        self.http.close()
