"""Issuing one invoice: its number, its row, and InvoiceIssued in the same transaction.

Every invoice that is issued one at a time goes through ``issue_invoice`` (final and annual
settlements, invoices on a reading, credit notes). The monthly advance run issues thousands at
once with set-based statements (use_cases/advance_run.py) but follows the same rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from billing.db.repositories import ContractProducts, Invoices, InvoiceSequences
from billing.domain.invoice import Invoice, InvoiceKind, InvoiceLine, issue_date_of
from billing.domain.numbering import format_number, series_for
from billing.domain.tariffs import product_on
from billing.settings import BillingSettings
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import InvoiceIssued


async def issue_invoice(
    uow: UnitOfWork,
    settings: BillingSettings,
    *,
    kind: InvoiceKind,
    customer_number: str,
    contract_id: str | None,
    lines: Sequence[InvoiceLine],
    period_start: date | None = None,
    period_end: date | None = None,
    estimated: bool = False,
    credits_invoice_id: str | None = None,
    now: datetime | None = None,
) -> Invoice:
    """Number, store and announce an invoice inside the caller's unit of work (the caller
    commits). The e-invoice option is the contract's option on the issue date."""
    issued_at = now or datetime.now(UTC)
    issue_date = issue_date_of(issued_at, settings.zone)
    series = series_for(kind)
    sequence = await InvoiceSequences(uow.session).next_number(series, issue_date.year)
    e_invoice = False
    if contract_id is not None:
        product = product_on(await ContractProducts(uow.session).history(contract_id), issue_date)
        e_invoice = product is not None and product.e_invoice
    invoice = Invoice.issue(
        invoice_id=str(uuid.uuid4()),
        number=format_number(series, issue_date.year, sequence),
        kind=kind,
        customer_number=customer_number,
        contract_id=contract_id,
        lines=lines,
        issued_at=issued_at,
        zone=settings.zone,
        payment_term_days=settings.payment_term_days,
        period_start=period_start,
        period_end=period_end,
        estimated=estimated,
        e_invoice=e_invoice,
        credits_invoice_id=credits_invoice_id,
    )
    Invoices(uow.session).add(invoice)
    uow.emit(invoice_issued(invoice), subject=invoice.id)
    return invoice


def invoice_issued(invoice: Invoice) -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        customer_number=invoice.customer_number,
        contract_id=invoice.contract_id,
        kind=invoice.kind,
        issued_at=invoice.issued_at,
        due_date=invoice.due_date,
        total_incl_vat=invoice.totals.incl_vat,
        credits_invoice_id=invoice.credits_invoice_id,
        estimated=invoice.estimated,
    )
