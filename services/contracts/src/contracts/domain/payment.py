"""Payment details: the IBAN invoices are paid from and how they are paid.

IBANs are checked with python-stdnum (country length and format, ISO 7064 mod-97 check
digits), so a mistyped digit is refused before anything is stored. Direct debit needs an IBAN
to collect from; paying by transfer does not, but a stored IBAN is kept for refunds.
"""

from __future__ import annotations

from typing import Literal

from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum, ValidationError

from contracts.domain.errors import InvalidPaymentDetails

PaymentMethod = Literal["direct_debit", "transfer"]


def normalise_iban(typed: str, *, field: str = "iban") -> str:
    """The compact form (``NL91ABNA0417164300``) of a typed IBAN (spaces, lower case allowed).

    The refusal says what is wrong but never repeats the number.
    """
    try:
        compact: str = stdnum_iban.validate(typed)
    except InvalidChecksum:
        # stdnum tests the check digits before the country's length and format; a number that
        # is wrong in form gets the form message, not a misleading check-digit one.
        if not _well_formed(stdnum_iban.compact(typed)):
            raise InvalidPaymentDetails(_FORMAT, field=field) from None
        raise InvalidPaymentDetails(
            "The IBAN's check digits do not match: a character is probably mistyped.", field=field
        ) from None
    except ValidationError:
        raise InvalidPaymentDetails(_FORMAT, field=field) from None
    return compact


_FORMAT = "This is not a valid IBAN: check the country code, length and characters."


def _well_formed(compact: str) -> bool:
    """Whether the IBAN would pass with the check digits recomputed (country, length, format)."""
    if len(compact) < 5 or not compact.isascii() or not compact.isalnum():
        return False
    try:
        fixed = compact[:2] + stdnum_iban.calc_check_digits(compact) + compact[4:]
        stdnum_iban.validate(fixed, check_country=False)
    except (ValidationError, ValueError, KeyError):
        return False
    return True


def check_payment(method: str, iban: str | None) -> None:
    if method == "direct_debit" and iban is None:
        raise InvalidPaymentDetails("Direct debit needs an IBAN to collect from.", field="iban")


def masked_iban(iban: str) -> str:
    """What the portal shows: country, check digits and the last four, e.g. ``NL91 **** 4300``."""
    return f"{iban[:4]} **** {iban[-4:]}"
