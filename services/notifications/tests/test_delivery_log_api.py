"""The delivery log over HTTP: a customer's own messages (no bodies, no address), operations'
search, and resending: a failed email again as it was, a sent one as a new copy, refusals that
change nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from notifications.db.tables import Delivery
from notifications.domain.delivery import delivery_id
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.billing import PaymentReminderDue, PaymentReturned

CUSTOMER = "100200300"
ACCOUNT = f"account-{CUSTOMER}"
OTHER = "400500600"


@pytest.fixture
def customer(tokens: TokenFactory) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.token(CUSTOMER, account_id=ACCOUNT)}"}


@pytest.fixture
def operator(tokens: TokenFactory) -> dict[str, str]:
    return tokens.operator_headers("ops-anna")


def returned(customer_number: str = CUSTOMER, amount: str = "87.60") -> PaymentReturned:
    return PaymentReturned(
        payment_id=f"pay-{uuid.uuid4()}",
        customer_number=customer_number,
        amount=Decimal(amount),
        reason_code="AM04",
        returned_at=dt.datetime(2026, 4, 30, 10, 0, tzinfo=dt.UTC),
    )


def reminder(customer_number: str = CUSTOMER) -> PaymentReminderDue:
    return PaymentReminderDue(
        invoice_id="inv-7",
        invoice_number="A2026-000042",
        customer_number=customer_number,
        contract_id="contract-1",
        step=1,
        due_date=dt.date(2026, 4, 1),
        days_overdue=14,
        open_amount=Decimal("10.00"),
        pay_by=dt.date(2026, 4, 29),
    )


async def add_delivery(service: Harness, sealer: Sealer, **fields: Any) -> Delivery:
    """A delivery row as the use cases write it (rendered, pending) unless ``fields`` say
    otherwise: for states the running sender would not leave alone (pending, expired)."""
    now = dt.datetime.now(dt.UTC)
    event_id = fields.pop("event_id", str(uuid.uuid4()))
    kind = fields.pop("kind", "password_reset")
    row = Delivery(
        **{
            "id": delivery_id(event_id, kind),
            "event_id": event_id,
            "kind": kind,
            "customer_number": None,
            "account_id": ACCOUNT,
            "recipient": "klant@example.com",
            "language": "en",
            "subject": "Reset your password",
            "sealed_text": sealer.seal("text"),
            "sealed_html": sealer.seal("<p>html</p>"),
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            # Far ahead, so the running sender leaves it alone.
            "next_attempt_at": now + dt.timedelta(days=1),
            **fields,
        }
    )
    async with service.runtime.sessions() as session:
        session.add(row)
        await session.commit()
    return row


async def add_skipped(service: Harness, sealer: Sealer, **fields: Any) -> Delivery:
    """A delivery recorded as not sent: nothing rendered, no address."""
    skipped = {"subject": None, "sealed_text": None, "sealed_html": None, "recipient": None}
    skipped |= {"status": "skipped", "skip_reason": "expired-before-sending", "next_attempt_at": None}
    return await add_delivery(service, sealer, **(skipped | fields))


async def rows(service: Harness) -> list[tuple[Any, ...]]:
    async with service.runtime.sessions() as session:
        found = await session.scalars(select(Delivery).order_by(Delivery.id))
        return [(d.id, d.status, d.attempts, d.next_attempt_at, d.sent_at) for d in found]


def assert_problem(response: Any, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == type_
    return body


# --- the customer's messages --------------------------------------------------------------


async def test_a_customer_lists_their_messages_newest_first_without_bodies(
    service: Harness, probe, mail, sealer: Sealer, customer: dict[str, str]
) -> None:
    await probe.register(customer_number=CUSTOMER, email="klant@example.com", language="en")
    await probe.register(customer_number=OTHER, email="ander@example.com", language="en")
    await service.deliver(returned(), subject="pay-1", producer="billing")
    await probe.received(mail, 1)
    await service.deliver(reminder(), subject="inv-7", producer="billing")
    await service.deliver(returned(OTHER), subject="pay-2", producer="billing")
    await probe.received(mail, 3)
    # About the account alone (identity's mails may name no customer number).
    reset = await add_delivery(service, sealer, status="sent", sent_at=dt.datetime.now(dt.UTC))

    response = await service.client.get("/v1/messages", headers=customer)

    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 20, 0)
    assert [m["kind"] for m in page["items"]] == ["password_reset", "payment_reminder", "payment_returned"]
    assert page["items"][0]["id"] == reset.id
    first = page["items"][2]
    assert set(first) == {"id", "kind", "subject", "status", "created_at", "sent_at"}
    assert first["subject"] == "Your direct debit of €87.60 was returned"
    assert first["status"] == "sent" and first["sent_at"] is not None
    # The id is the Message-ID's local part of the email the customer got.
    [message] = [
        m for m in mail.messages if m["To"] == "klant@example.com" and m["Subject"] == first["subject"]
    ]
    assert message["Message-ID"] == f"<{first['id']}@portal.invalid>"


async def test_statuses_read_as_the_customer_should(
    service: Harness, sealer: Sealer, customer: dict[str, str]
) -> None:
    await add_skipped(service, sealer, kind="account_locked")
    await add_delivery(service, sealer, customer_number=CUSTOMER)  # pending
    await add_delivery(service, sealer, status="failed", attempts=10, next_attempt_at=None)

    items = (await service.client.get("/v1/messages", headers=customer)).json()["items"]

    assert sorted((m["kind"], m["status"]) for m in items) == [
        ("account_locked", "not_sent"),
        ("password_reset", "failed"),
        ("password_reset", "queued"),
    ]
    assert next(m for m in items if m["status"] == "not_sent")["subject"] is None


async def test_messages_are_paginated(service: Harness, sealer: Sealer, customer: dict[str, str]) -> None:
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    made = [await add_skipped(service, sealer, created_at=start + dt.timedelta(hours=n)) for n in range(3)]

    response = await service.client.get("/v1/messages?limit=2&offset=1", headers=customer)

    page = response.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [m["id"] for m in page["items"]] == [made[1].id, made[0].id]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "limit=x"])
async def test_bad_paging_is_a_problem(service: Harness, customer: dict[str, str], query: str) -> None:
    response = await service.client.get(f"/v1/messages?{query}", headers=customer)
    assert_problem(response, 422, "/problems/validation")


async def test_the_logs_need_the_right_token(
    service: Harness, customer: dict[str, str], operator: dict[str, str]
) -> None:
    assert_problem(await service.client.get("/v1/messages"), 401, "/problems/not-authenticated")
    assert_problem(
        await service.client.get("/v1/messages", headers=operator), 401, "/problems/not-authenticated"
    )
    for path in ("/v1/admin/deliveries", f"/v1/admin/deliveries/{uuid.uuid4()}"):
        response = await service.client.get(path, headers=customer)
        assert_problem(response, 401, "/problems/not-authenticated")
    resend = await service.client.post(f"/v1/admin/deliveries/{uuid.uuid4()}/resend", headers=customer)
    assert_problem(resend, 401, "/problems/not-authenticated")


# --- operations' search ----------------------------------------------------------------------


async def test_operations_filter_the_log(
    service: Harness, probe, mail, sealer: Sealer, operator: dict[str, str]
) -> None:
    await probe.register(customer_number=CUSTOMER, email="klant@example.com", language="en")
    envelope = await service.deliver(returned(), subject="pay-1", producer="billing")
    await service.deliver(reminder(), subject="inv-7", producer="billing")
    await probe.received(mail, 2)
    await add_skipped(
        service,
        sealer,
        kind="payment_returned",
        customer_number=OTHER,
        account_id=None,
        skip_reason="no-recipient-known-for-customer",
    )
    old = await add_delivery(
        service, sealer, status="failed", created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), last_error="550"
    )

    async def ids(query: str) -> list[str]:
        response = await service.client.get(f"/v1/admin/deliveries?{query}", headers=operator)
        assert response.status_code == 200, response.text
        return [d["kind"] + ":" + d["status"] for d in response.json()["items"]]

    assert await ids("") == [
        "payment_returned:skipped", "payment_reminder:sent", "payment_returned:sent", "password_reset:failed"
    ]  # fmt: skip
    assert await ids(f"customer_number={CUSTOMER}") == ["payment_reminder:sent", "payment_returned:sent"]
    assert await ids("status=skipped") == ["payment_returned:skipped"]
    assert await ids("kind=payment_reminder") == ["payment_reminder:sent"]
    assert await ids(f"event_id={envelope.event_id}") == ["payment_returned:sent"]
    assert await ids("created_to=2026-01-01T00:00:00%2B01:00") == ["password_reset:failed"]
    assert await ids("created_from=2026-01-01T00:00:00Z&status=failed") == []

    full = (
        await service.client.get(f"/v1/admin/deliveries?customer_number={OTHER}", headers=operator)
    ).json()
    [skipped] = full["items"]
    assert skipped["skip_reason"] == "no-recipient-known-for-customer"
    assert skipped["recipient"] is None and skipped["resend_of"] is None

    one = await service.client.get(f"/v1/admin/deliveries/{old.id}", headers=operator)
    assert one.status_code == 200, one.text
    body = one.json()
    assert (body["id"], body["status"], body["last_error"], body["recipient"]) == (
        old.id, "failed", "550", "klant@example.com"
    )  # fmt: skip
    assert body["message_id"] == f"<{old.id}@portal.invalid>"
    assert "sealed_text" not in body and "text" not in body


@pytest.mark.parametrize(
    "query",
    [
        "status=lost",
        "kind=love_letter",
        "created_from=2026-01-01T00:00:00",  # no offset: which midnight?
        "created_from=yesterday",
        "created_from=2026-02-01T00:00:00Z&created_to=2026-01-01T00:00:00Z",
        "created_from=2026-01-01T00:00:00Z&created_to=2026-01-01T00:00:00Z",
        "customer_number=",
        "customer_number=" + "1" * 21,
        "event_id=" + "e" * 37,
        "limit=0",
    ],
)
async def test_bad_filters_are_a_problem(service: Harness, operator: dict[str, str], query: str) -> None:
    response = await service.client.get(f"/v1/admin/deliveries?{query}", headers=operator)
    body = assert_problem(response, 422, "/problems/validation")
    assert body["errors"] and body["errors"][0]["field"]


async def test_an_unknown_delivery_is_not_found(service: Harness, operator: dict[str, str]) -> None:
    unknown = uuid.uuid4()
    assert_problem(
        await service.client.get(f"/v1/admin/deliveries/{unknown}", headers=operator),
        404,
        "/problems/delivery-not-found",
    )
    assert_problem(
        await service.client.post(f"/v1/admin/deliveries/{unknown}/resend", headers=operator),
        404,
        "/problems/delivery-not-found",
    )


# --- resending ---------------------------------------------------------------------------


async def test_a_sent_email_is_resent_as_a_new_copy(
    service: Harness, probe, mail, operator: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    await probe.register(customer_number=CUSTOMER, email="klant@example.com", language="en")
    envelope = await service.deliver(returned(), subject="pay-1", producer="billing")
    [first] = await probe.received(mail, 1)
    original = await probe.delivery()

    response = await service.client.post(f"/v1/admin/deliveries/{original.id}/resend", headers=operator)

    assert response.status_code == 202, response.text
    copy = response.json()
    assert copy["id"] != original.id and copy["resend_of"] == original.id
    assert (copy["status"], copy["attempts"], copy["kind"]) == ("pending", 0, "payment_returned")
    assert (copy["customer_number"], copy["recipient"], copy["subject"]) == (
        CUSTOMER, "klant@example.com", original.subject
    )  # fmt: skip
    messages = await probe.received(mail, 2)
    second = messages[1]
    assert second["Message-ID"] == f"<{copy['id']}@portal.invalid>" != first["Message-ID"]
    assert second["Subject"] == first["Subject"] and second["To"] == first["To"]
    assert second.get_body(("plain",)).get_content() == first.get_body(("plain",)).get_content()
    # The original stays as it was.
    again = await service.client.get(f"/v1/admin/deliveries/{original.id}", headers=operator)
    unchanged = again.json()
    assert unchanged["status"] == "sent"
    assert dt.datetime.fromisoformat(unchanged["sent_at"]) == original.sent_at

    # A copy of the copy repeats the same original; the event finds all three.
    third = await service.client.post(f"/v1/admin/deliveries/{copy['id']}/resend", headers=operator)
    assert third.status_code == 202, third.text
    assert third.json()["resend_of"] == original.id
    assert len({original.id, copy["id"], third.json()["id"]}) == 3
    await probe.received(mail, 3)
    found = await service.client.get(f"/v1/admin/deliveries?event_id={envelope.event_id}", headers=operator)
    assert found.json()["total"] == 3

    resent = [
        r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg["event"] == "delivery resent"
    ]
    logged = resent[0]
    assert (logged["operator"], logged["delivery_id"]) == ("ops-anna", original.id)
    assert logged["queued_id"] == copy["id"]
    assert "klant@example.com" not in str(logged) and original.subject not in str(logged)


async def test_a_failed_email_is_requeued_as_the_same_message(
    service: Harness, probe, mail, operator: dict[str, str]
) -> None:
    await probe.register(customer_number=CUSTOMER, email="klant@example.com", language="en")
    mail.rcpt_reply = "550 5.1.1 mailbox unavailable"
    await service.deliver(returned(), subject="pay-1", producer="billing")

    async def failed() -> bool:
        return (await probe.deliveries())[0].status == "failed"

    await probe.eventually(failed)
    original = await probe.delivery()
    assert original.attempts == 1 and mail.messages == []
    mail.rcpt_reply = None  # the mailbox is back

    response = await service.client.post(f"/v1/admin/deliveries/{original.id}/resend", headers=operator)

    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["id"], body["resend_of"]) == (original.id, None)
    assert (body["status"], body["attempts"]) == ("pending", 0)
    [message] = await probe.received(mail, 1)
    assert message["Message-ID"] == f"<{original.id}@portal.invalid>"
    [after] = await probe.deliveries()
    assert (after.id, after.status, after.attempts) == (original.id, "sent", 1)


async def test_a_pending_email_is_not_resent(
    service: Harness, sealer: Sealer, operator: dict[str, str]
) -> None:
    pending = await add_delivery(service, sealer)
    before = await rows(service)

    response = await service.client.post(f"/v1/admin/deliveries/{pending.id}/resend", headers=operator)

    body = assert_problem(response, 409, "/problems/delivery-still-queued")
    assert body["delivery_status"] == "pending"
    assert await rows(service) == before


async def test_a_skipped_email_is_not_resent(
    service: Harness, sealer: Sealer, mail, operator: dict[str, str]
) -> None:
    skipped = await add_skipped(service, sealer)
    before = await rows(service)

    response = await service.client.post(f"/v1/admin/deliveries/{skipped.id}/resend", headers=operator)

    assert_problem(response, 409, "/problems/delivery-never-rendered")
    assert await rows(service) == before and mail.messages == []


@pytest.mark.parametrize("status", ["sent", "failed"])
async def test_an_email_past_its_send_before_is_not_resent(
    service: Harness, sealer: Sealer, mail, operator: dict[str, str], status: str
) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    dead = await add_delivery(service, sealer, status=status, send_before=past, next_attempt_at=None)
    before = await rows(service)

    response = await service.client.post(f"/v1/admin/deliveries/{dead.id}/resend", headers=operator)

    body = assert_problem(response, 409, "/problems/delivery-expired")
    assert "send_before" in body["detail"]
    assert dt.datetime.fromisoformat(body["send_before"]) == past
    assert await rows(service) == before and mail.messages == []


async def test_an_activation_a_newer_request_replaced_is_not_resent(
    service: Harness, sealer: Sealer, mail, operator: dict[str, str]
) -> None:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    common = {"kind": "activation", "status": "sent", "next_attempt_at": None}
    older = await add_delivery(service, sealer, **common, event_occurred_at=at)
    newer = await add_delivery(service, sealer, **common, event_occurred_at=at + dt.timedelta(minutes=5))
    before = await rows(service)

    refused = await service.client.post(f"/v1/admin/deliveries/{older.id}/resend", headers=operator)

    assert_problem(refused, 409, "/problems/delivery-superseded")
    assert await rows(service) == before
    # The newest one still works.
    accepted = await service.client.post(f"/v1/admin/deliveries/{newer.id}/resend", headers=operator)
    assert accepted.status_code == 202, accepted.text
