"""Dunning: the step choice worked by hand, and the send-payment-reminders job on SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from billing.db.repositories import DunningSteps
from billing.domain.dunning import days_overdue, next_step, pay_by
from billing.domain.invoice import Invoice, InvoiceLine
from billing.settings import BillingSettings
from billing.use_cases.dunning import send_payment_reminders
from billing.use_cases.issuing import issue_invoice
from billing.use_cases.payments import book_payment
from portal_chassis.testing import Harness

D = Decimal
STEPS = (14, 28)


# --- the step choice -------------------------------------------------------------------------
# An invoice due on Sunday 1 March 2026. Days overdue: 15 March is 14 days, 29 March is 28.


def step(
    today: date, last: int = 0, last_on: date | None = None, steps: tuple[int, ...] = STEPS
) -> int | None:
    return next_step(
        due_date=date(2026, 3, 1), today=today, last_step_sent=last, last_sent_on=last_on, step_days=steps
    )


def test_days_overdue_counts_from_the_due_date() -> None:
    assert days_overdue(date(2026, 3, 1), date(2026, 3, 1)) == 0
    assert days_overdue(date(2026, 3, 1), date(2026, 3, 15)) == 14
    # Across the end of February 2028 (a leap year): 28 Feb -> 1 Mar is 2 days.
    assert days_overdue(date(2028, 2, 28), date(2028, 3, 1)) == 2


def test_first_step_falls_due_fourteen_days_after_the_due_date() -> None:
    assert step(date(2026, 3, 14)) is None  # 13 days overdue
    assert step(date(2026, 3, 15)) == 1  # 14 days
    assert step(date(2026, 4, 20)) == 1  # 50 days and nothing sent yet: step 1, not step 2


def test_second_step_follows_the_first_in_order_and_at_its_distance() -> None:
    # Step 1 sent on 15 March (day 14): step 2 on 29 March (day 28), 14 days later.
    assert step(date(2026, 3, 28), last=1, last_on=date(2026, 3, 15)) is None  # day 27
    assert step(date(2026, 3, 29), last=1, last_on=date(2026, 3, 15)) == 2
    # Step 1 sent late, on 20 April (day 50): step 2 is overdue by days, but waits until
    # 20 April + 14 = 4 May so the customer had the time the first reminder gave.
    assert step(date(2026, 4, 20), last=1, last_on=date(2026, 4, 20)) is None  # same day
    assert step(date(2026, 5, 3), last=1, last_on=date(2026, 4, 20)) is None  # 13 days later
    assert step(date(2026, 5, 4), last=1, last_on=date(2026, 4, 20)) == 2


def test_no_step_after_the_last() -> None:
    assert step(date(2026, 12, 31), last=2, last_on=date(2026, 3, 29)) is None


def test_three_steps_from_settings() -> None:
    steps = (7, 21, 35)
    assert step(date(2026, 3, 8), steps=steps) == 1  # day 7
    assert step(date(2026, 3, 22), last=1, last_on=date(2026, 3, 8), steps=steps) == 2  # day 21
    assert step(date(2026, 4, 5), last=2, last_on=date(2026, 3, 22), steps=steps) == 3  # day 35


def test_pay_by_is_a_week_after_the_reminder() -> None:
    assert pay_by(date(2026, 3, 29), 7) == date(2026, 4, 5)
    assert pay_by(date(2026, 12, 28), 7) == date(2027, 1, 4)


def test_reminder_days_must_increase(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="increasing"):
        BillingSettings(reminder_days_after_due=(28, 14))
    with pytest.raises(ValueError, match="at least 1"):
        BillingSettings(reminder_days_after_due=(0, 14))
    assert BillingSettings(reminder_days_after_due=(10,)).reminder_days_after_due == (10,)


# --- the job ---------------------------------------------------------------------------------


async def issue(service: Harness, customer: str, amount: str, issued_on: date) -> Invoice:
    """A periodic invoice of ``amount`` (no VAT), issued at noon UTC on ``issued_on``; due 14
    days later (the test settings' payment term)."""
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        invoice = await issue_invoice(
            uow,
            settings,
            kind="periodic",
            customer_number=customer,
            contract_id=None,
            lines=[InvoiceLine("consumption", "Stroom", D(1), None, D(amount), D(0))],
            now=datetime(issued_on.year, issued_on.month, issued_on.day, 12, tzinfo=UTC),
        )
        await uow.commit()
    return invoice


async def remind(service: Harness, today: date) -> dict[str, Any]:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        return await send_payment_reminders(uow, settings, today=today)


async def reminders(service: Harness) -> list[dict[str, Any]]:
    return [e.data for e in await service.outbox("PaymentReminderDue")]


async def test_overdue_invoice_gets_step_one_then_step_two(service: Harness) -> None:
    invoice = await issue(service, "100200300", "84.50", date(2026, 2, 15))
    assert invoice.due_date == date(2026, 3, 1)

    assert (await remind(service, date(2026, 3, 14)))["reminders"] == 0  # 13 days overdue
    summary = await remind(service, date(2026, 3, 15))
    assert summary == {"today": "2026-03-15", "reminders": 1, "by_step": {"1": 1}}
    [first] = await reminders(service)
    assert first == {
        "invoice_id": invoice.id,
        "invoice_number": invoice.number,
        "customer_number": "100200300",
        "contract_id": None,
        "step": 1,
        "due_date": "2026-03-01",
        "days_overdue": 14,
        "open_amount": "84.50",
        "pay_by": "2026-03-22",  # 15 March + 7 days
    }

    assert (await remind(service, date(2026, 3, 15)))["reminders"] == 0  # the same day again
    assert (await remind(service, date(2026, 3, 28)))["reminders"] == 0  # day 27
    assert (await remind(service, date(2026, 3, 29)))["by_step"] == {"2": 1}  # day 28
    assert (await remind(service, date(2026, 6, 1)))["reminders"] == 0  # no third step
    assert [(r["step"], r["days_overdue"], r["pay_by"]) for r in await reminders(service)] == [
        (1, 14, "2026-03-22"),
        (2, 28, "2026-04-05"),
    ]


async def test_a_paid_invoice_gets_no_reminder_and_a_part_payment_shows_the_rest(service: Harness) -> None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    paid = await issue(service, "100200300", "40.00", date(2026, 2, 15))
    part = await issue(service, "100200301", "100.00", date(2026, 2, 15))
    async with service.runtime.new_uow() as uow:
        for customer, amount in (("100200300", "40.00"), ("100200301", "30.00")):
            await book_payment(
                uow,
                settings,
                customer_number=customer,
                channel="transfer",
                amount=D(amount),
                reference=f"bank-{customer}",
                received_at=datetime(2026, 3, 10, tzinfo=UTC),
            )
        await uow.commit()

    await remind(service, date(2026, 3, 15))
    [reminder] = await reminders(service)
    assert reminder["invoice_id"] == part.id != paid.id
    assert reminder["open_amount"] == "70.00"  # 100.00 - 30.00


async def test_a_payment_after_step_one_stops_step_two(service: Harness) -> None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    await issue(service, "100200300", "40.00", date(2026, 2, 15))
    await remind(service, date(2026, 3, 15))
    async with service.runtime.new_uow() as uow:
        await book_payment(
            uow,
            settings,
            customer_number="100200300",
            channel="transfer",
            amount=D("40.00"),
            reference="bank-1",
            received_at=datetime(2026, 3, 20, tzinfo=UTC),
        )
        await uow.commit()
    assert (await remind(service, date(2026, 3, 29)))["reminders"] == 0
    assert [r["step"] for r in await reminders(service)] == [1]


async def test_credit_notes_and_invoices_not_yet_overdue_get_none(service: Harness) -> None:
    await issue(service, "100200300", "-25.00", date(2026, 1, 1))  # a credit (negative open amount)
    await issue(service, "100200301", "25.00", date(2026, 3, 10))  # due 24 March
    assert (await remind(service, date(2026, 4, 6)))["reminders"] == 0  # 13 days after 24 March


async def test_only_a_newly_recorded_step_is_announced(service: Harness, monkeypatch: Any) -> None:
    """Two runs at once: both see step 1 as unsent; the insert that skips an existing row lets
    exactly one of them announce it. Here the other run's row is already there."""
    invoice = await issue(service, "100200300", "40.00", date(2026, 2, 15))
    async with service.runtime.new_uow() as uow:
        assert await DunningSteps(uow.session).claim(invoice.id, 1, date(2026, 3, 15))
        await uow.commit()

    stale = DunningSteps.overdue

    async def as_seen_before_the_other_run(self: DunningSteps, **kw: Any) -> Any:
        return [(row, 0, None) for row, _, _ in await stale(self, **kw)]

    monkeypatch.setattr(DunningSteps, "overdue", as_seen_before_the_other_run)
    assert (await remind(service, date(2026, 3, 15)))["reminders"] == 0
    assert await reminders(service) == []
