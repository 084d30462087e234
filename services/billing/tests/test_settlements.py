"""Settlements on SQLite: the annual and quarterly runs, invoices on a reading, corrections of
estimates, mode changes; each run safe to repeat and to run twice at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from billing.db.tables import BillingAccount, InvoiceRow
from billing.domain.invoice import InvoiceLine
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from billing.use_cases.settlement_runs import annual_settlements, quarterly_invoices
from billing.use_cases.settlements import settle_contract
from portal_chassis.testing import Harness

CET = timezone(timedelta(hours=1))
D = Decimal
NOW = datetime(2027, 1, 5, 8, tzinfo=UTC)

# FIXED-3Y's electricity prices (excl. VAT, 21 % VAT): until 30 June 2026 normal 0.30 and
# off-peak 0.25 a kWh, 0.20 a day; from 1 July 2026 normal 0.40, off-peak 0.35, 0.25 a day.
BASE = {"vat_rate": "0.21", "feed_in_compensation_per_kwh": "0.05", "feed_in_costs_per_kwh": "0.01"}
FIRST = {
    **BASE,
    "valid_from": "2025-01-01",
    "valid_to": "2026-07-01",
    "unit_prices": {"electricity_normal": "0.30", "electricity_offpeak": "0.25"},
    "fixed_costs_per_day": "0.20",
}
SECOND = {
    **BASE,
    "valid_from": "2026-07-01",
    "unit_prices": {"electricity_normal": "0.40", "electricity_offpeak": "0.35"},
    "fixed_costs_per_day": "0.25",
}
Job = Callable[..., Awaitable[dict[str, int]]]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CET)  # type: ignore[misc]


def settings_of(service: Harness) -> BillingSettings:
    return service.runtime.settings  # type: ignore[return-value]


async def setup(
    service: Harness, events: Any, deliver: Any, start: date = date(2026, 1, 1), **kw: Any
) -> None:
    kw.setdefault("expected_annual_consumption", {"electricity_normal": "3650"})
    await deliver(
        service, events.tariffs("FIXED-3Y", FIRST, SECOND), events.contract("C-1", start_date=start, **kw)
    )


async def read_from_start(
    service: Harness, events: Any, deliver: Any, *later: Any, start: date = date(2026, 1, 1)
) -> None:
    """``setup``, then an index of 1000 on the contract's first day and the ``later`` readings."""
    await setup(service, events, deliver, start=start)
    await deliver(service, events.reading("R-1", "1000", at(start.year, start.month, start.day, 9)), *later)


async def set_account(service: Harness, contract_id: str = "C-1", **values: Any) -> None:
    async with service.runtime.sessions() as session:
        await session.execute(
            update(BillingAccount).where(BillingAccount.contract_id == contract_id).values(**values)
        )
        await session.commit()


async def get_account(service: Harness, contract_id: str = "C-1") -> BillingAccount:
    async with service.runtime.sessions() as session:
        row = await session.get(BillingAccount, contract_id)
    assert row is not None
    return row


async def run(service: Harness, job: Job, today: date) -> dict[str, int]:
    async with service.runtime.new_uow() as uow:
        summary = await job(uow, settings_of(service), today=today, now=NOW)
        await uow.commit()
    return summary


async def invoices(service: Harness, kind: str | None = None) -> list[InvoiceRow]:
    async with service.runtime.sessions() as session:
        query = select(InvoiceRow).options(selectinload(InvoiceRow.lines)).order_by(InvoiceRow.number)
        if kind is not None:
            query = query.where(InvoiceRow.kind == kind)
        return list(await session.scalars(query))


def lines_of(invoice: InvoiceRow) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [(ln.kind, ln.quantity, ln.unit_price, ln.amount_excl_vat) for ln in invoice.lines]


async def advance(service: Harness, month: date, amount: str = "100.00", *, paid: bool = False) -> None:
    """An advance invoice for ``month`` as the advance run issues it (paid: as if paid)."""
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    async with service.runtime.new_uow() as uow:
        await issue_invoice(
            uow,
            settings_of(service),
            kind="advance",
            customer_number="100200300",
            contract_id="C-1",
            lines=[InvoiceLine("advance", f"Advance {month:%B %Y}", D(1), None, D(amount), D(0))],
            period_start=month,
            period_end=next_month - timedelta(days=1),
            now=NOW,
        )
        await uow.commit()
    if paid:
        async with service.runtime.sessions() as session:
            await session.execute(
                update(InvoiceRow)
                .where(InvoiceRow.kind == "advance", InvoiceRow.period_start == month)
                .values(status="paid", open_amount=D("0.00"))
            )
            await session.commit()


async def test_annual_settlement_splits_at_the_price_change_and_deducts_the_advances(
    service: Harness, events, deliver
) -> None:
    await read_from_start(service, events, deliver, events.reading("R-2", "4650", at(2026, 12, 31, 18)))
    for month in range(1, 13):
        await advance(service, date(2026, month, 1))
    await advance(service, date(2027, 1, 1))  # the next year's: not this settlement's

    assert await run(service, annual_settlements, date(2026, 12, 31)) == {"due": 0, "issued": 0, "failed": 0}
    assert await run(service, annual_settlements, date(2027, 1, 1)) == {"due": 1, "issued": 1, "failed": 0}
    assert await run(service, annual_settlements, date(2027, 1, 2)) == {"due": 0, "issued": 0, "failed": 0}

    [annual] = await invoices(service, "annual_settlement")
    # 4650 - 1000 = 3650 kWh over 2026, spread by days (flat profile): January to June 181
    # days -> 3650 x 181/365 = 1810; July to December 184 days -> 1840.
    #   fixed    181 x 0.20 =  36.20     normal 1810 x 0.30 = 543.00
    #   fixed    184 x 0.25 =  46.00     normal 1840 x 0.40 = 736.00
    #   advances 12 x 100.00 deducted: -1200.00 at 0 %
    assert lines_of(annual) == [
        ("fixed_costs", D(181), D("0.20"), D("36.20")),
        ("consumption", D("1810.000"), D("0.30"), D("543.00")),
        ("fixed_costs", D(184), D("0.25"), D("46.00")),
        ("consumption", D("1840.000"), D("0.40"), D("736.00")),
        ("advances_deducted", D(1), D("-1200.00"), D("-1200.00")),
    ]
    # 21 %: 36.20 + 543.00 + 46.00 + 736.00 = 1361.20, VAT 285.852 -> 285.85. Excl. VAT
    # 1361.20 - 1200.00 = 161.20; incl. 161.20 + 285.85 = 447.05.
    assert (annual.total_excl_vat, annual.vat_total, annual.total_incl_vat) == (
        D("161.20"),
        D("285.85"),
        D("447.05"),
    )
    assert (annual.period_start, annual.period_end, annual.estimated) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        False,
    )
    assert annual.number.startswith("J")
    assert (await get_account(service)).settled_through == date(2026, 12, 31)


async def test_a_negative_settlement_is_issued_as_a_credit_in_the_customers_favour(
    service: Harness, events, deliver
) -> None:
    await read_from_start(
        service, events, deliver, events.reading("R-2", "2000", at(2027, 6, 30, 18)), start=date(2026, 7, 1)
    )
    for month in [*range(7, 13)]:
        await advance(service, date(2026, month, 1), paid=True)
    for month in range(1, 7):
        await advance(service, date(2027, month, 1), paid=True)
    await run(service, annual_settlements, date(2027, 7, 1))
    [annual] = await invoices(service, "annual_settlement")
    # 1000 kWh, cut where net metering ends: July to December 184 days, 1000 x 184/365 =
    # 504.1095... -> 504.110; January to June the other 495.890.
    #   fixed 184 x 0.25 = 46.00    normal 504.110 x 0.40 = 201.644 -> 201.64
    #   fixed 181 x 0.25 = 45.25    normal 495.890 x 0.40 = 198.356 -> 198.36
    # 491.25 + VAT 103.1625 -> 103.16 = 594.41; minus 12 advances of 100.00: -605.59.
    assert lines_of(annual) == [
        ("fixed_costs", D(184), D("0.25"), D("46.00")),
        ("consumption", D("504.110"), D("0.40"), D("201.64")),
        ("fixed_costs", D(181), D("0.25"), D("45.25")),
        ("consumption", D("495.890"), D("0.40"), D("198.36")),
        ("advances_deducted", D(1), D("-1200.00"), D("-1200.00")),
    ]
    # Still an annual settlement, open for the amount owed to the customer (their credit).
    assert (annual.total_incl_vat, annual.status, annual.open_amount) == (D("-605.59"), "open", D("-605.59"))


async def test_a_run_catches_up_one_year_at_a_time(service: Harness, events, deliver) -> None:
    await read_from_start(
        service,
        events,
        deliver,
        events.reading("R-2", "2000", at(2025, 12, 31, 9)),
        events.reading("R-3", "3000", at(2026, 12, 31, 9)),
        start=date(2025, 1, 1),
    )
    assert await run(service, annual_settlements, date(2027, 1, 5)) == {"due": 1, "issued": 2, "failed": 0}
    first, second = await invoices(service, "annual_settlement")
    assert [(i.period_start, i.period_end) for i in (first, second)] == [
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ]
    # 2026 opens on the index 2025 closed on: 3000 - 2000 = 1000 kWh (495.890 + 504.110).
    assert sum(ln.quantity for ln in second.lines if ln.kind == "consumption") == D(1000)


async def test_two_runs_at_once_settle_a_year_once(service: Harness, events, deliver) -> None:
    await read_from_start(service, events, deliver)
    summaries = await asyncio.gather(
        run(service, annual_settlements, date(2027, 1, 1)), run(service, annual_settlements, date(2027, 1, 1))
    )
    assert sorted(s["issued"] for s in summaries) == [0, 1]
    assert len(await invoices(service, "annual_settlement")) == 1
    assert len(await service.outbox("InvoiceIssued")) == 1


async def test_a_contract_that_cannot_be_settled_is_skipped_and_counted(
    service: Harness, events, deliver
) -> None:
    await setup(service, events, deliver)
    await deliver(service, events.contract("C-2", product_code="NO-TARIFFS", start_date=date(2026, 1, 1)))
    assert await run(service, annual_settlements, date(2027, 1, 1)) == {"due": 2, "issued": 1, "failed": 1}
    [annual] = await invoices(service)
    assert annual.contract_id == "C-1"
    assert (await get_account(service, "C-2")).settled_through is None  # nothing of it was kept


async def test_quarterly_invoices_estimate_on_from_the_last_estimate(
    service: Harness, events, deliver
) -> None:
    await setup(service, events, deliver)
    await set_account(service, mode="quarterly")
    await deliver(
        service,
        events.reading("R-1", "1000", at(2026, 1, 1, 9)),
        events.reading("R-2", "1900", at(2026, 3, 31, 9)),
    )
    assert await run(service, quarterly_invoices, date(2026, 3, 31)) == {"due": 0, "issued": 0, "failed": 0}
    assert await run(service, quarterly_invoices, date(2026, 4, 1)) == {"due": 1, "issued": 1, "failed": 0}
    [q1] = await invoices(service, "quarterly")
    # January to March, 90 days x 0.20 = 18.00; 900 kWh x 0.30 = 270.00; VAT 288.00 x 0.21 =
    # 60.48; 348.48.
    assert lines_of(q1) == [
        ("fixed_costs", D(90), D("0.20"), D("18.00")),
        ("consumption", D(900), D("0.30"), D("270.00")),
    ]
    assert (q1.total_incl_vat, q1.estimated, q1.number[0]) == (D("348.48"), False, "Q")

    # No reading since: the second and third quarters are estimated, each from where the one
    # before ended. Q2: 1900 + 3650 x 91/365 = 2810; Q3 opens on 2810 and ends on 2810 + 3650 x
    # 92/365 = 3730.
    await set_account(service, next_mode="on_reading", next_mode_from=date(2026, 10, 1))
    assert await run(service, quarterly_invoices, date(2026, 10, 5)) == {"due": 1, "issued": 2, "failed": 0}
    _, q2, q3 = await invoices(service, "quarterly")
    assert [ln.quantity for ln in q2.lines if ln.kind == "consumption"] == [D("910.000")]
    assert [ln.quantity for ln in q3.lines if ln.kind == "consumption"] == [D("920.000")]
    assert "meter index 2810 to 3730, estimated" in q3.lines[1].description
    assert q2.estimated and q3.estimated

    # From 1 October the contract is billed on readings: the run applied the change when it
    # came to that period, and invoices no more quarters.
    account = await get_account(service)
    assert (account.mode, account.next_mode, account.next_mode_from) == ("on_reading", None, None)
    assert await run(service, quarterly_invoices, date(2027, 1, 5)) == {"due": 0, "issued": 0, "failed": 0}


async def test_on_reading_mode_invoices_a_complete_reading(service: Harness, events, deliver) -> None:
    await setup(service, events, deliver)
    await set_account(service, mode="on_reading")
    await deliver(
        service,
        events.reading("R-1", "1000", at(2026, 1, 1, 9)),
        events.reading("R-2", "500", at(2026, 1, 1, 9), register="electricity_offpeak"),
    )
    assert await invoices(service) == []  # the first index: nothing measured up to it

    # metering's own estimate of the morning: an index, but it settles nothing by itself
    await service.deliver(
        events.reading("R-4", "1290", at(2026, 4, 15, 8, 30), quality="estimated"), subject="M-1"
    )
    await service.deliver(events.reading("R-3", "1300", at(2026, 4, 15, 9)), subject="M-1")
    assert await invoices(service) == []  # the off-peak index of that day is still to come
    offpeak = events.reading("R-5", "600", at(2026, 4, 15, 10), register="electricity_offpeak")
    await service.deliver(offpeak, subject="M-1")
    [periodic] = await invoices(service)
    # 1 January to 15 April: 105 days x 0.20 = 21.00; normal 1300 - 1000 = 300 x 0.30 = 90.00
    # (the customer's reading is the day's last index); off-peak 100 x 0.25 = 25.00. Base
    # 136.00, VAT 28.56, incl. 164.56. Every index is real: not estimated.
    assert lines_of(periodic) == [
        ("fixed_costs", D(105), D("0.20"), D("21.00")),
        ("consumption", D(300), D("0.30"), D("90.00")),
        ("consumption", D(100), D("0.25"), D("25.00")),
    ]
    assert (periodic.kind, periodic.period_end, periodic.total_incl_vat, periodic.estimated) == (
        "periodic",
        date(2026, 4, 15),
        D("164.56"),
        False,
    )
    assert periodic.number[0] == "P"
    # The same reading again (a redelivery with a new id) or an older one bills nothing more.
    await service.deliver(events.reading("R-6", "1200", at(2026, 3, 1, 9)), subject="M-1")
    assert len(await invoices(service)) == 1


async def test_a_real_reading_corrects_the_latest_estimated_settlement(
    service: Harness, events, deliver
) -> None:
    await read_from_start(service, events, deliver, events.reading("R-2", "4000", at(2026, 11, 30, 9)))
    await run(service, annual_settlements, date(2027, 1, 1))
    [estimated] = await invoices(service)
    # 31 December estimated: 4000 + 3650 x 31/365 = 4310.
    assert estimated.estimated and "meter index 1000 to 4310, estimated" in estimated.lines[1].description

    # A reading the customer took on 20 December arrives: the annual settlement is credited and
    # made again, now estimated from 20 December: 4250 + 3650 x 11/365 = 4250 + 110 = 4360.
    await service.deliver(events.reading("R-3", "4250", at(2026, 12, 20, 9)), subject="M-1")
    [credit] = await invoices(service, "credit_note")
    first, second = sorted(await invoices(service, "annual_settlement"), key=lambda i: i.id != estimated.id)
    assert (credit.kind, credit.credits_invoice_id, credit.total_incl_vat) == (
        "credit_note",
        estimated.id,
        -estimated.total_incl_vat,
    )
    assert (first.id, first.status, first.open_amount) == (estimated.id, "credited", D("0.00"))
    assert (second.kind, second.period_start, second.period_end) == (
        "annual_settlement",
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert "meter index 1000 to 4360, estimated" in second.lines[1].description  # 4250 + 110
    assert (await get_account(service)).settled_through == date(2026, 12, 31)


async def test_no_correction_once_a_later_settlement_started_from_the_estimate(
    service: Harness, events, deliver
) -> None:
    await read_from_start(service, events, deliver)
    await run(service, annual_settlements, date(2027, 1, 1))
    await run(service, annual_settlements, date(2028, 1, 1))
    assert len(await invoices(service, "annual_settlement")) == 2
    # A late reading of 2026: 2027 already measured from 2026's estimated index, so the two
    # together bill exactly what the meter counts once 2027 is read; 2026 stays as it is.
    await service.deliver(events.reading("R-2", "4000", at(2026, 12, 20, 9)), subject="M-1")
    assert await invoices(service, "credit_note") == []


async def test_a_settlement_through_a_day_already_settled_issues_nothing(
    service: Harness, events, deliver
) -> None:
    await read_from_start(service, events, deliver)
    settings = settings_of(service)

    async def settle(through: date) -> Any:
        async with service.runtime.new_uow() as uow:
            invoice = await settle_contract(uow, settings, "C-1", through, "periodic", NOW)
            await uow.commit()
        return invoice

    assert await settle(date(2026, 3, 31)) is not None
    assert await settle(date(2026, 3, 31)) is None
    assert await settle(date(2026, 2, 1)) is None
    assert await settle(date(2026, 1, 1)) is None
    async with service.runtime.new_uow() as uow:
        assert await settle_contract(uow, settings, "C-404", date(2026, 3, 31), "periodic", NOW) is None
