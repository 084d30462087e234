"""Settlement arithmetic: meter readings and a tariff in, invoice lines out.

For now only the final settlement exists and it is deliberately simple: per register, the
energy of the period is the last reading minus the first one, priced with a placeholder price
per unit (see ``BillingSettings``). Later issues add real tariffs from the contracts' events,
standing charges, advances already paid and estimates when a final reading is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from billing.domain.errors import SettlementError
from billing.domain.invoice import InvoiceLine
from portal_chassis.calendar import end_of_day, start_of_day
from portal_schemas.types import to_cents

# Registers that count energy the customer returned to the grid. Under net metering
# ("salderen", in force until 1 January 2027) feed-in is credited at the supply price.
FEED_IN_REGISTERS = frozenset({"feed_in_normal", "feed_in_offpeak"})

_REGISTER_NAMES = {
    "electricity_single": "Electricity",
    "electricity_normal": "Electricity, normal rate",
    "electricity_offpeak": "Electricity, off-peak rate",
    "feed_in_normal": "Electricity fed back, normal rate",
    "feed_in_offpeak": "Electricity fed back, off-peak rate",
    "gas": "Gas",
    "heat": "Heat",
    "hot_water": "Hot tap water",
}


@dataclass(frozen=True)
class MeterRead:
    """One meter index, as settlement needs it."""

    meter_id: str
    register_type: str
    unit: str
    value: Decimal
    read_at: datetime


@dataclass(frozen=True)
class RegisterUsage:
    """What one register of one meter counted between two readings."""

    meter_id: str
    register_type: str
    unit: str
    first: MeterRead
    last: MeterRead

    @property
    def quantity(self) -> Decimal:
        return self.last.value - self.first.value

    @property
    def is_feed_in(self) -> bool:
        return self.register_type in FEED_IN_REGISTERS


@dataclass(frozen=True)
class PlaceholderTariff:
    price_per_unit: Mapping[str, Decimal]  # euro excl. VAT per kWh / m3 / GJ
    vat_rate: Decimal

    def price(self, unit: str) -> Decimal:
        try:
            return self.price_per_unit[unit]
        except KeyError:
            raise SettlementError(f"no price for unit {unit}") from None


def settlement_window(start: date | None, end: date, zone: ZoneInfo) -> tuple[datetime | None, datetime]:
    """UTC bounds [from, until) of the customer's days ``start`` through ``end`` (inclusive).

    The end date is the last day of supply, so readings taken at any time that day count.
    """
    if start is not None and start > end:
        raise SettlementError("the contract ends before it starts")
    return (start_of_day(start, zone) if start else None), end_of_day(end, zone)


def register_usage(reads: Iterable[MeterRead]) -> list[RegisterUsage]:
    """Last minus first reading per (meter, register); registers with one reading are left out.

    A single reading measures nothing. A meter index never goes down (a replaced meter gets a
    new meter id), so a lower last reading is refused rather than billed as negative use.
    """
    by_register: dict[tuple[str, str], list[MeterRead]] = {}
    for read in reads:
        by_register.setdefault((read.meter_id, read.register_type), []).append(read)
    usages = []
    for (meter_id, register_type), group in sorted(by_register.items()):
        if len(group) < 2:
            continue
        units = {r.unit for r in group}
        if len(units) > 1:
            raise SettlementError(f"register {register_type} of a meter has mixed units")
        ordered = sorted(group, key=lambda r: r.read_at)
        first, last = ordered[0], ordered[-1]
        if last.value < first.value:
            raise SettlementError(f"register {register_type} of a meter runs backwards")
        usages.append(RegisterUsage(meter_id, register_type, first.unit, first, last))
    return usages


def consumption_line(usage: RegisterUsage, tariff: PlaceholderTariff) -> InvoiceLine:
    name = _REGISTER_NAMES.get(usage.register_type, usage.register_type)
    readings = f"meter index {_plain(usage.first.value)} to {_plain(usage.last.value)}"
    return InvoiceLine(
        kind="feed_in" if usage.is_feed_in else "consumption",
        description=f"{name}, {readings}",
        # Feed-in is credited: a negative quantity (unary minus keeps a zero a plain zero).
        quantity=-usage.quantity if usage.is_feed_in else usage.quantity,
        unit=usage.unit,
        unit_price=tariff.price(usage.unit),
        vat_rate=tariff.vat_rate,
        meter_id=usage.meter_id,
        register_type=usage.register_type,
    )


def _plain(value: Decimal) -> str:
    """1234.500000 -> 1234.5: stored scale is not what a customer wants to read."""
    return format(value.normalize(), "f")


@dataclass(frozen=True)
class TerminationFee:
    """The termination fee as an invoice line prices it: the amount before VAT and its rate."""

    excl_vat: Decimal
    vat_rate: Decimal


def termination_fee_of(
    total: Decimal,
    *,
    excl_vat: Decimal | None,
    vat_rate: Decimal | None,
    fallback_vat_rate: Decimal,
) -> TerminationFee:
    """The fee split from ContractTerminated: ``total`` is what the customer pays, VAT included.

    Contracts sends the amount before VAT and the rate it added; events written before it did
    carry only the total, so the split is worked back from it at ``fallback_vat_rate`` (billing's
    configured rate for fees): excl. VAT = total / (1 + rate), rounded half-up to the cent.

    A one-cent difference with the split contracts would have sent is possible, because
    rounding loses information. Contracts computes total = excl + VAT, the VAT rounded to the
    cent; so total / (1 + rate) = excl + (that rounding) / (1 + rate), less than half a cent
    away from excl, and rounding it gives contracts' excl back exactly when the rate is the one
    contracts used. It does not when the total is not one that rule yields at this rate, such
    as a fee set by hand: 100.00 / 1.21 = 82.6446 -> 82.64, whose VAT 17.3544 -> 17.35 makes
    99.99, so that invoice shows the fee a cent below the announced total. (A fallback rate
    other than the one contracts used puts the split off by more than a cent.)
    """
    if total < 0:
        raise SettlementError("a termination fee cannot be negative")
    rate = vat_rate if vat_rate is not None else fallback_vat_rate
    if excl_vat is None:
        return TerminationFee(to_cents(total / (1 + rate)), rate)
    # The invoice prices the line at excl_vat, so a split that does not give back the announced
    # total would bill the customer another amount than contracts told them; refuse it (the
    # event goes to the dead-letter topic) rather than issue an invoice that cannot change.
    if excl_vat + to_cents(excl_vat * rate) != total:
        raise SettlementError(
            f"termination fee {total} is not {excl_vat} plus VAT at {rate} (rounded to the cent)"
        )
    return TerminationFee(excl_vat, rate)


def termination_fee_line(fee: TerminationFee) -> InvoiceLine:
    # The fee compensates the supplier for a fixed-term contract ended early. The product
    # conditions add VAT to it, so it is priced before VAT like every other line and its VAT is
    # part of the VAT of its rate, worked out on the sum of the lines at that rate (so not
    # rounded on its own: it can differ a cent from the VAT contracts rounded for the fee
    # alone). It is its own line so the customer sees it apart from energy.
    return InvoiceLine(
        kind="termination_fee",
        description="Termination fee",
        quantity=Decimal(1),
        unit=None,
        unit_price=fee.excl_vat,
        vat_rate=fee.vat_rate,
    )


def final_settlement_lines(
    *,
    termination_fee: TerminationFee,
    usages: Sequence[RegisterUsage],
    tariff: PlaceholderTariff,
) -> list[InvoiceLine]:
    """The termination fee first (when there is one), then one line per register."""
    if termination_fee.excl_vat < 0:
        raise SettlementError("a termination fee cannot be negative")
    lines = [termination_fee_line(termination_fee)] if termination_fee.excl_vat > 0 else []
    lines.extend(consumption_line(usage, tariff) for usage in usages)
    return lines
