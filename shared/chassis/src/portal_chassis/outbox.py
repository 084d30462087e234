"""The outbox relay: publishes committed events to Kafka, in order, at least once.

One relay publishes at a time per service: on PostgreSQL a transaction-scoped advisory lock
elects it and rows are claimed with ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers
anyway. A row is marked published only after Kafka acknowledged it (acks=all, idempotent
producer), so a crash in between publishes it again and consumers' inboxes drop the copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import zlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal_chassis.logging import get_logger
from portal_chassis.tables import outbox
from portal_chassis.tracing import within_trace

log = get_logger(__name__)

# publish(payload, topic, key, headers) -> awaitable that resolves once Kafka acknowledged it
Publish = Callable[[bytes, str, str, dict[str, str]], Awaitable[Awaitable[Any]]]


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publish: Publish,
        *,
        service: str,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        keep_published: timedelta = timedelta(days=7),
    ) -> None:
        self._sessions = sessions
        self._publish = publish
        self._lock_key = zlib.crc32(f"outbox:{service}".encode())  # stable across processes
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._keep_published = keep_published
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.healthy = True

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Publish what is committed (bounded), then stop."""
        self._stopping.set()
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                log.warning("outbox relay did not drain in time; the rest goes after restart")

    async def _run(self) -> None:
        backoff = 0.5
        last_cleanup = datetime.now(UTC)
        while True:
            try:
                published = await self.publish_pending()
                self.healthy = True
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                self.healthy = False
                log.exception("outbox relay failed; retrying", retry_in_seconds=backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                if self._stopping.is_set():
                    return
                continue
            if self._stopping.is_set():
                if published == 0:
                    return
                continue  # draining for shutdown: no pause between batches
            if published == self._batch_size:
                continue  # more waiting: no pause
            if datetime.now(UTC) - last_cleanup > timedelta(hours=1):
                last_cleanup = datetime.now(UTC)
                try:
                    await self.delete_old()
                except Exception:
                    log.exception("outbox clean-up failed; trying again in an hour")
            await self._sleep(self._poll_seconds)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of committed, unpublished events; returns how many."""
        async with self._sessions() as session, session.begin():
            rows = await self._claim(session)
            if not rows:
                return 0
            acks = []
            for row in rows:
                headers: dict[str, str] = json.loads(row.headers)
                with within_trace(headers):
                    acks.append(await self._publish(row.payload.encode(), row.topic, row.key, headers))
            # Kafka acknowledgements; the in-memory test broker delivers at once and returns none.
            await asyncio.gather(*(ack for ack in acks if inspect.isawaitable(ack)))
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(published_at=datetime.now(UTC))
            )
        log.debug("outbox published", count=len(rows))
        return len(rows)

    async def _claim(self, session: AsyncSession) -> Sequence[Row[Any, Any, Any, Any, Any]]:
        query = (
            select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.payload, outbox.c.headers)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self._batch_size)
        )
        if session.get_bind().dialect.name == "postgresql":
            elected = await session.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key)))
            if not elected:
                return []
            query = query.with_for_update(skip_locked=True)
        return (await session.execute(query)).all()

    async def pending_count(self) -> int:
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        return int(count or 0)

    async def delete_old(self) -> None:
        cutoff = datetime.now(UTC) - self._keep_published
        async with self._sessions() as session, session.begin():
            await session.execute(delete(outbox).where(outbox.c.published_at < cutoff))
