"""Settlement arithmetic: readings, tariffs and advances in, invoice lines out (no I/O).

Consumption, per meter and register, over a period [start, end] of customer days:
- A reading is the register's index at the end of its calendar day.
- Opening index: the closing index the previous settlement used (it ended the day before
  ``start``); else the latest reading before ``start`` taken on or after the contract start;
  else the first reading in the period.
- Closing index: the latest reading of the end day. Without one, for the meter in place: an
  index interpolated between the last reading and the first one after the end (by the profile's
  share of the days), or, with no later reading, an estimate (domain/estimates.py: last index
  + expected annual consumption x share). A meter replaced during the period (another meter of
  the same register was read later) ends at its last reading.
- Consumption = closing - opening, plus the capacity of each reading in between that declared
  a rollover (the counter passed its maximum and restarted at zero). Between two real readings
  an index never goes down; a period that opens on an estimate may show less use, even less
  than zero, because the estimate was too high. An index metering estimated (quality
  "estimated") counts as an estimate too.
- A contract with no reading of its commodity at all is estimated from the expected annual
  consumption alone.

Prices, per span:
- The period is split at every tariff period boundary, every product change and, for
  electricity, on 2027-01-01 when net metering ends; each span is priced with its own tariff
  and its own VAT rate and gets its own lines.
- A register's consumption is spread over the spans by the profile's share of each span (the
  standard load profile; FlatProfile: by days), feed-in by days (a household load profile
  would put solar production in winter). Quantities are rounded to the thousandth
  cumulatively, so the spans add up exactly to the measured consumption.
- Fixed delivery costs: days of the span x the price per day.
- Feed-in before 2027-01-01 (net metering): feed-in up to the consumption of the same rate
  (normal against normal, off-peak against off-peak, then against single-rate use) is credited
  at that rate's supply price ("feed_in"); the rest earns the feed-in compensation
  ("feed_in_compensation"). From 2027-01-01 all feed-in earns the compensation. In both
  regimes the feed-in costs are charged per kWh fed in ("feed_in_costs").
- A final settlement's termination fee is its first line; the advances invoiced for the period
  are deducted in one last line at 0 % VAT (VAT is charged on the energy, not the advances).
Amounts and VAT then follow domain/invoice.py (lines to the cent half-up, VAT per rate).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from billing.domain.errors import SettlementError
from billing.domain.estimates import QUANTITY, Profile, commodity_of, estimated_use
from billing.domain.invoice import InvoiceLine
from billing.domain.tariffs import ProductChange, TariffPeriod, product_on, tariff_on
from portal_schemas.types import to_cents

# The end of net metering ("salderen") for small consumers, by law.
NET_METERING_ENDS = date(2027, 1, 1)

# Registers that count energy the customer returned to the grid.
FEED_IN_REGISTERS = frozenset({"feed_in_normal", "feed_in_offpeak"})
# Which consumption a feed-in register is netted against, in this order.
_NETTED_AGAINST = {
    "feed_in_normal": ("electricity_normal", "electricity_single"),
    "feed_in_offpeak": ("electricity_offpeak", "electricity_single"),
}
# Units of an estimate made from the expected consumption alone (no meter known).
_UNITS = {"gas": "m3", "heat": "GJ", "hot_water": "m3"}

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
_RATE_NAMES = {
    "electricity_single": "single",
    "electricity_normal": "normal",
    "electricity_offpeak": "off-peak",
}

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class MeterRead:
    """One meter index, as settlement needs it."""

    meter_id: str
    register_type: str
    unit: str
    value: Decimal
    read_at: datetime
    day: date  # the customer's calendar day of read_at
    rollover_capacity: Decimal | None = None  # set: the counter wrapped since the previous reading
    final: bool = False  # the reading that closes the contract's supply
    actual: bool = True  # read from the meter, not estimated by metering


IndexKind = Literal["read", "settled", "interpolated", "estimated"]


@dataclass(frozen=True)
class Index:
    """A register's index at the end of ``day`` and where it comes from. A "settled" index is
    the closing index of the previous settlement; ``estimated`` says whether it was guessed."""

    value: Decimal
    day: date
    kind: IndexKind
    estimated: bool = False


@dataclass(frozen=True)
class RegisterUse:
    """What one register of one meter counted over a settlement period. ``meter_id`` None: no
    meter was ever read, the quantity is estimated from the expected consumption alone."""

    meter_id: str | None
    register_type: str
    unit: str
    opening: Index | None
    closing: Index | None
    quantity: Decimal

    @property
    def estimated(self) -> bool:
        return self.closing is None or self.closing.estimated

    @property
    def is_feed_in(self) -> bool:
        return self.register_type in FEED_IN_REGISTERS


def _weight(register: str, profile: Profile, after: date, through: date) -> Decimal:
    """How much of a year's use falls on the days after ``after`` through ``through``: the
    profile's share for consumption, the plain number of days for feed-in."""
    if register in FEED_IN_REGISTERS:
        return Decimal(max((through - after).days, 0))
    return profile.share(commodity_of(register), after, through)


def _group(reads: Sequence[MeterRead]) -> dict[tuple[str, str], list[MeterRead]]:
    groups: dict[tuple[str, str], list[MeterRead]] = {}
    for read in sorted(reads, key=lambda r: r.read_at):
        groups.setdefault((read.meter_id, read.register_type), []).append(read)
    for (_, register), group in groups.items():
        if len({r.unit for r in group}) > 1:
            raise SettlementError(f"register {register} of a meter has mixed units")
    return groups


def _meters_in_place(groups: Mapping[tuple[str, str], list[MeterRead]]) -> dict[str, str]:
    """Per register, the meter read last: the one in place (an exchange gives a new meter id)."""
    latest: dict[str, MeterRead] = {}
    for (_, register), group in groups.items():
        if register not in latest or group[-1].read_at > latest[register].read_at:
            latest[register] = group[-1]
    return {register: read.meter_id for register, read in latest.items()}


def register_uses(
    reads: Sequence[MeterRead],
    *,
    commodity: str,
    contract_start: date,
    start: date,
    end: date,
    openings: Mapping[tuple[str, str], Index],
    expected: Mapping[str, Decimal],
    profile: Profile,
) -> list[RegisterUse]:
    """The consumption of each register over [start, end] (see the module's rules).
    ``openings``: the previous settlement's closing indexes by (meter, register)."""
    if start > end:
        raise SettlementError("the settlement period ends before it starts")
    groups = _group(reads)
    in_place = _meters_in_place(groups)
    uses = []
    for (meter_id, register), group in sorted(groups.items()):
        opening = openings.get((meter_id, register))
        if opening is not None:
            chain = [r for r in group if opening.day < r.day <= end]
        else:
            before = [i for i, r in enumerate(group) if contract_start <= r.day < start]
            during = [i for i, r in enumerate(group) if start <= r.day <= end]
            if not before and not during:
                continue  # not read on or before the end: nothing to measure from
            first = before[-1] if before else during[0]
            opening = Index(group[first].value, group[first].day, "read", estimated=not group[first].actual)
            chain = [r for r in group[first + 1 :] if r.day <= end]

        value, day, actual = opening.value, opening.day, not opening.estimated
        quantity = Decimal(0)
        for read in chain:
            step = read.value - value + (read.rollover_capacity or 0)
            if step < 0 and actual:
                raise SettlementError(f"register {register} of a meter runs backwards")
            quantity += step
            value, day, actual = read.value, read.day, read.actual

        if day == end or in_place[register] != meter_id:
            if not chain and in_place[register] != meter_id:
                continue  # replaced before this period: it counts nothing any more
            closing = Index(value, day, "read", estimated=not actual)  # metering may have estimated it
        else:
            later = next((r for r in group if r.day > end), None)
            if later is not None:
                delta = later.value - value + (later.rollover_capacity or 0)
                if delta < 0 and actual:
                    raise SettlementError(f"register {register} of a meter runs backwards")
                whole = _weight(register, profile, day, later.day)
                part = _weight(register, profile, day, end)
                added = (delta * part / whole).quantize(QUANTITY, ROUND_HALF_UP) if whole else Decimal(0)
                closing = Index(value + added, end, "interpolated")
            else:
                # Feed-in has no expected volume: its last index stands (still an estimate).
                volume = None if register in FEED_IN_REGISTERS else expected.get(register)
                added = estimated_use(volume, profile.share(commodity_of(register), day, end))
                closing = Index(value + added, end, "estimated", estimated=True)
            quantity += added
        uses.append(RegisterUse(meter_id, register, group[0].unit, opening, closing, quantity))

    measured = {commodity_of(use.register_type) for use in uses}
    for register, volume in sorted(expected.items()):
        if commodity_of(register) != commodity or commodity in measured or volume <= 0:
            continue
        quantity = estimated_use(volume, profile.share(commodity, start - ONE_DAY, end))
        uses.append(RegisterUse(None, register, _UNITS.get(register, "kWh"), None, None, quantity))
    return uses


def read_through(reads: Sequence[MeterRead], day: date) -> bool:
    """Whether every register of the meters in place has a real reading on or after ``day``
    (or one marked final): a reading of one register (metering sends one event per register)
    waits for the others before a settlement uses them."""
    groups = _group(reads)
    if not groups:
        return False
    return all(
        any(r.actual and (r.day >= day or r.final) for r in groups[(meter_id, register)])
        for register, meter_id in _meters_in_place(groups).items()
    )


@dataclass(frozen=True)
class Span:
    """Days [first, last] of a period with one tariff."""

    first: date
    last: date
    tariff: TariffPeriod

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def net_metering(self) -> bool:
        return self.first < NET_METERING_ENDS


def tariff_spans(
    start: date,
    end: date,
    *,
    commodity: str,
    history: Sequence[ProductChange],
    periods: Mapping[str, Sequence[TariffPeriod]],
) -> list[Span]:
    """[start, end] cut where the product, its tariff or (electricity) net metering changes.
    ``periods``: the commodity's tariff periods of each product in ``history``."""
    spans: list[Span] = []
    day = start
    while day <= end:
        change = product_on(history, day)
        if change is None:
            raise SettlementError(f"the contract has no product on {day}")
        product_periods = periods.get(change.product_code, ())
        tariff = tariff_on(product_periods, day)
        if tariff is None:
            raise SettlementError(f"product {change.product_code} has no {commodity} tariff on {day}")
        cuts = [c.effective_from for c in history if c.effective_from > day]
        cuts += [p.valid_from for p in product_periods if p.valid_from > day]
        cuts += [p.valid_to for p in product_periods if p.valid_to is not None and p.valid_to > day]
        if commodity == "electricity" and day < NET_METERING_ENDS:
            cuts.append(NET_METERING_ENDS)
        last = min([end, *(cut - ONE_DAY for cut in cuts)])
        previous = spans[-1] if spans else None
        if previous and previous.tariff == tariff and previous.net_metering == (day < NET_METERING_ENDS):
            spans[-1] = Span(previous.first, last, tariff)  # e.g. an amendment of options only
        else:
            spans.append(Span(day, last, tariff))
        day = last + ONE_DAY
    return spans


def spread(quantity: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``quantity`` in proportion to ``weights``: each cumulative sum is rounded to the
    thousandth (half-up) and the last part takes what is left, so the parts add up exactly."""
    total = sum(weights, Decimal(0))
    parts: list[Decimal] = []
    done = cumulative = Decimal(0)
    for i, weight in enumerate(weights):
        cumulative += weight
        if i == len(weights) - 1:
            upto = quantity
        elif total:
            upto = (quantity * cumulative / total).quantize(QUANTITY, ROUND_HALF_UP)
        else:
            upto = Decimal(0)
        parts.append(upto - done)
        done = upto
    return parts


def _price(tariff: TariffPeriod, register: str) -> Decimal:
    """A register's supply price; normal and off-peak use the single rate when the product has
    none of their own (the conditions give a meter without two counters the single rate)."""
    if register not in tariff.unit_prices and register in _RATE_NAMES and register != "electricity_single":
        return tariff.unit_price("electricity_single")
    return tariff.unit_price(register)


def _plain(value: Decimal) -> str:
    """1234.500000 -> 1234.5: stored scale is not what a customer wants to read."""
    return format(value.normalize(), "f")


def _dates(span: Span) -> str:
    return f"{span.first.isoformat()} to {span.last.isoformat()}"


def _indexes(use: RegisterUse) -> str:
    if use.opening is None or use.closing is None:
        return " (estimated from the expected consumption)"
    how = {"estimated": ", estimated", "interpolated": ", interpolated"}.get(use.closing.kind, "")
    return f" (meter index {_plain(use.opening.value)} to {_plain(use.closing.value)}{how})"


def energy_lines(
    uses: Sequence[RegisterUse], spans: Sequence[Span], *, profile: Profile
) -> list[InvoiceLine]:
    """Fixed costs, consumption and feed-in, span by span."""
    parts = {
        i: spread(
            use.quantity, [_weight(use.register_type, profile, s.first - ONE_DAY, s.last) for s in spans]
        )
        for i, use in enumerate(uses)
    }
    lines: list[InvoiceLine] = []
    for n, span in enumerate(spans):
        tariff, vat = span.tariff, span.tariff.vat_rate
        lines.append(
            InvoiceLine(
                kind="fixed_costs",
                description=f"Fixed delivery costs, {_dates(span)}",
                quantity=Decimal(span.days),
                unit="day",
                unit_price=tariff.fixed_costs_per_day,
                vat_rate=vat,
            )
        )
        used: dict[str, Decimal] = {}
        fed: dict[str, Decimal] = {}
        fed_by: dict[str, set[str | None]] = {}
        for i, use in enumerate(uses):
            quantity = parts[i][n]
            if use.is_feed_in:
                fed[use.register_type] = fed.get(use.register_type, Decimal(0)) + quantity
                fed_by.setdefault(use.register_type, set()).add(use.meter_id)
                continue
            used[use.register_type] = used.get(use.register_type, Decimal(0)) + quantity
            name = _REGISTER_NAMES.get(use.register_type, use.register_type)
            lines.append(
                InvoiceLine(
                    kind="consumption",
                    description=f"{name}, {_dates(span)}{_indexes(use)}",
                    quantity=quantity,
                    unit=use.unit,
                    unit_price=_price(tariff, use.register_type),
                    vat_rate=vat,
                    meter_id=use.meter_id,
                    register_type=use.register_type,
                )
            )
        lines.extend(_feed_in_lines(span, used, fed, fed_by))
    return lines


def _feed_in_lines(
    span: Span, used: Mapping[str, Decimal], fed: Mapping[str, Decimal], fed_by: Mapping[str, set[str | None]]
) -> list[InvoiceLine]:
    tariff = span.tariff
    room = {register: max(quantity, Decimal(0)) for register, quantity in used.items()}
    lines: list[InvoiceLine] = []
    for register in sorted(fed):
        quantity = fed[register]
        if not quantity:
            continue
        meters = fed_by[register]
        line = _FeedInLine(span, register, next(iter(meters)) if len(meters) == 1 else None)
        rest = quantity
        if span.net_metering:
            for against in _NETTED_AGAINST[register]:
                netted = min(rest, room.get(against, Decimal(0)))
                if netted > 0:
                    rate = _RATE_NAMES[against]
                    lines.append(
                        line("feed_in", f"netted at the {rate} rate", -netted, _price(tariff, against))
                    )
                    room[against] -= netted
                    rest -= netted
        if rest:
            # Without a compensation in the tariff the kWh still show, at no price.
            compensation = tariff.feed_in_compensation_per_kwh or Decimal(0)
            text = "beyond netting" if span.net_metering else "compensation"
            lines.append(line("feed_in_compensation", text, -rest, compensation))
        if tariff.feed_in_costs_per_kwh is not None:
            lines.append(line("feed_in_costs", "feed-in costs", quantity, tariff.feed_in_costs_per_kwh))
    return lines


@dataclass(frozen=True)
class _FeedInLine:
    span: Span
    register: str
    meter_id: str | None

    def __call__(
        self,
        kind: Literal["feed_in", "feed_in_compensation", "feed_in_costs"],
        text: str,
        quantity: Decimal,
        price: Decimal,
    ) -> InvoiceLine:
        return InvoiceLine(
            kind=kind,
            description=f"{_REGISTER_NAMES[self.register]}, {text}, {_dates(self.span)}",
            quantity=quantity,
            unit="kWh",
            unit_price=price,
            vat_rate=self.span.tariff.vat_rate,
            meter_id=self.meter_id,
            register_type=self.register,
        )


def advances_line(total: Decimal, count: int, start: date, end: date) -> InvoiceLine:
    """The advances invoiced for the period, deducted (0 % VAT: an advance is a prepayment)."""
    return InvoiceLine(
        kind="advances_deducted",
        description=f"Advances invoiced for {start.isoformat()} to {end.isoformat()} ({count})",
        quantity=Decimal(1),
        unit=None,
        unit_price=-total,
        vat_rate=Decimal(0),
    )


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


def fee_lines(fee: TerminationFee | None) -> list[InvoiceLine]:
    """The termination fee's line when there is a fee above zero; none otherwise."""
    return [termination_fee_line(fee)] if fee is not None and fee.excl_vat > 0 else []


def settlement_lines(
    *,
    uses: Sequence[RegisterUse],
    spans: Sequence[Span],
    profile: Profile,
    fee: TerminationFee | None = None,
    advances: Decimal = Decimal(0),
    advance_count: int = 0,
    start: date | None = None,
    end: date | None = None,
) -> list[InvoiceLine]:
    """The fee first (when above zero), then energy span by span, then the advances deducted
    (when any were invoiced for [start, end])."""
    if fee is not None and fee.excl_vat < 0:
        raise SettlementError("a termination fee cannot be negative")
    lines = fee_lines(fee)
    lines.extend(energy_lines(uses, spans, profile=profile))
    if advance_count and start is not None and end is not None:
        lines.append(advances_line(advances, advance_count, start, end))
    return lines
