"""Dutch postcodes: accept what people type, store one canonical form.

Canonical form (as every service stores and the event contracts carry it): four digits,
the first not 0, then two capital letters, no space: ``1234AB``. Input may have lower-case
letters, one space between the digits and the letters, and surrounding whitespace
(``" 1234 ab "`` becomes ``1234AB``); anything else is refused.

No package in reach validates Dutch postcodes (python-stdnum has no NL postcode module), so
this is a plain regex. It checks the format only, the same as the shared schema: it does not
know which postcodes exist, and it does not refuse the letter pairs PostNL never hands out
(SA, SD, SS), so that contracts never refuses a value another service accepts.
"""

from __future__ import annotations

import re

from contracts.domain.errors import InvalidPostcode

# ASCII classes on purpose: ``\d`` would also match other scripts' digits.
_TYPED = re.compile(r"([1-9][0-9]{3}) ?([A-Za-z]{2})")
CANONICAL = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")

FORMAT_HINT = "A Dutch postcode is four digits, not starting with 0, and two letters, like 1234 AB."


def normalise_postcode(typed: str, *, field: str = "postcode") -> str:
    """The canonical form of a typed postcode; InvalidPostcode (naming ``field``) otherwise.

    The refusal never repeats the input: a postcode is part of an address.
    """
    match = _TYPED.fullmatch(typed.strip())
    if match is None:
        raise InvalidPostcode(FORMAT_HINT, field=field)
    return f"{match[1]}{match[2].upper()}"
