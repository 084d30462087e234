"""Which registers a meter has, by commodity, and the unit each register counts in."""

from __future__ import annotations

from portal_schemas.contracts import Commodity
from portal_schemas.metering import Register, Unit

# The registers a new meter gets at this stage: one per commodity, and heat networks meter
# the hot tap water beside the heat. Dual-tariff and feed-in registers come with later issues.
_REGISTERS: dict[Commodity, tuple[Register, ...]] = {
    "electricity": ("electricity_single",),
    "gas": ("gas",),
    "heat": ("heat", "hot_water"),
}

_UNITS: dict[Register, Unit] = {
    "electricity_single": "kWh",
    "electricity_normal": "kWh",
    "electricity_offpeak": "kWh",
    "feed_in_normal": "kWh",
    "feed_in_offpeak": "kWh",
    "gas": "m3",
    "heat": "GJ",
    "hot_water": "m3",
}


def registers_for(commodity: Commodity) -> tuple[Register, ...]:
    return _REGISTERS[commodity]


def unit_of(register: Register) -> Unit:
    return _UNITS[register]
