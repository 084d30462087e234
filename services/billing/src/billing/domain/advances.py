"""Monthly advances: the recommended amount, the bounds a customer may choose within, the
period a change applies from, and the advance invoice's single line.

Recommended monthly advance (incl. VAT), for the tariff period in force:

    yearly excl. VAT = sum over registers of (expected kWh / m3 / GJ a year x unit price)
                       + 365 x fixed delivery costs per day
    monthly          = yearly excl. VAT x (1 + VAT rate) / 12

rounded half-up to whole euros once, at the end (an advance is an estimate: cents would suggest
a precision it does not have). Without a tariff or without expected consumption there is no
recommendation.

Bounds: with a recommendation, the minimum and maximum are configured percentages of it (50 %
and 300 % unless configured), each rounded half-up to the cent; without one, the configured
absolute bounds. An amount equal to a bound is inside.

A change applies from the next billing period: the first day of the next calendar month (in
the customer's zone) that has no advance invoice yet, and never before the contract starts.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from billing.domain.errors import BillingError
from billing.domain.invoice import InvoiceLine
from billing.domain.settlement_periods import anniversary, annual_period_end
from billing.domain.tariffs import TariffPeriod
from portal_schemas.types import to_cents

DAYS_A_YEAR = 365
MONTHS_A_YEAR = 12
HUNDRED = Decimal(100)
ZERO_VAT = Decimal("0")

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class AdvanceOutOfBounds(BillingError):
    """An advance below the minimum or above the maximum a customer may choose."""

    slug = "advance-out-of-bounds"

    def __init__(self, amount: Decimal, bounds: AdvanceBounds) -> None:
        super().__init__(
            f"The advance must be between {bounds.minimum:.2f} and {bounds.maximum:.2f} euro; "
            f"{amount:.2f} is not."
        )
        self.bounds = bounds


@dataclass(frozen=True)
class AdvanceBounds:
    minimum: Decimal
    maximum: Decimal

    def check(self, amount: Decimal) -> None:
        if not self.minimum <= amount <= self.maximum:
            raise AdvanceOutOfBounds(amount, self)


def recommended_advance(expected: Mapping[str, Decimal], tariff: TariffPeriod | None) -> Decimal | None:
    """The recommended monthly advance incl. VAT in whole euros (as ``Decimal("70.00")``), or
    None without a tariff, without expected consumption, or when the tariff has no price for
    one of the registers (the recommendation would leave that energy out), or for a negative
    expected consumption (contracts never sends one; an advance cannot be below zero)."""
    if tariff is None or not expected or any(quantity < 0 for quantity in expected.values()):
        return None
    if any(register not in tariff.unit_prices for register in expected):
        return None
    energy = sum(
        (quantity * tariff.unit_prices[register] for register, quantity in expected.items()), Decimal(0)
    )
    yearly = energy + DAYS_A_YEAR * tariff.fixed_costs_per_day
    monthly = yearly * (1 + tariff.vat_rate) / MONTHS_A_YEAR
    return monthly.quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def bounds_around(recommended: Decimal, min_percent: Decimal, max_percent: Decimal) -> AdvanceBounds:
    return AdvanceBounds(
        minimum=to_cents(recommended * min_percent / HUNDRED),
        maximum=to_cents(recommended * max_percent / HUNDRED),
    )


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def last_of_month(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def next_period_start(today: date, invoiced_months: Collection[date]) -> date:
    """The first day of the next calendar month after ``today`` whose advance is not invoiced
    yet (``invoiced_months``: the first days of the months that have an advance invoice)."""
    start = first_of_next_month(today)
    while start in invoiced_months:
        start = first_of_next_month(start)
    return start


@dataclass(frozen=True)
class PlannedAdvance:
    """A contract's monthly advance from ``effective_from`` on."""

    effective_from: date
    amount: Decimal


def advance_on(plans: Sequence[PlannedAdvance], day: date) -> PlannedAdvance | None:
    """The plan in force on ``day``: the latest one effective on or before it."""
    return max((p for p in plans if p.effective_from <= day), key=lambda p: p.effective_from, default=None)


def advance_line(amount: Decimal, month: date) -> InvoiceLine:
    """The one line of an advance invoice. No VAT on the advance itself: it is a prepayment,
    and the settlement charges VAT on the energy and deducts the advances."""
    return InvoiceLine(
        kind="advance",
        description=f"Monthly advance {_MONTH_NAMES[month.month - 1]} {month.year}",
        quantity=Decimal(1),
        unit=None,
        unit_price=amount,
        vat_rate=ZERO_VAT,
    )


def contract_year(contract_start: date, today: date) -> tuple[date, date]:
    """The contract year ``today`` falls in (the first one before the start): from the last
    anniversary, or the start, to the day before the next anniversary, when the annual
    settlement closes it."""
    through = annual_period_end(contract_start, max(today, contract_start))
    next_anniversary = through + timedelta(days=1)
    return max(anniversary(contract_start, next_anniversary.year - 1), contract_start), through


def schedule_months(year_begins: date, year_through: date, end_date: date | None) -> list[date]:
    """The first days of the calendar months the advance run invoices in a contract year: from
    the month the year begins in, up to the month before the one it closes in (that month
    opens the next year's schedule), and not after the contract's end."""
    months = []
    month = first_of_month(year_begins)
    closing = first_of_month(year_through + timedelta(days=1))
    while month < closing and (end_date is None or month <= end_date):
        months.append(month)
        month = first_of_next_month(month)
    return months
