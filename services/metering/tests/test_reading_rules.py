"""The pure rules behind accepting a reading: customer days, the supply period, monotony."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from metering.domain.calendar import as_instant
from metering.domain.errors import ReadingRejected
from metering.domain.meters import current, meter_at
from metering.domain.readings import (
    KnownReading,
    SupplyPeriod,
    check_fits_counter,
    check_monotonic,
    check_read_at,
    check_rollover,
    is_final,
    normalise_value,
)
from metering.domain.registers import register_fits, registers_for, unit_of
from portal_chassis.calendar import end_of_day, start_of_day

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SKEW = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)],
)
def test_customer_days_follow_daylight_saving(day: date, hours: int) -> None:
    assert end_of_day(day, AMS) - start_of_day(day, AMS) == timedelta(hours=hours)


def test_a_date_is_local_midnight_and_a_datetime_keeps_its_instant() -> None:
    assert as_instant(date(2026, 1, 1), AMS) == datetime(2025, 12, 31, 23, tzinfo=UTC)
    plus_two = datetime(2026, 7, 1, 8, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert as_instant(plus_two, AMS) == datetime(2026, 7, 1, 6, tzinfo=UTC)
    with pytest.raises(ValueError):
        as_instant(datetime(2026, 7, 1, 8), AMS)  # noqa: DTZ001 - naive on purpose


def check(read_at: datetime, period: SupplyPeriod) -> str | None:
    try:
        check_read_at(read_at, now=NOW, clock_skew=SKEW, period=period, zone=AMS)
    except ReadingRejected as rejected:
        return rejected.slug
    return None


def test_the_supply_period_includes_its_whole_last_day() -> None:
    period = SupplyPeriod(date(2026, 1, 1), date(2026, 10, 25))
    # 25 October ends at 26 October 00:00 CET = 25 October 23:00 UTC (a 25-hour day).
    last = datetime(2026, 10, 25, 23, tzinfo=UTC)
    assert check(last - timedelta(microseconds=1), period) is None
    assert check(last, period) == "reading-after-contract-end"
    assert check(datetime(2025, 12, 31, 23, tzinfo=UTC), period) is None  # 1 Jan 00:00 CET
    assert check(datetime(2025, 12, 31, 22, 59, tzinfo=UTC), period) == ("reading-before-contract-start")


def test_the_future_starts_after_the_clock_skew() -> None:
    period = SupplyPeriod(date(2026, 1, 1), None)
    assert check(NOW + SKEW, period) is None
    assert check(NOW + SKEW + timedelta(seconds=1), period) == "reading-in-future"


def test_an_index_never_goes_down() -> None:
    before = KnownReading(Decimal("100.000"), datetime(2026, 2, 1, tzinfo=UTC))
    after = KnownReading(Decimal("200.000"), datetime(2026, 4, 1, tzinfo=UTC))
    for value in ("100", "150.5", "200"):  # equal to a neighbour is fine
        check_monotonic(Decimal(value), previous=before, following=after)
    with pytest.raises(ReadingRejected) as low:
        check_monotonic(Decimal("99.999"), previous=before, following=after)
    assert low.value.extra == {
        "previous_value": "100.000",
        "previous_read_at": "2026-02-01T00:00:00Z",
    }
    check_monotonic(Decimal("200.001"), previous=before, following=None)  # no upper bound
    with pytest.raises(ReadingRejected) as high:
        check_monotonic(Decimal("200.001"), previous=None, following=after)
    assert high.value.extra == {"next_value": "200.000", "next_read_at": "2026-04-01T00:00:00Z"}


def test_values_keep_three_decimals_exactly() -> None:
    assert str(normalise_value(Decimal("1E+3"))) == "1000.000"
    assert str(normalise_value(Decimal("0.1"))) == "0.100"


def test_registers_and_units_per_commodity() -> None:
    assert registers_for("heat") == ("heat", "hot_water")
    assert [unit_of(r) for r in registers_for("heat")] == ["GJ", "m3"]
    assert unit_of(registers_for("electricity")[0]) == "kWh"
    assert unit_of(registers_for("gas")[0]) == "m3"


def test_a_dual_tariff_contract_gets_normal_and_offpeak_registers() -> None:
    assert registers_for("electricity", {"electricity_normal": 1}) == (
        "electricity_normal",
        "electricity_offpeak",
    )
    assert registers_for("electricity", {"electricity_single": 1}) == ("electricity_single",)
    assert registers_for("electricity") == ("electricity_single",)
    assert registers_for("gas", {"electricity_normal": 1}) == ("gas",)
    assert register_fits("electricity", "feed_in_offpeak")
    assert not register_fits("electricity", "gas")
    assert not register_fits("heat", "electricity_single")


def rejected(call: object) -> tuple[str, dict[str, object]]:
    assert callable(call)
    with pytest.raises(ReadingRejected) as caught:
        call()
    return caught.value.slug, caught.value.extra


def test_a_counter_shows_no_more_digits_than_it_has() -> None:
    check_fits_counter(Decimal("99999.999"), 5)
    check_fits_counter(Decimal("123456789"), None)  # digits unknown: no limit
    slug, extra = rejected(lambda: check_fits_counter(Decimal("100000"), 5))
    assert (slug, extra) == ("value-exceeds-register", {"digits": 5})


def test_a_rollover_needs_digits_a_lower_value_and_less_than_half_a_turn() -> None:
    before = KnownReading(Decimal("99800"), datetime(2026, 2, 1, tzinfo=UTC))
    # 5 digits: 100000 - 99800 + 150 = 350 used, far below half a turn (50000).
    assert check_rollover(Decimal("150"), previous=before, following=None, digits=5) == Decimal(100000)
    cases = [
        lambda: check_rollover(Decimal("150"), previous=before, following=None, digits=None),
        lambda: check_rollover(Decimal("99900"), previous=before, following=None, digits=5),  # not lower
        lambda: check_rollover(Decimal("150"), previous=None, following=None, digits=5),
        # 100000 - 99800 + 49800 = 50000: half a turn is a mistyped value.
        lambda: check_rollover(Decimal("49800"), previous=before, following=None, digits=5),
        lambda: check_rollover(
            Decimal("150"),
            previous=before,
            following=KnownReading(Decimal("99950"), datetime(2026, 4, 1, tzinfo=UTC)),
            digits=5,
        ),
    ]
    for case in cases:
        assert rejected(case)[0] == "rollover-not-possible"
    assert check_rollover(Decimal("49799.999"), previous=before, following=None, digits=5) == 100000


def test_a_final_reading_is_dated_on_the_last_supply_day() -> None:
    # 30 June 2026 in Amsterdam (CEST) runs from 29 June 22:00 UTC to 30 June 22:00 UTC.
    end = date(2026, 6, 30)
    assert is_final(datetime(2026, 6, 29, 22, tzinfo=UTC), end, AMS)
    assert is_final(datetime(2026, 6, 30, 21, 59, tzinfo=UTC), end, AMS)
    assert not is_final(datetime(2026, 6, 29, 21, 59, tzinfo=UTC), end, AMS)  # the day before
    assert not is_final(datetime(2026, 6, 30, 22, tzinfo=UTC), end, AMS)  # 1 July 00:00
    assert not is_final(datetime(2026, 6, 30, 12, tzinfo=UTC), None, AMS)


@dataclass
class Placement:
    name: str
    installed_on: date
    removed_on: date | None = None


def test_a_moment_belongs_to_the_meter_in_place_then() -> None:
    old = Placement("old", date(2026, 1, 1), removed_on=date(2026, 5, 10))
    new = Placement("new", date(2026, 5, 10))
    meters = [new, old]
    # 10 May 00:00 CEST is 9 May 22:00 UTC: from then on the new meter counts.
    assert meter_at(meters, datetime(2026, 5, 9, 21, 59, tzinfo=UTC), AMS) is old
    assert meter_at(meters, datetime(2026, 5, 9, 22, tzinfo=UTC), AMS) is new
    assert meter_at(meters, datetime(2025, 12, 1, tzinfo=UTC), AMS) is old  # before any: the first
    assert current(meters) is new
    assert meter_at([], NOW, AMS) is None
    # Exchanged on its own installation day: the one still in place is the later.
    same_day = [
        Placement("wrong", date(2026, 3, 1), removed_on=date(2026, 3, 1)),
        Placement("right", date(2026, 3, 1)),
    ]
    assert meter_at(same_day, datetime(2026, 3, 2, tzinfo=UTC), AMS).name == "right"  # type: ignore[union-attr]
    assert current(same_day).name == "right"  # type: ignore[union-attr]
