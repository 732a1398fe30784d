"""The payments client against the WireMock stubs in wiremock/mappings."""
import pytest

from app.config import settings
from app.payments import PaymentError, PaymentsClient


@pytest.fixture
def payments():
    client = PaymentsClient(settings.payments_api_url, settings.payments_api_key)
    yield client
    client.close()


def test_create_charge(payments):
    charge = payments.create_charge("ord_1", "cus_42", 1999, "EUR")
    assert charge["id"].startswith("ch_")
    assert charge["status"] == "pending"


def test_get_charge(payments):
    assert payments.get_charge("ch_3Nx8Qe2eZvKYlo2C")["status"] == "succeeded"


def test_declined_charge_is_reported(payments):
    assert payments.get_charge("ch_declined")["status"] == "failed"


def test_refund(payments):
    refund = payments.refund("ch_3Nx8Qe2eZvKYlo2C", 1999)
    assert refund["status"] == "succeeded"


def test_get_customer(payments):
    assert payments.get_customer("cus_42")["email"] == "ada@example.com"


def test_card_declined_raises(payments):
    with pytest.raises(PaymentError, match="card was declined"):
        payments.create_charge("ord_2", "cus_declined", 1999, "EUR")
