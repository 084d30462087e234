"""The monthly advance run (use_cases/advance_run.py) on SQLite: who is invoiced, what the
invoice says, exactly once per contract and month, gapless numbers, credit set against it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from billing.__main__ import main
from billing.db.repositories import AdvanceRunBatches
from billing.db.tables import (
    AdvancePlanRow,
    BillingAccount,
    InvoiceLineRow,
    InvoiceRow,
    InvoiceSequence,
    InvoiceVatRow,
)
from billing.settings import BillingSettings
from billing.use_cases.advance_run import advance_run
from billing.use_cases.payments import book_payment
from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractAmended, ContractOptions, ContractWithdrawn

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 on 25 November in Amsterdam
DECEMBER = date(2026, 12, 1)


async def contract(
    service: Harness,
    events: Any,
    contract_id: str,
    *,
    customer: str | None = None,
    start: date = date(2026, 1, 1),
    end: date | None = None,
    advance: str | None = "70.00",
    mode: str = "monthly_advance",
    next_mode: tuple[str, date] | None = None,
) -> None:
    """A contract as the read models hold it, with its plan and billing account as given."""
    customer = customer or f"9{contract_id[2:].zfill(8)}"
    await service.deliver(
        events.contract(contract_id, customer=customer, start_date=start), subject=contract_id
    )
    async with service.runtime.sessions() as session, session.begin():
        if end is not None:
            table = InvoiceRow.metadata.tables["contract_view"]
            await session.execute(
                update(table).where(table.c.contract_id == contract_id).values(end_date=end)
            )
        if advance is not None:
            session.add(
                AdvancePlanRow(
                    contract_id=contract_id,
                    effective_from=start,
                    amount=Decimal(advance),
                    set_by="billing",
                    set_at=NOW,
                )
            )
        await session.execute(
            update(BillingAccount)
            .where(BillingAccount.contract_id == contract_id)
            .values(
                mode=mode,
                next_mode=next_mode[0] if next_mode else None,
                next_mode_from=next_mode[1] if next_mode else None,
            )
        )


async def advances(service: Harness) -> list[InvoiceRow]:
    async with service.runtime.sessions() as session:
        rows = await session.scalars(
            select(InvoiceRow).where(InvoiceRow.kind == "advance").order_by(InvoiceRow.number)
        )
        return list(rows)


async def run(
    service: Harness, settings: BillingSettings, month: date = DECEMBER, now: datetime = NOW
) -> Any:
    return await advance_run(service.runtime.new_uow, settings, month=month, now=now)


async def test_who_is_invoiced_for_a_month(service: Harness, events: Any, settings: BillingSettings) -> None:
    await contract(service, events, "C-01")  # supplying all month
    await contract(service, events, "C-02", start=date(2026, 12, 15))  # starts in the month
    await contract(service, events, "C-03", end=date(2026, 12, 10))  # ends in the month
    await contract(service, events, "C-04", end=date(2026, 11, 30))  # ended before
    await contract(service, events, "C-05", start=date(2027, 1, 1))  # starts after
    await contract(service, events, "C-06", mode="quarterly")
    await contract(service, events, "C-07", next_mode=("on_reading", date(2026, 12, 1)))  # due by then
    await contract(service, events, "C-08", mode="quarterly", next_mode=("monthly_advance", DECEMBER))
    await contract(service, events, "C-09", advance="0.00")  # operations stopped the advance
    await contract(service, events, "C-10", advance=None)  # no plan
    await contract(service, events, "C-11", start=date(2026, 12, 1))
    await service.deliver(
        ContractWithdrawn(contract_id="C-11", customer_number="900000011", withdrawn_on=date(2026, 11, 20)),
        subject="C-11",
    )

    summary = await run(service, settings)

    rows = await advances(service)
    assert [(r.contract_id, r.period_start, r.period_end) for r in rows] == [
        ("C-01", date(2026, 12, 1), date(2026, 12, 31)),
        ("C-02", date(2026, 12, 15), date(2026, 12, 31)),
        ("C-03", date(2026, 12, 1), date(2026, 12, 10)),
        ("C-08", date(2026, 12, 1), date(2026, 12, 31)),
    ]
    assert [r.number for r in rows] == ["A2026-000001", "A2026-000002", "A2026-000003", "A2026-000004"]
    assert (summary.issued, summary.total, summary.modes_applied) == (4, Decimal("280.00"), 2)
    async with service.runtime.sessions() as session:
        modes = dict((await session.execute(select(BillingAccount.contract_id, BillingAccount.mode))).all())
    assert (modes["C-07"], modes["C-08"]) == ("on_reading", "monthly_advance")


async def test_an_advance_invoice_as_stored_and_announced(
    service: Harness, events: Any, settings: BillingSettings
) -> None:
    await contract(service, events, "C-01", customer="100200300")
    async with service.runtime.sessions() as session, session.begin():  # 85.00 from December
        session.add(
            AdvancePlanRow(
                contract_id="C-01",
                effective_from=DECEMBER,
                amount=Decimal("85.00"),
                set_by="customer",
                set_at=NOW,
            )
        )
    await service.deliver(
        ContractAmended(
            contract_id="C-01",
            customer_number="100200300",
            commodity="electricity",
            change="options",
            effective_from=date(2026, 6, 1),
            product_code="FIXED-3Y",
            options=ContractOptions(e_invoice=True),
        ),
        subject="C-01",
    )

    await run(service, settings)

    [invoice] = await advances(service)
    assert (invoice.number, invoice.kind, invoice.status, invoice.customer_number) == (
        "A2026-000001",
        "advance",
        "open",
        "100200300",
    )
    assert (invoice.issued_at, invoice.issue_date, invoice.due_date) == (
        NOW,
        date(2026, 11, 25),
        date(2026, 12, 9),
    )
    # one line 1 x 85.00 at 0 % VAT: 85.00 + 0.00 = 85.00, all of it open
    assert (invoice.total_excl_vat, invoice.vat_total, invoice.total_incl_vat, invoice.open_amount) == (
        Decimal("85.00"),
        Decimal("0.00"),
        Decimal("85.00"),
        Decimal("85.00"),
    )
    assert (invoice.currency, invoice.estimated, invoice.e_invoice, invoice.credits_invoice_id) == (
        "EUR",
        False,
        True,
        None,
    )
    async with service.runtime.sessions() as session:
        lines = (await session.scalars(select(InvoiceLineRow))).all()
        vat = (await session.scalars(select(InvoiceVatRow))).all()
    assert [
        (
            ln.position,
            ln.kind,
            ln.description,
            ln.quantity,
            ln.unit,
            ln.unit_price,
            ln.vat_rate,
            ln.amount_excl_vat,
        )
        for ln in lines
    ] == [
        (
            1,
            "advance",
            "Monthly advance December 2026",
            Decimal(1),
            None,
            Decimal("85.00"),
            Decimal(0),
            Decimal("85.00"),
        )
    ]
    assert [(v.rate, v.base, v.vat) for v in vat] == [(Decimal(0), Decimal("85.00"), Decimal("0.00"))]
    [issued] = await service.outbox("InvoiceIssued")
    assert issued.subject == invoice.id
    assert issued.data == {
        "invoice_id": invoice.id,
        "invoice_number": "A2026-000001",
        "customer_number": "100200300",
        "contract_id": "C-01",
        "kind": "advance",
        "issued_at": "2026-11-25T06:00:00Z",
        "due_date": "2026-12-09",
        "total_incl_vat": "85.00",
        "currency": "EUR",
        "credits_invoice_id": None,
        "estimated": False,
    }


async def test_a_second_run_issues_nothing_and_numbers_stay_gapless(
    service: Harness, events: Any, settings: BillingSettings
) -> None:
    for i in range(1, 8):
        await contract(service, events, f"C-{i:02d}")
    settings.advance_run_batch_size = 3  # three batches: 3 + 3 + 1

    first = await run(service, settings)
    second = await run(service, settings)
    january = await run(service, settings, month=date(2027, 1, 1), now=datetime(2026, 12, 24, 9, tzinfo=UTC))

    assert (first.issued, first.batches) == (7, 3)
    assert (second.issued, second.total) == (0, Decimal("0.00"))
    assert january.issued == 7
    rows = await advances(service)
    assert [r.number for r in rows] == [f"A2026-{n:06d}" for n in range(1, 15)]
    assert len({(r.contract_id, r.period_start) for r in rows}) == 14
    assert len(await service.outbox("InvoiceIssued")) == 14
    async with service.runtime.sessions() as session:
        sequence = await session.get(InvoiceSequence, ("A", 2026))
    assert sequence is not None and sequence.last_number == 14


async def test_a_run_stopped_half_way_is_completed_by_the_next(
    service: Harness, events: Any, settings: BillingSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(1, 6):
        await contract(service, events, f"C-{i:02d}")
    settings.advance_run_batch_size = 2
    insert = AdvanceRunBatches.insert
    calls = 0

    async def dies_in_the_second_batch(self: AdvanceRunBatches, invoices: Any) -> Decimal:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("killed")
        return await insert(self, invoices)

    monkeypatch.setattr(AdvanceRunBatches, "insert", dies_in_the_second_batch)
    with pytest.raises(RuntimeError):
        await run(service, settings)
    assert [r.contract_id for r in await advances(service)] == ["C-01", "C-02"]  # the first batch stays
    assert len(await service.outbox("InvoiceIssued")) == 2  # and only its events

    monkeypatch.setattr(AdvanceRunBatches, "insert", insert)
    summary = await run(service, settings)

    assert summary.issued == 3
    rows = await advances(service)
    assert [(r.contract_id, r.number) for r in rows] == [
        (f"C-{i:02d}", f"A2026-{i:06d}") for i in range(1, 6)
    ]
    assert len(await service.outbox("InvoiceIssued")) == 5


async def test_credit_is_set_against_the_new_advance(
    service: Harness, events: Any, settings: BillingSettings
) -> None:
    await contract(service, events, "C-01", customer="100200300")
    await contract(service, events, "C-02", customer="100200301")
    async with service.runtime.new_uow() as uow:  # 100.00 paid before anything was invoiced
        await book_payment(
            uow,
            settings,
            customer_number="100200300",
            channel="transfer",
            amount=Decimal("100.00"),
            reference="BANK-1",
            received_at=NOW,
        )
        await uow.commit()

    summary = await run(service, settings)

    assert summary.credit_applied == 1
    mine, theirs = await advances(service)
    # 70.00 of the 100.00 settles the advance; 30.00 stays as credit
    assert (mine.status, mine.open_amount) == ("paid", Decimal("0.00"))
    assert (theirs.status, theirs.open_amount) == ("open", Decimal("70.00"))
    [paid] = await service.outbox("InvoicePaid")
    assert paid.data["invoice_id"] == mine.id


def test_the_month_must_be_yyyy_mm(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("2026-13", "2026-1", "2026-12-01", "december"):
        with pytest.raises(SystemExit) as exit_:
            main(["advance-run", "--month", bad])
        assert exit_.value.code == 2
        assert "YYYY-MM" in capsys.readouterr().err
