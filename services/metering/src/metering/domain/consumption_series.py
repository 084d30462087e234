"""What a consumption view shows per commodity, and how stored sums become its points. Pure.

Electricity shows consumption and feed-in as two series (never netted); gas one; a heat
network heat (GJ) and hot tap water (m3). A point with no interval at all has no value (a gap
is never a zero); each point says how many intervals it holds and should hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from metering.domain.consumption_periods import Coverage, Span
from portal_schemas.hub import CHANNEL_UNITS

SeriesName = Literal["consumption", "feed_in", "gas", "heat", "hot_water"]


@dataclass(frozen=True)
class SeriesSpec:
    name: SeriesName
    channel: str  # the hub's interval channel
    unit: str
    # The interval length the hub sends for the channel; data stored with another length wins.
    interval_minutes: int


def _spec(name: SeriesName, channel: str, minutes: int) -> SeriesSpec:
    return SeriesSpec(name, channel, CHANNEL_UNITS[channel], minutes)


SERIES: dict[str, tuple[SeriesSpec, ...]] = {
    "electricity": (
        _spec("consumption", "electricity_consumption", 15),
        _spec("feed_in", "electricity_feed_in", 15),
    ),
    "gas": (_spec("gas", "gas", 60),),
    "heat": (_spec("heat", "heat", 60), _spec("hot_water", "hot_water", 60)),
}


def series_of(commodity: str) -> tuple[SeriesSpec, ...]:
    return SERIES.get(commodity, ())


@dataclass
class Tally:
    """A sum of intervals and how many there were."""

    total: Decimal = Decimal(0)
    intervals: int = 0

    def add(self, total: Decimal, intervals: int) -> None:
        self.total += total
        self.intervals += intervals


@dataclass(frozen=True)
class Point:
    span: Span
    value: Decimal | None  # None: no interval at all in the span
    intervals_received: int
    intervals_expected: int

    @property
    def complete(self) -> bool:
        """Every expected interval is there; a span where none is expected (before the smart
        meter, outside the supply, in the future) is never complete."""
        return self.intervals_expected > 0 and self.intervals_received >= self.intervals_expected


@dataclass(frozen=True)
class Series:
    spec: SeriesSpec
    interval_minutes: int
    total: Point
    points: list[Point]


def point(span: Span, tally: Tally | None, expected: int) -> Point:
    if tally is None or tally.intervals == 0:
        return Point(span, None, 0, expected)
    return Point(span, tally.total, tally.intervals, expected)


def series(
    spec: SeriesSpec,
    whole: Span,
    spans: Sequence[Span],
    tallies: Sequence[Tally | None],
    coverage: Coverage,
    interval_minutes: int,
) -> Series:
    """The points of ``spans`` (one tally each, None for nothing stored) and their total over
    ``whole``. The total's value is None only when no point has one."""
    points = [
        point(span, tally, coverage.expected(span, interval_minutes))
        for span, tally in zip(spans, tallies, strict=True)
    ]
    overall = Tally()
    for tally in tallies:
        if tally is not None:
            overall.add(tally.total, tally.intervals)
    return Series(
        spec, interval_minutes, point(whole, overall, coverage.expected(whole, interval_minutes)), points
    )


def interval_minutes(spec: SeriesSpec, stored: Iterable[int]) -> int:
    """The interval length of the series: what the data was stored with (the shortest, should
    a meter have changed), else what the hub sends for the channel."""
    return min(stored, default=spec.interval_minutes)


def decimal_text(value: Decimal) -> str:
    """A value with at least three and at most six decimals, never in exponent notation."""
    exact = value.quantize(Decimal("0.000001"))
    for places in (3, 4, 5):
        shorter = exact.quantize(Decimal(1).scaleb(-places))
        if shorter == exact:
            return format(shorter, "f")
    return format(exact, "f")
