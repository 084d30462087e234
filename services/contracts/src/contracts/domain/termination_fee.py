"""The early-termination fee of a supply contract (pure: no I/O, Decimal money).

What the product conditions (shared/reference/004, section 3) lead to:

* Only a fixed-term contract can cost a fee, and only if supply stops before its fixed term
  is over. Ending on or after the term end is free, and so is ending the indefinite,
  variable-price contract a fixed term rolls into.
* Asking to end within the withdrawal period after the contract was concluded is free; the
  fee does apply to a concluded contract whose supply has not started yet.
* After operations announced a unilateral change of prices or conditions, a customer who
  ends the contract before that change takes effect pays nothing (the contract carries the
  effective date as ``free_termination_before``).
* A fee is owed per electricity allocation point or gas connection, worked out per register
  (electricity: single, or normal and off-peak separately; gas: one). Heat is not covered.
* Moving is no exception: a customer who moves without taking the contract along pays like
  any early leaver.

Per register:

    fee = (contract unit price - current unit price of the same type of contract)
          x remaining volume

The comparison price is looked up in three steps (``comparison_price``): the same type
(commodity, kind, duration, register); failing that, any contract offered with the same
duration; failing that, the highest tariff currently offered for the register. Where a step
finds several contracts, the lookup answers with the highest of their prices, which gives
the customer the smaller fee. A negative difference counts as zero per register: the
customer is never paid, and a cheap off-peak price does not offset a dear normal one.

Remaining volume = expected annual volume x the profile share of the days after the last
day of supply up to and including the last day of the fixed term. The share is worked out
per day, so a mid-month end date counts exactly the days left, and a span that crosses a
new year takes each year's own shares. The profile is passed in (``DailyProfile``):
electricity uses the BDEW H0 household profile per calendar day, gas a monthly table spread
evenly over each month's days (see ``portal_profiles``).

Rounding: volumes and per-register amounts keep full precision; their sum (excluding VAT)
is rounded half-up to the cent; the VAT is that rounded amount times the rate, rounded
half-up to the cent; the total is the sum of the two.

Dates: ``end_date`` is the last day of supply and ``fixed_term_end`` the last day of the
fixed term, both inclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from portal_profiles import DailyProfile
from portal_schemas.types import to_cents

ZERO = Decimal("0.00")


class Register(StrEnum):
    SINGLE = "single"  # electricity without a smart meter: one price all day
    NORMAL = "normal"  # electricity, daytime on working days
    OFF_PEAK = "off_peak"  # electricity, nights and weekends
    GAS = "gas"


@dataclass(frozen=True)
class ContractType:
    """What makes two contracts "the same type" for the price comparison."""

    commodity: str
    kind: str  # "fixed" or "variable"
    duration_months: int | None  # length of the fixed term; None for an indefinite contract


class TariffLookup(Protocol):
    """Unit prices (euro per kWh or m3, excluding VAT) of the contracts offered on a day.

    Each argument left ``None`` matches any value; where several offered contracts match,
    the answer is the highest of their prices for the register, and ``None`` when none
    matches.
    """

    def current_unit_price(
        self,
        *,
        commodity: str,
        kind: str | None,
        duration_months: int | None,
        register: Register,
        on: date,
    ) -> Decimal | None: ...


class PriceSource(StrEnum):
    """Which step of the comparison found the current price."""

    SAME_TYPE = "same_type"
    SAME_DURATION = "same_duration"
    HIGHEST_OFFERED = "highest_offered"


def comparison_price(
    lookup: TariffLookup, kind: ContractType, register: Register, on: date
) -> tuple[Decimal, PriceSource] | None:
    steps = (
        (kind.kind, kind.duration_months, PriceSource.SAME_TYPE),
        (None, kind.duration_months, PriceSource.SAME_DURATION),
        (None, None, PriceSource.HIGHEST_OFFERED),
    )
    for wanted_kind, duration, source in steps:
        price = lookup.current_unit_price(
            commodity=kind.commodity, kind=wanted_kind, duration_months=duration, register=register, on=on
        )
        if price is not None:
            return price, source
    return None


@dataclass(frozen=True)
class RegisterTerms:
    """One register of the contract: its contracted unit price and expected annual volume."""

    register: Register
    contract_unit_price: Decimal  # euro per unit excluding VAT
    annual_volume: Decimal  # kWh or m3 per year, as registered for the connection


@dataclass(frozen=True)
class FeeTerms:
    """The contract facts the fee depends on."""

    commodity: str
    fixed_term_end: date | None
    concluded_on: date
    duration_months: int | None = None
    registers: Sequence[RegisterTerms] = ()
    free_termination_before: date | None = None  # effective date of an announced change


class FeeBasis(StrEnum):
    """Why the fee is what it is; shown to the customer and kept with the termination."""

    NO_FIXED_TERM = "no_fixed_term"
    TERM_COMPLETED = "term_completed"
    WITHDRAWAL_PERIOD = "withdrawal_period"
    UNILATERAL_CHANGE = "unilateral_change"
    COMMODITY_NOT_COVERED = "commodity_not_covered"
    EARLY_TERMINATION = "early_termination"
    ADJUSTED = "adjusted"  # operations lowered or waived it


@dataclass(frozen=True)
class RegisterFee:
    register: Register
    contract_unit_price: Decimal
    current_unit_price: Decimal
    price_source: PriceSource
    remaining_volume: Decimal
    amount: Decimal  # unrounded, excluding VAT; zero when the price went up


@dataclass(frozen=True)
class FeeQuote:
    basis: FeeBasis
    remaining_days: int
    remaining_volume: Decimal
    amount_excl_vat: Decimal
    vat: Decimal
    registers: tuple[RegisterFee, ...] = ()

    @property
    def total(self) -> Decimal:
        return self.amount_excl_vat + self.vat

    @property
    def depends_on_end_date(self) -> bool:
        """An early-termination fee is provisional until supply has actually stopped: it is
        worked out again on the real last day of supply (the conditions' final fee)."""
        return self.basis in (FeeBasis.EARLY_TERMINATION, FeeBasis.ADJUSTED)


def termination_fee(
    terms: FeeTerms,
    *,
    end_date: date,
    requested_on: date,
    withdrawal_days: int,
    vat_rate: Decimal,
    tariffs: TariffLookup,
    profile: DailyProfile,
) -> FeeQuote:
    """The fee for ending supply after ``end_date``, asked for on ``requested_on``; the
    current prices are those offered on ``requested_on``."""
    if terms.fixed_term_end is None:
        return _free(FeeBasis.NO_FIXED_TERM)
    if end_date >= terms.fixed_term_end:
        return _free(FeeBasis.TERM_COMPLETED)
    remaining_days = (terms.fixed_term_end - end_date).days
    if (requested_on - terms.concluded_on).days <= withdrawal_days:
        return _free(FeeBasis.WITHDRAWAL_PERIOD, remaining_days)
    if terms.free_termination_before is not None and requested_on < terms.free_termination_before:
        return _free(FeeBasis.UNILATERAL_CHANGE, remaining_days)
    if terms.commodity not in ("electricity", "gas") or not terms.registers:
        return _free(FeeBasis.COMMODITY_NOT_COVERED, remaining_days)

    share = profile.share(end_date, terms.fixed_term_end)
    kind = ContractType(terms.commodity, "fixed", terms.duration_months)
    lines: list[RegisterFee] = []
    for reg in terms.registers:
        found = comparison_price(tariffs, kind, reg.register, requested_on)
        if found is None:
            # Nothing is offered at all for this register: no price to compare with.
            continue
        current, source = found
        volume = reg.annual_volume * share
        gap = max(reg.contract_unit_price - current, Decimal(0))
        lines.append(
            RegisterFee(reg.register, reg.contract_unit_price, current, source, volume, gap * volume)
        )
    amount = to_cents(sum((line.amount for line in lines), Decimal(0)))
    return FeeQuote(
        basis=FeeBasis.EARLY_TERMINATION,
        remaining_days=remaining_days,
        remaining_volume=sum((line.remaining_volume for line in lines), Decimal(0)),
        amount_excl_vat=amount,
        vat=to_cents(amount * vat_rate),
        registers=tuple(lines),
    )


def adjusted(quote: FeeQuote, amount_excl_vat: Decimal, vat_rate: Decimal) -> FeeQuote:
    """The quote with the amount operations set, when that is lower (an adjustment never
    raises the fee: a later, lower computed fee wins)."""
    if amount_excl_vat >= quote.amount_excl_vat:
        return quote
    amount = to_cents(amount_excl_vat)
    return FeeQuote(
        basis=FeeBasis.ADJUSTED,
        remaining_days=quote.remaining_days,
        remaining_volume=quote.remaining_volume,
        amount_excl_vat=amount,
        vat=to_cents(amount * vat_rate),
        registers=quote.registers,
    )


def _free(basis: FeeBasis, remaining_days: int = 0) -> FeeQuote:
    return FeeQuote(basis, remaining_days, Decimal(0), ZERO, ZERO)
