"""Events produced by the metering service."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from portal_schemas.envelope import EventData
from portal_schemas.types import Quantity

Register = Literal[
    "electricity_single",
    "electricity_normal",
    "electricity_offpeak",
    "feed_in_normal",
    "feed_in_offpeak",
    "gas",
    "heat",
    "hot_water",
]
Unit = Literal["kWh", "m3", "GJ"]
ReadingSource = Literal["customer", "technician", "estimated", "smart_meter"]
ReadingQuality = Literal["actual", "estimated", "corrected"]


class MeterReadingReceived(EventData):
    event_type: ClassVar[str] = "MeterReadingReceived"
    domain: ClassVar[str] = "metering"
    summary: ClassVar[str] = "A meter index was accepted for one register."

    reading_id: str
    meter_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    contract_id: str | None = None
    register_type: Register
    value: Quantity = Field(ge=0)
    unit: Unit
    read_at: AwareDatetime
    source: ReadingSource
    quality: ReadingQuality
