"""A customer's balance: what is open, what of it is overdue, and their credit."""

from __future__ import annotations

from datetime import date

from billing.db.repositories import Payments
from billing.domain.allocation import Balance, OpenItem, balance_of
from portal_chassis.uow import UnitOfWork


async def customer_balance(uow: UnitOfWork, customer_number: str, today: date) -> Balance:
    """``today`` is the customer's calendar day (the service's zone): due dates are days there."""
    payments = Payments(uow.session)
    invoices = await payments.open_invoices(customer_number)
    credit = await payments.with_credit(customer_number)
    return balance_of(
        [OpenItem(r.open_amount, r.due_date) for r in invoices],
        [p.unallocated for p in credit],
        today,
    )
