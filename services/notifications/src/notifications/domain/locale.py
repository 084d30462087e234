"""Language choice and the way each language writes dates, times, amounts and quantities.

Written out here rather than pulled from a locale library: four languages, a few formats,
and the output must not depend on the locales installed on the host.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import get_args
from zoneinfo import ZoneInfo

from portal_schemas.types import Language, to_cents

DEFAULT_LANGUAGE: Language = "nl"
LANGUAGES: tuple[Language, ...] = get_args(Language)

_MONTHS: dict[Language, tuple[str, ...]] = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
}  # fmt: skip

# (thousands separator, decimal separator); French groups with a narrow no-break space.
_SEPARATORS: dict[Language, tuple[str, str]] = {
    "nl": (".", ","),
    "en": (",", "."),
    "fr": ("\u202f", ","),
    "de": (".", ","),
}
_NBSP = "\u00a0"


def pick_language(value: str | None) -> Language:
    """The recipient's language when the portal speaks it, else Dutch."""
    for language in LANGUAGES:
        if value == language:
            return language
    return DEFAULT_LANGUAGE


def format_date(day: date, language: Language) -> str:
    month = _MONTHS[language][day.month - 1]
    if language == "de":
        return f"{day.day}. {month} {day.year}"
    if language == "fr" and day.day == 1:
        return f"1er {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def format_datetime(moment: datetime, zone: ZoneInfo, language: Language) -> str:
    """A moment as the customer's wall clock shows it (``zone``), e.g. 5 maart 2026 om 14:30."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined local time")
    local = moment.astimezone(zone)
    day = format_date(local.date(), language)
    if language == "nl":
        return f"{day} om {local:%H:%M}"
    if language == "fr":
        return f"{day} à {local.hour}h{local:%M}"
    if language == "de":
        return f"{day} um {local:%H:%M} Uhr"
    return f"{day} at {local:%H:%M}"


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def format_money(amount: Decimal, language: Language) -> str:
    """Euro, rounded half-up to the cent: € 1.234,56 / €1,234.56 / 1 234,56 € / 1.234,56 €."""
    cents = to_cents(amount)
    sign = "-" if cents < 0 else ""
    units, fraction = f"{abs(cents):f}".split(".")
    thousands, decimal = _SEPARATORS[language]
    number = f"{_group(units, thousands)}{decimal}{fraction}"
    if language == "nl":
        return f"€{_NBSP}{sign}{number}"
    if language == "en":
        return f"{sign}€{number}"
    return f"{sign}{number}{_NBSP}€"


def format_quantity(value: Decimal, language: Language) -> str:
    """A meter value with the decimals it has (trailing zeros dropped), grouped by thousands."""
    text = f"{value.normalize():f}"
    sign = "-" if text.startswith("-") else ""
    units, _, fraction = text.lstrip("-").partition(".")
    thousands, decimal = _SEPARATORS[language]
    grouped = _group(units, thousands)
    return f"{sign}{grouped}{decimal}{fraction}" if fraction else f"{sign}{grouped}"


def format_postcode(postcode: str) -> str:
    """A Dutch postcode as written on letters: 1234AB → 1234 AB."""
    return f"{postcode[:4]} {postcode[4:]}"
