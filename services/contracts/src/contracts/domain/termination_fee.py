"""The early-termination fee of a supply contract (pure: no I/O, Decimal money).

What the product conditions (shared/reference/004, section 3) lead to:

* Only a fixed-term contract can cost a fee, and only if supply stops before its fixed term
  is over. Ending on or after the term end is free, and so is ending the indefinite,
  variable-price contract a fixed term rolls into.
* Asking to end within the withdrawal period after the contract was concluded is free; the
  fee does apply to a concluded contract whose supply has not started yet.
* A fee is owed per electricity allocation point or gas connection. The conditions do not
  cover heat, so a heat contract never carries one here.
* Moving is no exception: a customer who moves without taking the contract to the new
  address pays like any early leaver (taking it along is a relocation, not a termination).
* Amount = (contract unit price - today's unit price of the same kind of contract)
  x (volume the customer would still have used until the term end), plus VAT. The volume
  spreads the expected annual consumption over the months with profile shares, so a winter
  month weighs more than a summer one. The customer is never paid: a negative gap is zero.

The conditions also let the supplier lower or waive the fee in hardship cases; that is a
decision by a person, not a rule, and is not modelled.

Dates: ``end_date`` is the last day of supply and ``fixed_term_end`` the last day of the
fixed term, both inclusive, so the remaining term is the days after ``end_date`` up to and
including ``fixed_term_end``.

Rounding: the volume keeps full precision; the amount excluding VAT is rounded half-up to
the cent, the VAT is computed on that rounded amount and rounded half-up to the cent, and
the total is their sum.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from portal_schemas.types import to_cents

ZERO = Decimal("0.00")

# Share of the annual volume used in each month, January first; the shares sum to 1.
MonthlyProfile = tuple[Decimal, ...]


def check_profile(profile: MonthlyProfile) -> None:
    if len(profile) != 12:
        raise ValueError("a monthly profile has 12 shares, January first")
    if any(share < 0 for share in profile):
        raise ValueError("profile shares cannot be negative")
    if abs(sum(profile, Decimal(0)) - 1) > Decimal("0.001"):
        raise ValueError("profile shares must add up to 1")


@dataclass(frozen=True)
class FeeInputs:
    """What the formula needs beyond the contract's own dates.

    annual_volume: expected consumption per year in the commodity's unit (kWh, m3).
    price_gap: contract unit price minus today's unit price of the same kind of contract,
        euro per unit excluding VAT.
    profile: share of the annual volume per month.
    vat_rate: e.g. 0.21.
    """

    annual_volume: Decimal
    price_gap: Decimal
    profile: MonthlyProfile
    vat_rate: Decimal


class FeeBasis(StrEnum):
    """Why the fee is what it is; shown to the customer and kept with the termination."""

    NO_FIXED_TERM = "no_fixed_term"
    TERM_COMPLETED = "term_completed"
    WITHDRAWAL_PERIOD = "withdrawal_period"
    COMMODITY_NOT_COVERED = "commodity_not_covered"
    EARLY_TERMINATION = "early_termination"


@dataclass(frozen=True)
class FeeQuote:
    basis: FeeBasis
    remaining_days: int
    remaining_volume: Decimal
    amount_excl_vat: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount_excl_vat + self.vat

    @property
    def depends_on_end_date(self) -> bool:
        """An early-termination fee is provisional until supply has actually stopped: it is
        worked out again on the real last day of supply (the conditions' final fee)."""
        return self.basis is FeeBasis.EARLY_TERMINATION


@dataclass(frozen=True)
class FeeTerms:
    """The contract facts the fee depends on."""

    commodity: str
    fixed_term_end: date | None
    concluded_on: date


def termination_fee(
    terms: FeeTerms,
    *,
    end_date: date,
    requested_on: date,
    withdrawal_days: int,
    inputs: FeeInputs | None,
) -> FeeQuote:
    """The fee for ending supply after ``end_date``, asked for on ``requested_on``."""
    if terms.fixed_term_end is None:
        return _free(FeeBasis.NO_FIXED_TERM)
    if end_date >= terms.fixed_term_end:
        return _free(FeeBasis.TERM_COMPLETED)
    remaining_days = (terms.fixed_term_end - end_date).days
    if terms.commodity not in ("electricity", "gas") or inputs is None:
        return _free(FeeBasis.COMMODITY_NOT_COVERED, remaining_days)
    if (requested_on - terms.concluded_on).days <= withdrawal_days:
        return _free(FeeBasis.WITHDRAWAL_PERIOD, remaining_days)

    share = year_share(end_date, terms.fixed_term_end, inputs.profile)
    volume = inputs.annual_volume * share
    gap = max(inputs.price_gap, Decimal(0))
    amount = to_cents(gap * volume)
    return FeeQuote(
        basis=FeeBasis.EARLY_TERMINATION,
        remaining_days=remaining_days,
        remaining_volume=volume,
        amount_excl_vat=amount,
        vat=to_cents(amount * inputs.vat_rate),
    )


def year_share(after: date, through: date, profile: MonthlyProfile) -> Decimal:
    """Share of a year's volume used on the days after ``after`` up to ``through``.

    A whole month counts its full profile share; a part of a month counts its share pro
    rata to the days covered.
    """
    share = Decimal(0)
    day = after + timedelta(days=1)
    while day <= through:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        last = min(day.replace(day=days_in_month), through)
        covered = (last - day).days + 1
        month_share = profile[day.month - 1]
        share += month_share if covered == days_in_month else month_share * covered / days_in_month
        day = last + timedelta(days=1)
    return share


def _free(basis: FeeBasis, remaining_days: int = 0) -> FeeQuote:
    return FeeQuote(basis, remaining_days, Decimal(0), ZERO, ZERO)
