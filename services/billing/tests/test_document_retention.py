"""The retention purge: invoices older than the retention (7 years by default) and not open go,
with every row that refers to them; younger and open ones stay; a second run removes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, update

from billing.__main__ import main
from billing.db.tables import (
    AllocationRow,
    CardCheckoutRow,
    DirectDebitCollection,
    DirectDebitItem,
    DunningStepRow,
    InvoiceLineRow,
    InvoiceRow,
    InvoiceVatRow,
)
from billing.domain.invoice import InvoiceKind, InvoiceLine
from billing.domain.retention import cutoff
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from billing.use_cases.retention import purge_documents
from portal_chassis.testing import Harness

ME = "100200300"
TODAY = date(2033, 11, 24)  # 7 years: invoices issued before 2026-11-24 may go
FEE = [InvoiceLine("termination_fee", "Termination fee", Decimal(1), None, Decimal("10.00"), Decimal("0.21"))]
CREDIT = [InvoiceLine("correction", "Termination fee", Decimal(-1), None, Decimal("10.00"), Decimal("0.21"))]


def test_the_cutoff_counts_back_whole_years() -> None:
    assert cutoff(date(2033, 11, 24), 7) == date(2026, 11, 24)
    assert cutoff(date(2032, 2, 29), 7) == date(2025, 2, 28)  # no 29 February in 2025
    assert cutoff(date(2032, 2, 29), 8) == date(2024, 2, 29)
    with pytest.raises(ValueError, match="at least 5 years"):
        cutoff(date(2033, 11, 24), 4)


def test_a_cutoff_before_year_one_is_the_first_day_there_is() -> None:
    assert cutoff(date(1, 1, 1), 7) == date.min
    assert cutoff(date(7, 12, 31), 7) == date.min
    assert cutoff(date(8, 2, 29), 7) == date(1, 2, 28)
    assert cutoff(date(9999, 12, 31), 7) == date(9992, 12, 31)


def test_a_retention_under_five_years_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="document_retention_years"):
        BillingSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/b.sqlite3", document_retention_years=4)
    assert BillingSettings(database_url="sqlite+aiosqlite://", document_retention_years=5)


async def issue(
    service: Harness,
    day: date,
    *,
    status: str = "paid",
    kind: InvoiceKind = "final_settlement",
    credits: str | None = None,
) -> str:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        invoice = await issue_invoice(
            uow,
            settings,
            kind=kind,
            customer_number=ME,
            contract_id=None,
            lines=CREDIT if kind == "credit_note" else FEE,
            credits_invoice_id=credits,
            now=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
        )
        await uow.session.flush()  # the sessions do not autoflush
        if status != "open":
            await uow.session.execute(
                update(InvoiceRow)
                .where(InvoiceRow.id == invoice.id)
                .values(status=status, open_amount=Decimal("0.00"))
            )
        await uow.commit()
    return invoice.id


async def refer_to(service: Harness, invoice_id: str, *, n: int) -> None:
    """An allocation, a dunning step, a card checkout and a debit item of the invoice."""
    at = datetime(2026, 12, 1, tzinfo=UTC)
    async with service.runtime.new_uow() as uow:
        uow.session.add_all(
            [
                AllocationRow(invoice_id=invoice_id, amount=Decimal("12.10"), allocated_at=at),
                DunningStepRow(invoice_id=invoice_id, step=1, sent_on=at.date()),
                CardCheckoutRow(
                    id=f"CO-{n}",
                    customer_number=ME,
                    invoice_id=invoice_id,
                    amount=Decimal("12.10"),
                    provider_reference=f"P-{n}",
                    status="paid",
                    created_at=at,
                ),
            ]
        )
        await uow.session.flush()
        uow.session.add(
            DirectDebitCollection(
                id=f"DD-{n}",
                message_id=f"MSG-{n}",
                collection_date=at.date(),
                created_at=at,
                file_name=f"dd-{n}.xml",
                content=b"<xml/>",
                total=Decimal("12.10"),
                count=1,
            )
        )
        await uow.session.flush()
        uow.session.add(
            DirectDebitItem(
                end_to_end_id=f"E2E-{n}",
                collection_id=f"DD-{n}",
                invoice_id=invoice_id,
                customer_number=ME,
                amount=Decimal("12.10"),
                status="collected",
                mandate_reference="M-1",
                sequence_type="FRST",
            )
        )
        await uow.commit()


async def remaining(service: Harness) -> dict[str, Any]:
    async with service.runtime.sessions() as session:

        async def count(table: Any) -> int:
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)

        return {
            "invoices": set(await session.scalars(select(InvoiceRow.id))),
            "lines": await count(InvoiceLineRow),
            "vat": await count(InvoiceVatRow),
            "allocations": await count(AllocationRow),
            "dunning": await count(DunningStepRow),
            "checkouts": await count(CardCheckoutRow),
            "debit_items": await count(DirectDebitItem),
        }


async def purge(service: Harness, today: date = TODAY) -> dict[str, Any]:
    settings: BillingSettings = service.runtime.settings  # type: ignore[assignment]
    async with service.runtime.new_uow() as uow:
        return await purge_documents(uow, settings, today=today)


async def test_old_settled_invoices_go_young_and_open_ones_stay_and_twice_changes_nothing(
    service: Harness,
) -> None:
    old_paid = await issue(service, date(2026, 11, 23))  # the day before the cutoff
    on_cutoff = await issue(service, date(2026, 11, 24))  # exactly 7 years old: kept
    old_open = await issue(service, date(2020, 1, 1), status="open")  # still to be paid
    # A pair issued long ago: both go. An old invoice credited by a young credit note: kept,
    # the credit note still refers to it.
    old_original = await issue(service, date(2024, 3, 1), status="credited")
    old_credit_note = await issue(service, date(2024, 4, 1), kind="credit_note", credits=old_original)
    referred_original = await issue(service, date(2025, 5, 1), status="credited")
    young_credit_note = await issue(service, date(2027, 1, 10), kind="credit_note", credits=referred_original)
    await refer_to(service, old_paid, n=1)
    await refer_to(service, on_cutoff, n=2)
    before = await remaining(service)
    assert before["lines"] == before["vat"] == 7

    summary = await purge(service)
    assert summary["issued_before"] == "2026-11-24"
    assert summary["invoices_purged"] == 3
    assert summary["kept_still_referred_to"] == 1
    rows = summary["rows_deleted"]
    assert (rows["invoices"], rows["invoice_lines"], rows["invoice_vat"]) == (3, 3, 3)
    assert (rows["payment_allocations"], rows["dunning_steps"]) == (1, 1)
    assert (rows["card_checkouts"], rows["direct_debit_items"]) == (1, 1)
    after = await remaining(service)
    assert after["invoices"] == {on_cutoff, old_open, referred_original, young_credit_note}
    assert after["invoices"].isdisjoint({old_paid, old_original, old_credit_note})
    assert (after["lines"], after["vat"]) == (4, 4)
    # What referred to the kept invoice is untouched.
    assert (after["allocations"], after["dunning"], after["checkouts"], after["debit_items"]) == (1, 1, 1, 1)

    again = await purge(service)
    assert again["invoices_purged"] == 0
    assert set(again["rows_deleted"].values()) == {0}
    assert await remaining(service) == after
    assert await service.outbox("InvoiceIssued") != []  # the purge announces nothing itself
    assert len(await service.outbox()) == 7


async def test_a_credit_note_whose_credit_settled_a_young_invoice_is_kept(service: Harness) -> None:
    original = await issue(service, date(2024, 3, 1), status="credited")
    credit_note = await issue(service, date(2024, 4, 1), kind="credit_note", credits=original)
    young = await issue(service, date(2027, 2, 1))
    async with service.runtime.new_uow() as uow:
        uow.session.add(
            AllocationRow(
                invoice_id=young,
                credit_note_id=credit_note,
                amount=Decimal("12.10"),
                allocated_at=datetime(2027, 2, 2, tzinfo=UTC),
            )
        )
        await uow.commit()
    summary = await purge(service)
    # The credit note stays for the young invoice's allocation, the original for the credit note.
    assert (summary["invoices_purged"], summary["kept_still_referred_to"]) == (0, 2)
    assert (await remaining(service))["invoices"] == {original, credit_note, young}


def test_the_command_prints_a_json_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BILLING_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/billing.sqlite3")
    assert main(["migrate"]) == 0
    capsys.readouterr()
    assert main(["purge-documents", "--today", "2033-11-24"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["today"], summary["issued_before"], summary["invoices_purged"]) == (
        "2033-11-24",
        "2026-11-24",
        0,
    )

    # The first and the last day there is: nothing to remove, and no crash on the way.
    for today, before in (("0001-01-01", "0001-01-01"), ("9999-12-31", "9992-12-31")):
        assert main(["purge-documents", "--today", today]) == 0
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert (summary["issued_before"], summary["invoices_purged"]) == (before, 0)
