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


def capacity_of(digits: int | None) -> Decimal | None:
    """What a counter of ``digits`` integer digits counts to before it restarts at zero."""
    return None if digits is None else normalise_value(Decimal(10) ** digits)


def check_fits_counter(value: Decimal, digits: int | None) -> None:
    """A counter of n digits never shows 10 ** n or more (unknown digits: no limit)."""
    capacity = capacity_of(digits)
    if capacity is not None and value >= capacity:
        raise ReadingRejected(
            "value-exceeds-register",
            f"This register shows at most {digits} digits before the decimal point.",
            digits=digits,
        )


def check_rollover(
    value: Decimal,
    *,
    previous: KnownReading | None,
    following: KnownReading | None,
    digits: int | None,
) -> Decimal:
    """A counter that passed its maximum restarts at zero: the value is below the previous
    reading, and the consumption is ``capacity - previous + value``. Returns the capacity.

    Recorded only on the register's latest reading (a rollover before a later reading would
    make that one's consumption meaningless), only when the counter's digits are known, and
    only for less than half a turn of the counter: more is a mistyped value, not a rollover.
    """
    capacity = capacity_of(digits)
    if capacity is None:
        raise ReadingRejected(
            "rollover-not-possible",
            "The number of digits of this register is not known yet, so a rollover cannot be "
            "recorded; the grid operator's meter data will tell it.",
        )
    if previous is None or value >= previous.value:
        raise ReadingRejected(
            "rollover-not-possible",
            "A rollover means the value is below the previous reading; it is not.",
        )
    if following is not None:
        raise ReadingRejected(
            "rollover-not-possible",
            "A rollover can only be recorded after the latest reading of the register.",
            next_read_at=iso_utc(following.read_at),
        )
    if capacity - previous.value + value >= capacity / 2:
        raise ReadingRejected(
            "rollover-not-possible",
            "That would be more than half a turn of the counter since the previous reading; "
            "please check the value.",
            previous_value=str(previous.value),
        )
    return capacity


def is_final(read_at: datetime, end_date: date | None, zone: ZoneInfo) -> bool:
    """A reading dated on the contract's last supply day (any moment of that customer day)
    closes the supply. Readings after that day are refused (check_read_at), so the start of
    the next day never counts as final."""
    return end_date is not None and start_of_day(end_date, zone) <= read_at < end_of_day(end_date, zone)
