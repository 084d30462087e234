"""Idempotent consumers: claim an event id inside the transaction that applies the event."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from portal_chassis.tables import inbox


async def claim(session: AsyncSession, consumer: str, event_id: str) -> bool:
    """True the first time; False when this consumer already applied the event.

    On PostgreSQL a concurrent claim of the same id waits for the first transaction and then
    finds the row, so two instances racing on a redelivery apply it once.
    """
    values = {"consumer": consumer, "event_id": event_id, "handled_at": datetime.now(UTC)}
    dialect = session.get_bind().dialect.name
    stmt: object
    if dialect == "postgresql":
        stmt = pg_insert(inbox).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite_insert(inbox).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two databases above are supported
        stmt = insert(inbox).values(values)
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))
