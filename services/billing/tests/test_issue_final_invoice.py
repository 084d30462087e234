"""ContractTerminated -> one final invoice: at once with the final reading, else after a wait
with an estimate (corrected by a late real reading); InvoiceIssued; numbers."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from faststream.kafka import KafkaMessage
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from billing.app import create_app
from billing.db.tables import Base, BillingAccount, ContractView, InvoiceRow
from billing.settings import BillingSettings
from billing.use_cases.issue_final_invoice import issue_final_invoice, settle_due_finals
from portal_chassis.testing import Harness, service_under_test
from portal_schemas.billing import InvoiceIssued
from portal_schemas.topics import dead_letter_topic

CET = timezone(timedelta(hours=1))
D = Decimal
END = date(2026, 10, 31)  # the default end date of events.termination


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CET)  # type: ignore[misc]  # winter time, UTC+1


def this_year() -> int:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).year


# FIXED-3Y's electricity prices (excl. VAT) throughout: normal 0.30, off-peak 0.25 a kWh,
# 0.20 a day, feed-in compensation 0.05 and costs 0.01 a kWh, VAT 21 %.
PRICES = {
    "valid_from": "2025-01-01",
    "vat_rate": "0.21",
    "unit_prices": {"electricity_normal": "0.30", "electricity_offpeak": "0.25"},
    "fixed_costs_per_day": "0.20",
    "feed_in_compensation_per_kwh": "0.05",
    "feed_in_costs_per_kwh": "0.01",
}


async def invoices(service: Harness) -> list[InvoiceRow]:
    async with service.runtime.sessions() as session:
        rows = await session.scalars(
            select(InvoiceRow)
            .options(selectinload(InvoiceRow.lines), selectinload(InvoiceRow.vat))
            .order_by(InvoiceRow.number)
        )
        return list(rows)


async def account(service: Harness, contract_id: str = "C-1") -> BillingAccount:
    async with service.runtime.sessions() as session:
        row = await session.get(BillingAccount, contract_id)
    assert row is not None
    return row


def lines_of(invoice: InvoiceRow) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [(ln.kind, ln.quantity, ln.unit_price, ln.amount_excl_vat) for ln in invoice.lines]


async def known_contract(service: Harness, events: Any, deliver: Any, **contract: Any) -> None:
    await deliver(service, events.tariffs("FIXED-3Y", PRICES), events.contract("C-1", **contract))


async def read_contract(
    service: Harness,
    events: Any,
    deliver: Any,
    index: str,
    read_at: datetime,
    *,
    final: bool = False,
    **contract: Any,
) -> None:
    """The known contract, read on 1 January 2026 (1000) and at ``read_at`` (``index``)."""
    await known_contract(service, events, deliver, **contract)
    await deliver(
        service,
        events.reading("R-1", "1000", at(2026, 1, 1, 9)),
        events.reading("R-2", index, read_at, final=final),
    )


async def test_final_invoice_settles_readings_and_fee(service: Harness, events, deliver) -> None:
    await known_contract(service, events, deliver, start_date=date(2026, 1, 1))
    await deliver(
        service,
        events.reading("R-0", "900", at(2025, 12, 20, 9)),  # before the contract started
        events.reading("R-1", "1000", at(2026, 1, 1, 9)),
        events.reading("R-2", "1500.5", datetime(2026, 6, 1, 9, tzinfo=UTC)),
        events.reading("R-3", "2234.567", at(2026, 10, 31, 23, 30)),  # last minutes of the end date
        events.reading("R-5", "500", at(2026, 1, 1, 9), register="electricity_offpeak"),
        events.reading("R-6", "812.345", at(2026, 10, 31, 9), register="electricity_offpeak"),
        events.reading("R-7", "100", at(2026, 1, 1, 9), register="feed_in_normal"),
        events.reading("R-8", "350.25", at(2026, 10, 31, 9), register="feed_in_normal"),
        events.reading("R-9", "5", at(2026, 1, 1, 9), contract_id="C-2", meter_id="M-2"),
        events.reading("R-10", "5000", at(2026, 10, 31, 9), contract_id="C-2", meter_id="M-2"),
    )
    # Every register was read on the end date: the final invoice is issued at once. The fee as
    # contracts announces it: 76.69 incl. VAT = 63.38 before VAT + 21 % (13.31).
    envelope = await service.deliver(
        events.termination("C-1", fee="76.69", excl_vat="63.38", vat_rate="0.21"), subject="C-1"
    )

    [invoice] = await invoices(service)
    # 1 January to 31 October 2026 (304 days), one tariff, all at 21 %:
    #   termination fee                          1 x 63.38             =  63.38
    #   fixed delivery costs                   304 x 0.20              =  60.80
    #   normal   2234.567 - 1000 = 1234.567 kWh x 0.30 = 370.3701     -> 370.37
    #   off-peak  812.345 -  500 =  312.345 kWh x 0.25 =  78.08625    ->  78.09
    #   fed back  350.25  -  100 =  250.25 kWh, netted against the normal use at 0.30:
    #             -250.25 x 0.30 = -75.075                             -> -75.08
    #   feed-in costs 250.25 x 0.01 = 2.5025                           ->   2.50
    # R-0 is before the start and belong to another contract.
    assert lines_of(invoice) == [
        ("termination_fee", D(1), D("63.38"), D("63.38")),
        ("fixed_costs", D(304), D("0.20"), D("60.80")),
        ("consumption", D("1234.567"), D("0.30"), D("370.37")),
        ("consumption", D("312.345"), D("0.25"), D("78.09")),
        ("feed_in", D("-250.25"), D("0.30"), D("-75.08")),
        ("feed_in_costs", D("250.25"), D("0.01"), D("2.50")),
    ]
    # One rate, so one VAT: base 63.38 + 60.80 + 370.37 + 78.09 - 75.08 + 2.50 = 500.06;
    # 500.06 x 0.21 = 105.0126 -> 105.01; incl. 605.07. Against what the customer was told:
    # the fee 76.69 plus energy 436.68 and its VAT 436.68 x 0.21 = 91.7028 -> 91.70, i.e.
    # 76.69 + 528.38 = 605.07, the same to the cent.
    assert [(v.rate, v.base, v.vat) for v in invoice.vat] == [(D("0.21"), D("500.06"), D("105.01"))]
    assert (invoice.total_excl_vat, invoice.vat_total, invoice.total_incl_vat) == (
        D("500.06"),
        D("105.01"),
        D("605.07"),
    )
    assert invoice.number == f"F{this_year()}-000001"
    assert (
        invoice.kind,
        invoice.status,
        invoice.customer_number,
        invoice.contract_id,
        invoice.estimated,
    ) == (
        "final_settlement",
        "open",
        "100200300",
        "C-1",
        False,
    )
    assert (invoice.period_start, invoice.period_end) == (date(2026, 1, 1), END)
    assert invoice.due_date == invoice.issue_date + timedelta(days=14)

    [issued] = await service.outbox("InvoiceIssued")
    data = InvoiceIssued.model_validate(issued.data)
    assert issued.subject == invoice.id
    assert issued.causation_id == str(envelope.event_id)  # traceable to the termination
    assert (data.invoice_id, data.invoice_number, data.kind, data.contract_id, data.estimated) == (
        invoice.id,
        invoice.number,
        "final_settlement",
        "C-1",
        False,
    )
    assert (data.customer_number, data.total_incl_vat, data.due_date) == (
        "100200300",
        D("605.07"),
        invoice.due_date,
    )
    assert issued.data["total_incl_vat"] == "605.07"  # a string on the wire, never a float

    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
    assert contract is not None and contract.end_date == END
    settled = await account(service)
    assert (settled.settled_through, settled.final_due_on) == (END, None)


async def test_without_the_final_reading_the_invoice_waits_for_it(service: Harness, events, deliver) -> None:
    await known_contract(service, events, deliver)
    await deliver(
        service,
        events.reading("R-1", "1000", at(2026, 1, 1, 9)),
        events.reading("R-2", "500", at(2026, 1, 1, 9), register="electricity_offpeak"),
    )
    await service.deliver(events.termination("C-1", fee="0.00", excl_vat="0.00"), subject="C-1")
    assert await invoices(service) == []
    # Waiting: the wait ends ten days after the end date.
    assert (await account(service)).final_due_on == END + timedelta(days=10)

    # Metering sends one event per register: the normal index alone does not settle it.
    await service.deliver(events.reading("R-3", "1300", at(2026, 10, 31, 18), final=True), subject="M-1")
    assert await invoices(service) == []
    offpeak = events.reading("R-4", "600", at(2026, 10, 31, 18), register="electricity_offpeak", final=True)
    envelope = await service.deliver(offpeak, subject="M-1")

    [invoice] = await invoices(service)
    # 304 days x 0.20 = 60.80; normal 300 x 0.30 = 90.00; off-peak 100 x 0.25 = 25.00.
    # Base 175.80, VAT 36.918 -> 36.92, incl. 212.72. No fee line for a zero fee.
    assert lines_of(invoice) == [
        ("fixed_costs", D(304), D("0.20"), D("60.80")),
        ("consumption", D(300), D("0.30"), D("90.00")),
        ("consumption", D(100), D("0.25"), D("25.00")),
    ]
    assert (invoice.total_incl_vat, invoice.estimated) == (D("212.72"), False)
    [issued] = await service.outbox("InvoiceIssued")
    assert issued.causation_id == str(envelope.event_id)  # issued by the last final reading
    assert (await account(service)).final_due_on is None


async def test_after_the_wait_it_is_estimated_and_a_late_reading_corrects_it(
    service: Harness, events, deliver
) -> None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    await read_contract(
        service,
        events,
        deliver,
        "1500",
        at(2026, 8, 31, 9),
        expected_annual_consumption={"electricity_normal": "3650"},
    )
    await service.deliver(events.termination("C-1", fee="12.10", excl_vat="10.00"), subject="C-1")
    now = datetime(2026, 11, 10, 7, tzinfo=UTC)

    async def due_run(today: date) -> dict[str, int]:
        async with service.runtime.new_uow() as uow:
            summary = await settle_due_finals(uow, settings, today=today, now=now)
            await uow.commit()
        return summary

    assert await due_run(date(2026, 11, 9)) == {"due": 0, "issued": 0, "failed": 0}  # still waiting
    assert await due_run(date(2026, 11, 10)) == {"due": 1, "issued": 1, "failed": 0}
    assert await due_run(date(2026, 11, 10)) == {"due": 0, "issued": 0, "failed": 0}  # once
    [estimated] = await invoices(service)
    # The index on 31 October is estimated: 1500 + 3650 a year x 61/365 (the days after 31
    # August) = 1500 + 610 = 2110. Use 2110 - 1000 = 1110 x 0.30 = 333.00; fixed 60.80; fee
    # 10.00. Base 403.80, VAT 84.798 -> 84.80, incl. 488.60.
    assert lines_of(estimated) == [
        ("termination_fee", D(1), D("10.00"), D("10.00")),
        ("fixed_costs", D(304), D("0.20"), D("60.80")),
        ("consumption", D("1110.000"), D("0.30"), D("333.00")),
    ]
    assert "meter index 1000 to 2110, estimated" in estimated.lines[2].description
    assert (estimated.total_incl_vat, estimated.estimated) == (D("488.60"), True)
    assert [e.data["estimated"] for e in await service.outbox("InvoiceIssued")] == [True]

    # The real final reading comes late: 2000, not 2110.
    late = await service.deliver(
        events.reading("R-3", "2000", at(2026, 10, 31, 20), final=True), subject="M-1"
    )
    credit, original, new = await invoices(service)  # by number: C...-1, F...-1, F...-2
    year = this_year()
    assert (original.number, credit.number, new.number) == (
        f"F{year}-000001",
        f"C{year}-000001",
        f"F{year}-000002",
    )
    # The credit note reverses every line: -10.00, -60.80, -333.00; VAT -84.80; -488.60.
    assert (original.status, original.open_amount) == ("credited", D("0.00"))
    assert (credit.kind, credit.credits_invoice_id, credit.total_incl_vat) == (
        "credit_note",
        original.id,
        D("-488.60"),
    )
    assert lines_of(credit) == [
        ("correction", D(-1), D("10.00"), D("-10.00")),
        ("correction", D(-304), D("0.20"), D("-60.80")),
        ("correction", D("-1110.000"), D("0.30"), D("-333.00")),
    ]
    # Nothing was paid on it, so nothing is left open on either: the two cancel out.
    assert (credit.status, credit.open_amount) == ("paid", D("0.00"))
    # The same period again with the real index: 2000 - 1000 = 1000 x 0.30 = 300.00; with the
    # fee and fixed costs 370.80, VAT 77.868 -> 77.87, incl. 448.67.
    assert lines_of(new) == [
        ("termination_fee", D(1), D("10.00"), D("10.00")),
        ("fixed_costs", D(304), D("0.20"), D("60.80")),
        ("consumption", D(1000), D("0.30"), D("300.00")),
    ]
    assert (new.period_start, new.period_end, new.estimated, new.total_incl_vat) == (
        date(2026, 1, 1),
        END,
        False,
        D("448.67"),
    )
    issued = await service.outbox("InvoiceIssued")
    assert [(e.data["kind"], e.data["credits_invoice_id"]) for e in issued] == [
        ("final_settlement", None),
        ("credit_note", original.id),
        ("final_settlement", None),
    ]
    assert issued[1].causation_id == issued[2].causation_id == str(late.event_id)
    assert (await account(service)).settled_through == END


async def test_two_due_runs_at_once_issue_the_final_invoice_once(service: Harness, events, deliver) -> None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    await known_contract(service, events, deliver)
    await deliver(service, events.reading("R-1", "1000", at(2026, 1, 1, 9)))
    await service.deliver(events.termination("C-1"), subject="C-1")

    async def due_run() -> dict[str, int]:
        async with service.runtime.new_uow() as uow:
            summary = await settle_due_finals(uow, settings, today=date(2026, 12, 1), now=datetime.now(UTC))
            await uow.commit()
        return summary

    summaries = await asyncio.gather(due_run(), due_run())
    assert sorted(s["issued"] for s in summaries) == [0, 1]
    assert len(await invoices(service)) == 1


async def test_a_contract_never_read_is_settled_on_its_expected_consumption(
    service: Harness, events, deliver
) -> None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    await known_contract(service, events, deliver, expected_annual_consumption={"electricity_normal": "3650"})
    await service.deliver(events.termination("C-1", fee="0.00", excl_vat="0.00"), subject="C-1")
    async with service.runtime.new_uow() as uow:
        await settle_due_finals(uow, settings, today=date(2026, 11, 30), now=datetime.now(UTC))
        await uow.commit()
    [invoice] = await invoices(service)
    # 304 days: 3650 x 304/365 = 3040 kWh x 0.30 = 912.00; fixed 60.80.
    assert lines_of(invoice) == [
        ("fixed_costs", D(304), D("0.20"), D("60.80")),
        ("consumption", D("3040.000"), D("0.30"), D("912.00")),
    ]
    assert invoice.estimated


async def test_a_redelivered_termination_issues_one_invoice(service: Harness, events, deliver) -> None:
    await read_contract(service, events, deliver, "1100", at(2026, 10, 31, 9), final=True)
    termination = events.termination("C-1")
    envelope = await service.deliver(termination, subject="C-1")
    await service.redeliver(envelope, termination.topic())  # same event id: the inbox drops it
    await service.deliver(termination, subject="C-1")  # same termination, new event id
    assert len(await invoices(service)) == 1
    assert len(await service.outbox("InvoiceIssued")) == 1


async def test_a_second_final_termination_while_waiting_changes_nothing(
    service: Harness, events, deliver
) -> None:
    await known_contract(service, events, deliver)
    await service.deliver(events.termination("C-1", fee="12.10", excl_vat="10.00"), subject="C-1")
    await service.deliver(
        events.termination("C-1", fee="24.20", excl_vat="20.00", end_date=date(2026, 12, 31)), subject="C-1"
    )
    waiting = await account(service)
    assert (waiting.final_fee_excl_vat, waiting.final_due_on) == (D("10.00"), END + timedelta(days=10))
    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
    assert contract is not None and contract.end_date == END


async def test_a_provisional_fee_waits_for_the_final_announcement(service: Harness, events, deliver) -> None:
    await read_contract(service, events, deliver, "1100", at(2026, 11, 30, 9), final=True)
    # A switch notice: provisional fee from the intended end date, then the real end.
    provisional = events.termination(
        "C-1", fee="121.00", excl_vat="100.00", end_date=date(2026, 11, 30), final=False
    )
    await service.deliver(provisional, subject="C-1")
    assert await invoices(service) == []
    assert await service.outbox("InvoiceIssued") == []
    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
    assert contract is not None and contract.end_date == date(2026, 11, 30)

    final = events.termination("C-1", fee="60.50", excl_vat="50.00", end_date=date(2026, 11, 30))
    await service.deliver(final, subject="C-1")
    [invoice] = await invoices(service)
    fee_line = next(line for line in invoice.lines if line.kind == "termination_fee")
    assert fee_line.amount_excl_vat == D("50.00")  # the final fee, not the provisional 100.00


async def test_a_provisional_fee_after_the_final_invoice_changes_nothing(
    service: Harness, events, deliver
) -> None:
    await read_contract(service, events, deliver, "1100", at(2026, 10, 31, 9), final=True)
    await service.deliver(events.termination("C-1", end_date=END), subject="C-1")
    # Replayed out of order: the switch notice's intended end date, after the real end was settled.
    late = events.termination("C-1", fee="121.00", end_date=date(2026, 11, 30), final=False)
    await service.deliver(late, subject="C-1")
    assert len(await invoices(service)) == 1
    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
    assert contract is not None and contract.end_date == END


async def test_old_style_termination_is_split_at_the_configured_rate(
    service: Harness, events, deliver
) -> None:
    await read_contract(service, events, deliver, "1234.567", at(2026, 10, 31, 9))
    # An event from before the split: only the total, 76.69 incl. VAT. Billing's rate for fees
    # (21 %): 76.69 / 1.21 = 63.3801... -> 63.38, the amount contracts itself computed.
    await service.deliver(events.termination("C-1", fee="76.69", excl_vat=None, vat_rate=None), subject="C-1")

    [invoice] = await invoices(service)
    # fee 63.38 | fixed 304 x 0.20 = 60.80 | 234.567 kWh x 0.30 = 70.3701 -> 70.37; all 21 %
    assert lines_of(invoice) == [
        ("termination_fee", D(1), D("63.38"), D("63.38")),
        ("fixed_costs", D(304), D("0.20"), D("60.80")),
        ("consumption", D("234.567"), D("0.30"), D("70.37")),
    ]
    # base 194.55; VAT 194.55 x 0.21 = 40.8555 -> 40.86; incl. 235.41. Reconciles with the
    # announced fee: 76.69 + 131.17 + (131.17 x 0.21 = 27.5457 -> 27.55) = 235.41.
    assert [(v.rate, v.base, v.vat) for v in invoice.vat] == [(D("0.21"), D("194.55"), D("40.86"))]
    assert invoice.total_incl_vat == D("235.41")


async def test_a_withdrawn_contract_is_settled_without_a_fee(service: Harness, events, deliver) -> None:
    await known_contract(service, events, deliver)
    await deliver(service, events.reading("R-1", "1000", at(2026, 1, 1, 9)))
    withdrawn = events.withdrawal("C-1", last_supply_day=date(2026, 1, 10))
    await service.deliver(withdrawn, subject="C-1")
    assert (await account(service)).final_due_on == date(2026, 1, 20)
    await service.deliver(events.reading("R-2", "1050", at(2026, 1, 10, 9), final=True), subject="M-1")
    [invoice] = await invoices(service)
    # 10 days x 0.20 = 2.00; 50 kWh x 0.30 = 15.00; no fee.
    assert lines_of(invoice) == [
        ("fixed_costs", D(10), D("0.20"), D("2.00")),
        ("consumption", D(50), D("0.30"), D("15.00")),
    ]
    # A contract withdrawn before supply started is not settled at all.
    await deliver(service, events.contract("C-2", start_date=date(2026, 3, 1)))
    await service.deliver(events.withdrawal("C-2", last_supply_day=None), subject="C-2")
    assert len(await invoices(service)) == 1
    assert (await account(service, "C-2")).final_due_on is None


async def test_unknown_contract_still_gets_a_fee_only_invoice(service: Harness, events) -> None:
    termination = events.termination("C-404", customer="555", fee="89.95", excl_vat="74.34")
    await service.deliver(termination, subject="C-404")
    [invoice] = await invoices(service)
    # Only the fee: 74.34 before VAT; VAT 74.34 x 0.21 = 15.6114 -> 15.61; 89.95 in total.
    assert [(ln.kind, ln.amount_excl_vat) for ln in invoice.lines] == [("termination_fee", D("74.34"))]
    assert (invoice.customer_number, invoice.vat_total, invoice.total_incl_vat, invoice.period_start) == (
        "555",
        D("15.61"),
        D("89.95"),
        None,
    )
    [issued] = await service.outbox("InvoiceIssued")
    assert issued.data["customer_number"] == "555"


async def test_numbers_are_gapless_across_invoices(service: Harness, events) -> None:
    for n in range(1, 4):
        await service.deliver(events.termination(f"C-{n}"), subject=f"C-{n}")
    year = this_year()
    numbers = [row.number for row in await invoices(service)]
    assert numbers == [f"F{year}-000001", f"F{year}-000002", f"F{year}-000003"]
    issued = [e.data["invoice_number"] for e in await service.outbox("InvoiceIssued")]
    assert issued == numbers


async def test_concurrent_issuers_never_share_a_number(service: Harness, events) -> None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)

    async def issue(contract_id: str) -> str:
        async with service.runtime.new_uow() as uow:
            invoice = await issue_final_invoice(uow, settings, events.termination(contract_id), now=now)
            await uow.commit()
        assert invoice is not None
        return invoice.number

    numbers = await asyncio.gather(*(issue(f"C-{n}") for n in range(8)))
    assert sorted(numbers) == [f"F2026-{n:06d}" for n in range(1, 9)]


async def test_numbers_restart_each_year(service: Harness, events) -> None:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    numbers = []
    # 31 Dec 22:59 UTC is still 2026 in Amsterdam; 23:00 UTC is already 1 January 2027.
    for contract_id, moment in [
        ("C-1", datetime(2026, 12, 31, 22, 59, tzinfo=UTC)),
        ("C-2", datetime(2026, 12, 31, 23, 0, tzinfo=UTC)),
        ("C-3", datetime(2027, 1, 2, 9, tzinfo=UTC)),
    ]:
        async with service.runtime.new_uow() as uow:
            invoice = await issue_final_invoice(uow, settings, events.termination(contract_id), now=moment)
            await uow.commit()
        assert invoice is not None
        numbers.append(invoice.number)
    assert numbers == ["F2026-000001", "F2027-000001", "F2027-000002"]


async def test_unsettleable_readings_go_to_dead_letter_and_take_no_number(
    settings: BillingSettings, events, deliver
) -> None:
    app = create_app(settings)
    dead: list[KafkaMessage] = []

    @app.state.runtime.broker.subscriber(dead_letter_topic("billing"), group_id="dlt-reader")
    async def read_dead_letters(message: KafkaMessage) -> None:
        dead.append(message)

    async with service_under_test(app, Base.metadata) as service:
        await known_contract(service, events, deliver)
        await deliver(
            service,
            events.reading("R-1", "1000", datetime(2026, 2, 1, tzinfo=UTC)),
            events.reading("R-2", "900", at(2026, 10, 31, 9)),  # runs backwards
        )
        await service.deliver(events.termination("C-1"), subject="C-1")
        assert await invoices(service) == []
        assert await service.outbox() == []
        assert len(dead) == 1
        assert json.loads(dead[0].body)["data"]["contract_id"] == "C-1"
        assert "settlement-impossible" in dead[0].headers["dlt-error"]

        # The failed attempt rolled back its number: the next invoice is still number 1.
        await service.deliver(events.termination("C-2"), subject="C-2")
        [invoice] = await invoices(service)
        assert invoice.number == f"F{this_year()}-000001"


async def test_issued_invoices_never_change(service: Harness, events) -> None:
    await service.deliver(events.termination("C-1"), subject="C-1")
    async with service.runtime.sessions() as session:
        row = await session.scalar(select(InvoiceRow))
        assert row is not None
        row.total_incl_vat = D("0.01")
        failed: Any = None
        try:
            await session.commit()
        except Exception as exc:  # the ORM hook refuses before anything is written
            failed = exc
            await session.rollback()
    assert failed is not None and "never change" in str(failed)
    [invoice] = await invoices(service)
    assert invoice.total_incl_vat == D("76.69")  # the default fee, 63.38 + 13.31
