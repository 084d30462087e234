"""Dutch addresses: street, house number with optional addition, postcode and city.

The checks are on form only (lengths, a positive house number, a valid postcode); no address
register is consulted. Additions are what follows the number on the door ("A", "bis", "2hg"),
stored as typed without surrounding spaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.domain.errors import InvalidAddress
from contracts.domain.postcode import normalise_postcode

MAX_HOUSE_NUMBER = 99999  # the highest Dutch house numbers have five digits


@dataclass(frozen=True)
class Address:
    street: str
    house_number: int
    house_number_addition: str | None
    postcode: str  # canonical, e.g. 1234AB
    city: str


def make_address(
    *,
    street: str,
    house_number: int,
    house_number_addition: str | None,
    postcode: str,
    city: str,
    field: str = "address",
) -> Address:
    """A checked address; InvalidAddress / InvalidPostcode name the field at fault and never
    repeat what was typed (an address is personal data)."""
    street, city = street.strip(), city.strip()
    if not 1 <= len(street) <= 100:
        raise InvalidAddress("A street name has 1 to 100 characters.", field=f"{field}.street")
    if not 1 <= house_number <= MAX_HOUSE_NUMBER:
        raise InvalidAddress(
            f"A house number is a whole number from 1 to {MAX_HOUSE_NUMBER}.",
            field=f"{field}.house_number",
        )
    addition = (house_number_addition or "").strip() or None
    if addition is not None and (len(addition) > 10 or not addition.replace(" ", "").isalnum()):
        raise InvalidAddress(
            "A house number addition has at most 10 letters or digits.",
            field=f"{field}.house_number_addition",
        )
    if not 1 <= len(city) <= 80:
        raise InvalidAddress("A city name has 1 to 80 characters.", field=f"{field}.city")
    return Address(
        street, house_number, addition, normalise_postcode(postcode, field=f"{field}.postcode"), city
    )
