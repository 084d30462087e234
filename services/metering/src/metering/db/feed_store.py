"""Storing smart-meter intervals and keeping their daily and monthly sums, in bulk.

An interval is stored once per (meter, channel, start): ``INSERT ... ON CONFLICT DO NOTHING``,
and only the rows that insert really added are summed into consumption_days and
consumption_months (the customer's calendar days and months, in the service's zone). So a
redelivered batch, a replay or a duplicate from the hub changes nothing, and each aggregate
always equals the sum of its intervals.

PostgreSQL: one statement per batch. The rows travel as one array per column and are
unnested on the server; data-modifying CTEs insert the intervals and upsert both aggregates
from what the insert returned, in one round trip. SQLite (``make up``, unit tests): the
same through SQLAlchemy's insert, with the sums added up in Python (SQLite keeps the exact
decimals as text, and its arithmetic would go through floats).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from metering.db.tables import (
    ConsumptionDay,
    ConsumptionMonth,
    ContractView,
    Interval,
    Meter,
    SmartMeterConsent,
)
from portal_chassis.calendar import calendar_day

# An interval to store: meter_id, channel, starts_at, minutes, value, quality.
IntervalRow = tuple[str, str, datetime, int, Decimal, str]


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
    inserted: int  # new intervals
    differing: int  # already stored with another value: the first value is kept


# The sums are grouped and ordered by key, so two batches never lock aggregate rows in
# opposite orders. `inserted` is what the insert added; nothing else is summed.
_PG_STORE = text(
    """
    WITH inserted AS (
        INSERT INTO intervals (meter_id, channel, starts_at, minutes, value, quality)
        SELECT * FROM unnest(
            CAST(:meter_ids AS text[]), CAST(:channels AS text[]), CAST(:starts AS timestamptz[]),
            CAST(:minutes AS smallint[]), CAST(CAST(:values AS text[]) AS numeric[]),
            CAST(:qualities AS text[])
        ) AS incoming (meter_id, channel, starts_at, minutes, value, quality)
        ORDER BY meter_id, channel, starts_at
        ON CONFLICT DO NOTHING
        RETURNING meter_id, channel, starts_at, minutes, value
    ), days AS (
        INSERT INTO consumption_days AS d (meter_id, channel, day, total, intervals, interval_minutes)
        SELECT meter_id, channel, CAST(starts_at AT TIME ZONE CAST(:zone AS text) AS date),
               sum(value), count(*), max(minutes)
        FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (meter_id, channel, day) DO UPDATE
        SET total = d.total + excluded.total, intervals = d.intervals + excluded.intervals
        RETURNING 1
    ), months AS (
        INSERT INTO consumption_months AS m (meter_id, channel, month, total, intervals, interval_minutes)
        SELECT meter_id, channel,
               CAST(date_trunc('month', starts_at AT TIME ZONE CAST(:zone AS text)) AS date),
               sum(value), count(*), max(minutes)
        FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (meter_id, channel, month) DO UPDATE
        SET total = m.total + excluded.total, intervals = m.intervals + excluded.intervals
        RETURNING 1
    )
    SELECT count(*) FROM inserted
    """
)

_PG_DIFFERING = text(
    """
    SELECT count(*)
    FROM unnest(
        CAST(:meter_ids AS text[]), CAST(:channels AS text[]), CAST(:starts AS timestamptz[]),
        CAST(CAST(:values AS text[]) AS numeric[])
    ) AS incoming (meter_id, channel, starts_at, value)
    JOIN intervals AS stored USING (meter_id, channel, starts_at)
    WHERE stored.value <> incoming.value
    """
)

_SQLITE_CHUNK = 500  # rows per statement: SQLite caps the number of bound parameters


class FeedStore:
    def __init__(self, session: AsyncSession, zone: ZoneInfo) -> None:
        self.session = session
        self.zone = zone

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

    async def store(self, rows: Sequence[IntervalRow]) -> Stored:
        if not rows:
            return Stored(0, 0)
        if self.session.get_bind().dialect.name == "postgresql":
            return await self._store_postgres(rows)
        return await self._store_sqlite(rows)

    async def delete_meters_data(self, meter_ids: Sequence[str]) -> int:
        """Remove every interval and aggregate of these meters; returns the intervals removed."""
        if not meter_ids:
            return 0
        result = await self.session.execute(delete(Interval).where(Interval.meter_id.in_(meter_ids)))
        await self.session.execute(delete(ConsumptionDay).where(ConsumptionDay.meter_id.in_(meter_ids)))
        await self.session.execute(delete(ConsumptionMonth).where(ConsumptionMonth.meter_id.in_(meter_ids)))
        return int(getattr(result, "rowcount", 0) or 0)

    async def _store_postgres(self, rows: Sequence[IntervalRow]) -> Stored:
        meter_ids, channels, starts, minutes, values, qualities = zip(*rows, strict=True)
        params: dict[str, Any] = {
            "meter_ids": meter_ids,
            "channels": channels,
            "starts": starts,
            "minutes": minutes,
            # As text: the server reads the exact digits faster than asyncpg encodes decimals.
            "values": [str(v) for v in values],
            "qualities": qualities,
            "zone": self.zone.key,
        }
        inserted = int((await self.session.execute(_PG_STORE, params)).scalar_one())
        differing = 0
        if inserted < len(rows):
            keys = {k: params[k] for k in ("meter_ids", "channels", "starts", "values")}
            differing = int((await self.session.execute(_PG_DIFFERING, keys)).scalar_one())
        return Stored(inserted, differing)

    async def _store_sqlite(self, all_rows: Sequence[IntervalRow]) -> Stored:
        inserted: list[tuple[str, str, datetime, int, Decimal]] = []
        for first in range(0, len(all_rows), _SQLITE_CHUNK):
            chunk = all_rows[first : first + _SQLITE_CHUNK]
            result = await self.session.execute(
                sqlite_insert(Interval)
                .values(
                    [
                        {
                            "meter_id": m,
                            "channel": c,
                            "starts_at": s,
                            "minutes": n,
                            "value": v,
                            "quality": q,
                        }
                        for m, c, s, n, v, q in chunk
                    ]
                )
                .on_conflict_do_nothing()
                .returning(
                    Interval.meter_id, Interval.channel, Interval.starts_at, Interval.minutes, Interval.value
                )
            )
            inserted.extend(tuple(r) for r in result.all())  # type: ignore[misc]
        await self._add_to_sums(inserted)
        differing = 0
        if len(inserted) < len(all_rows):
            differing = await self._count_differing(all_rows, inserted)
        return Stored(len(inserted), differing)

    async def _add_to_sums(self, inserted: Sequence[tuple[str, str, datetime, int, Decimal]]) -> None:
        days: dict[tuple[str, str, date], tuple[Decimal, int, int]] = {}
        months: dict[tuple[str, str, date], tuple[Decimal, int, int]] = {}
        for meter_id, channel, starts_at, minutes, value in inserted:
            day = calendar_day(starts_at, self.zone)
            for sums, key in (
                (days, (meter_id, channel, day)),
                (months, (meter_id, channel, day.replace(day=1))),
            ):
                total, count, length = sums.get(key, (Decimal(0), 0, minutes))
                sums[key] = (total + value, count + 1, max(length, minutes))
        for model, sums in ((ConsumptionDay, days), (ConsumptionMonth, months)):
            for key in sorted(sums):
                total, count, length = sums[key]
                row: Any = await self.session.get(model, key)
                if row is None:
                    meter_id, channel, period = key
                    period_column = "day" if model is ConsumptionDay else "month"
                    self.session.add(
                        model(
                            meter_id=meter_id,
                            channel=channel,
                            total=total,
                            intervals=count,
                            interval_minutes=length,
                            **{period_column: period},
                        )
                    )
                else:
                    row.total += total
                    row.intervals += count
        await self.session.flush()

    async def _count_differing(
        self,
        attempted: Sequence[tuple[str, str, datetime, int, Decimal, str]],
        inserted: Sequence[tuple[str, str, datetime, int, Decimal]],
    ) -> int:
        new = {(m, c, s) for m, c, s, _, _ in inserted}
        offered = {(m, c, s): v for m, c, s, _, v, _ in attempted if (m, c, s) not in new}
        keys = list(offered)
        differing = 0
        for first in range(0, len(keys), _SQLITE_CHUNK):
            chunk = keys[first : first + _SQLITE_CHUNK]
            stored = await self.session.execute(
                select(Interval.meter_id, Interval.channel, Interval.starts_at, Interval.value).where(
                    tuple_(Interval.meter_id, Interval.channel, Interval.starts_at).in_(chunk)
                )
            )
            differing += sum(1 for m, c, s, v in stored.all() if offered[(m, c, s)] != v)
        return differing
