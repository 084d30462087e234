"""Small value types shared by event models."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer

Language = Literal["nl", "en", "fr", "de"]

# Euro amounts travel as strings ("12.34") so no consumer ever sees a float.
Money = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=2),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """A euro amount rounded to the cent, half-up: ties go away from zero, so -0.125 becomes
    -0.13 as 0.125 becomes 0.13. A result of zero is never "-0.00"."""
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


# Meter values keep their precision (kWh with 3 decimals, GJ with 3, m3 with 3).
Quantity = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=6),
    PlainSerializer(lambda v: str(v), return_type=str, when_used="json"),
]
