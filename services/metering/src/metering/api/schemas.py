"""Metering's HTTP request and response bodies (never the event models)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

from portal_schemas.hub import MeterLocation
from portal_schemas.metering import ReadingQuality, ReadingSource, Register, Unit


def _read_at(value: object) -> datetime | date:
    """``YYYY-MM-DD`` is a customer day; anything longer must be a datetime with an offset."""
    if isinstance(value, datetime | date):
        moment = value
    elif isinstance(value, str) and len(value) == 10:
        moment = date.fromisoformat(value)
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        raise ValueError("expected an ISO 8601 date or datetime string")
    if isinstance(moment, datetime) and moment.tzinfo is None:
        raise ValueError("a datetime needs a UTC offset (or send just the date)")
    if not 2000 <= moment.year <= 2999:
        # Outside any meter's life, and near the calendar's ends conversions would overflow.
        raise ValueError("the year must be between 2000 and 2999")
    return moment


ReadAt = Annotated[
    datetime | date,
    PlainValidator(_read_at),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ],
            "description": (
                "When the meter was read: a datetime with a UTC offset, or a date, which "
                "means the start (00:00) of that day in the customer's time zone "
                "(Europe/Amsterdam)."
            ),
            "examples": ["2026-03-01", "2026-03-01T09:30:00+01:00"],
        }
    ),
]


class ReadingSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contract_id: str = Field(min_length=1, max_length=64)
    register_type: Register
    value: Decimal = Field(
        ge=0,
        max_digits=15,
        decimal_places=3,
        description="The index shown on the register, as a decimal string or number.",
        examples=["12345.678"],
    )
    read_at: ReadAt
    rollover: bool = Field(
        False,
        description=(
            "The counter passed its maximum and restarted at zero since the previous reading: "
            "the value may then be below it (accepted when the register's digits are known)."
        ),
    )
    confirm_unusual: bool = Field(
        False,
        description=(
            "Send the same reading again with true after a reading-unusual answer, when the value is right."
        ),
    )


class ReadingOut(BaseModel):
    reading_id: str
    meter_id: str
    contract_id: str
    register_type: Register
    value: Decimal = Field(description="Index with three decimals, as a string.")
    unit: Unit
    read_at: datetime
    source: ReadingSource
    quality: ReadingQuality
    received_at: datetime
    rollover_capacity: Decimal | None = Field(
        description="Set when the counter rolled over since the previous reading (10 ** digits)."
    )
    confirmed_unusual: bool = Field(description="The customer confirmed a value outside the expected range.")
    final: bool = Field(description="Dated on the contract's last supply day: the final reading.")


class LatestReading(BaseModel):
    reading_id: str
    value: Decimal
    read_at: datetime
    source: ReadingSource
    quality: ReadingQuality
    final: bool


class RegisterOut(BaseModel):
    register_type: Register
    unit: Unit
    digits: int | None = Field(
        description="Integer digits of the counter; null until the grid operator names the meter."
    )
    latest_reading: LatestReading | None


class MeterOut(BaseModel):
    meter_id: str
    contract_id: str
    commodity: str
    serial: str | None = Field(
        description="The meter's number; null until the grid operator names the meter."
    )
    smart: bool
    location: MeterLocation
    installed_on: date
    removed_on: date | None = Field(description="Set for a meter exchanged for another one.")
    contract_status: str = Field(description="active, or ended after a termination")
    contract_end_date: date | None
    readings_expected: bool = Field(description="False once the contract ended: no reminders")
    registers: list[RegisterOut]
