"""The smart-meter feed: batches of the hub's IntervalReadingsPublished, stored in bulk.

Called by the chassis' batch consumer (consumers.py) with the valid records of one Kafka poll,
inside one unit of work it commits. Per record (one hub message: one connection, one channel):

- the connection's meters are looked up by EAN; a message that can never be stored (unknown
  EAN, a channel the connection's commodity does not have, an interval length the hub never
  uses for it, an impossible value or start) is rejected: the chassis sends it to the
  dead-letter topic with the reason, and the rest of the batch goes on;
- each interval goes to the meter placed on the connection that day (domain/feed.py); one
  outside every supply period, or of a contract without the consent its commodity needs, is
  dropped and only counted;
- the intervals are grouped by meter, channel and customer day (one stored row per day,
  slot i starting i * interval_minutes after the day's first instant); the same interval
  twice in a batch is stored once (the first value wins), and what is stored already stays
  (feed_store.py): a duplicate or a replay changes nothing, and a
  differing value for a stored interval is ignored and counted (the hub's first value wins;
  corrections are not part of this feed). A record with an interval of another length
  than its day's stored ones is a dead letter too.

The log line of a batch has counts only, never an EAN (it identifies a household).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from metering.db.feed_store import QUALITY_CODES, DayIntervals, DayKey, FeedStore
from metering.domain.consent import is_effective, needs_consent
from metering.domain.feed import CHANNEL_COMMODITY, Placement, batch_problem, placement_on
from metering.settings import MeteringSettings
from portal_chassis.batch_consumers import BatchItem, Rejection
from portal_chassis.calendar import calendar_day, end_of_day, start_of_day
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.hub import IntervalReadingsPublished

log = get_logger(__name__)

# What the log line of a batch counts: intervals offered, stored, and why the others were not.
_COUNTS = (
    "intervals",
    "stored",
    "already_stored",
    "repeated_in_batch",
    "differing",
    "outside_supply",
    "without_consent",
)


@lru_cache(maxsize=4096)
def _day_bounds(day: date, zone: ZoneInfo) -> tuple[float, float]:
    """The customer day's first instant and the next day's, as POSIX timestamps."""
    return start_of_day(day, zone).timestamp(), end_of_day(day, zone).timestamp()


async def store_interval_batches(
    uow: UnitOfWork, settings: MeteringSettings, items: Sequence[BatchItem[IntervalReadingsPublished]]
) -> list[Rejection]:
    store = FeedStore(uow.session)
    placements = await _placements(store, settings, {item.data.ean for item in items})
    zone = settings.zone
    counts: Counter[str] = Counter(dict.fromkeys(_COUNTS, 0))
    rejected: list[Rejection] = []
    # The batch's intervals by meter, channel and customer day; the first value per slot.
    days: dict[DayKey, DayIntervals] = {}
    for index, item in enumerate(items):
        data = item.data
        on_connection = placements.get(data.ean, [])
        readings = data.readings
        problem = batch_problem(on_connection, data.channel, data.interval_minutes, readings)
        if problem is not None:
            rejected.append(Rejection(item, problem))
            continue
        commodity = CHANNEL_COMMODITY[data.channel]
        counts["intervals"] += len(readings)
        channel, minutes = data.channel, data.interval_minutes
        step = minutes * 60
        # The meter is resolved per customer day, when the day changes: a message is mostly
        # one day, in order.
        day_start = day_end = 0.0
        placement: Placement | None = None
        slots: dict[int, tuple[Decimal, str, int]] | None = None
        for reading in readings:
            moment = reading.start.timestamp()
            if not day_start <= moment < day_end:
                day = calendar_day(reading.start, zone)
                day_start, day_end = _day_bounds(day, zone)
                placement = placement_on(on_connection, commodity, day)
                slots = None
                if placement is not None and placement.may_store:
                    key = (placement.meter_id, channel, day)
                    group = days.get(key)
                    if group is None:
                        group = days[key] = DayIntervals(minutes, int(day_end - day_start) // step)
                    slots = group.values
            if slots is None:
                counts["outside_supply" if placement is None else "without_consent"] += 1
                continue
            slot = int(moment - day_start) // step
            first_value = slots.get(slot)
            if first_value is not None:
                counts["repeated_in_batch"] += 1
                counts["differing"] += first_value[0] != reading.value
                continue
            slots[slot] = (reading.value, QUALITY_CODES[reading.quality], index)
    offered = sum(len(group.values) for group in days.values())
    stored = await store.store(days)
    for index in sorted(stored.rejected_records):
        rejected.append(
            Rejection(
                items[index],
                f"{items[index].data.channel} is stored in intervals of another length for this day",
            )
        )
    counts["stored"] = stored.inserted
    counts["already_stored"] = offered - stored.inserted - stored.rejected_intervals
    counts["differing"] += stored.differing
    log.info("interval batch applied", messages=len(items), rejected=len(rejected), **counts)
    return rejected


async def _placements(
    store: FeedStore, settings: MeteringSettings, eans: set[str]
) -> dict[str, list[Placement]]:
    rows = await store.placements_on(eans)
    required = settings.consent_required_for
    consents = await store.consents_for_share(
        sorted({r.contract_id for r in rows if needs_consent(r.commodity, required)})
    )
    placements: dict[str, list[Placement]] = {}
    for row in rows:
        may_store = not needs_consent(row.commodity, required) or is_effective(
            consents.get(row.contract_id), settings.smart_meter_terms_version
        )
        placements.setdefault(row.ean, []).append(
            Placement(
                meter_id=row.meter_id,
                contract_id=row.contract_id,
                commodity=row.commodity,
                installed_on=row.installed_on,
                removed_on=row.removed_on,
                supply_start=row.supply_start,
                supply_end=row.supply_end,
                may_store=may_store,
            )
        )
    for on_connection in placements.values():
        # A meter removed and one installed the same day: the one still in place wins.
        on_connection.sort(key=lambda p: (p.installed_on, p.removed_on is None), reverse=True)
    return placements
