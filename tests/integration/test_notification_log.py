"""The delivery log through the gateway on real Kafka, PostgreSQL and SMTP: a transfer that
operations register in billing becomes a payment receipt, which the customer finds among their
messages as sent; operations find it by customer number and resend it (a second copy arrives
with its own Message-ID), and a delivery that was never composed cannot be resent."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_schemas.identity import AccountLocked
from portal_stack import Mail, MailCatcherClient


def words(text: str | None) -> str:
    """Lines and spaces (the no-break ones inside amounts too) joined by single spaces."""
    return " ".join((text or "").split())


def local_part(message: Mail) -> str:
    """The Message-ID without <> and domain: the delivery's id."""
    return message.headers["Message-ID"].strip("<>").split("@")[0]


def register_transfer(
    gateway: httpx.Client, operator: dict[str, str], customer_number: str, amount: str, helpers: Any
) -> None:
    transfer = {
        "customer_number": customer_number,
        "channel": "transfer",
        "amount": amount,
        "reference": f"NLBANK-{uuid.uuid4().hex[:12]}",
        "received_on": datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat(),
    }

    def booked() -> bool:
        # Billing learns the customer from contracts' events; until then it answers 422 and
        # books nothing. The same reference again is the same payment (200).
        response = gateway.post("/billing/v1/admin/payments", json=transfer, headers=operator)
        assert response.status_code in (200, 201, 422), response.text
        return response.status_code in (200, 201)

    helpers.eventually(booked, timeout=30)


def test_a_receipt_in_the_customers_messages_and_resent_by_operations(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    operator = cli.operator_headers("ops-log")
    euros, cents = random.randint(10, 99), random.randint(10, 99)  # this test's mail among the others
    register_transfer(gateway, operator, customer.customer_number, f"{euros}.{cents}", helpers)

    amount = f"€ {euros},{cents}"  # the customer's language: Dutch
    first = mail.wait_for(
        lambda m: customer.email in m.to and f"betaling van {amount}" in words(m.subject), timeout=30
    )
    assert words(first.subject) == f"We hebben je betaling van {amount} ontvangen"
    assert "Betaalwijze: overboeking" in words(first.text)

    def receipts() -> list[dict[str, Any]]:
        response = gateway.get("/notifications/v1/messages", headers=auth)
        assert response.status_code == 200, response.text
        return [m for m in response.json()["items"] if m["kind"] == "payment_received"]

    [listed] = helpers.eventually(lambda: [m for m in receipts() if m["status"] == "sent"])
    assert listed["id"] == local_part(first)
    assert words(listed["subject"]) == words(first.subject)
    assert set(listed) == {"id", "kind", "subject", "status", "created_at", "sent_at"}  # no body, no address

    # Operations find it by the customer number, with the address it went to.
    found = gateway.get(
        "/notifications/v1/admin/deliveries",
        params={"customer_number": customer.customer_number, "kind": "payment_received"},
        headers=operator,
    )
    assert found.status_code == 200, found.text
    [delivery] = found.json()["items"]
    assert (delivery["id"], delivery["status"], delivery["recipient"]) == (
        listed["id"],
        "sent",
        customer.email,
    )
    # Not for customers' tokens.
    assert gateway.get("/notifications/v1/admin/deliveries", headers=auth).status_code == 401

    resent = gateway.post(f"/notifications/v1/admin/deliveries/{delivery['id']}/resend", headers=operator)
    assert resent.status_code == 202, resent.text
    copy = resent.json()
    assert copy["resend_of"] == delivery["id"] and copy["id"] != delivery["id"]
    second = mail.wait_for(
        lambda m: customer.email in m.to and local_part(m) == copy["id"],
        timeout=30,
    )
    assert second.headers["Message-ID"] != first.headers["Message-ID"]
    assert second.subject == first.subject and words(second.text) == words(first.text)

    both = helpers.eventually(
        lambda: len([m for m in receipts() if m["status"] == "sent"]) == 2 and receipts()
    )
    assert {m["id"] for m in both} == {delivery["id"], copy["id"]}


def test_an_email_never_composed_cannot_be_resent(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    operator = cli.operator_headers("ops-log")
    # A lock that was over before notifications heard of it: recorded, not sent.
    over = datetime.now(UTC) - timedelta(minutes=1)
    envelope = kafka.publish_event(
        AccountLocked(
            account_id=customer.account_id, email=customer.email, locked_until=over, failed_attempts=5
        ),
        customer.account_id,
        "identity",
    )

    def skipped() -> list[dict[str, Any]]:
        response = gateway.get(
            "/notifications/v1/admin/deliveries",
            params={"event_id": str(envelope.event_id)},
            headers=operator,
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    [delivery] = helpers.eventually(skipped)
    assert (delivery["status"], delivery["skip_reason"]) == ("skipped", "expired-before-sending")

    refused = gateway.post(f"/notifications/v1/admin/deliveries/{delivery['id']}/resend", headers=operator)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/delivery-never-rendered"
    assert skipped() == [delivery]  # unchanged, and no copy

    unknown = gateway.post(f"/notifications/v1/admin/deliveries/{uuid.uuid4()}/resend", headers=operator)
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "/problems/delivery-not-found"
    bad = gateway.get("/notifications/v1/admin/deliveries", params={"status": "lost"}, headers=operator)
    assert bad.status_code == 422
    assert bad.json()["type"] == "/problems/validation"
