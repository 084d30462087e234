"""Who may register: the customer number and a postcode of theirs must match, and the portal
is for private customers only."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

PENDING: Final = "pending"
ACTIVE: Final = "active"
LEGACY: Final = "legacy"  # imported from the old portal; a new password is due
INVITED: Final = "invited"  # opened by operations on an access request; no password yet
CLOSED: Final = "closed"  # merged into another account; cannot log in
ENDED: Final = "ended"  # every contract ended a grace period ago; cannot log in

_WHITESPACE = re.compile(r"\s+")


def without_whitespace(value: str) -> str:
    """Also what a token pasted from a mail that broke the link over two lines needs."""
    return _WHITESPACE.sub("", value)


def normalise_postcode(postcode: str) -> str:
    """ "1234 ab" and "1234AB" are the same postcode."""
    return without_whitespace(postcode).upper()


def join_postcodes(postcodes: Iterable[str | None]) -> str:
    """Stored form: normalised, unique, sorted, space-separated."""
    return " ".join(sorted({normalise_postcode(p) for p in postcodes if p}))


def postcode_matches(stored: str, given: str) -> bool:
    candidate = normalise_postcode(given)
    return bool(candidate) and candidate in stored.split()
