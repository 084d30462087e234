"""The outbox relay on SQLite with a recording publisher."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from sqlalchemy import select

from portal_chassis import tables
from portal_chassis.db import make_engine, make_sessions
from portal_chassis.outbox import OutboxRelay
from portal_chassis.uow import UnitOfWork


class Recorder:
    def __init__(self, fail_on: int | None = None) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.fail_on = fail_on

    async def __call__(self, payload: bytes, topic: str, key: str, headers: dict[str, str]) -> Any:
        if self.fail_on is not None and len(self.sent) == self.fail_on:
            raise ConnectionError("broker gone")
        self.sent.append((topic, key, json.loads(payload)))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def setup(tmp_path) -> tuple[Any, Any]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/o.sqlite3")
    async with engine.begin() as conn:
        await conn.run_sync(tables.metadata.create_all)
    return engine, make_sessions(engine)


async def test_relay_publishes_in_commit_order_with_subject_as_key(tmp_path, reading) -> None:
    engine, sessions = await setup(tmp_path)
    for meter in ("m-1", "m-2", "m-1"):
        async with UnitOfWork(sessions, "metering") as uow:
            uow.emit(reading(), subject=meter)
            await uow.commit()
    recorder = Recorder()
    relay = OutboxRelay(sessions, recorder, service="metering")
    assert await relay.publish_pending() == 3
    assert [key for _, key, _ in recorder.sent] == ["m-1", "m-2", "m-1"]
    assert {topic for topic, _, _ in recorder.sent} == {"metering.meter-reading-received.v1"}
    assert recorder.sent[0][2]["producer"] == "metering"
    assert await relay.publish_pending() == 0  # nothing twice
    assert await relay.pending_count() == 0
    await engine.dispose()


async def test_a_failed_publish_leaves_the_batch_for_the_next_run(tmp_path, reading) -> None:
    engine, sessions = await setup(tmp_path)
    async with UnitOfWork(sessions, "billing") as uow:
        uow.emit(reading(), subject="a")
        uow.emit(reading(), subject="b")
        await uow.commit()
    failing = Recorder(fail_on=1)
    relay = OutboxRelay(sessions, failing, service="billing")
    with contextlib.suppress(ConnectionError):
        await relay.publish_pending()
    assert await relay.pending_count() == 2  # not marked: published again later (at least once)
    healthy = Recorder()
    relay = OutboxRelay(sessions, healthy, service="billing")
    assert await relay.publish_pending() == 2
    async with sessions() as s:
        published = (await s.execute(select(tables.outbox.c.published_at))).scalars().all()
    assert all(p is not None for p in published)
    await engine.dispose()


async def test_emit_then_rollback_writes_nothing(tmp_path, reading) -> None:
    engine, sessions = await setup(tmp_path)
    async with UnitOfWork(sessions, "billing") as uow:
        uow.emit(reading(), subject="a")
        await uow.rollback()
        await uow.commit()
    relay = OutboxRelay(sessions, Recorder(), service="billing")
    assert await relay.pending_count() == 0
    await engine.dispose()


async def test_emit_many_writes_what_emit_writes(tmp_path, reading) -> None:
    engine, sessions = await setup(tmp_path)
    async with UnitOfWork(sessions, "billing") as uow:
        uow.emit(reading("1"), subject="a")
        envelopes = uow.emit_many([(reading("2"), "b"), (reading("3"), "c")])
        await uow.commit()
    assert [e.subject for e in envelopes] == ["b", "c"]
    assert [e.subject for e in uow.emitted] == ["a", "b", "c"]
    async with sessions() as s:
        rows = (await s.execute(select(tables.outbox).order_by(tables.outbox.c.id))).mappings().all()
    assert [(r["key"], r["event_type"], r["topic"]) for r in rows] == [
        (key, "MeterReadingReceived", "metering.meter-reading-received.v1") for key in "abc"
    ]
    assert [json.loads(r["payload"])["data"]["value"] for r in rows] == ["1", "2", "3"]
    assert [json.loads(r["payload"])["event_id"] for r in rows] == [r["event_id"] for r in rows]
    for row in rows:  # each event its own ids, in the payload and in the headers
        headers = json.loads(row["headers"])
        assert headers["event-type"] == "MeterReadingReceived"
        assert headers["correlation_id"] == json.loads(row["payload"])["correlation_id"]
    await engine.dispose()


async def test_stopping_drains_every_batch_without_waiting_a_poll_between(tmp_path, reading) -> None:
    engine, sessions = await setup(tmp_path)
    recorder = Recorder()
    relay = OutboxRelay(sessions, recorder, service="metering", poll_seconds=30.0, batch_size=2)
    relay.start()
    await asyncio.sleep(0.05)  # the relay found nothing and waits out its poll
    async with UnitOfWork(sessions, "metering") as uow:
        for meter in ("m-1", "m-2", "m-3", "m-4", "m-5"):
            uow.emit(reading(), subject=meter)
        await uow.commit()
    # Committed without waking the relay: stop() alone must publish all five, three batches,
    # well inside the 10 s it allows (a poll between batches would take 30 s and give up).
    await asyncio.wait_for(relay.stop(), timeout=5)
    assert [key for _, key, _ in recorder.sent] == ["m-1", "m-2", "m-3", "m-4", "m-5"]
    assert await relay.pending_count() == 0
    await engine.dispose()
