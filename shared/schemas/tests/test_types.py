"""to_cents: euro amounts rounded to the cent the one way every service rounds them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal_schemas.types import to_cents


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        ("0.125", "0.13"),  # a tie goes up ...
        ("-0.125", "-0.13"),  # ... away from zero, so a credit mirrors its debit
        ("0.124999", "0.12"),
        ("12.3", "12.30"),
        ("1234567.895", "1234567.90"),
        ("-0.004", "0.00"),  # never "-0.00"
        ("-0", "0.00"),
    ],
)
def test_rounds_half_up_to_the_cent(amount: str, cents: str) -> None:
    rounded = to_cents(Decimal(amount))
    assert str(rounded) == cents
