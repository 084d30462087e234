"""Which registers a meter has, by commodity, and the unit each register counts in."""

from __future__ import annotations

from collections.abc import Collection

from portal_schemas.contracts import Commodity
from portal_schemas.metering import Register, Unit

# The registers a contract's first meter gets before the grid operator names the meter: one
# per commodity (heat networks meter the hot tap water beside the heat), or normal and
# off-peak for an electricity contract that expects consumption per tariff.
_REGISTERS: dict[Commodity, tuple[Register, ...]] = {
    "electricity": ("electricity_single",),
    "gas": ("gas",),
    "heat": ("heat", "hot_water"),
}
DUAL_TARIFF: tuple[Register, ...] = ("electricity_normal", "electricity_offpeak")

# Every register a meter of the commodity may have (the grid operator's meters name theirs).
_POSSIBLE: dict[str, frozenset[str]] = {
    "electricity": frozenset(
        {
            "electricity_single",
            "electricity_normal",
            "electricity_offpeak",
            "feed_in_normal",
            "feed_in_offpeak",
        }
    ),
    "gas": frozenset({"gas"}),
    "heat": frozenset({"heat", "hot_water"}),
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


def registers_for(commodity: Commodity, expected: Collection[str] = ()) -> tuple[Register, ...]:
    """The registers of a first meter; ``expected`` names the registers the contract's expected
    annual consumption is given for."""
    if commodity == "electricity" and set(DUAL_TARIFF) & set(expected):
        return DUAL_TARIFF
    return _REGISTERS[commodity]


def register_fits(commodity: str, register: str) -> bool:
    """Whether a meter of ``commodity`` can have ``register`` (no gas register on a heat meter)."""
    return register in _POSSIBLE.get(commodity, frozenset())


def unit_of(register: Register) -> Unit:
    return _UNITS[register]
