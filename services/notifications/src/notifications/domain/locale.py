"""Language choice and the way each language writes dates, times, amounts and quantities.

Babel's CLDR data does the writing: it ships with the package, so the output does not depend
on the locales installed on the host.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import get_args
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _cldr_date
from babel.dates import format_time as _cldr_time
from babel.dates import get_datetime_format
from babel.numbers import format_currency, format_decimal

from portal_schemas.types import Language, to_cents

DEFAULT_LANGUAGE: Language = "nl"
LANGUAGES: tuple[Language, ...] = get_args(Language)

# One country's conventions per language. The customers live in the Netherlands (Dutch
# postcodes, Europe/Amsterdam), hence nl_NL (€ 98,00). English as written in a euro country,
# Ireland: day before month (1 March 2026) and €98.00, where en_US would write March 1, 2026.
# French and German as in France and Germany (98,00 €); Belgium's fr_BE and de_BE write
# amounts and dates the same way.
_LOCALES: dict[Language, Locale] = {
    "nl": Locale.parse("nl_NL"),
    "en": Locale.parse("en_IE"),
    "fr": Locale.parse("fr_FR"),
    "de": Locale.parse("de_DE"),
}


def pick_language(value: str | None) -> Language:
    """The recipient's language when the portal speaks it, else Dutch."""
    for language in LANGUAGES:
        if value == language:
            return language
    return DEFAULT_LANGUAGE


def format_date(day: date, language: Language) -> str:
    """The long form: 1 maart 2026, 1 March 2026, 1 mars 2026, 1. März 2026."""
    return _cldr_date(day, "long", locale=_LOCALES[language])


def format_datetime(moment: datetime, zone: ZoneInfo, language: Language) -> str:
    """A moment as the customer's wall clock shows it (``zone``): the long date and the hour
    and minute, joined the language's way, e.g. 5 maart 2026, 14:30."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined local time")
    local = moment.astimezone(zone)
    locale = _LOCALES[language]
    # CLDR's "{1}, {0}" (date, time); the long time would add seconds and the zone's name.
    pattern = str(get_datetime_format("long", locale=locale)).replace("'", "")
    time = _cldr_time(local, "short", tzinfo=zone, locale=locale)
    return pattern.replace("{0}", time).replace("{1}", format_date(local.date(), language))


def format_money(amount: Decimal, language: Language) -> str:
    """Euro, rounded half-up to the cent: € 1.234,56 / €1,234.56 / 1 234,56 € / 1.234,56 €
    (with the language's no-break spaces)."""
    # Babel rounds half-even (2.345 → 2.34); rounding here first leaves it nothing to round.
    return format_currency(to_cents(amount), "EUR", locale=_LOCALES[language])


def format_quantity(value: Decimal, language: Language) -> str:
    """A meter value with the decimals it has (trailing zeros dropped, never rounded), grouped
    by thousands."""
    return format_decimal(value, locale=_LOCALES[language], decimal_quantization=False)


def format_postcode(postcode: str) -> str:
    """A Dutch postcode as written on letters: 1234AB → 1234 AB."""
    return f"{postcode[:4]} {postcode[4:]}"
