"""Crediting an issued invoice: a credit note that reverses it line by line.

An issued invoice never changes; to correct one, a credit note (series C) repeats each of its
lines with the quantity negated (line kind "correction", same unit price and VAT rate), so
every line amount, every VAT subtotal and the total are exactly the original's negated
(rounding half-up is symmetric around zero). The original becomes "credited" with nothing
open. What the customer had already paid on it becomes credit: the credit note stays open for
that amount (below zero) and is set off against other open invoices at once, like any credit.
Nothing paid, nothing open: the credit note is settled at once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from billing.db.repositories import Payments, Settlements
from billing.db.tables import InvoiceRow
from billing.domain.invoice import ZERO, Invoice, InvoiceLine, InvoiceStatus
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from billing.use_cases.payments import allocate_credit
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)


def reversed_lines(original: InvoiceRow) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            kind="correction",
            description=f"Correction of {original.number}: {line.description}"[:200],
            quantity=-line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            meter_id=line.meter_id,
            register_type=line.register_type,
        )
        for line in original.lines
    ]


async def credit_invoice(
    uow: UnitOfWork, settings: BillingSettings, invoice_id: str, now: datetime
) -> Invoice:
    """Issue the credit note of an invoice inside the caller's unit of work (the caller
    commits). 404 for an unknown invoice, 409 for a credit note or an invoice already
    credited."""
    known = await uow.session.get(InvoiceRow, invoice_id)
    if known is not None:
        # The customer first, then the invoice: the order payments and settlements lock in.
        await Payments(uow.session).lock_customer(known.customer_number)
    original = await Settlements(uow.session).invoice_for_update(invoice_id)
    if original is None:
        raise ProblemError(404, "invoice-not-found", "There is no invoice with this id.")
    if original.kind == "credit_note":
        raise ProblemError(409, "invoice-is-credit-note", "A credit note cannot be credited.")
    if original.status == "credited":
        raise ProblemError(409, "invoice-already-credited", f"Invoice {original.number} is already credited.")

    paid = original.total_incl_vat - original.open_amount
    note = await issue_invoice(
        uow,
        settings,
        kind="credit_note",
        customer_number=original.customer_number,
        contract_id=original.contract_id,
        lines=reversed_lines(original),
        period_start=original.period_start,
        period_end=original.period_end,
        estimated=original.estimated,
        credits_invoice_id=original.id,
        now=now,
    )
    if note.totals.incl_vat != -original.total_incl_vat:  # guaranteed by the rounding rule
        raise AssertionError("a credit note must reverse its invoice to the cent")
    original.status = "credited"
    original.open_amount = ZERO
    await uow.session.flush()
    row = await uow.session.get(InvoiceRow, note.id)
    assert row is not None, "issued above"
    status: InvoiceStatus = "open" if paid else "paid"
    row.open_amount = -paid
    row.status = status
    await allocate_credit(uow, original.customer_number, now)
    log.info("invoice credited", invoice_number=original.number, credit_note=note.number)
    return replace(note, status=status)
