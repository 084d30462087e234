"""Payments through the gateway on real Kafka and PostgreSQL: a final invoice paid by card on
the provider simulator's hosted page (its signed webhook books it once), transfers and energy
cheques registered by operations, the balance with its credit."""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_stack import Stack


def balance(gateway: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    response = gateway.get("/billing/v1/balance", headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def payments_of(databases: Any, customer_number: str) -> list[Any]:
    return list(
        databases["billing"].fetch(
            "SELECT channel, reference, amount, unallocated FROM payments WHERE customer_number = $1",
            customer_number,
        )
    )


def test_an_invoice_paid_by_card_on_the_hosted_page(
    stack: Stack, gateway: httpx.Client, kafka: Any, databases: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    invoice = helpers.final_invoice(gateway, kafka, customer, auth)
    before = balance(gateway, auth)
    assert (before["open_total"], before["credit"]) == (invoice["total_incl_vat"], "0.00")

    started = gateway.post(f"/billing/v1/invoices/{invoice['id']}/card-payment", headers=auth)
    assert started.status_code == 201, started.text
    page_url = started.json()["redirect_url"]
    assert page_url.startswith(f"{stack.provider_url}/pay/")

    with httpx.Client(timeout=30) as browser:  # the customer's browser on the provider's page
        page = browser.get(page_url)
        assert page.status_code == 200 and f"EUR {invoice['total_incl_vat']}" in page.text
        paid = browser.post(f"{page_url}/succeed")
        assert paid.status_code == 303, paid.text
        assert "status=succeeded" in paid.headers["location"]

        [event] = kafka.about("billing.invoice-paid.v1", invoice["id"])
        assert event["data"]["customer_number"] == customer.customer_number
        [received] = [
            e
            for e in kafka.envelopes(
                "billing.payment-received.v1",
                lambda es: any(e["data"]["customer_number"] == customer.customer_number for e in es),
            )
            if e["data"]["customer_number"] == customer.customer_number
        ]
        assert (received["data"]["channel"], received["data"]["amount"]) == (
            "card",
            invoice["total_incl_vat"],
        )

        detail = gateway.get(f"/billing/v1/invoices/{invoice['id']}", headers=auth).json()
        assert detail["status"] == "paid"
        after = balance(gateway, auth)
        assert (after["open_total"], after["overdue"], after["credit"]) == ("0.00", False, "0.00")

        # The provider repeats its webhook: answered, booked once.
        assert browser.post(f"{page_url}/succeed").status_code == 303
    [payment] = payments_of(databases, customer.customer_number)
    assert (payment["channel"], str(payment["amount"])) == ("card", invoice["total_incl_vat"])

    # Paid now: no second checkout.
    again = gateway.post(f"/billing/v1/invoices/{invoice['id']}/card-payment", headers=auth)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/invoice-not-payable"


def test_a_forged_webhook_through_the_gateway_is_refused(
    gateway: httpx.Client, databases: Any, customer: Any
) -> None:
    body = json.dumps(
        {
            "id": "evt_forged",
            "type": "payment.succeeded",
            "created": "2026-03-05T10:00:00+00:00",
            "data": {
                "checkout_id": "cs_forged",
                "payment_id": "pay_forged",
                "amount": "999.00",
                "currency": "EUR",
            },
        }
    ).encode()
    forged = gateway.post(
        "/billing/v1/payment-provider/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Provider-Signature": f"t={int(time.time())},v1={'0' * 64}",
        },
    )
    assert forged.status_code == 401
    assert forged.json()["type"] == "/problems/webhook-signature-invalid"
    assert not databases["billing"].fetch("SELECT 1 FROM payments WHERE reference = 'pay_forged'")


def test_transfers_registered_by_operations_and_an_overpayment_as_credit(
    gateway: httpx.Client, kafka: Any, databases: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    invoice = helpers.final_invoice(gateway, kafka, customer, auth)
    total = Decimal(invoice["total_incl_vat"])
    operator = cli.operator_headers()
    transfer = {
        "customer_number": customer.customer_number,
        "channel": "transfer",
        "amount": "21.00",
        "reference": f"NLBANK-{customer.customer_number}",
        "received_on": datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat(),
    }

    first = gateway.post("/billing/v1/admin/payments", json=transfer, headers=operator)
    assert first.status_code == 201, first.text
    again = gateway.post("/billing/v1/admin/payments", json=transfer, headers=operator)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert len(payments_of(databases, customer.customer_number)) == 1
    # 21.00 paid of the total: the rest is open, no credit.
    partly = balance(gateway, auth)
    assert (partly["open_total"], partly["credit"]) == (f"{total - Decimal('21.00'):.2f}", "0.00")
    assert gateway.get(f"/billing/v1/invoices/{invoice['id']}", headers=auth).json()["status"] == "open"

    # An energy cheque for the rest plus 25.00: the invoice is paid, 25.00 stays as credit.
    cheque = {**transfer, "channel": "energy_cheque", "reference": f"CHQ-{customer.customer_number}"}
    cheque["amount"] = f"{total - Decimal('21.00') + Decimal('25.00'):.2f}"
    over = gateway.post("/billing/v1/admin/payments", json=cheque, headers=operator)
    assert over.status_code == 201, over.text
    assert over.json()["unallocated"] == "25.00"

    kafka.about("billing.invoice-paid.v1", invoice["id"])
    settled = balance(gateway, auth)
    assert (settled["open_total"], settled["overdue_total"], settled["credit"]) == ("0.00", "0.00", "25.00")
    assert len(payments_of(databases, customer.customer_number)) == 2

    # A customer's token does not open the operations endpoint.
    assert gateway.post("/billing/v1/admin/payments", json=transfer, headers=auth).status_code in (401, 403)
