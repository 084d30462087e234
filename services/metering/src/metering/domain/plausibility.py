"""Is a reading plausible? Pure: no I/O, no clock.

The consumption since the register's previous reading is compared with what the connection
is expected to use over the same span:

- expected per day: the meter's own history (its consumption from its first reading up to
  the previous one, per day) when that history spans at least ``HISTORY_MIN_DAYS``; else the
  contract's expected annual volume for the register / 365; else nothing, and no check;
- usual: ``low * expected <= consumption <= high * expected`` (settings' factors). Heat and hot
  tap water follow the seasons, which an even spread over the year ignores (a simplification:
  no degree-day profile), so their factors are widened twice as far;
- spans shorter than the settings' minimum say too little (a shower more or less) and are
  not judged.

The range is reported as index values (what the customer sees on the meter): the previous
index plus the least and most usual consumption, wrapped past a counter's capacity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from metering.domain.readings import VALUE_STEP, KnownReading
from metering.domain.registers import DUAL_TARIFF

HISTORY_MIN_DAYS = 90  # a shorter history is too seasonal to stand for the year
DAYS_PER_YEAR = Decimal(365)
_SEASONAL = frozenset({"heat", "hot_water"})


@dataclass(frozen=True)
class Verdict:
    usual: bool
    expected_min: Decimal  # lowest usual index
    expected_max: Decimal  # highest usual index


def days_between(earlier: datetime, later: datetime) -> Decimal:
    """Exact days (with the fraction) from ``earlier`` to ``later``."""
    return Decimal((later - earlier) // timedelta(microseconds=1)) / Decimal(86_400_000_000)


def annual_volume_for(register: str, volumes: Mapping[str, Decimal]) -> Decimal | None:
    """The contract's expected annual volume of ``register``. A single register counts both
    tariffs, so without its own figure it expects normal + off-peak together; a normal or
    off-peak register without its own figure has none (no share is guessed)."""
    if register in volumes:
        return volumes[register]
    if register == "electricity_single" and all(r in volumes for r in DUAL_TARIFF):
        return sum((volumes[r] for r in DUAL_TARIFF), Decimal(0))
    return None


def history_per_day(first: KnownReading, last: KnownReading, rolled_over: Decimal) -> Decimal | None:
    """The meter's average consumption per day from ``first`` to ``last`` of one register;
    ``rolled_over`` is the sum of the capacities of the rollovers in between. None for a
    history shorter than HISTORY_MIN_DAYS."""
    days = days_between(first.read_at, last.read_at)
    if days < HISTORY_MIN_DAYS:
        return None
    return (last.value - first.value + rolled_over) / days


def expected_per_day(history: Decimal | None, annual_volume: Decimal | None) -> Decimal | None:
    if history is not None:
        return history
    if annual_volume is not None:
        return annual_volume / DAYS_PER_YEAR
    return None


def factors_for(register: str, low: Decimal, high: Decimal) -> tuple[Decimal, Decimal]:
    """The settings' factors, widened twice as far for the seasonal registers."""
    if register in _SEASONAL:
        return low / 2, high * 2
    return low, high


def assess(
    *,
    previous: KnownReading,
    value: Decimal,
    read_at: datetime,
    per_day: Decimal | None,
    low: Decimal,
    high: Decimal,
    min_days: int,
    capacity: Decimal | None = None,
    rolled_over: bool = False,
) -> Verdict | None:
    """Judge ``value`` read at ``read_at`` after ``previous``; None when not judged (nothing
    expected, or a span under ``min_days``). ``capacity`` (10 ** digits) is the counter's,
    when known; ``rolled_over``: the counter passed it since ``previous``."""
    if per_day is None:
        return None
    days = days_between(previous.read_at, read_at)
    if days < min_days:
        return None
    consumption = value - previous.value
    if rolled_over:
        assert capacity is not None, "a rollover needs the counter's capacity"
        consumption += capacity
    least = low * per_day * days
    most = high * per_day * days
    return Verdict(
        usual=least <= consumption <= most,
        expected_min=_index(previous.value + least, capacity, ROUND_FLOOR),
        expected_max=_index(previous.value + most, capacity, ROUND_CEILING),
    )


def _index(value: Decimal, capacity: Decimal | None, rounding: str) -> Decimal:
    """An index as the meter shows it: three decimals (rounded outwards, so the range holds
    every usual value) and past the capacity from zero again."""
    shown = value.quantize(VALUE_STEP, rounding=rounding)
    return shown % capacity if capacity is not None else shown
