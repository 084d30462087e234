"""Which of a connection's meters a moment belongs to. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from portal_chassis.calendar import start_of_day


class Placed(Protocol):
    @property
    def installed_on(self) -> date: ...

    @property
    def removed_on(self) -> date | None: ...


M = TypeVar("M", bound=Placed)


def meter_at(meters: Sequence[M], moment: datetime, zone: ZoneInfo) -> M | None:
    """The meter in place at ``moment``: the last one installed (from the start of its
    installation day) by then. An exchange removes the old meter on the day the new one is
    installed, so this is also the one not yet removed. A moment before every installation (the
    contract began before the grid operator placed or named its meter) belongs to the first."""
    ordered = sorted(meters, key=_placement_order)
    placed = [m for m in ordered if start_of_day(m.installed_on, zone) <= moment]
    return placed[-1] if placed else (ordered[0] if ordered else None)


def current(meters: Sequence[M]) -> M | None:
    """The meter in place now (not removed); the last one removed when all are."""
    if not meters:
        return None
    placed = [m for m in meters if m.removed_on is None]
    return max(placed or meters, key=_placement_order)


def _placement_order(meter: Placed) -> tuple[date, bool]:
    # An exchange on the day of the installation itself: the meter still in place is the later.
    return meter.installed_on, meter.removed_on is None
