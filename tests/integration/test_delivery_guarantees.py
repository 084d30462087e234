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

from portal_schemas import Envelope
from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import ContractTerminated
from portal_stack import MailCatcherClient


def test_the_same_event_delivered_twice_acts_once(
    gateway: httpx.Client, mail: MailCatcherClient, kafka: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    # wait until billing knows the contract, so the final invoice is a normal one
    kafka.envelopes(
        "contracts.contract-created.v1",
        lambda evs: any(e["subject"] == customer.contract_id for e in evs),
    )
    event = Envelope.wrap(
        ContractTerminated(
            contract_id=customer.contract_id,
            customer_number=customer.customer_number,
            end_date=date(2027, 3, 31),
            reason="move",
            termination_fee=Decimal("0.00"),
        ),
        subject=customer.contract_id,
        producer="contracts",
    )
    for _ in range(2):  # a redelivery: same event id
        kafka.publish(ContractTerminated.topic(), event.to_json(), key=customer.contract_id)

    invoices = helpers.eventually(
        lambda: gateway.get("/billing/v1/invoices", headers=auth).json()["items"], timeout=30
    )
    mail.wait_for(lambda m: customer.email in m.to and invoices[0]["number"] in (m.text or ""), timeout=30)
    # a later event on the same topic proves the duplicate was consumed (and ignored) by now
    marker = str(uuid.uuid4())
    kafka.publish(ContractTerminated.topic(), b"{}", key=marker)
    kafka.read("billing.dead-letter.v1", lambda rs: any(r.key == marker.encode() for r in rs))
    assert len(gateway.get("/billing/v1/invoices", headers=auth).json()["items"]) == 1
    number = invoices[0]["number"]
    to_customer = [mail.get(m.id) for m in mail.list() if customer.email in m.to]
    assert len([m for m in to_customer if number in (m.text or "")]) == 1


def test_poison_message_goes_to_dead_letter_and_the_next_is_handled(
    mail: MailCatcherClient, kafka: Any, customer: Any
) -> None:
    key = str(uuid.uuid4())
    kafka.publish(InvoiceIssued.topic(), b"this is not an event", key=key)
    valid = Envelope.wrap(
        InvoiceIssued(
            invoice_id=str(uuid.uuid4()),
            invoice_number=f"T{key[:8]}",
            customer_number=customer.customer_number,
            kind="periodic",
            issued_at=datetime.now(UTC),
            due_date=date(2026, 12, 31),
            total_incl_vat=Decimal("12.34"),
        ),
        subject=key,
        producer="billing",
    )
    kafka.publish(InvoiceIssued.topic(), valid.to_json(), key=key)

    dead = kafka.read("notifications.dead-letter.v1", lambda rs: any(r.key == key.encode() for r in rs))
    [letter] = [r for r in dead if r.key == key.encode()]
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
        account_id = cli(
            "identity", "create-account", "--email", f"late-{uuid.uuid4().hex[:8]}@example.nl",
            "--customer-number", "999000111", stdin="a sturdy passphrase\n",
        )  # fmt: skip
    finally:
        identity.restart()
    events = kafka.envelopes(
        "identity.account-activated.v1", lambda evs: any(e["subject"] == account_id for e in evs)
    )
    assert sum(e["subject"] == account_id for e in events) == 1


def test_a_service_role_cannot_reach_another_services_database(stack: Any) -> None:
    urls = {
        name: url.replace("postgresql+asyncpg", "postgresql") for name, url in stack.database_urls.items()
    }
    identity = urls["identity"]
    billing_db = urls["billing"].rsplit("/", 1)[1]
    foreign = identity.rsplit("/", 1)[0] + "/" + billing_db

    async def connect(url: str) -> Any:
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetchval("SELECT current_database()")
        finally:
            await connection.close()

    import asyncio

    assert asyncio.run(connect(identity)) == "identity"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        asyncio.run(connect(foreign))


def test_envelope_json_is_what_kafka_readers_see(kafka: Any, customer: Any) -> None:
    [record] = [
        r
        for r in kafka.read(
            "identity.account-activated.v1",
            lambda rs: any(r.key == customer.account_id.encode() for r in rs),
        )
        if r.key == customer.account_id.encode()
    ]
    body = json.loads(record.value)
    assert body["subject"] == customer.account_id
    headers = dict(record.headers)
    assert headers["event-type"] == b"AccountActivated"
    assert headers["traceparent"].startswith(b"00-")  # W3C trace context crosses Kafka
    assert headers["correlation_id"].decode() == body["correlation_id"]
