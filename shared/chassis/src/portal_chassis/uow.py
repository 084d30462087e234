"""The unit of work: one database transaction for a state change and the events it causes.

Use cases call ``uow.emit(...)`` next to their writes; the event row joins the same commit,
so either both the change and its event exist or neither does. Only the UoW commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal_chassis import context
from portal_chassis.tables import outbox
from portal_chassis.tracing import current_trace_headers
from portal_schemas import Envelope, EventData


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: str,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._on_commit = on_commit
        self._session: AsyncSession | None = None
        self.emitted: list[Envelope] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self.emitted = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            await session.rollback()  # a no-op after commit; undoes everything otherwise
        finally:
            await session.close()

    def emit(self, data: EventData, *, subject: str) -> Envelope:
        return self._emit(data, subject, current_trace_headers())

    def emit_many(self, events: Iterable[tuple[EventData, str]]) -> list[Envelope]:
        """``emit`` for each ``(data, subject)``, for bulk jobs that announce thousands of
        changes in one transaction: the same outbox rows, with the trace context read once."""
        trace_headers = current_trace_headers()
        return [self._emit(data, subject, trace_headers) for data, subject in events]

    def _emit(self, data: EventData, subject: str, trace_headers: dict[str, str]) -> Envelope:
        envelope = Envelope.wrap(
            data,
            subject=subject,
            producer=self._producer,
            correlation_id=context.correlation_id(),
            causation_id=context.causation_id(),
        )
        headers = dict(trace_headers)
        headers["event-type"] = envelope.event_type
        # FastStream's own correlation header carries the envelope's, so both agree for kcat users.
        headers["correlation_id"] = envelope.correlation_id
        self._pending_rows.append(
            {
                "event_id": str(envelope.event_id),
                "event_type": envelope.event_type,
                "topic": data.topic(),
                "key": subject,
                "payload": envelope.model_dump_json(),
                "headers": json.dumps(headers),
                "created_at": datetime.now(UTC),
            }
        )
        self.emitted.append(envelope)
        return envelope

    @property
    def _pending_rows(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = self.session.info.setdefault("outbox_rows", [])
        return rows

    async def commit(self) -> None:
        rows = self.session.info.pop("outbox_rows", [])
        if rows:
            await self.session.execute(insert(outbox), rows)
        await self.session.commit()
        if rows:
            self._on_commit()

    async def rollback(self) -> None:
        self.session.info.pop("outbox_rows", None)
        self.emitted = []
        await self.session.rollback()
