"""SEPA direct debit rules: when a collection is taken, which sequence type a debit has, and
the identifiers a pain.008 file carries.

- Collection date: today + the lead days, moved on to the next TARGET2 business day. TARGET2
  (the euro settlement system) is closed on Saturdays, Sundays, 1 January, Good Friday, Easter
  Monday, 1 May, 25 and 26 December; a debit requested for such a day would be settled late
  or refused by the bank.
- Sequence type: FRST for the first debit under a mandate, RCUR for every later one. All the
  debits of a new mandate in its first file are FRST (they go to the bank together).
- End-to-end id: the invoice number. It comes back with a returned debit and is on the
  customer's bank statement; being the invoice's own number, an invoice is debited once.
"""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta
from typing import Literal

import holidays
from stdnum import bic, iban
from stdnum.eu import at_02
from stdnum.exceptions import ValidationError

SequenceType = Literal["FRST", "RCUR"]

# ISO 20022 return reason codes are four letters or digits (AM04, MD06, MS02, FOCR, ...).
REASON_CODE = re.compile(r"^[A-Z0-9]{4}$")


@functools.cache
def _target2_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XECB", years=year))


def target2_closed(day: date) -> bool:
    return day.weekday() >= 5 or day in _target2_holidays(day.year)


def collection_date(today: date, lead_days: int) -> date:
    """The first TARGET2 business day on or after ``today + lead_days``."""
    day = today + timedelta(days=lead_days)
    while target2_closed(day):
        day += timedelta(days=1)
    return day


def sequence_type(mandate_debited_before: bool) -> SequenceType:
    return "RCUR" if mandate_debited_before else "FRST"


def end_to_end_id(invoice_number: str) -> str:
    return invoice_number


def check_iban(value: str) -> str:
    """The IBAN without spaces, upper case; ValueError when its checksum or length is wrong."""
    try:
        return str(iban.validate(value))
    except ValidationError as exc:
        raise ValueError("not a valid IBAN") from exc


def check_bic(value: str) -> str:
    try:
        return str(bic.validate(value))
    except ValidationError as exc:
        raise ValueError("not a valid BIC") from exc


def check_creditor_id(value: str) -> str:
    """A SEPA creditor identifier (AT-02): country, check digits, business code (ZZZ when
    none) and the national id; a Dutch one is NLxxZZZ + 8-digit KvK number + 4 digits."""
    try:
        compact = str(at_02.validate(value))
    except ValidationError as exc:
        raise ValueError("not a valid SEPA creditor identifier") from exc
    if compact.startswith("NL") and not re.fullmatch(r"NL\d{2}[A-Z0-9]{3}\d{12}", compact):
        raise ValueError("a Dutch creditor identifier is NLxxZZZ followed by 12 digits")
    return compact
