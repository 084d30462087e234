"""The plausibility check, worked by hand: every expected number below is derived in a comment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from metering.domain.plausibility import (
    annual_volume_for,
    assess,
    days_between,
    expected_per_day,
    factors_for,
    history_per_day,
)
from metering.domain.readings import KnownReading

JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)
LOW, HIGH = D("0.2"), D("3")


def previous(value: str = "1000", at: datetime = JAN_1) -> KnownReading:
    return KnownReading(D(value), at)


def test_days_are_exact_with_their_fraction() -> None:
    assert days_between(JAN_1, JAN_1 + timedelta(days=30)) == 30
    assert days_between(JAN_1, JAN_1 + timedelta(days=1, hours=6)) == D("1.25")  # 6 h is a quarter day


def test_an_annual_volume_gives_the_usual_range() -> None:
    # 3650 kWh a year is 3650 / 365 = 10 kWh a day; over 30 days 300 kWh is expected.
    # Usual: 0.2 x 300 = 60 up to 3 x 300 = 900 kWh, so an index from 1000 + 60 = 1060
    # up to 1000 + 900 = 1900.
    per_day = expected_per_day(None, D("3650"))
    assert per_day == 10
    read_at = JAN_1 + timedelta(days=30)

    def judge(value: str) -> tuple[bool, D, D]:
        verdict = assess(
            previous=previous(),
            value=D(value),
            read_at=read_at,
            per_day=per_day,
            low=LOW,
            high=HIGH,
            min_days=7,
        )
        assert verdict is not None
        return verdict.usual, verdict.expected_min, verdict.expected_max

    assert judge("1300") == (True, D("1060.000"), D("1900.000"))
    assert judge("1060")[0] is True  # both ends are usual
    assert judge("1900")[0] is True
    assert judge("1059.999")[0] is False  # 59.999 kWh < 60
    assert judge("1900.001")[0] is False  # 900.001 kWh > 900
    assert judge("1000")[0] is False  # nothing used in a month of expected use


def test_the_range_is_rounded_outwards_to_three_decimals() -> None:
    # 1000 a year is 1000 / 365 = 2.7397260... a day; over 7 days 19.178082... expected.
    # Low: 0.2 x 19.178082 = 3.8356164... -> index 1003.8356 floored to 1003.835;
    # high: 3 x 19.178082 = 57.534246... -> index 1057.5342 ceiled to 1057.535.
    verdict = assess(
        previous=previous(),
        value=D("1010"),
        read_at=JAN_1 + timedelta(days=7),
        per_day=expected_per_day(None, D("1000")),
        low=LOW,
        high=HIGH,
        min_days=7,
    )
    assert verdict is not None
    assert (verdict.expected_min, verdict.expected_max) == (D("1003.835"), D("1057.535"))


def test_short_spans_and_missing_expectations_are_not_judged() -> None:
    six_days = JAN_1 + timedelta(days=6, hours=23)
    common = {"previous": previous(), "value": D("999999"), "low": LOW, "high": HIGH, "min_days": 7}
    assert assess(read_at=six_days, per_day=D("10"), **common) is None  # under 7 days
    assert assess(read_at=JAN_1 + timedelta(days=60), per_day=None, **common) is None
    assert expected_per_day(None, None) is None


def test_the_meters_own_history_wins_over_the_contract() -> None:
    # From 1000 on 1 January to 1900 on 1 April (90 days): 900 / 90 = 10 a day.
    first, last = previous("1000"), previous("1900", JAN_1 + timedelta(days=90))
    history = history_per_day(first, last, rolled_over=D(0))
    assert history == 10
    assert expected_per_day(history, D("36500")) == 10  # the contract's 100 a day is ignored
    # 89 days of history are not enough: the contract's figure counts then.
    assert history_per_day(first, previous("1890", JAN_1 + timedelta(days=89)), D(0)) is None


def test_history_counts_the_rollovers_in_it() -> None:
    # A 5-digit counter from 99000 on 1 January, wrapped once, to 800 after 180 days:
    # 100000 - 99000 + 800 = 1800 used, 1800 / 180 = 10 a day.
    first, last = previous("99000"), previous("800", JAN_1 + timedelta(days=180))
    assert history_per_day(first, last, rolled_over=D(100000)) == 10


def test_a_rollover_is_judged_on_what_passed_through_the_counter() -> None:
    # 5 digits (capacity 100000), 99900 before, 250 now, after 30 days at 10 a day:
    # used 100000 - 99900 + 250 = 350, usual 60..900: fine. The range wraps past the
    # capacity: 99900 + 60 = 99960 up to 99900 + 900 = 100800, shown as 800.
    verdict = assess(
        previous=previous("99900"),
        value=D("250"),
        read_at=JAN_1 + timedelta(days=30),
        per_day=D("10"),
        low=LOW,
        high=HIGH,
        min_days=7,
        capacity=D(100000),
        rolled_over=True,
    )
    assert verdict is not None
    assert (verdict.usual, verdict.expected_min, verdict.expected_max) == (True, D("99960.000"), D("800.000"))


def test_heat_and_hot_water_get_twice_as_wide_factors() -> None:
    # Seasonal: 0.2 / 2 = 0.1 and 3 x 2 = 6.
    assert factors_for("heat", LOW, HIGH) == (D("0.1"), D("6"))
    assert factors_for("hot_water", LOW, HIGH) == (D("0.1"), D("6"))
    assert factors_for("gas", LOW, HIGH) == (LOW, HIGH)
    # 36.5 GJ a year is 0.1 GJ a day, 3 GJ in 30 days: usual 0.3 .. 18 GJ. 15 GJ in a cold
    # month is usual for heat, where the electricity factors (0.6 .. 9) would have asked.
    low, high = factors_for("heat", LOW, HIGH)
    verdict = assess(
        previous=previous("100"),
        value=D("115"),
        read_at=JAN_1 + timedelta(days=30),
        per_day=expected_per_day(None, D("36.5")),
        low=low,
        high=high,
        min_days=7,
    )
    assert verdict is not None
    assert (verdict.usual, verdict.expected_min, verdict.expected_max) == (True, D("100.300"), D("118.000"))


@pytest.mark.parametrize(
    ("register", "volumes", "expected"),
    [
        ("electricity_single", {"electricity_single": D("3000")}, D("3000")),
        # A single register counts both tariffs: 1800 + 1200.
        (
            "electricity_single",
            {"electricity_normal": D("1800"), "electricity_offpeak": D("1200")},
            D("3000"),
        ),
        (
            "electricity_normal",
            {"electricity_normal": D("1800"), "electricity_offpeak": D("1200")},
            D("1800"),
        ),
        ("electricity_offpeak", {"electricity_single": D("3000")}, None),  # no share is guessed
        ("feed_in_normal", {"electricity_single": D("3000")}, None),
        ("hot_water", {"heat": D("30"), "hot_water": D("40")}, D("40")),
    ],
)
def test_the_contracts_volume_per_register(register: str, volumes: dict[str, D], expected: D | None) -> None:
    assert annual_volume_for(register, volumes) == expected
