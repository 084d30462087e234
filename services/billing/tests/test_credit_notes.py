"""credit_invoice: a credit note reverses an invoice to the cent; what was paid becomes credit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from billing.db.tables import InvoiceRow
from billing.domain.invoice import InvoiceLine
from billing.settings import BillingSettings
from billing.use_cases.credit_notes import credit_invoice
from billing.use_cases.issuing import issue_invoice
from billing.use_cases.payments import book_payment
from portal_chassis.problems import ProblemError
from portal_chassis.testing import Harness

D = Decimal
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def settings_of(service: Harness) -> BillingSettings:
    return service.runtime.settings  # type: ignore[return-value]


async def issue(service: Harness) -> str:
    """A settlement whose lines round up at half a cent (the hard case for a reversal)."""
    lines = [
        # 0.5 x 0.25 = 0.125 -> 0.13; 3 x 0.333335 = 1.000005 -> 1.00; 10 x 0.015 = 0.15
        InvoiceLine(
            "consumption", "Electricity", D("0.5"), "kWh", D("0.25"), D("0.21"), "M-1", "electricity_normal"
        ),
        InvoiceLine("fixed_costs", "Fixed delivery costs", D(3), "day", D("0.333335"), D("0.21")),
        InvoiceLine("termination_fee", "Termination fee", D(1), None, D("0.15"), D("0.09")),
    ]
    async with service.runtime.new_uow() as uow:
        invoice = await issue_invoice(
            uow, settings_of(service), kind="final_settlement", customer_number="100200300",
            contract_id="C-1", lines=lines, now=NOW,
        )  # fmt: skip
        await uow.commit()
    return invoice.id


async def credit(service: Harness, invoice_id: str) -> str:
    async with service.runtime.new_uow() as uow:
        note = await credit_invoice(uow, settings_of(service), invoice_id, NOW)
        await uow.commit()
    return note.id


async def load(service: Harness, invoice_id: str) -> InvoiceRow:
    async with service.runtime.sessions() as session:
        row = await session.scalar(
            select(InvoiceRow)
            .where(InvoiceRow.id == invoice_id)
            .options(selectinload(InvoiceRow.lines), selectinload(InvoiceRow.vat))
        )
    assert row is not None
    return row


async def test_a_credit_note_reverses_every_line_to_the_cent(service: Harness) -> None:
    original_id = await issue(service)
    note = await load(service, await credit(service, original_id))
    original = await load(service, original_id)
    # The original: 0.13 + 1.00 at 21 % = 1.13, VAT 0.2373 -> 0.24; 0.15 at 9 %, VAT 0.0135
    # -> 0.01. Total 1.28 + 0.25 = 1.53. The reversal: -0.125 -> -0.13 (half-up rounds away
    # from zero), -1.00, -0.15; VAT -0.2373 -> -0.24 and -0.0135 -> -0.01; -1.53.
    assert original.total_incl_vat == D("1.53")
    assert [(ln.kind, ln.quantity, ln.unit_price, ln.amount_excl_vat) for ln in note.lines] == [
        ("correction", D("-0.5"), D("0.25"), D("-0.13")),
        ("correction", D(-3), D("0.333335"), D("-1.00")),
        ("correction", D(-1), D("0.15"), D("-0.15")),
    ]
    assert [(v.rate, v.base, v.vat) for v in note.vat] == [
        (D("0.09"), D("-0.15"), D("-0.01")),
        (D("0.21"), D("-1.13"), D("-0.24")),
    ]
    assert note.lines[0].description == f"Correction of {original.number}: Electricity"
    assert (note.lines[0].meter_id, note.lines[0].register_type) == ("M-1", "electricity_normal")
    assert (note.kind, note.credits_invoice_id, note.number[0], note.total_incl_vat) == (
        "credit_note",
        original_id,
        "C",
        D("-1.53"),
    )
    # Nothing was paid: the original is closed by the credit note and neither stays open.
    assert (original.status, original.open_amount) == ("credited", D("0.00"))
    assert (note.status, note.open_amount) == ("paid", D("0.00"))
    [_, issued] = await service.outbox("InvoiceIssued")
    assert (issued.data["kind"], issued.data["credits_invoice_id"], issued.data["total_incl_vat"]) == (
        "credit_note",
        original_id,
        "-1.53",
    )


async def test_what_was_paid_on_the_credited_invoice_becomes_credit(service: Harness) -> None:
    original_id = await issue(service)
    async with service.runtime.new_uow() as uow:
        await book_payment(
            uow, settings_of(service), customer_number="100200300", channel="transfer",
            amount=D("1.00"), reference="BANK-1", received_at=NOW,
        )  # fmt: skip
        await uow.commit()
    assert (await load(service, original_id)).open_amount == D("0.53")
    async with service.runtime.new_uow() as uow:
        advance = await issue_invoice(
            uow, settings_of(service), kind="advance", customer_number="100200300", contract_id="C-1",
            lines=[InvoiceLine("advance", "Advance", D(1), None, D("0.60"), D(0))], now=NOW,
        )  # fmt: skip
        await uow.commit()
    note = await load(service, await credit(service, original_id))
    # 1.00 of the 1.53 was paid: that is the customer's credit now. It settles the open advance
    # of 0.60 at once; 1.00 - 0.60 = 0.40 stays open on the credit note in their favour.
    assert (await load(service, advance.id)).status == "paid"
    assert (note.status, note.open_amount) == ("open", D("-0.40"))
    assert (await load(service, original_id)).open_amount == D("0.00")


async def test_an_invoice_is_credited_once_and_a_credit_note_never(service: Harness) -> None:
    original_id = await issue(service)
    note_id = await credit(service, original_id)
    for invoice_id, status, slug in [
        (original_id, 409, "invoice-already-credited"),
        (note_id, 409, "invoice-is-credit-note"),
        ("no-such-invoice", 404, "invoice-not-found"),
    ]:
        with pytest.raises(ProblemError) as refused:
            await credit(service, invoice_id)
        assert (refused.value.status, refused.value.slug) == (status, slug)
    assert len(await service.outbox("InvoiceIssued")) == 2  # the refusals issued nothing
