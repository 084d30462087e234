"""The time zones an account may choose to read dates and times in: IANA names this host's time
zone database knows (and so notifications', built from the same tzdata)."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def known_time_zone(value: str) -> str:
    """``value`` if it names a time zone, e.g. ``Europe/Amsterdam``; ValueError otherwise."""
    if value not in _known():
        raise ValueError("unknown time zone: use an IANA name such as Europe/Amsterdam")
    return value
