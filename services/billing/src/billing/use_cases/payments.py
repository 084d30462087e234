"""Booking payments, reversing them, and setting a customer's credit against open invoices.

Every channel (card, direct debit, transfer, energy cheque) books through ``book_payment``;
whoever issues invoices calls ``allocate_credit`` afterwards, so credit already there settles
the new invoice. The arithmetic (which invoice first, which credit first) is in
billing.domain.allocation; this module loads the rows, applies the result and announces it.

All three run inside the caller's unit of work (the caller commits) and first lock the
customer's row: two bookings for one customer, at once, never spend the same credit twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from billing.db.repositories import Payments
from billing.db.tables import AllocationRow, InvoiceRow, PaymentRow
from billing.domain.allocation import Credit, Debt, allocate
from billing.settings import BillingSettings
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import InvoicePaid, PaymentChannel, PaymentReceived, PaymentReturned

log = get_logger(__name__)


async def book_payment(
    uow: UnitOfWork,
    settings: BillingSettings,
    *,
    customer_number: str,
    channel: PaymentChannel,
    amount: Decimal,
    reference: str,
    received_at: datetime,
    for_invoice: str | None = None,
) -> PaymentRow | None:
    """Book money received and settle the oldest open invoices with it (``for_invoice``, the
    invoice it was paid for, first); what is left stays as credit. None when (channel,
    reference) is already booked: the same payment announced again books nothing."""
    if amount <= 0:
        raise ValueError("a payment is above zero")
    payments = Payments(uow.session)
    await payments.lock_customer(customer_number)
    payment_id = str(uuid.uuid4())
    booked = await payments.add_if_absent(
        {
            "id": payment_id,
            "customer_number": customer_number,
            "channel": channel,
            "reference": reference,
            "amount": amount,
            "received_at": received_at,
            "unallocated": amount,
            "status": "booked",
        }
    )
    if not booked:
        log.info("payment already booked", channel=channel)
        return None
    paid = await _settle(payments, customer_number, received_at, first=for_invoice)
    payment = await payments.get(payment_id)
    assert payment is not None, "inserted above"
    uow.emit(
        PaymentReceived(
            payment_id=payment.id,
            customer_number=customer_number,
            channel=channel,
            amount=amount,
            received_at=received_at,
            unallocated=payment.unallocated,
        ),
        subject=payment.id,
    )
    _announce_paid(uow, paid, received_at)
    log.info("payment booked", channel=channel, payment_id=payment.id, invoices_paid=len(paid))
    return payment


async def reverse_payment(
    uow: UnitOfWork,
    settings: BillingSettings,
    payment_id: str,
    *,
    reason_code: str,
    returned_at: datetime,
) -> bool:
    """Undo a payment (a returned direct debit): its allocations go, the invoices it settled
    are open again, its unused rest is no longer credit. Other credit the customer has then
    settles what it can. False when the payment was already returned."""
    payments = Payments(uow.session)
    payment = await payments.get(payment_id)
    if payment is None:
        raise ProblemError(404, "payment-not-found", "There is no payment with this id.")
    await payments.lock_customer(payment.customer_number)
    payment = await payments.get(payment_id)  # as it is now that no one else can change it
    assert payment is not None
    if payment.status == "returned":
        return False
    allocations = await payments.allocations_of(payment_id)
    invoices = await payments.invoices({a.invoice_id for a in allocations})
    for allocation in allocations:
        invoice = invoices[allocation.invoice_id]
        # A credited invoice stays credited: the credit note took its place.
        if invoice.status != "credited":
            invoice.open_amount += allocation.amount
            invoice.status = "open"
        await uow.session.delete(allocation)
    payment.unallocated = Decimal("0.00")
    payment.status = "returned"
    uow.emit(
        PaymentReturned(
            payment_id=payment.id,
            customer_number=payment.customer_number,
            amount=payment.amount,
            reason_code=reason_code,
            returned_at=returned_at,
        ),
        subject=payment.id,
    )
    paid = await _settle(payments, payment.customer_number, returned_at)
    _announce_paid(uow, paid, returned_at)
    log.info("payment returned", payment_id=payment.id, invoices_reopened=len(invoices))
    return True


async def allocate_credit(uow: UnitOfWork, customer_number: str, now: datetime) -> None:
    """Set the customer's credit against their open invoices (call after issuing invoices)."""
    payments = Payments(uow.session)
    await payments.lock_customer(customer_number)
    _announce_paid(uow, await _settle(payments, customer_number, now), now)


async def _settle(
    payments: Payments, customer_number: str, now: datetime, first: str | None = None
) -> list[InvoiceRow]:
    """Apply the allocation of the customer's credit; the invoices it brought to zero, in
    settlement order (each is now "paid")."""
    open_rows = await payments.open_invoices(customer_number)
    debts = [
        Debt(r.id, r.open_amount, r.due_date, r.issue_date, r.number) for r in open_rows if r.open_amount > 0
    ]
    if not debts:
        return []
    credit_payments = {p.id: p for p in await payments.with_credit(customer_number)}
    credits = [
        Credit("invoice", r.id, -r.open_amount, r.issued_at, r.number) for r in open_rows if r.open_amount < 0
    ] + [Credit("payment", p.id, p.unallocated, p.received_at, p.reference) for p in credit_payments.values()]
    invoices = {r.id: r for r in open_rows}
    touched: dict[str, InvoiceRow] = {}
    for allocation in allocate(debts, credits, first):
        invoice = invoices[allocation.invoice_id]
        invoice.open_amount -= allocation.amount
        touched[invoice.id] = invoice
        if allocation.source == "payment":
            credit_payments[allocation.source_id].unallocated -= allocation.amount
            payment_id, credit_note_id = allocation.source_id, None
        else:
            credit_note = invoices[allocation.source_id]
            credit_note.open_amount += allocation.amount
            touched[credit_note.id] = credit_note
            payment_id, credit_note_id = None, allocation.source_id
        payments.allocate(
            AllocationRow(
                invoice_id=invoice.id,
                payment_id=payment_id,
                credit_note_id=credit_note_id,
                amount=allocation.amount,
                allocated_at=now,
            )
        )
    paid = [row for row in touched.values() if row.open_amount == 0]
    for row in paid:
        row.status = "paid"
    return paid


def _announce_paid(uow: UnitOfWork, invoices: list[InvoiceRow], paid_at: datetime) -> None:
    for invoice in invoices:
        uow.emit(
            InvoicePaid(
                invoice_id=invoice.id,
                invoice_number=invoice.number,
                customer_number=invoice.customer_number,
                contract_id=invoice.contract_id,
                paid_at=paid_at,
            ),
            subject=invoice.id,
        )
