"""Bodies and parameters of the consumption views (api/consumption.py)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainValidator, WithJsonSchema

from metering.domain.consumption_periods import FIRST_YEAR, LAST_YEAR
from metering.domain.consumption_series import Point, Series, SeriesName, decimal_text
from metering.use_cases.consumption import Period
from portal_schemas.contracts import Commodity
from portal_schemas.hub import IntervalChannel
from portal_schemas.metering import Unit

_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _in_range(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")


def _month(value: object) -> date:
    if not isinstance(value, str) or not _MONTH.fullmatch(value):
        raise ValueError("expected a month as YYYY-MM, e.g. 2026-03")
    year, month = int(value[:4]), int(value[5:])
    if not 1 <= month <= 12:
        raise ValueError("the month must be 01 to 12")
    _in_range(year)
    return date(year, month, 1)


def _day(value: object) -> date:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError("expected a day as YYYY-MM-DD, e.g. 2026-03-29")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("no such day in the calendar") from None
    _in_range(day.year)
    return day


MonthParam = Annotated[
    date,
    PlainValidator(_month),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}$",
            "description": "A calendar month, YYYY-MM.",
            "examples": ["2026-03"],
        }
    ),
]
DayParam = Annotated[
    date,
    PlainValidator(_day),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": "A customer day (Europe/Amsterdam), YYYY-MM-DD.",
            "examples": ["2026-03-29"],
        }
    ),
]


class PointOut(BaseModel):
    start: datetime = Field(description="First instant of the point, UTC.")
    end: datetime = Field(description="First instant after it, UTC.")
    label: str = Field(
        description="The point in the customer's calendar: 2026, 2026-03, 2026-03-29, or the local "
        "time with its offset for hours and quarter hours (2026-10-25T02:00:00+02:00).",
    )
    value: Decimal | None = Field(
        description="The energy or volume, a decimal string in the series' unit; null when no "
        "interval at all was received (a gap, not a zero)."
    )
    intervals_received: int
    intervals_expected: int = Field(
        description="Intervals the point should hold: 96 quarter hours a day (92 or 100 on the "
        "days clocks change), 0 before the smart meter, outside the supply and in the future."
    )
    complete: bool = Field(description="Every expected interval was received.")

    @classmethod
    def of(cls, point: Point) -> PointOut:
        return cls(
            start=point.span.start,
            end=point.span.end,
            label=point.span.label,
            value=None if point.value is None else Decimal(decimal_text(point.value)),
            intervals_received=point.intervals_received,
            intervals_expected=point.intervals_expected,
            complete=point.complete,
        )


class SeriesOut(BaseModel):
    name: SeriesName = Field(
        description="consumption and feed_in (electricity, shown apart), gas, heat and hot_water"
    )
    channel: IntervalChannel
    unit: Unit
    interval_minutes: int = Field(description="Length of the meter's intervals: 15 or 60.")
    total: PointOut = Field(description="The whole period.")
    points: list[PointOut]

    @classmethod
    def of(cls, series: Series) -> SeriesOut:
        return cls(
            name=series.spec.name,
            channel=series.spec.channel,
            unit=series.spec.unit,
            interval_minutes=series.interval_minutes,
            total=PointOut.of(series.total),
            points=[PointOut.of(p) for p in series.points],
        )


class PeriodOut(BaseModel):
    label: str = Field(description="2026, 2026-03, 2026-03-29, or from/to of an export")
    start: datetime
    end: datetime
    series: list[SeriesOut]

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        return cls(
            label=period.span.label,
            start=period.span.start,
            end=period.span.end,
            series=[SeriesOut.of(s) for s in period.series],
        )


class ConsumptionOut(BaseModel):
    contract_id: str
    commodity: Commodity
    time_zone: str = Field(
        description="The zone of the customer's calendar days", examples=["Europe/Amsterdam"]
    )
    resolution: Literal["month", "day", "hour", "quarter_hour"] = Field(description="What one point covers")
    period: PeriodOut
    earlier: list[PeriodOut] = Field(
        description="The same period of earlier years (compare_years), the most recent first."
    )


class SeriesTotalOut(BaseModel):
    name: SeriesName
    channel: IntervalChannel
    unit: Unit
    interval_minutes: int
    total: PointOut


class TotalOut(BaseModel):
    contract_id: str
    commodity: Commodity
    time_zone: str
    since: date | None = Field(
        description="The first day smart-meter data is expected for (the meter's placement or the "
        "contract's start, whichever is later); null while the contract has no smart meter."
    )
    series: list[SeriesTotalOut]
