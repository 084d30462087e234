"""Which meter a smart-meter interval belongs to, and whether it may be stored. Pure: no I/O.

The hub names a connection (EAN), not a meter: the interval goes to the meter on that
connection whose placement [installed_on, removed_on) and whose contract's supply
[start_date, end_date] both cover the interval's customer day. Intervals outside every
such placement (before the contract, after its end, another supplier's period) are dropped,
and so are those of a contract whose commodity needs a consent that is not in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal_schemas.hub import IntervalReading

# The commodity a channel measures, and the interval length the hub publishes it in.
CHANNEL_COMMODITY: dict[str, str] = {
    "electricity_consumption": "electricity",
    "electricity_feed_in": "electricity",
    "gas": "gas",
    "heat": "heat",
    "hot_water": "heat",
}
CHANNEL_MINUTES: dict[str, int] = {
    "electricity_consumption": 15,
    "electricity_feed_in": 15,
    "gas": 60,
    "heat": 60,
    "hot_water": 60,
}
# consumption_days.slot_values are NUMERIC(14, 6): an interval's energy or volume stays below this.
MAX_INTERVAL_VALUE = Decimal(10) ** 8


@dataclass(frozen=True)
class Placement:
    """A meter on the connection, with its contract's supply period and consent."""

    meter_id: str
    contract_id: str
    commodity: str
    installed_on: date
    removed_on: date | None
    supply_start: date
    supply_end: date | None
    may_store: bool  # no consent needed for the commodity, or one in force

    def covers(self, day: date) -> bool:
        return (
            self.installed_on <= day
            and (self.removed_on is None or day < self.removed_on)
            and self.supply_start <= day
            and (self.supply_end is None or day <= self.supply_end)
        )


def batch_problem(
    placements: Sequence[Placement], channel: str, minutes: int, readings: Sequence[IntervalReading]
) -> str | None:
    """Why a whole hub message can never be stored (its dead-letter reason), or None. The
    reason never names the connection: an EAN identifies a household."""
    if not placements:
        return "unknown connection: no meter on this EAN"
    commodity = CHANNEL_COMMODITY[channel]
    if all(p.commodity != commodity for p in placements):
        return f"channel {channel} does not fit the {placements[0].commodity} meter on this connection"
    if minutes != CHANNEL_MINUTES[channel]:
        return f"{channel} is published in {CHANNEL_MINUTES[channel]}-minute intervals, not {minutes}"
    if max(r.value for r in readings) >= MAX_INTERVAL_VALUE:
        return f"an interval value of {MAX_INTERVAL_VALUE} or more is not a meter's"
    # In the first and last year a datetime can hold, the customer day (and the next day's
    # start) may lie outside that range: such a start would crash the batch, not be dropped.
    if not all(1 < r.start.year < 9999 for r in readings):
        return "an interval start in the year 1 or 9999 is not a meter's"
    return None


def placement_on(placements: Sequence[Placement], commodity: str, day: date) -> Placement | None:
    for placement in placements:
        if placement.commodity == commodity and placement.covers(day):
            return placement
    return None
