"""The consumer path on the in-memory broker: typed handler, inbox, retries, dead letters."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from faststream.kafka import KafkaMessage, TestKafkaBroker
from sqlalchemy import select

from portal_chassis import tables
from portal_chassis.consumers import EventHandlers
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.metering import MeterReadingReceived
from portal_schemas.topics import dead_letter_topic

from .conftest import new_runtime


async def make_runtime(settings, handlers: EventHandlers) -> ServiceRuntime:
    from portal_chassis.broker import wire_consumers

    runtime = new_runtime(settings)
    wire_consumers(runtime.broker, runtime.dead_letters, "demo", handlers, runtime.new_uow)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(tables.metadata.create_all)
    return runtime


async def test_handler_applies_each_event_once(settings, reading) -> None:
    seen: list[Decimal] = []
    handlers = EventHandlers()

    @handlers.on(MeterReadingReceived, name="demo-readings")
    async def on_reading(uow: UnitOfWork, event: Envelope, data: MeterReadingReceived) -> None:
        seen.append(data.value)

    runtime = await make_runtime(settings, handlers)
    envelope = Envelope.wrap(reading(), subject="m-1", producer="metering")
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(envelope.model_dump(mode="json"), MeterReadingReceived.topic())
        await broker.publish(envelope.model_dump(mode="json"), MeterReadingReceived.topic())
    assert seen == [Decimal("1234.5")]
    async with runtime.sessions() as s:
        rows = (await s.execute(select(tables.inbox))).all()
    assert [(r.consumer, r.event_id) for r in rows] == [("demo.demo-readings", str(envelope.event_id))]


async def test_invalid_event_goes_to_dead_letter_and_next_is_handled(settings, reading) -> None:
    seen: list[str] = []
    handlers = EventHandlers()

    @handlers.on(MeterReadingReceived, name="demo-readings")
    async def on_reading(uow: UnitOfWork, event: Envelope, data: MeterReadingReceived) -> None:
        seen.append(data.reading_id)

    runtime = await make_runtime(settings, handlers)
    dead: list[KafkaMessage] = []

    @runtime.broker.subscriber(dead_letter_topic("demo"), group_id="dlt-reader")
    async def dlt(message: KafkaMessage) -> None:
        dead.append(message)

    bad = Envelope.wrap(reading(), subject="m-1", producer="metering").model_dump(mode="json")
    bad["data"]["value"] = "-5"  # a negative index is invalid
    good = Envelope.wrap(reading(), subject="m-1", producer="metering")
    # Data that fits the topic's event, under another event type: not this topic's event.
    other_type = {**good.model_dump(mode="json"), "event_type": "MeterReadingDisputed"}
    newer_version = {**good.model_dump(mode="json"), "schema_version": 2}
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(bad, MeterReadingReceived.topic())
        await broker.publish(b"not json at all", MeterReadingReceived.topic())
        await broker.publish(other_type, MeterReadingReceived.topic())
        await broker.publish(newer_version, MeterReadingReceived.topic())
        await broker.publish(good.model_dump(mode="json"), MeterReadingReceived.topic())
    assert seen == ["r-1"]
    assert len(dead) == 4
    assert "MeterReadingDisputed v1 on the topic of MeterReadingReceived v1" in dead[2].headers["dlt-error"]
    assert "MeterReadingReceived v2 on the topic" in dead[3].headers["dlt-error"]
    assert json.loads(dead[0].body)["data"]["value"] == "-5"
    assert dead[0].headers["dlt-original-topic"] == MeterReadingReceived.topic()
    assert "data.value" in dead[0].headers["dlt-error"]
    assert "-5" not in dead[0].headers["dlt-error"]  # no input values in the reason
    assert dead[1].body == b"not json at all"


async def test_failing_handler_is_retried_then_dead_lettered(settings, reading) -> None:
    calls = 0
    handlers = EventHandlers()

    @handlers.on(MeterReadingReceived, name="demo-readings")
    async def on_reading(uow: UnitOfWork, event: Envelope, data: MeterReadingReceived) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("tariff missing")

    runtime = await make_runtime(settings, handlers)
    runtime.dead_letters.first_backoff = 0.01
    dead: list[KafkaMessage] = []

    @runtime.broker.subscriber(dead_letter_topic("demo"), group_id="dlt-reader")
    async def dlt(message: KafkaMessage) -> None:
        dead.append(message)

    envelope = Envelope.wrap(reading(), subject="m-1", producer="metering")
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(envelope.model_dump(mode="json"), MeterReadingReceived.topic())
    assert calls == settings.consumer_max_attempts
    assert len(dead) == 1
    assert dead[0].headers["dlt-attempts"] == str(settings.consumer_max_attempts)
    assert dead[0].headers["dlt-consumer-group"] == "demo.demo-readings"
    async with runtime.sessions() as s:
        assert (await s.execute(select(tables.inbox))).all() == []


@pytest.mark.parametrize("emit", [True, False])
async def test_outbox_row_only_with_commit(settings, reading, emit: bool) -> None:
    runtime = await make_runtime(settings, EventHandlers())
    async with runtime.new_uow() as uow:
        uow.emit(reading(), subject="m-1")
        if emit:
            await uow.commit()
    async with runtime.sessions() as s:
        rows = (await s.execute(select(tables.outbox))).all()
    assert len(rows) == (1 if emit else 0)
