"""Invoices, their lines and the money rules every invoice follows.

- Amounts are ``Decimal`` euros, never floats.
- A line's amount (excl. VAT) is quantity x unit price, rounded to the cent half-up. Ties round
  away from zero (``ROUND_HALF_UP``), so a credit line mirrors the debit line it reverses.
- VAT is worked out per rate on the sum of the rounded line amounts of that rate and rounded
  half-up once, not per line: a long invoice does not pile up per-line rounding differences.
- Totals: excl. VAT = sum of line amounts; VAT = sum of the per-rate VAT; incl. VAT = the two
  added. Every term is already whole cents, so the totals reconcile to the cent by construction.
- An issued invoice is final: it never changes (corrections are credit notes and new invoices).
  Only its payment status moves on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from billing.domain.errors import InvoiceError
from portal_chassis.calendar import calendar_day
from portal_schemas.types import to_cents

ZERO = Decimal("0.00")

# The names match InvoiceIssued.kind.
InvoiceKind = Literal[
    "advance", "periodic", "quarterly", "annual_settlement", "final_settlement", "credit_note"
]
# open: something is still to be paid (or, below zero, to be paid out); paid: settled;
# credited: a credit note reversed it.
InvoiceStatus = Literal["open", "paid", "credited"]
LineKind = Literal[
    "consumption",  # energy used, per register
    "feed_in",  # energy returned, netted against consumption (net metering, until 2027)
    "feed_in_compensation",  # energy returned beyond netting, or all of it from 2027
    "feed_in_costs",  # the supplier's costs per kWh returned
    "fixed_costs",  # fixed delivery costs per day
    "termination_fee",
    "advance",  # a monthly advance
    "advances_deducted",  # the advances invoiced for a settled period, deducted
    "correction",  # a credit note's reversal of another invoice's line
]


@dataclass(frozen=True)
class InvoiceLine:
    kind: LineKind
    description: str
    quantity: Decimal  # in ``unit``; negative for energy credited (feed-in)
    unit: str | None  # kWh, m3, GJ; None for a one-off amount such as a fee
    unit_price: Decimal  # euro per unit excl. VAT, at tariff precision (not rounded)
    vat_rate: Decimal  # a fraction: 0.21 is 21 %
    meter_id: str | None = None
    register_type: str | None = None

    @property
    def amount_excl_vat(self) -> Decimal:
        return to_cents(self.quantity * self.unit_price)


@dataclass(frozen=True)
class VatSubtotal:
    rate: Decimal
    base: Decimal  # sum of the line amounts at this rate
    vat: Decimal  # base x rate, rounded half-up


@dataclass(frozen=True)
class InvoiceTotals:
    excl_vat: Decimal
    vat: tuple[VatSubtotal, ...]  # one per rate present, lowest rate first
    vat_total: Decimal
    incl_vat: Decimal


def compute_totals(lines: Sequence[InvoiceLine]) -> InvoiceTotals:
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.vat_rate] = bases.get(line.vat_rate, ZERO) + line.amount_excl_vat
    vat = tuple(
        VatSubtotal(rate=rate, base=base, vat=to_cents(base * rate)) for rate, base in sorted(bases.items())
    )
    excl_vat = sum((line.amount_excl_vat for line in lines), ZERO)
    vat_total = sum((v.vat for v in vat), ZERO)
    return InvoiceTotals(excl_vat=excl_vat, vat=vat, vat_total=vat_total, incl_vat=excl_vat + vat_total)


def issue_date_of(issued_at: datetime, zone: ZoneInfo) -> date:
    """The customer's calendar day of the issue: it dates the invoice and picks its number year."""
    if issued_at.tzinfo is None:
        raise InvoiceError("issue time must be timezone-aware")
    return calendar_day(issued_at, zone)


def initial_status(total_incl_vat: Decimal) -> InvoiceStatus:
    # Nothing to settle on a zero invoice. A negative total (a credit note, more fed back than
    # used) stays open until it is set off against other invoices or paid out.
    return "paid" if total_incl_vat == 0 else "open"


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str
    kind: InvoiceKind
    customer_number: str
    contract_id: str | None
    issued_at: datetime
    issue_date: date
    due_date: date
    period_start: date | None
    period_end: date | None
    lines: tuple[InvoiceLine, ...]
    status: InvoiceStatus
    estimated: bool = False  # part of the consumption is an estimate
    e_invoice: bool = False
    credits_invoice_id: str | None = None

    @property
    def totals(self) -> InvoiceTotals:
        return compute_totals(self.lines)

    @classmethod
    def issue(
        cls,
        *,
        invoice_id: str,
        number: str,
        kind: InvoiceKind,
        customer_number: str,
        contract_id: str | None,
        lines: Sequence[InvoiceLine],
        issued_at: datetime,
        zone: ZoneInfo,
        payment_term_days: int,
        period_start: date | None = None,
        period_end: date | None = None,
        estimated: bool = False,
        e_invoice: bool = False,
        credits_invoice_id: str | None = None,
    ) -> Invoice:
        if period_start and period_end and period_start > period_end:
            raise InvoiceError("the invoice period ends before it starts")
        issue_date = issue_date_of(issued_at, zone)
        return cls(
            id=invoice_id,
            number=number,
            kind=kind,
            customer_number=customer_number,
            contract_id=contract_id,
            issued_at=issued_at,
            issue_date=issue_date,
            due_date=issue_date + timedelta(days=payment_term_days),
            period_start=period_start,
            period_end=period_end,
            lines=tuple(lines),
            status=initial_status(compute_totals(lines).incl_vat),
            estimated=estimated,
            e_invoice=e_invoice,
            credits_invoice_id=credits_invoice_id,
        )
