"""Contact details kept besides the login address: an optional phone number.

Accepted: digits with spaces, dashes, dots or brackets for readability and an optional leading
"+" (international form); stored as typed minus the separators. 8 to 15 digits (ITU E.164
allows at most 15). The check is on form only.
"""

from __future__ import annotations

import re

from contracts.domain.errors import InvalidAddress

_SEPARATORS = re.compile(r"[ \-.()]")
_PHONE = re.compile(r"\+?[0-9]{8,15}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


class InvalidContact(InvalidAddress):
    slug = "invalid-contact"


def normalise_phone(typed: str, *, field: str = "phone") -> str:
    compact = _SEPARATORS.sub("", typed.strip())
    if not (compact.isascii() and _PHONE.fullmatch(compact)):
        raise InvalidContact(
            "A phone number has 8 to 15 digits, optionally starting with +, like +31 6 12345678.",
            field=field,
        )
    return compact


def normalise_email(typed: str, *, field: str = "email") -> str:
    email = typed.strip()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidContact("This is not an email address.", field=field)
    return email
