"""Storing smart-meter intervals: one row per meter, channel and customer day, in bulk.

consumption_days holds a day's intervals as slots (slot i starts i * interval_minutes after
the customer day's first instant in the service's zone; 92, 96 or 100 quarter hours, 23, 24
or 25 hours) with their sum and count; consumption_months the monthly sums. A year of
quarter hours of a meter is 365 rows instead of 35,040: the per-interval primary key was
most of the database's work per reading, and of its disk.

Per batch (one transaction): the batch's meters are locked in one order for the transaction
(PostgreSQL: advisory locks on a hash of the meter id; SQLite has one writer anyway), so two
consumers in a rebalance never merge the same day at once; the stored rows of the batch's
days are read in one query and merged in Python: an empty slot takes the incoming value, a
filled one keeps its value (the first wins; a differing value is counted), an equal repeat
counts nowhere. Then the changed and new days are written in one statement and the monthly
sums get the differences (new minus old total and count). So a redelivered batch, a replay
or a duplicate from the hub changes nothing, and each sum always equals its slots.

PostgreSQL: the days travel as one array per column, each day's slots as the text of a
numeric array, unnested on the server (INSERT ... SELECT FROM unnest ... ON CONFLICT DO
UPDATE). SQLite (``make up``, unit tests): the same through the ORM, the slots kept as JSON
text of exact decimals (portal_chassis.columns.ExactDecimalArray).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from metering.db.tables import (
    ConsumptionDay,
    ConsumptionMonth,
    ContractView,
    Meter,
    SmartMeterConsent,
)

# A day row's key: meter_id, channel, customer day.
DayKey = tuple[str, str, date]

# A slot's quality as stored: one character per slot.
QUALITY_CODES: dict[str, str] = {"measured": "m", "estimated": "e", "substituted": "s"}
NO_VALUE = "."


@dataclass
class DayIntervals:
    """A batch's intervals of one meter, channel and customer day: slot -> (value, quality
    code, index of the record it came from). One value per slot (the batch's first)."""

    minutes: int
    slots: int  # how many intervals the day holds
    values: dict[int, tuple[Decimal, str, int]] = field(default_factory=dict)


class PlacementRow(NamedTuple):
    meter_id: str
    ean: str
    commodity: str
    installed_on: date
    removed_on: date | None
    contract_id: str
    supply_start: date
    supply_end: date | None


class ConsentRow(NamedTuple):
    status: str
    terms_version: int


@dataclass(frozen=True)
class Stored:
    inserted: int  # intervals stored now (empty slots filled)
    differing: int  # already stored with another value: the first value is kept
    # Records with an interval of another length than the day already stored holds: none of
    # their intervals is stored; they are dead letters.
    rejected_records: frozenset[int] = frozenset()
    rejected_intervals: int = 0


class _Day(NamedTuple):
    """A day row as stored."""

    minutes: int
    values: list[Decimal | None]
    qualities: str
    total: Decimal
    intervals: int


@dataclass(frozen=True)
class _Write:
    key: DayKey
    minutes: int
    values: list[Decimal | None]
    qualities: str
    total: Decimal
    count: int
    added_total: Decimal  # new total minus the stored one
    added_count: int


# Advisory locks in the order of their keys, one per meter, held until the transaction ends.
_PG_LOCK = text(
    """
    SELECT count(pg_advisory_xact_lock(k))
    FROM (SELECT DISTINCT hashtextextended(m, 0) AS k FROM unnest(CAST(:meter_ids AS text[])) AS m
          ORDER BY 1) AS keys
    """
)

_PG_EXISTING = text(
    """
    SELECT d.meter_id, d.channel, d.day, d.interval_minutes, CAST(d.slot_values AS text),
           d.slot_qualities, d.total, d.intervals
    FROM unnest(CAST(:meter_ids AS text[]), CAST(:channels AS text[]), CAST(:days AS date[]))
         AS k (meter_id, channel, day)
    JOIN consumption_days AS d USING (meter_id, channel, day)
    """
)

# One statement for both: the days (new or merged) and the differences added to the months.
# Rows in key order, so two batches never lock day or month rows in opposite orders.
_PG_WRITE = text(
    """
    WITH days AS (
        INSERT INTO consumption_days AS d
            (meter_id, channel, day, total, intervals, interval_minutes, slot_values, slot_qualities)
        SELECT meter_id, channel, day, CAST(total AS numeric), intervals, minutes,
               CAST(slot_values AS numeric[]), slot_qualities
        FROM unnest(
            CAST(:meter_ids AS text[]), CAST(:channels AS text[]), CAST(:days AS date[]),
            CAST(:totals AS text[]), CAST(:counts AS int[]), CAST(:minutes AS smallint[]),
            CAST(:slot_values AS text[]), CAST(:slot_qualities AS text[])
        ) AS incoming (meter_id, channel, day, total, intervals, minutes, slot_values, slot_qualities)
        ORDER BY meter_id, channel, day
        ON CONFLICT (meter_id, channel, day) DO UPDATE
        SET total = excluded.total, intervals = excluded.intervals,
            slot_values = excluded.slot_values, slot_qualities = excluded.slot_qualities
        RETURNING 1
    ), months AS (
        INSERT INTO consumption_months AS m (meter_id, channel, month, total, intervals, interval_minutes)
        SELECT meter_id, channel, month, CAST(total AS numeric), intervals, minutes
        FROM unnest(
            CAST(:month_meter_ids AS text[]), CAST(:month_channels AS text[]), CAST(:months AS date[]),
            CAST(:month_totals AS text[]), CAST(:month_counts AS int[]), CAST(:month_minutes AS smallint[])
        ) AS incoming (meter_id, channel, month, total, intervals, minutes)
        ORDER BY meter_id, channel, month
        ON CONFLICT (meter_id, channel, month) DO UPDATE
        SET total = m.total + excluded.total, intervals = m.intervals + excluded.intervals
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM days), (SELECT count(*) FROM months)
    """
)

_SQLITE_CHUNK = 300  # keys per statement: SQLite caps the number of bound parameters


class FeedStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def placements_on(self, eans: Collection[str]) -> list[PlacementRow]:
        """Every meter ever placed on these connections, with its contract's supply period."""
        rows = await self.session.execute(
            select(
                Meter.meter_id,
                Meter.ean,
                Meter.commodity,
                Meter.installed_on,
                Meter.removed_on,
                ContractView.contract_id,
                ContractView.start_date,
                ContractView.end_date,
            )
            .join(ContractView, ContractView.contract_id == Meter.contract_id)
            .where(Meter.ean.in_(eans))
        )
        return [PlacementRow._make(row) for row in rows.all()]  # ean: not null, found by it

    async def consents_for_share(self, contract_ids: Collection[str]) -> dict[str, ConsentRow]:
        """The contracts' consents, share-locked until the batch commits: a revocation (which
        updates the consent before it deletes the data) waits for the batch, then deletes what
        it stored; a batch that comes second sees the revocation."""
        if not contract_ids:
            return {}
        rows = await self.session.execute(
            select(SmartMeterConsent.contract_id, SmartMeterConsent.status, SmartMeterConsent.terms_version)
            .where(SmartMeterConsent.contract_id.in_(contract_ids))
            .order_by(SmartMeterConsent.contract_id)
            .with_for_update(read=True)
        )
        return {contract_id: ConsentRow(status, terms) for contract_id, status, terms in rows.all()}

    async def store(self, days: Mapping[DayKey, DayIntervals]) -> Stored:
        """Merge a batch's intervals into the stored days and the monthly sums."""
        if not days:
            return Stored(0, 0)
        postgres = self.session.get_bind().dialect.name == "postgresql"
        keys = sorted(days)
        meter_ids = sorted({key[0] for key in keys})
        if postgres:
            await self.session.execute(_PG_LOCK, {"meter_ids": meter_ids})
            stored = await self._existing_postgres(keys)
        else:
            stored = await self._existing_sqlite(keys)
        rejected = {
            record
            for key, stored_day in stored.items()
            if stored_day.minutes != days[key].minutes
            for _, _, record in days[key].values.values()
        }
        rejected_intervals = 0
        if rejected:
            days, rejected_intervals = _without(days, rejected)
            keys = sorted(days)
        writes, inserted, differing = _merged(keys, days, stored)
        if writes:
            if postgres:
                await self._write_postgres(writes)
            else:
                await self._write_sqlite(writes)
        return Stored(inserted, differing, frozenset(rejected), rejected_intervals)

    async def delete_meters_data(self, meter_ids: Sequence[str]) -> int:
        """Remove every day and month of these meters' data; returns the intervals removed."""
        if not meter_ids:
            return 0
        removed = await self.session.scalar(
            select(func.coalesce(func.sum(ConsumptionDay.intervals), 0)).where(
                ConsumptionDay.meter_id.in_(meter_ids)
            )
        )
        await self.session.execute(delete(ConsumptionDay).where(ConsumptionDay.meter_id.in_(meter_ids)))
        await self.session.execute(delete(ConsumptionMonth).where(ConsumptionMonth.meter_id.in_(meter_ids)))
        return int(removed or 0)

    async def _existing_postgres(self, keys: Sequence[DayKey]) -> dict[DayKey, _Day]:
        meter_ids, channels, days = zip(*keys, strict=True)
        rows = await self.session.execute(
            _PG_EXISTING, {"meter_ids": meter_ids, "channels": channels, "days": days}
        )
        return {
            (meter_id, channel, day): _Day(minutes, _parse_array(values), qualities, total, count)
            for meter_id, channel, day, minutes, values, qualities, total, count in rows.all()
        }

    async def _existing_sqlite(self, keys: Sequence[DayKey]) -> dict[DayKey, _Day]:
        found: dict[DayKey, _Day] = {}
        for first in range(0, len(keys), _SQLITE_CHUNK):
            chunk = keys[first : first + _SQLITE_CHUNK]
            wanted = set(chunk)
            # Narrowed by meter and day in SQL, to the exact keys here.
            rows = await self.session.scalars(
                select(ConsumptionDay).where(
                    ConsumptionDay.meter_id.in_({key[0] for key in chunk}),
                    ConsumptionDay.day.in_({key[2] for key in chunk}),
                )
            )
            for row in rows:
                key = (row.meter_id, row.channel, row.day)
                if key in wanted:
                    found[key] = _Day(
                        row.interval_minutes,
                        list(row.slot_values),
                        row.slot_qualities,
                        row.total,
                        row.intervals,
                    )
        return found

    async def _write_postgres(self, writes: Sequence[_Write]) -> None:
        months = _month_deltas(writes)
        await self.session.execute(
            _PG_WRITE,
            {
                "meter_ids": [w.key[0] for w in writes],
                "channels": [w.key[1] for w in writes],
                "days": [w.key[2] for w in writes],
                # As text: the server reads the exact digits faster than asyncpg encodes decimals.
                "totals": [str(w.total) for w in writes],
                "counts": [w.count for w in writes],
                "minutes": [w.minutes for w in writes],
                "slot_values": [_array_text(w.values) for w in writes],
                "slot_qualities": [w.qualities for w in writes],
                "month_meter_ids": [key[0] for key in months],
                "month_channels": [key[1] for key in months],
                "months": [key[2] for key in months],
                "month_totals": [str(total) for total, _, _ in months.values()],
                "month_counts": [count for _, count, _ in months.values()],
                "month_minutes": [minutes for _, _, minutes in months.values()],
            },
        )

    async def _write_sqlite(self, writes: Sequence[_Write]) -> None:
        for w in writes:
            day: ConsumptionDay | None = await self.session.get(ConsumptionDay, w.key)
            if day is None:
                meter_id, channel, on = w.key
                day = ConsumptionDay(meter_id=meter_id, channel=channel, day=on, interval_minutes=w.minutes)
                self.session.add(day)
            day.total, day.intervals = w.total, w.count
            day.slot_values, day.slot_qualities = list(w.values), w.qualities
        for key, (total, count, minutes) in _month_deltas(writes).items():
            month: ConsumptionMonth | None = await self.session.get(ConsumptionMonth, key)
            if month is None:
                meter_id, channel, first = key
                self.session.add(
                    ConsumptionMonth(
                        meter_id=meter_id,
                        channel=channel,
                        month=first,
                        total=total,
                        intervals=count,
                        interval_minutes=minutes,
                    )
                )
            else:
                month.total += total
                month.intervals += count
        await self.session.flush()


def _merged(
    keys: Iterable[DayKey], days: Mapping[DayKey, DayIntervals], stored: Mapping[DayKey, _Day]
) -> tuple[list[_Write], int, int]:
    """The days to write (new or changed), the intervals added and the differing ones."""
    writes: list[_Write] = []
    inserted = differing = 0
    for key in keys:
        incoming = days[key]
        old = stored.get(key)
        if old is None:
            values: list[Decimal | None] = [None] * incoming.slots
            qualities = [NO_VALUE] * incoming.slots
            for slot, (value, quality, _) in incoming.values.items():
                values[slot] = value
                qualities[slot] = quality
            count = len(incoming.values)
            total = sum((v[0] for v in incoming.values.values()), Decimal(0))
            writes.append(
                _Write(key, incoming.minutes, values, "".join(qualities), total, count, total, count)
            )
            inserted += count
            continue
        values = list(old.values)
        qualities = list(old.qualities)
        added_total, added_count = Decimal(0), 0
        for slot, (value, quality, _) in incoming.values.items():
            present = values[slot]
            if present is None:
                values[slot] = value
                qualities[slot] = quality
                added_total += value
                added_count += 1
            elif present != value:
                differing += 1
        if added_count:
            writes.append(
                _Write(
                    key,
                    old.minutes,
                    values,
                    "".join(qualities),
                    old.total + added_total,
                    old.intervals + added_count,
                    added_total,
                    added_count,
                )
            )
            inserted += added_count
    return writes, inserted, differing


def _without(
    days: Mapping[DayKey, DayIntervals], records: Collection[int]
) -> tuple[dict[DayKey, DayIntervals], int]:
    """The days without the intervals of these records, and how many intervals that drops."""
    kept: dict[DayKey, DayIntervals] = {}
    dropped = 0
    for key, day in days.items():
        values = {slot: v for slot, v in day.values.items() if v[2] not in records}
        dropped += len(day.values) - len(values)
        if values:
            kept[key] = DayIntervals(day.minutes, day.slots, values)
    return kept, dropped


def _month_deltas(writes: Iterable[_Write]) -> dict[DayKey, tuple[Decimal, int, int]]:
    """What the writes add per (meter, channel, first of the month), in key order."""
    months: dict[DayKey, tuple[Decimal, int, int]] = {}
    for w in writes:
        meter_id, channel, day = w.key
        key = (meter_id, channel, day.replace(day=1))
        total, count, minutes = months.get(key, (Decimal(0), 0, w.minutes))
        months[key] = (total + w.added_total, count + w.added_count, minutes)
    return dict(sorted(months.items()))


def _array_text(values: Sequence[Decimal | None]) -> str:
    """A numeric array's text form: {0.125,NULL,...}."""
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def _parse_array(textual: str) -> list[Decimal | None]:
    return [None if v == "NULL" else Decimal(v) for v in textual[1:-1].split(",")]
