"""What proves that someone holds a contract: the 8-character code of a registration letter,
or the number and amount of the contract's latest invoice. Pure rules, no I/O."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

from identity.domain.registration import without_whitespace

REGISTRATION_CODE_LENGTH: Final = 8
# A letter's code dies after this many wrong tries (a new letter brings a new one).
MAX_WRONG_REGISTRATION_CODES: Final = 5

_AMOUNT = re.compile(r"-?[0-9]{1,9}(?:[.,][0-9]{1,2})?")


def normalise_contract_number(value: str) -> str:
    number = without_whitespace(value)
    if len(number) != 9 or not number.isascii() or not number.isdigit():
        raise ValueError("the contract number has 9 digits")
    return number


def normalise_registration_code(value: str) -> str:
    """Spaces do not count (letters print the code in two groups); case does."""
    code = without_whitespace(value)
    if len(code) != REGISTRATION_CODE_LENGTH or not code.isascii() or not code.isalnum():
        raise ValueError("the registration code has 8 letters and digits, as on the letter")
    return code


def parse_amount(value: str) -> Decimal:
    """An invoice total as typed: "98,00", "98.00", "98" or "€ 98,5" (euro, at most 2 decimals).
    Thousands separators are refused: "1.234" would be ambiguous."""
    text = without_whitespace(value).removeprefix("€").removeprefix("EUR")
    if not _AMOUNT.fullmatch(text):
        raise ValueError('the amount is in euro with at most 2 decimals, like "98,00" or "98.00"')
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError("the amount is not a number") from exc


def invoice_number_matches(stored: str, given: str) -> bool:
    """Invoice numbers are compared without spaces and case (as printed they may be grouped)."""
    return without_whitespace(stored).upper() == without_whitespace(given).upper()
