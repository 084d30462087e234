"""Messages from the grid operators' switching hub (C-AR), as the hub's adapter publishes them.

The hub is not one of the suite's services: an adapter turns its messages into these events
on the ``hub.*`` topics, and the services consume them like any other event.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from portal_schemas.envelope import EventData
from portal_schemas.types import Quantity


class SwitchNoticeReceived(EventData):
    """Another supplier will supply a connection from ``intended_switch_date``: our supply to
    it ends the day before. The connection is named by its EAN or by our contract number."""

    event_type: ClassVar[str] = "SwitchNoticeReceived"
    domain: ClassVar[str] = "hub"
    summary: ClassVar[str] = "A new supplier announced it takes over a connection on a date."

    notice_id: str = Field(min_length=1, max_length=64)  # the hub's message id
    ean: str | None = Field(default=None, pattern=r"^[0-9]{18}$")
    contract_number: str | None = Field(default=None, pattern=r"^[0-9]{9}$")
    new_supplier: str = Field(min_length=1, max_length=100)  # the new supplier's name or EAN code
    intended_switch_date: dt.date  # first day of supply by the new supplier

    @model_validator(mode="after")
    def _names_the_connection(self) -> SwitchNoticeReceived:
        if self.ean is None and self.contract_number is None:
            raise ValueError("a switch notice names the EAN or the contract number")
        return self


MeterLocation = Literal["indoors", "outdoors", "unknown"]
# What a smart meter's interval data measures; feed-in is energy delivered back to the grid.
IntervalChannel = Literal["electricity_consumption", "electricity_feed_in", "gas", "heat", "hot_water"]
IntervalQuality = Literal["measured", "estimated", "substituted"]
RegisterName = Literal[
    "electricity_single",
    "electricity_normal",
    "electricity_offpeak",
    "feed_in_normal",
    "feed_in_offpeak",
    "gas",
    "heat",
    "hot_water",
]


class RegisterSpec(BaseModel):
    register_type: RegisterName
    digits: int = Field(ge=4, le=9)  # integer digits the counter shows before it rolls over
    index: Quantity = Field(ge=0)  # the counter at installation (or removal, for the old meter)


class MeterInstalled(EventData):
    """The grid operator placed a meter on a connection: a first placement, or an exchange
    (``replaced_serial`` names the meter taken out, ``final_indexes`` its last counters)."""

    event_type: ClassVar[str] = "MeterInstalled"
    domain: ClassVar[str] = "hub"
    summary: ClassVar[str] = "A meter was placed on a connection (new or as an exchange)."

    notice_id: str = Field(min_length=1, max_length=64)
    ean: str = Field(pattern=r"^[0-9]{18}$")
    meter_serial: str = Field(min_length=1, max_length=40)
    installed_on: dt.date
    smart: bool
    location: MeterLocation = "unknown"
    registers: list[RegisterSpec] = Field(min_length=1, max_length=8)
    replaced_serial: str | None = Field(default=None, min_length=1, max_length=40)
    final_indexes: list[RegisterSpec] = Field(default_factory=list, max_length=8)


class IntervalReading(BaseModel):
    start: AwareDatetime  # the interval's first instant, on a multiple of its length
    value: Quantity = Field(ge=0)  # energy or volume in the interval, never an index
    quality: IntervalQuality = "measured"


class IntervalReadingsPublished(EventData):
    """A batch of one connection's interval data (15 minutes electricity, hourly gas and
    heat), as the hub sends it: sometimes late, out of order or repeated."""

    event_type: ClassVar[str] = "IntervalReadingsPublished"
    domain: ClassVar[str] = "hub"
    summary: ClassVar[str] = "A batch of a connection's smart-meter interval readings."

    batch_id: str = Field(min_length=1, max_length=64)
    ean: str = Field(pattern=r"^[0-9]{18}$")
    channel: IntervalChannel
    interval_minutes: Literal[15, 60]
    unit: Literal["kWh", "m3", "GJ"]
    readings: list[IntervalReading] = Field(min_length=1, max_length=3000)

    @model_validator(mode="after")
    def _consistent(self) -> IntervalReadingsPublished:
        expected_unit = CHANNEL_UNITS[self.channel]
        if self.unit != expected_unit:
            raise ValueError(f"{self.channel} is measured in {expected_unit}, not {self.unit}")
        for reading in self.readings:
            start = reading.start
            if start.second or start.microsecond or start.utcoffset() is None:
                raise ValueError("an interval starts on a whole minute")
            # Offsets of the zones we serve are whole hours, so UTC alignment is local alignment.
            minutes = int(start.timestamp()) // 60
            if minutes % self.interval_minutes:
                raise ValueError(f"an interval of {self.interval_minutes} minutes starts on a multiple of it")
        return self


CHANNEL_UNITS: dict[str, str] = {
    "electricity_consumption": "kWh",
    "electricity_feed_in": "kWh",
    "gas": "m3",
    "heat": "GJ",
    "hot_water": "m3",
}
