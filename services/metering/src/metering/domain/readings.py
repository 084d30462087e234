"""The rules a meter reading must meet before it is accepted. Pure: no I/O, no clock.

Values are indexes (the meter's counter), so they only go up over time. They are kept with
three decimals, the most any of our meters shows (kWh, m3 and GJ alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from metering.domain.calendar import iso_utc
from metering.domain.errors import ReadingRejected
from portal_chassis.calendar import end_of_day, start_of_day

VALUE_STEP = Decimal("0.001")


def normalise_value(value: Decimal) -> Decimal:
    """Three decimals, so "1234.5" and "1234.500" are one value everywhere (exact: the API
    refuses more than three decimals)."""
    return value.quantize(VALUE_STEP)


@dataclass(frozen=True)
class SupplyPeriod:
    """The customer days a contract supplies energy: start_date up to and including end_date."""

    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class KnownReading:
    value: Decimal
    read_at: datetime


def check_read_at(
    read_at: datetime,
    *,
    now: datetime,
    clock_skew: timedelta,
    period: SupplyPeriod,
    zone: ZoneInfo,
) -> None:
    if read_at > now + clock_skew:
        raise ReadingRejected("reading-in-future", "A reading cannot be dated in the future.")
    if read_at < start_of_day(period.start_date, zone):
        raise ReadingRejected(
            "reading-before-contract-start",
            f"The contract starts on {period.start_date.isoformat()}; the reading is dated before that.",
            start_date=period.start_date.isoformat(),
        )
    if period.end_date is not None and read_at >= end_of_day(period.end_date, zone):
        raise ReadingRejected(
            "reading-after-contract-end",
            f"The contract ended on {period.end_date.isoformat()}; the reading is dated after that.",
            end_date=period.end_date.isoformat(),
        )


def check_monotonic(value: Decimal, *, previous: KnownReading | None, following: KnownReading | None) -> None:
    """An index never goes down: at least the reading before it, at most the one after it.

    Customer readings usually come last, but a reading may be dated between two known ones
    (a technician's visit reported late, say), so both neighbours are checked.
    """
    if previous is not None and value < previous.value:
        raise ReadingRejected(
            "reading-not-monotonic",
            f"The value is lower than the previous reading ({previous.value}).",
            previous_value=str(previous.value),
            previous_read_at=iso_utc(previous.read_at),
        )
    if following is not None and value > following.value:
        raise ReadingRejected(
            "reading-not-monotonic",
            f"The value is higher than a later reading ({following.value}).",
            next_value=str(following.value),
            next_read_at=iso_utc(following.read_at),
        )
