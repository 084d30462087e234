"""Dutch postcodes: loosely typed input becomes 1234AB; anything else is refused."""

from __future__ import annotations

import pytest

from contracts.domain.errors import InvalidPostcode
from contracts.domain.postcode import CANONICAL, normalise_postcode


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1234AB", "1234AB"),
        ("1234 AB", "1234AB"),
        ("1234 ab", "1234AB"),
        ("1234aB", "1234AB"),
        ("  9999zz ", "9999ZZ"),
        ("1000 AA", "1000AA"),
    ],
)
def test_loose_input_becomes_canonical(typed: str, stored: str) -> None:
    assert normalise_postcode(typed) == stored
    assert CANONICAL.fullmatch(stored)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "0123AB",  # no postcode starts with 0
        "123AB",
        "12345AB",
        "1234A",
        "1234ABC",
        "1234  AB",  # one space at most
        "1234-AB",
        "1234\tAB",
        "AB1234",
        "1234 A1",
        "\uff11\uff12\uff13\uff14AB",  # full-width digits are not ASCII digits
        "1234ÄB",
        "B-1000",  # a Belgian postcode
    ],
)
def test_anything_else_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidPostcode) as refused:
        normalise_postcode(typed, field="supply_postcode")
    assert refused.value.field == "supply_postcode"
    assert refused.value.status == 422
    assert "1234 AB" in refused.value.detail  # shows the expected format
    if typed.strip():
        assert typed.strip() not in refused.value.detail  # never echoes the address
