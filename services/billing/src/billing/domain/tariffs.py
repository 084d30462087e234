"""Which product and which prices apply on a day.

Contracts publishes every tariff period of a product (TariffsPublished) and each change of a
contract's product (ContractCreated, ContractAmended). A contract's price on a day is the
period, of the product in force that day, that covers the day. Periods are half-open:
[valid_from, valid_to), valid_to None meaning "until a later period is published".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain.errors import SettlementError, TariffError


@dataclass(frozen=True)
class TariffPeriod:
    """One commodity's prices of a product, all excluding VAT."""

    product_code: str
    commodity: str
    valid_from: date
    valid_to: date | None  # exclusive
    vat_rate: Decimal  # a fraction: 0.21 is 21 %
    unit_prices: Mapping[str, Decimal]  # per register: euro per kWh, m3 or GJ
    fixed_costs_per_day: Decimal
    feed_in_compensation_per_kwh: Decimal | None = None
    feed_in_costs_per_kwh: Decimal | None = None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def unit_price(self, register: str) -> Decimal:
        try:
            return self.unit_prices[register]
        except KeyError:
            raise SettlementError(
                f"product {self.product_code} has no price for register {register}"
            ) from None


@dataclass(frozen=True)
class ProductChange:
    """The contract's product from ``effective_from`` on."""

    effective_from: date
    product_code: str
    e_invoice: bool = False


def product_on(history: Sequence[ProductChange], day: date) -> ProductChange | None:
    """The latest change effective on or before ``day``; None before the first one."""
    current = None
    for change in sorted(history, key=lambda c: c.effective_from):
        if change.effective_from > day:
            break
        current = change
    return current


def tariff_on(periods: Sequence[TariffPeriod], day: date) -> TariffPeriod | None:
    """The period covering ``day``; when periods overlap, the one that started last wins."""
    covering = [p for p in periods if p.covers(day)]
    return max(covering, key=lambda p: p.valid_from) if covering else None


def check_period_starts(product_code: str, starts: Iterable[tuple[str, date]]) -> None:
    """Refuse a publication with two periods of one commodity from the same day: which of the
    two prices applies would be a guess (and the read model keeps one period per day)."""
    seen: set[tuple[str, date]] = set()
    for commodity, valid_from in starts:
        if (commodity, valid_from) in seen:
            raise TariffError(f"product {product_code} has two {commodity} periods from {valid_from}")
        seen.add((commodity, valid_from))
