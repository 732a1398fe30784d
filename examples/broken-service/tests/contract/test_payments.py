"""The payments client against the WireMock stubs in wiremock/mappings."""
import pytest

from app.config import settings
from app.payments import PaymentsClient


@pytest.fixture
def payments():
    return PaymentsClient(settings.payments_api_url, settings.payments_api_key)


def test_create_charge(payments):
    charge = payments.create_charge("ord_1", "cus_42", 1999, "EUR")
    assert charge["id"].startswith("ch_")
    assert charge["status"] == "pending"


def test_get_charge(payments):
    assert payments.get_charge("ch_3Nx8Qe2eZvKYlo2C")["status"] == "succeeded"


def test_refund(payments):
    refund = payments.refund("ch_3Nx8Qe2eZvKYlo2C", 1999)
    assert refund["status"] == "succeeded"


def test_get_customer(payments):
    assert payments.get_customer("cus_42")["email"] == "ada@example.com"


@pytest.mark.sandbox
def test_sandbox_accepts_our_charges():
    sandbox = PaymentsClient("https://sandbox.payments.example.com", settings.payments_api_key)
    charge = sandbox.create_charge("ord_smoke", "cus_sandbox", 100, "EUR")
    assert charge["id"].startswith("ch_")
