"""Nothing lost, nothing applied twice, poison messages set aside: on real Kafka."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import ContractTerminated
from portal_stack import MailCatcherClient


def test_the_same_event_delivered_twice_acts_once(
    gateway: httpx.Client, mail: MailCatcherClient, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    # wait until billing knows the contract, so the final invoice is a normal one
    kafka.about("contracts.contract-created.v1", customer.contract_id)
    terminated = ContractTerminated(
        contract_id=customer.contract_id,
        customer_number=customer.customer_number,
        end_date=date(2027, 3, 31),
        reason="move",
        termination_fee=Decimal("0.00"),
    )
    event = kafka.publish_event(terminated, customer.contract_id, "contracts")
    kafka.publish(ContractTerminated.topic(), event.to_json(), key=customer.contract_id)  # a redelivery
    # No final reading comes: ten days after the end billing settles with an estimated index.
    kafka.wait_until_handled(ContractTerminated.topic(), customer.contract_id, "billing.final-settlement")
    cli("billing", "settle-due-finals", "--today", "2027-04-10")

    invoices = helpers.eventually(
        lambda: gateway.get("/billing/v1/invoices", headers=auth).json()["items"], timeout=30
    )
    mail.wait_for(lambda m: customer.email in m.to and invoices[0]["number"] in (m.text or ""), timeout=30)
    # a later event on the same topic proves the duplicate was consumed (and ignored) by now
    marker = str(uuid.uuid4())
    kafka.publish(ContractTerminated.topic(), b"{}", key=marker)
    kafka.keyed("billing.dead-letter.v1", marker)
    assert len(gateway.get("/billing/v1/invoices", headers=auth).json()["items"]) == 1
    number = invoices[0]["number"]
    to_customer = [mail.get(m.id) for m in mail.list() if customer.email in m.to]
    assert len([m for m in to_customer if number in (m.text or "")]) == 1


def test_poison_message_goes_to_dead_letter_and_the_next_is_handled(
    mail: MailCatcherClient, kafka: Any, customer: Any
) -> None:
    key = str(uuid.uuid4())
    kafka.publish(InvoiceIssued.topic(), b"this is not an event", key=key)
    valid = InvoiceIssued(
        invoice_id=str(uuid.uuid4()),
        invoice_number=f"T{key[:8]}",
        customer_number=customer.customer_number,
        kind="periodic",
        issued_at=datetime.now(UTC),
        due_date=date(2026, 12, 31),
        total_incl_vat=Decimal("12.34"),
    )
    kafka.publish_event(valid, key, "billing")

    [letter] = kafka.keyed("notifications.dead-letter.v1", key)
    headers = {k: v.decode() for k, v in letter.headers}
    assert letter.value == b"this is not an event"
    assert headers["dlt-original-topic"] == InvoiceIssued.topic()
    assert headers["dlt-error"]
    assert int(headers["dlt-original-offset"]) >= 0
    mail.wait_for(lambda m: customer.email in m.to and f"T{key[:8]}" in (m.text or ""), timeout=30)


def test_event_written_while_the_relay_is_down_is_published_after_restart(
    stack: Any, cli: Any, kafka: Any
) -> None:
    identity = stack.services["identity"]
    identity.kill()  # kill -9: no graceful anything
    try:
        # written straight to identity's database and outbox while nothing can relay it
        account_id = cli.create_account(
            f"late-{uuid.uuid4().hex[:8]}@example.nl", "999000111", "a sturdy passphrase"
        )
    finally:
        identity.restart()
    assert len(kafka.about("identity.account-activated.v1", account_id)) == 1


def test_a_service_role_cannot_reach_another_services_database(databases: Any) -> None:
    identity = databases["identity"]
    billing_db = databases["billing"].url.rsplit("/", 1)[1]
    foreign = type(identity)(identity.url.rsplit("/", 1)[0] + "/" + billing_db)  # identity's role

    [row] = identity.fetch("SELECT current_database() AS name")
    assert row["name"] == "identity"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        foreign.fetch("SELECT current_database()")


def test_envelope_json_is_what_kafka_readers_see(kafka: Any, customer: Any) -> None:
    [record] = kafka.keyed("identity.account-activated.v1", customer.account_id)
    body = json.loads(record.value)
    assert body["subject"] == customer.account_id
    headers = dict(record.headers)
    assert headers["event-type"] == b"AccountActivated"
    assert headers["traceparent"].startswith(b"00-")  # W3C trace context crosses Kafka
    assert headers["correlation_id"].decode() == body["correlation_id"]
