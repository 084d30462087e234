"""GET /v1/balance and POST /v1/admin/payments (transfers and energy cheques by operations)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from billing.db.tables import PaymentRow
from billing.domain.invoice import InvoiceLine
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from portal_chassis.calendar import start_of_day
from portal_chassis.testing import Harness, TokenFactory

ME, OTHER = "100200300", "999888777"
D = Decimal


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


async def invoice(service: Harness, amount: str, *, days_ago: int, customer: str = ME) -> str:
    """An invoice issued ``days_ago`` days ago: due 14 days after its issue date."""
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    line = InvoiceLine("advance", "Advance", D(1), None, D(amount), D(0))
    async with service.runtime.new_uow() as uow:
        issued = await issue_invoice(
            uow,
            settings,
            kind="annual_settlement" if amount.startswith("-") else "advance",
            customer_number=customer,
            contract_id=None,
            lines=[line],
            now=datetime.now(UTC) - timedelta(days=days_ago),
        )
        await uow.commit()
    return issued.id


async def balance(service: Harness, tokens: TokenFactory, customer: str = ME) -> dict[str, object]:
    response = await service.client.get("/v1/balance", headers=tokens.headers(customer))
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def register(service: Harness, tokens: TokenFactory, **fields: object) -> tuple[int, dict[str, object]]:
    body = {
        "customer_number": ME,
        "channel": "transfer",
        "amount": "100.00",
        "reference": "NL-BANK-0001",
        "received_on": today().isoformat(),
        **fields,
    }
    response = await service.client.post("/v1/admin/payments", json=body, headers=tokens.operator_headers())
    return response.status_code, response.json()


async def payment_count(service: Harness) -> int:
    async with service.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(PaymentRow)) or 0)


async def test_empty_balance(service: Harness, tokens: TokenFactory) -> None:
    assert await balance(service, tokens) == {
        "as_of": today().isoformat(),
        "open_total": "0.00",
        "overdue_total": "0.00",
        "overdue": False,
        "oldest_overdue_due_date": None,
        "credit": "0.00",
        "currency": "EUR",
    }


async def test_balance_shows_open_overdue_and_the_oldest_due_date(
    service: Harness, tokens: TokenFactory
) -> None:
    # Due 14 days after issue: issued 40 days ago -> due 26 days ago (overdue); 20 days ago ->
    # due 6 days ago (overdue); 14 days ago -> due today (not yet overdue); 2 days ago -> not due.
    await invoice(service, "40.00", days_ago=40)
    await invoice(service, "25.50", days_ago=20)
    await invoice(service, "60.00", days_ago=14)
    await invoice(service, "9.99", days_ago=2)
    await invoice(service, "500.00", days_ago=40, customer=OTHER)  # not mine

    body = await balance(service, tokens)
    # open 40.00 + 25.50 + 60.00 + 9.99 = 135.49; overdue 40.00 + 25.50 = 65.50
    assert (body["open_total"], body["overdue_total"], body["overdue"]) == ("135.49", "65.50", True)
    assert body["oldest_overdue_due_date"] == (today() - timedelta(days=26)).isoformat()
    assert body["credit"] == "0.00"

    assert (await service.client.get("/v1/balance")).status_code == 401


async def test_a_transfer_registered_twice_is_one_payment(
    service: Harness, tokens: TokenFactory, deliver, events
) -> None:
    await deliver(service, events.contract("C-1", customer=ME))
    first = await invoice(service, "60.00", days_ago=30)
    await invoice(service, "30.00", days_ago=10)

    status, payment = await register(service, tokens, amount="70.00")
    assert status == 201
    # 60.00 settles the older invoice, 10.00 goes to the newer: nothing left over.
    assert (payment["amount"], payment["unallocated"], payment["channel"]) == ("70.00", "0.00", "transfer")
    # Received on today's calendar day: its first instant in Europe/Amsterdam.
    received_at = datetime.fromisoformat(str(payment["received_at"]))
    assert received_at == start_of_day(today(), ZoneInfo("Europe/Amsterdam"))

    again_status, again = await register(service, tokens, amount="70.00")
    assert (again_status, again["id"]) == (200, payment["id"])
    assert await payment_count(service) == 1
    assert len(await service.outbox("PaymentReceived")) == 1
    assert [e.data["invoice_id"] for e in await service.outbox("InvoicePaid")] == [first]

    body = await balance(service, tokens)
    assert (body["open_total"], body["overdue"], body["credit"]) == ("20.00", False, "0.00")


async def test_an_overpayment_is_credit_in_the_balance(
    service: Harness, tokens: TokenFactory, deliver, events
) -> None:
    await deliver(service, events.contract("C-1", customer=ME))
    await invoice(service, "45.00", days_ago=30)
    status, payment = await register(
        service, tokens, channel="energy_cheque", amount="120.00", reference="CHQ-77"
    )
    assert status == 201 and payment["unallocated"] == "75.00"  # 120.00 - 45.00
    body = await balance(service, tokens)
    assert (body["open_total"], body["overdue_total"], body["credit"]) == ("0.00", "0.00", "75.00")


async def test_bad_registrations_change_nothing(
    service: Harness, tokens: TokenFactory, deliver, events
) -> None:
    await deliver(service, events.contract("C-1", customer=ME))
    assert (await register(service, tokens))[0] == 201

    status, problem = await register(service, tokens, amount="99.00")  # same reference, other amount
    assert (status, problem["type"]) == (409, "/problems/payment-reference-taken")
    status, problem = await register(service, tokens, customer_number="555", reference="X-1")
    assert (status, problem["type"]) == (422, "/problems/customer-unknown")
    status, problem = await register(
        service, tokens, reference="X-2", received_on=(today() + timedelta(days=1)).isoformat()
    )
    assert (status, problem["type"]) == (422, "/problems/payment-in-future")
    for bad in (
        {"amount": "0"},
        {"amount": "-5.00"},
        {"amount": "1.001"},
        {"channel": "card"},
        {"reference": ""},
    ):
        status, problem = await register(service, tokens, **{"reference": "X-3", **bad})
        assert (status, problem["type"]) == (422, "/problems/validation"), bad
    assert await payment_count(service) == 1

    customer = await service.client.post(
        "/v1/admin/payments",
        json={
            "customer_number": ME,
            "channel": "transfer",
            "amount": "1.00",
            "reference": "X-4",
            "received_on": "2026-01-01",
        },
        headers=tokens.headers(ME),
    )
    assert customer.status_code in (401, 403)
    assert await payment_count(service) == 1


async def test_crediting_a_partly_paid_invoice_turns_the_payment_into_credit(
    service: Harness, tokens: TokenFactory, deliver, events
) -> None:
    await deliver(service, events.contract("C-1", customer=ME))
    wrong = await invoice(service, "100.00", days_ago=30)
    later = await invoice(service, "30.00", days_ago=10)
    assert (await register(service, tokens, amount="40.00"))[0] == 201  # 40.00 of the 100.00

    response = await service.client.post(
        f"/v1/admin/invoices/{wrong}/credit-note", headers=tokens.operator_headers()
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert (note["kind"], note["total_incl_vat"]) == ("credit_note", "-100.00")
    # The 40.00 paid on the credited invoice is credit: 30.00 settles the later invoice, 10.00
    # stays open on the credit note (-10.00).
    assert note["status"] == "open"
    body = await balance(service, tokens)
    assert (body["open_total"], body["credit"]) == ("0.00", "10.00")
    assert later in [e.data["invoice_id"] for e in await service.outbox("InvoicePaid")]

    again = await service.client.post(
        f"/v1/admin/invoices/{wrong}/credit-note", headers=tokens.operator_headers()
    )
    assert again.status_code == 409
    unknown = await service.client.post(
        "/v1/admin/invoices/nope/credit-note", headers=tokens.operator_headers()
    )
    assert unknown.status_code == 404
    as_customer = await service.client.post(
        f"/v1/admin/invoices/{later}/credit-note", headers=tokens.headers(ME)
    )
    assert as_customer.status_code in (401, 403)


async def test_a_payment_before_2000_or_above_the_ceiling_is_refused(
    service: Harness, tokens: TokenFactory, deliver, events
) -> None:
    await deliver(service, events.contract("C-1", customer=ME))
    # A day before 2000 is a typo (1 January of the year 1 even began before UTC's first day).
    for bad in (
        {"received_on": "0001-01-01"},
        {"received_on": "1999-12-31"},
        {"amount": "100000000.00"},
    ):
        status, problem = await register(service, tokens, **{"reference": "X-5", **bad})
        assert (status, problem["type"]) == (422, "/problems/validation"), bad
    assert await payment_count(service) == 0

    # The largest payments, twice: the credit is still an amount.
    for reference in ("BIG-1", "BIG-2"):
        assert (await register(service, tokens, amount="99999999.99", reference=reference))[0] == 201
    assert (await balance(service, tokens))["credit"] == "199999999.98"
