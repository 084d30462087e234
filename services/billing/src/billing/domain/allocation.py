"""Settling open invoices with a customer's credit: pure arithmetic, no I/O.

- Debts are the open invoices with something still to pay (open amount above zero). The oldest
  is settled first: earliest due date, then issue date, then invoice number; an invoice the
  money was paid for (a card payment started on it) goes before them all.
- Credit is what the customer has and has not yet used: the unallocated rest of payments, and
  the negative open amount of invoices that came out below zero (a credit note, a settlement
  with more advances paid than energy used).
- A credit note's credit is used before money: it can only be set off against invoices, while
  an unused payment could still be paid back. Within each kind the oldest goes first.
- Each step moves min(what the debt still needs, what the credit still has); the amounts are
  whole cents, so no rounding happens here. What no debt needs stays as credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

ZERO = Decimal("0.00")

CreditSource = Literal["invoice", "payment"]


@dataclass(frozen=True)
class Debt:
    """An open invoice that still wants ``open_amount`` (> 0)."""

    invoice_id: str
    open_amount: Decimal
    due_date: date
    issue_date: date
    number: str


@dataclass(frozen=True)
class Credit:
    """Credit still free to use (> 0): a payment's unallocated rest or a negative invoice."""

    source: CreditSource
    source_id: str
    available: Decimal
    since: datetime  # received (payment) or issued (invoice): older credit is used first
    number: str = ""  # the invoice number or payment reference, to break ties


@dataclass(frozen=True)
class Allocation:
    invoice_id: str
    source: CreditSource
    source_id: str
    amount: Decimal


def settlement_order(debts: Iterable[Debt], first: str | None = None) -> list[Debt]:
    return sorted(debts, key=lambda d: (d.invoice_id != first, d.due_date, d.issue_date, d.number))


def usage_order(credits: Iterable[Credit]) -> list[Credit]:
    return sorted(credits, key=lambda c: (c.source != "invoice", c.since, c.number, c.source_id))


def allocate(debts: Sequence[Debt], credits: Sequence[Credit], first: str | None = None) -> list[Allocation]:
    """Set the credit against the debts, oldest debt first (the invoice ``first`` before
    them), in the order of ``usage_order``."""
    for item in debts:
        if item.open_amount <= 0:
            raise ValueError("a debt must have an open amount above zero")
    for credit in credits:
        if credit.available <= 0:
            raise ValueError("a credit must have an amount above zero")
    allocations: list[Allocation] = []
    ordered = usage_order(credits)
    left = [credit.available for credit in ordered]
    for debt in settlement_order(debts, first):
        needed = debt.open_amount
        for i, credit in enumerate(ordered):
            if needed == 0:
                break
            amount = min(needed, left[i])
            if amount == 0:
                continue
            allocations.append(Allocation(debt.invoice_id, credit.source, credit.source_id, amount))
            left[i] -= amount
            needed -= amount
    return allocations


@dataclass(frozen=True)
class OpenItem:
    """An open invoice as the balance sees it."""

    open_amount: Decimal  # negative for a credit
    due_date: date


@dataclass(frozen=True)
class Balance:
    open_total: Decimal  # still to pay on invoices
    overdue_total: Decimal  # of which past its due date
    oldest_overdue_due_date: date | None
    credit: Decimal  # unused payments and negative invoices

    @property
    def overdue(self) -> bool:
        return self.overdue_total > 0


def balance_of(items: Iterable[OpenItem], unallocated_payments: Iterable[Decimal], today: date) -> Balance:
    """The customer's balance on ``today`` (their calendar day). An invoice is overdue from the
    day after its due date: it may still be paid on the due date itself."""
    open_total = overdue_total = credit = ZERO
    oldest: date | None = None
    for item in items:
        if item.open_amount < 0:
            credit -= item.open_amount
            continue
        open_total += item.open_amount
        if item.open_amount > 0 and item.due_date < today:
            overdue_total += item.open_amount
            oldest = item.due_date if oldest is None else min(oldest, item.due_date)
    credit += sum(unallocated_payments, ZERO)
    return Balance(open_total, overdue_total, oldest, credit)
