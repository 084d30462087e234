"""The calendar of the consumption views: periods in the customer's zone, their spans of
instants and labels, and how many intervals a period should hold. Pure: no clock, no I/O.

A span is [start, end) in UTC. A customer day runs from local midnight to local midnight,
so the day daylight saving time starts holds 23 hours (92 quarter hours) and the day it ends
25 (100). Every zone served has whole-hour offsets, so hour and quarter-hour boundaries in
UTC are local ones too and sub-day spans are simply steps from the day's first instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from portal_chassis.calendar import end_of_day, start_of_day

# What a customer can ask for: the earliest year any smart-meter data can exist, the latest a
# date conversion is safe for, and the longest export (a leap year).
FIRST_YEAR = 2000
LAST_YEAR = 2999
MAX_EXPORT_DAYS = 366
MAX_COMPARE_YEARS = 5


@dataclass(frozen=True)
class Span:
    """One point of a view: [start, end) in UTC and the label a customer reads."""

    start: datetime
    end: datetime
    label: str

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds()) // 60


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def years_earlier(month: date, years: int) -> date:
    """The first of the same month ``years`` earlier."""
    return date(month.year - years, month.month, 1)


def year_span(year: int, zone: ZoneInfo) -> Span:
    return Span(start_of_day(date(year, 1, 1), zone), start_of_day(date(year + 1, 1, 1), zone), f"{year:04d}")


def month_span(month: date, zone: ZoneInfo) -> Span:
    return Span(start_of_day(month, zone), start_of_day(next_month(month), zone), month.strftime("%Y-%m"))


def day_span(day: date, zone: ZoneInfo) -> Span:
    return Span(start_of_day(day, zone), end_of_day(day, zone), day.isoformat())


def days_span(first: date, last: date, zone: ZoneInfo) -> Span:
    """The customer days ``first`` up to and including ``last``, labelled as an ISO interval."""
    return Span(start_of_day(first, zone), end_of_day(last, zone), f"{first}/{last}")


def months_of(year: int, zone: ZoneInfo) -> list[Span]:
    return [month_span(date(year, m, 1), zone) for m in range(1, 13)]


def day_spans(first: date, end: date, zone: ZoneInfo) -> list[Span]:
    """One span per customer day in [first, end); one zone conversion per day."""
    starts = [start_of_day(first + timedelta(days=n), zone) for n in range((end - first).days + 1)]
    return [
        Span(starts[n], starts[n + 1], (first + timedelta(days=n)).isoformat())
        for n in range(len(starts) - 1)
    ]


def sub_day_spans(day: date, minutes: int, zone: ZoneInfo) -> list[Span]:
    """The hours (60) or quarter hours (15) of a customer day, labelled with the local time and
    its offset, so the hour repeated when clocks go back reads 02:00+02:00, then 02:00+01:00."""
    return steps(day_span(day, zone), minutes, zone)


def steps(span: Span, minutes: int, zone: ZoneInfo) -> list[Span]:
    step = timedelta(minutes=minutes)
    count = span.minutes // minutes
    starts = [span.start + n * step for n in range(count)]
    return [Span(s, s + step, s.astimezone(zone).isoformat()) for s in starts]


@dataclass(frozen=True)
class Coverage:
    """When interval data is expected: the instants in [start, end) ranges (the days a remotely
    read meter of the contract was in place during the supply, up to today)."""

    ranges: tuple[tuple[datetime, datetime], ...]

    @property
    def first(self) -> datetime | None:
        return self.ranges[0][0] if self.ranges else None

    @property
    def last(self) -> datetime | None:
        return self.ranges[-1][1] if self.ranges else None

    def expected(self, span: Span, interval_minutes: int) -> int:
        """How many intervals of ``interval_minutes`` the span should hold."""
        seconds = 0.0
        for start, end in self.ranges:
            overlap = (min(end, span.end) - max(start, span.start)).total_seconds()
            if overlap > 0:
                seconds += overlap
        return int(seconds) // (interval_minutes * 60)


def coverage(
    placements: Iterable[tuple[date, date | None]],
    *,
    supply_start: date,
    supply_end: date | None,
    today: date,
    zone: ZoneInfo,
) -> Coverage:
    """The customer days in which data is expected, as instants: each placement covers
    [installed_on, removed_on) (the exchange day belongs to the new meter, and the union has
    the whole day either way), clipped to the supply (start and end day included) and ending
    with today: today's intervals are due (they arrive during the day and the next), tomorrow's
    are not."""
    last = min(supply_end, today) if supply_end is not None else today
    days: list[tuple[date, date]] = []
    for installed_on, removed_on in placements:
        first = max(installed_on, supply_start)
        end = min(removed_on, last + timedelta(days=1)) if removed_on else last + timedelta(days=1)
        if first < end:
            days.append((first, end))
    return Coverage(tuple((start_of_day(a, zone), start_of_day(b, zone)) for a, b in _merged(days)))


def _merged(ranges: Sequence[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for first, end in sorted(ranges):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((first, end))
    return merged
