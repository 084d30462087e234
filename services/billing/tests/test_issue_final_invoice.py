"""ContractTerminated -> one final invoice with its number, lines and InvoiceIssued."""

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
from billing.db.tables import Base, ContractView, InvoiceRow
from billing.settings import BillingSettings
from billing.use_cases.issue_final_invoice import issue_final_invoice
from portal_chassis.testing import Harness, service_under_test
from portal_schemas.billing import InvoiceIssued
from portal_schemas.topics import dead_letter_topic

CET = timezone(timedelta(hours=1))
D = Decimal


def this_year() -> int:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).year


async def invoices(service: Harness) -> list[InvoiceRow]:
    async with service.runtime.sessions() as session:
        rows = await session.scalars(
            select(InvoiceRow)
            .options(selectinload(InvoiceRow.lines), selectinload(InvoiceRow.vat))
            .order_by(InvoiceRow.number)
        )
        return list(rows)


async def test_final_invoice_settles_readings_and_fee(service: Harness, events, deliver) -> None:
    at = lambda *a: datetime(*a, tzinfo=CET)  # noqa: E731 - winter time, UTC+1
    await deliver(
        service,
        events.contract("C-1", start_date=date(2026, 1, 1)),
        events.reading("R-0", "900", at(2025, 12, 20, 9), register="electricity_normal"),
        events.reading("R-1", "1000", at(2026, 1, 1, 9), register="electricity_normal"),
        events.reading("R-2", "1500.5", datetime(2026, 6, 1, 9, tzinfo=UTC)),
        events.reading("R-3", "2234.567", at(2026, 10, 31, 23, 30)),  # last minutes of the end date
        events.reading("R-4", "2240", at(2026, 11, 1, 0, 30)),  # after the end date
        events.reading("R-5", "500", at(2026, 1, 1, 9), register="electricity_offpeak"),
        events.reading("R-6", "812.345", at(2026, 10, 31, 9), register="electricity_offpeak"),
        events.reading("R-7", "100", at(2026, 1, 1, 9), register="feed_in_normal"),
        events.reading("R-8", "350.25", at(2026, 10, 31, 9), register="feed_in_normal"),
        events.reading("R-9", "5", at(2026, 1, 1, 9), contract_id="C-2", meter_id="M-2"),
        events.reading("R-10", "5000", at(2026, 10, 31, 9), contract_id="C-2", meter_id="M-2"),
    )
    # The fee as contracts announces it: 76.69 incl. VAT = 63.38 before VAT + 21 % (13.31).
    envelope = await service.deliver(
        events.termination("C-1", fee="76.69", excl_vat="63.38", vat_rate="0.21"), subject="C-1"
    )

    [invoice] = await invoices(service)
    # Lines (prices excl. VAT, 0.30 per kWh, all at 21 %):
    #   termination fee                        1 x 63.38              =  63.38
    #   normal   2234.567 - 1000 = 1234.567 kWh x 0.30 = 370.3701    -> 370.37
    #   off-peak  812.345 -  500 =  312.345 kWh x 0.30 =  93.7035    ->  93.70
    #   feed-in   350.25  -  100 =  250.25  kWh x 0.30 = -75.075     -> -75.08
    # R-0 is before the start, R-4 after the end date, R-9/R-10 belong to another contract.
    assert [
        (ln.position, ln.kind, ln.quantity, ln.unit_price, ln.vat_rate, ln.amount_excl_vat)
        for ln in invoice.lines
    ] == [
        (1, "termination_fee", D(1), D("63.38"), D("0.21"), D("63.38")),
        (2, "consumption", D("1234.567"), D("0.30"), D("0.21"), D("370.37")),
        (3, "consumption", D("312.345"), D("0.30"), D("0.21"), D("93.70")),
        (4, "feed_in", D("-250.25"), D("0.30"), D("0.21"), D("-75.08")),
    ]
    # One rate, so one VAT: base 63.38 + 370.37 + 93.70 - 75.08 = 452.37;
    # 452.37 x 0.21 = 94.9977 -> 95.00
    assert [(v.rate, v.base, v.vat) for v in invoice.vat] == [(D("0.21"), D("452.37"), D("95.00"))]
    # excl. 452.37; incl. 452.37 + 95.00 = 547.37. Against what the customer was told: the fee
    # 76.69 plus energy 388.99 + its VAT 388.99 x 0.21 = 81.6879 -> 81.69, i.e. 76.69 + 470.68
    # = 547.37, the same to the cent.
    assert (invoice.total_excl_vat, invoice.vat_total, invoice.total_incl_vat) == (
        D("452.37"),
        D("95.00"),
        D("547.37"),
    )
    assert invoice.number == f"F{this_year()}-000001"
    assert (invoice.kind, invoice.status, invoice.customer_number, invoice.contract_id) == (
        "final_settlement",
        "open",
        "100200300",
        "C-1",
    )
    assert (invoice.period_start, invoice.period_end) == (date(2026, 1, 1), date(2026, 10, 31))
    assert invoice.due_date == invoice.issue_date + timedelta(days=14)

    [issued] = await service.outbox("InvoiceIssued")
    data = InvoiceIssued.model_validate(issued.data)
    assert issued.subject == invoice.id
    assert issued.causation_id == str(envelope.event_id)  # traceable to the termination
    assert (data.invoice_id, data.invoice_number, data.kind, data.contract_id) == (
        invoice.id,
        invoice.number,
        "final_settlement",
        "C-1",
    )
    assert (data.customer_number, data.total_incl_vat, data.due_date) == (
        "100200300",
        D("547.37"),
        invoice.due_date,
    )
    assert issued.data["total_incl_vat"] == "547.37"  # a string on the wire, never a float

    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
    assert contract is not None and contract.end_date == date(2026, 10, 31)


async def test_a_redelivered_termination_issues_one_invoice(service: Harness, events) -> None:
    termination = events.termination("C-1")
    envelope = await service.deliver(termination, subject="C-1")
    await service.redeliver(envelope, termination.topic())  # same event id: the inbox drops it
    await service.deliver(termination, subject="C-1")  # same termination, new event id
    assert len(await invoices(service)) == 1
    assert len(await service.outbox("InvoiceIssued")) == 1


async def test_a_provisional_fee_waits_for_the_final_announcement(service: Harness, events, deliver) -> None:
    await deliver(service, events.contract("C-1", start_date=date(2026, 1, 1)))
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
    await deliver(service, events.contract("C-1", start_date=date(2026, 1, 1)))
    await service.deliver(events.termination("C-1", end_date=date(2026, 10, 31)), subject="C-1")
    # Replayed out of order: the switch notice's intended end date, after the real end was settled.
    late = events.termination("C-1", fee="121.00", end_date=date(2026, 11, 30), final=False)
    await service.deliver(late, subject="C-1")
    assert len(await invoices(service)) == 1
    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
    assert contract is not None and contract.end_date == date(2026, 10, 31)


async def test_old_style_termination_is_split_at_the_configured_rate(
    service: Harness, events, deliver
) -> None:
    # An event from before the split: only the total, 76.69 incl. VAT. Billing's rate for fees
    # (21 %): 76.69 / 1.21 = 63.3801... -> 63.38, the amount contracts itself computed.
    await deliver(
        service,
        events.contract("C-1"),
        events.reading("R-1", "1000", datetime(2026, 1, 5, tzinfo=UTC)),
        events.reading("R-2", "1234.567", datetime(2026, 10, 1, tzinfo=UTC)),
    )
    await service.deliver(events.termination("C-1", fee="76.69", excl_vat=None, vat_rate=None), subject="C-1")

    [invoice] = await invoices(service)
    # fee 63.38 | electricity 1234.567 - 1000 = 234.567 kWh x 0.30 = 70.3701 -> 70.37; both 21 %
    assert [(ln.kind, ln.unit_price, ln.vat_rate, ln.amount_excl_vat) for ln in invoice.lines] == [
        ("termination_fee", D("63.38"), D("0.21"), D("63.38")),
        ("consumption", D("0.30"), D("0.21"), D("70.37")),
    ]
    # base 63.38 + 70.37 = 133.75; VAT 133.75 x 0.21 = 28.0875 -> 28.09; incl. 161.84.
    # Reconciles with the announced fee: 76.69 + 70.37 + (70.37 x 0.21 = 14.7777 -> 14.78)
    # = 161.84.
    assert [(v.rate, v.base, v.vat) for v in invoice.vat] == [(D("0.21"), D("133.75"), D("28.09"))]
    assert (invoice.total_excl_vat, invoice.vat_total, invoice.total_incl_vat) == (
        D("133.75"),
        D("28.09"),
        D("161.84"),
    )


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
    for contract_id, at in [
        ("C-1", datetime(2026, 12, 31, 22, 59, tzinfo=UTC)),
        ("C-2", datetime(2026, 12, 31, 23, 0, tzinfo=UTC)),
        ("C-3", datetime(2027, 1, 2, 9, tzinfo=UTC)),
    ]:
        async with service.runtime.new_uow() as uow:
            invoice = await issue_final_invoice(uow, settings, events.termination(contract_id), now=at)
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
        await deliver(
            service,
            events.reading("R-1", "1000", datetime(2026, 2, 1, tzinfo=UTC)),
            events.reading("R-2", "900", datetime(2026, 3, 1, tzinfo=UTC)),  # runs backwards
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
