"""Connections: the 18-digit EAN code of a connection and its capacity.

EAN codes of Dutch electricity and gas connections are GS1 numbers of 18 digits whose last
digit is a GS1 mod-10 check digit. python-stdnum's ``ean`` module validates only the 8-, 12-,
13- and 14-digit lengths, so the length is checked here and its ``calc_check_digit`` (the same
GS1 weighting for any length) gives the check digit.

Capacity: an electricity connection is written phases x amperes ("3x25A", "1x40A"); a gas
connection's capacity is in m3(n) per hour. The product conditions apply to small-consumer
connections only: at most 3x80 A for electricity and 40 m3(n)/h for gas; larger connections
are refused (they need a large-consumer contract). Business customers are accepted within the
same limits: the conditions cover small consumers, households and small businesses alike.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from stdnum import ean as stdnum_ean

from contracts.domain.errors import InvalidConnection, LargeConnection

EAN_LENGTH = 18
MAX_AMPERES = 80  # per phase, at most three phases
MAX_GAS_M3N_PER_HOUR = Decimal(40)

_ELECTRICITY = re.compile(r"([13])\s*[xX]\s*([0-9]{1,4})\s*[aA]?")
_GAS = re.compile(r"([0-9]{1,4}(?:[.,][0-9]{1,2})?)\s*(?:m3(?:\s*\(n\))?\s*/\s*h)?", re.IGNORECASE)


def normalise_ean(typed: str, *, field: str = "ean") -> str:
    compact = typed.replace(" ", "").strip()
    if len(compact) != EAN_LENGTH or not (compact.isascii() and compact.isdigit()):
        raise InvalidConnection("An EAN code has 18 digits.", field=field)
    if stdnum_ean.calc_check_digit(compact[:-1]) != compact[-1]:
        raise InvalidConnection(
            "The EAN code's check digit does not match: a digit is probably mistyped.", field=field
        )
    return compact


def normalise_capacity(commodity: str, typed: str, *, field: str = "capacity") -> str:
    """The canonical capacity ("3x25A", "6 m3(n)/h"); refuses what is unreadable or too large."""
    text = typed.strip()
    if commodity == "electricity":
        match = _ELECTRICITY.fullmatch(text)
        if match is None:
            raise InvalidConnection(
                "An electricity connection's capacity is phases x amperes, like 3x25A or 1x40A.",
                field=field,
            )
        phases, amperes = int(match[1]), int(match[2])
        if amperes < 1:
            raise InvalidConnection("A connection carries at least 1 ampere.", field=field)
        if amperes > MAX_AMPERES:
            raise LargeConnection(
                f"Connections above 3x{MAX_AMPERES}A are large-consumer connections; "
                "these conditions do not cover them. Please contact us for a business offer.",
                field=field,
            )
        return f"{phases}x{amperes}A"
    if commodity == "gas":
        match = _GAS.fullmatch(text)
        try:
            value = Decimal(match[1].replace(",", ".")) if match else None
        except InvalidOperation:  # pragma: no cover - the pattern allows only numbers
            value = None
        if value is None or value <= 0:
            raise InvalidConnection(
                "A gas connection's capacity is in m3(n) per hour, like 6 or 10 m3(n)/h.", field=field
            )
        if value > MAX_GAS_M3N_PER_HOUR:
            raise LargeConnection(
                f"Gas connections above {MAX_GAS_M3N_PER_HOUR} m3(n)/h are large-consumer "
                "connections; these conditions do not cover them. Please contact us for a "
                "business offer.",
                field=field,
            )
        return f"{value.normalize():f} m3(n)/h"
    raise InvalidConnection("Only electricity and gas connections can be requested.", field="commodity")
