"""How each language writes amounts, meter values, dates and times."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from notifications.domain.locale import (
    format_date,
    format_datetime,
    format_money,
    format_quantity,
    pick_language,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        ("98", "nl", f"€{NBSP}98,00"),
        ("98", "en", "€98.00"),
        ("98", "fr", f"98,00{NBSP}€"),
        ("98", "de", f"98,00{NBSP}€"),
        ("1234.56", "nl", f"€{NBSP}1.234,56"),
        ("1234.56", "en", "€1,234.56"),
        ("1234.56", "fr", f"1{NNBSP}234,56{NBSP}€"),
        ("1234.56", "de", f"1.234,56{NBSP}€"),
        ("-1234.5", "nl", f"€{NBSP}-1.234,50"),
        ("-1234.5", "en", "-€1,234.50"),
        ("-1234.5", "fr", f"-1{NNBSP}234,50{NBSP}€"),
        ("-1234.5", "de", f"-1.234,50{NBSP}€"),
        # Half-up at the cent (babel alone would round half-even: 2.345 → 2.34), also for
        # negatives (away from zero).
        ("2.345", "en", "€2.35"),
        ("2.345", "nl", f"€{NBSP}2,35"),
        ("2.344999", "en", "€2.34"),
        ("-0.005", "en", "-€0.01"),
        ("-12.5", "nl", f"€{NBSP}-12,50"),
        # Rounding to zero never leaves a minus sign behind.
        ("-0.004", "de", f"0,00{NBSP}€"),
        # 999.995 rounds to 1000.00, which then needs a thousands separator.
        ("999.995", "de", f"1.000,00{NBSP}€"),
        ("1234567.8", "en", "€1,234,567.80"),
        ("1234567.8", "fr", f"1{NNBSP}234{NNBSP}567,80{NBSP}€"),
        ("0", "fr", f"0,00{NBSP}€"),
    ],
)
def test_money(amount: str, language: str, expected: str) -> None:
    assert format_money(Decimal(amount), language) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        ("1234.500", "en", "1,234.5"),
        ("1234.500", "nl", "1.234,5"),
        ("12345.000000", "de", "12.345"),
        ("0.125", "fr", "0,125"),
        ("1000000", "fr", f"1{NNBSP}000{NNBSP}000"),
        ("0", "nl", "0"),
        # Never rounded: a value keeps every decimal it has.
        ("0.12345", "de", "0,12345"),
        ("123456.7891", "en", "123,456.7891"),
        ("-3.250", "nl", "-3,25"),
    ],
)
def test_quantity(value: str, language: str, expected: str) -> None:
    assert format_quantity(Decimal(value), language) == expected  # type: ignore[arg-type]


def test_dates_per_language() -> None:
    first_of_march = dt.date(2026, 3, 1)
    assert format_date(first_of_march, "nl") == "1 maart 2026"
    assert format_date(first_of_march, "en") == "1 March 2026"
    assert format_date(first_of_march, "fr") == "1 mars 2026"
    assert format_date(first_of_march, "de") == "1. März 2026"
    assert format_date(dt.date(2026, 8, 15), "fr") == "15 août 2026"


def test_times_are_shown_on_the_amsterdam_clock_across_daylight_saving() -> None:
    # Winter (CET, UTC+1): 29 March 2026 00:30 UTC is 01:30 local, half an hour before the
    # clocks jump from 02:00 to 03:00.
    winter = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)
    assert format_datetime(winter, AMSTERDAM, "nl") == "29 maart 2026, 01:30"
    # One hour later in UTC is two hours later on the clock: 03:30 CEST (UTC+2).
    summer = winter + dt.timedelta(hours=1)
    assert format_datetime(summer, AMSTERDAM, "nl") == "29 maart 2026, 03:30"
    assert format_datetime(summer, AMSTERDAM, "en") == "29 March 2026, 03:30"
    assert format_datetime(summer, AMSTERDAM, "fr") == "29 mars 2026, 03:30"
    assert format_datetime(summer, AMSTERDAM, "de") == "29. März 2026, 03:30"


def test_the_autumn_hour_that_happens_twice_reads_the_same_on_the_clock() -> None:
    # 25 October 2026: 00:30 UTC is 02:30 CEST, and an hour later it is 02:30 CET again.
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    assert format_datetime(first, AMSTERDAM, "en") == "25 October 2026, 02:30"
    assert format_datetime(first + dt.timedelta(hours=1), AMSTERDAM, "en") == "25 October 2026, 02:30"
    assert format_datetime(first + dt.timedelta(hours=2), AMSTERDAM, "de") == "25. Oktober 2026, 03:30"


def test_a_time_near_midnight_falls_on_the_customers_day() -> None:
    late = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)  # 00:30 on New Year's Day in Amsterdam
    assert format_datetime(late, AMSTERDAM, "fr") == "1 janvier 2027, 00:30"


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_datetime(dt.datetime(2026, 1, 1, 12, 0), AMSTERDAM, "nl")  # noqa: DTZ001


def test_unknown_languages_fall_back_to_dutch() -> None:
    assert pick_language("de") == "de"
    assert pick_language("es") == "nl"
    assert pick_language("") == "nl"
    assert pick_language(None) == "nl"
