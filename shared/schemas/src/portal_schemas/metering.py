"""Events produced by the metering service."""

from __future__ import annotations

import datetime as dt
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
    """An accepted index. The consumption since the register's previous reading is
    ``value - previous`` unless ``rollover_capacity`` is set: then the counter passed its
    maximum and restarted at zero, and the consumption is ``capacity - previous + value``.
    A meter exchange gives the new meter its own ``meter_id``: its first index starts afresh."""

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
    # 10 ** digits of the register, when the counter wrapped since the previous reading.
    rollover_capacity: Quantity | None = Field(default=None, gt=0)
    # The customer confirmed a value outside the expected range (plausibility check).
    confirmed_unusual: bool = False
    # The reading closes the contract's supply (asked for by FinalReadingRequested).
    final: bool = False


class ReadingReminderDue(EventData):
    """A self-reading contract is due for its half-yearly reading; notifications mails it."""

    event_type: ClassVar[str] = "ReadingReminderDue"
    domain: ClassVar[str] = "metering"
    summary: ClassVar[str] = "A customer who reads their own meter is asked for a reading."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    meter_id: str
    due_on: dt.date
    registers: list[Register] = Field(min_length=1)
    last_read_at: AwareDatetime | None = None


class FinalReadingRequested(EventData):
    """A contract ends: the customer is asked for the indexes on its last supply day."""

    event_type: ClassVar[str] = "FinalReadingRequested"
    domain: ClassVar[str] = "metering"
    summary: ClassVar[str] = "A final meter reading is asked for a contract's end date."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    meter_id: str
    end_date: dt.date
    registers: list[Register] = Field(min_length=1)


class SmartMeterConsentGranted(EventData):
    event_type: ClassVar[str] = "SmartMeterConsentGranted"
    domain: ClassVar[str] = "metering"
    summary: ClassVar[str] = "A customer allowed the smart meter of a contract to be read remotely."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    terms_version: int = Field(ge=1)
    granted_at: AwareDatetime
    data_expected_by: dt.date  # remote data shows within 5 working days


class SmartMeterConsentRevoked(EventData):
    event_type: ClassVar[str] = "SmartMeterConsentRevoked"
    domain: ClassVar[str] = "metering"
    summary: ClassVar[str] = "A customer withdrew the consent; remote data is deleted and no more stored."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    revoked_at: AwareDatetime


class SmartMeterReconsentNeeded(EventData):
    event_type: ClassVar[str] = "SmartMeterReconsentNeeded"
    domain: ClassVar[str] = "metering"
    summary: ClassVar[str] = "The consent terms changed: remote reading pauses until consent is given again."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    consented_version: int = Field(ge=1)
    current_version: int = Field(ge=1)


class SmartMeterDataRequested(EventData):
    """Metering asks the grid operators' hub to (re)send a connection's interval data, after a
    consent: the hub adapter answers on ``hub.interval-readings-published.v1``."""

    event_type: ClassVar[str] = "SmartMeterDataRequested"
    domain: ClassVar[str] = "metering"
    summary: ClassVar[str] = "Interval data of a connection is asked from the hub (backfill after consent)."

    request_id: str
    ean: str = Field(pattern=r"^[0-9]{18}$")
    data_from: AwareDatetime
    data_to: AwareDatetime
