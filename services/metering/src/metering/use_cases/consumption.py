"""What a customer sees of the smart-meter data of one contract: the total since the meter was
placed, a year by month, a month by day, a day by hour or quarter hour, the same period of
earlier years, and the rows of the "download my data" export.

The sums of all the contract's meters (after an exchange the old and the new one) are shown
per series (domain/consumption_series.py). Days and months come from the daily and monthly
sums the feed keeps, hours and quarter hours from the slots of the stored days (each day row
holds its intervals in time order). Read only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from metering.db.repositories import ConsumptionRecords
from metering.db.tables import ContractView
from metering.domain.consent import is_effective, needs_consent
from metering.domain.consumption_periods import (
    MAX_EXPORT_DAYS,
    Coverage,
    Span,
    coverage,
    day_span,
    day_spans,
    days_span,
    month_span,
    months_of,
    next_month,
    steps,
    year_span,
    years_earlier,
)
from metering.domain.consumption_series import (
    Point,
    Series,
    SeriesSpec,
    Tally,
    interval_minutes,
    point,
    series,
    series_of,
)
from metering.settings import MeteringSettings
from metering.use_cases.problems import contract_not_found
from portal_chassis.calendar import calendar_day, start_of_day
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

Resolution = Literal["month", "day", "hour", "quarter_hour"]
STEP_MINUTES = {"hour": 60, "quarter_hour": 15}


@dataclass(frozen=True)
class Period:
    span: Span
    series: list[Series]


@dataclass(frozen=True)
class ConsumptionView:
    contract: ContractView
    resolution: Resolution
    period: Period
    earlier: list[Period]  # the same period of earlier years, the most recent first


@dataclass(frozen=True)
class TotalView:
    contract: ContractView
    since: date | None  # the first day data is expected for; None without a smart meter
    totals: list[tuple[SeriesSpec, int, Point]]  # per series: interval minutes and the sum


@dataclass(frozen=True)
class _Scope:
    """One customer's contract as the views need it."""

    contract: ContractView
    meter_ids: list[str]
    coverage: Coverage
    specs: tuple[SeriesSpec, ...]

    @property
    def channels(self) -> list[str]:
        return [spec.channel for spec in self.specs]


def consent_required() -> ProblemError:
    return ProblemError(
        403,
        "smart-meter-consent-required",
        "Smart-meter data of this contract is shown once you allow us to read the meter "
        "remotely (PUT /v1/contracts/{contract_id}/smart-meter-consent).",
    )


async def _scope(
    uow: UnitOfWork, settings: MeteringSettings, customer_number: str, contract_id: str, today: date
) -> _Scope:
    found = await ConsumptionRecords(uow.session).contract(contract_id, customer_number)
    if found is None:
        raise contract_not_found()
    contract, consent, meters = found
    required = settings.consent_required_for
    if needs_consent(contract.commodity, required) and not is_effective(
        consent, settings.smart_meter_terms_version
    ):
        raise consent_required()
    # Data is expected while a remotely read meter is in place: a smart meter, or any meter of a
    # heat network (the supplier reads those itself).
    remote = [m for m in meters if m.smart or not needs_consent(m.commodity, required)]
    covered = coverage(
        ((m.installed_on, m.removed_on) for m in remote),
        supply_start=contract.start_date,
        supply_end=contract.end_date,
        today=today,
        zone=settings.zone,
    )
    return _Scope(contract, [m.meter_id for m in meters], covered, series_of(contract.commodity))


def _tallies(rows: Sequence[tuple[str, date, Decimal, int, int]]) -> dict[tuple[str, date], Tally]:
    tallies: dict[tuple[str, date], Tally] = {}
    for channel, day, total, intervals, _ in rows:
        tallies.setdefault((channel, day), Tally()).add(total, intervals)
    return tallies


def _minutes(spec: SeriesSpec, rows: Sequence[tuple[str, date, Decimal, int, int]]) -> int:
    return interval_minutes(spec, (row[4] for row in rows if row[0] == spec.channel))


async def year_by_month(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    customer_number: str,
    contract_id: str,
    year: int,
    compare_years: int,
    today: date,
) -> ConsumptionView:
    scope = await _scope(uow, settings, customer_number, contract_id, today)
    zone = settings.zone
    years = [year - k for k in range(compare_years + 1)]
    rows = await ConsumptionRecords(uow.session).months(
        scope.meter_ids, scope.channels, [(date(y, 1, 1), date(y + 1, 1, 1)) for y in years]
    )
    tallies = _tallies(rows)
    periods = []
    for y in years:
        months = months_of(y, zone)
        firsts = [date(y, m, 1) for m in range(1, 13)]
        whole = year_span(y, zone)
        periods.append(
            Period(
                whole,
                [
                    series(
                        spec,
                        whole,
                        months,
                        [tallies.get((spec.channel, first)) for first in firsts],
                        scope.coverage,
                        _minutes(spec, rows),
                    )
                    for spec in scope.specs
                ],
            )
        )
    return ConsumptionView(scope.contract, "month", periods[0], periods[1:])


async def month_by_day(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    customer_number: str,
    contract_id: str,
    month: date,
    compare_years: int,
    today: date,
) -> ConsumptionView:
    scope = await _scope(uow, settings, customer_number, contract_id, today)
    zone = settings.zone
    months = [years_earlier(month, k) for k in range(compare_years + 1)]
    rows = await ConsumptionRecords(uow.session).days(
        scope.meter_ids, scope.channels, [(m, next_month(m)) for m in months]
    )
    tallies = _tallies(rows)
    periods = [
        _daily_period(scope, month_span(first, zone), first, next_month(first), tallies, rows, zone)
        for first in months
    ]
    return ConsumptionView(scope.contract, "day", periods[0], periods[1:])


async def day_by_interval(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    customer_number: str,
    contract_id: str,
    day: date,
    resolution: Literal["hour", "quarter_hour"],
    today: date,
) -> ConsumptionView:
    scope = await _scope(uow, settings, customer_number, contract_id, today)
    whole = day_span(day, settings.zone)
    period = await _sub_day_period(uow, settings, scope, whole, day, day + timedelta(days=1), resolution)
    return ConsumptionView(scope.contract, resolution, period, [])


async def export_period(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    customer_number: str,
    contract_id: str,
    first: date,
    last: date,
    resolution: Literal["day", "hour", "quarter_hour"],
    today: date,
) -> ConsumptionView:
    """The customer days ``first`` up to and including ``last`` (at most a leap year's worth)."""
    if last < first:
        raise ProblemError(
            422, "invalid-period", "The period ends before it starts: 'to' must not be before 'from'."
        )
    if (last - first).days + 1 > MAX_EXPORT_DAYS:
        raise ProblemError(
            422,
            "period-too-long",
            f"An export covers at most {MAX_EXPORT_DAYS} days; split the period.",
            max_days=MAX_EXPORT_DAYS,
        )
    scope = await _scope(uow, settings, customer_number, contract_id, today)
    zone = settings.zone
    whole = days_span(first, last, zone)
    end = last + timedelta(days=1)
    if resolution != "day":
        period = await _sub_day_period(uow, settings, scope, whole, first, end, resolution)
        return ConsumptionView(scope.contract, resolution, period, [])
    rows = await ConsumptionRecords(uow.session).days(scope.meter_ids, scope.channels, [(first, end)])
    period = _daily_period(scope, whole, first, end, _tallies(rows), rows, zone)
    return ConsumptionView(scope.contract, "day", period, [])


def _daily_period(
    scope: _Scope,
    whole: Span,
    first: date,
    end: date,
    tallies: dict[tuple[str, date], Tally],
    rows: Sequence[tuple[str, date, Decimal, int, int]],
    zone: ZoneInfo,
) -> Period:
    """The customer days [first, end) (``whole``), one point per day."""
    days = day_spans(first, end, zone)
    return Period(
        whole,
        [
            series(
                spec,
                whole,
                days,
                [tallies.get((spec.channel, first + timedelta(days=n))) for n in range(len(days))],
                scope.coverage,
                _minutes(spec, rows),
            )
            for spec in scope.specs
        ],
    )


async def _sub_day_period(
    uow: UnitOfWork,
    settings: MeteringSettings,
    scope: _Scope,
    whole: Span,
    first: date,
    end: date,
    resolution: Literal["hour", "quarter_hour"],
) -> Period:
    """Hours or quarter hours of the customer days [first, end) (``whole``), summed from the
    slots of the stored days: a point is the sum of its slots with a value, none if none."""
    step = STEP_MINUTES[resolution]
    rows = await ConsumptionRecords(uow.session).day_slots(scope.meter_ids, scope.channels, first, end)
    minutes = {
        spec.channel: interval_minutes(spec, (r[2] for r in rows if r[0] == spec.channel))
        for spec in scope.specs
    }
    coarse = [spec.name for spec in scope.specs if minutes[spec.channel] > step]
    if coarse:
        raise ProblemError(
            422,
            "resolution-not-available",
            f"This meter's data comes in intervals of {max(minutes.values())} minutes: ask for "
            "resolution=hour.",
            series=coarse,
        )
    spans = steps(whole, step, settings.zone)
    tallies: dict[tuple[str, int], Tally] = {}
    for channel, day, length, values in rows:
        # The day's first point in the period, and how many points a slot is into the day.
        offset = int((start_of_day(day, settings.zone) - whole.start).total_seconds()) // (step * 60)
        for slot, value in enumerate(values):
            if value is not None:
                index = offset + slot * length // step
                tallies.setdefault((channel, index), Tally()).add(value, 1)
    return Period(
        whole,
        [
            series(
                spec,
                whole,
                spans,
                [tallies.get((spec.channel, n)) for n in range(len(spans))],
                scope.coverage,
                minutes[spec.channel],
            )
            for spec in scope.specs
        ],
    )


async def total_since_install(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    customer_number: str,
    contract_id: str,
    today: date,
) -> TotalView:
    """Everything measured since the smart meter was placed, per series."""
    scope = await _scope(uow, settings, customer_number, contract_id, today)
    zone = settings.zone
    rows = await ConsumptionRecords(uow.session).months(scope.meter_ids, scope.channels)
    first_instant, last_instant = scope.coverage.first, scope.coverage.last
    contract = scope.contract
    if first_instant is not None and last_instant is not None:
        first = calendar_day(first_instant, zone)
        last = calendar_day(last_instant, zone) - timedelta(days=1)
        since: date | None = first
    else:
        since = None
        first = contract.start_date
        last = max(first, min(contract.end_date or today, today))
    span = days_span(first, last, zone)
    totals = []
    for spec in scope.specs:
        tally = Tally()
        for channel, _, total, intervals, _ in rows:
            if channel == spec.channel:
                tally.add(total, intervals)
        minutes = _minutes(spec, rows)
        totals.append((spec, minutes, point(span, tally, scope.coverage.expected(span, minutes))))
    return TotalView(contract, since, totals)
