"""Batch consumers on the in-memory broker: per-record validation and rejections, dead letters
written after the commit, whole-batch failures, and offsets marked for every record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaMessage, TestKafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber
from sqlalchemy import select
from sqlalchemy.exc import DataError

from portal_chassis import tables
from portal_chassis.batch_consumers import BatchHandlers, BatchItem, Rejection, wire_batch_consumers
from portal_chassis.dead_letter import DeadLetterMiddleware, PermanentError
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.metering import MeterReadingReceived
from portal_schemas.topics import dead_letter_topic

from .conftest import new_runtime

TOPIC = MeterReadingReceived.topic()


async def make_runtime(settings: Any, handlers: BatchHandlers) -> tuple[ServiceRuntime, list[KafkaMessage]]:
    runtime = new_runtime(settings)
    runtime.dead_letters.first_backoff = 0.01
    wire_batch_consumers(runtime.broker, runtime.dead_letters, "demo", handlers, runtime.new_uow)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(tables.metadata.create_all)
    dead: list[KafkaMessage] = []

    @runtime.broker.subscriber(dead_letter_topic("demo"), group_id="dlt-reader")
    async def dlt(message: KafkaMessage) -> None:
        dead.append(message)

    return runtime, dead


def envelope(reading: Any, reading_id: str) -> dict[str, Any]:
    data = reading().model_copy(update={"reading_id": reading_id})
    return Envelope.wrap(data, subject="m-1", producer="metering").model_dump(mode="json")


async def test_a_batch_is_one_transaction_and_bad_records_become_their_own_dead_letters(
    settings: Any, reading: Any
) -> None:
    batches: list[list[str]] = []
    handlers = BatchHandlers()

    @handlers.on(MeterReadingReceived, name="demo-feed", max_records=50)
    async def store(uow: UnitOfWork, items: Sequence[BatchItem[MeterReadingReceived]]) -> list[Rejection]:
        batches.append([i.data.reading_id for i in items])
        uow.emit(items[0].data, subject="m-1")  # committed by the chassis with the batch
        return [Rejection(i, "unknown meter") for i in items if i.data.reading_id == "r-unknown"]

    runtime, dead = await make_runtime(settings, handlers)
    bad = envelope(reading, "r-bad")
    bad["data"]["value"] = "-5"
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish_batch(
            envelope(reading, "r-1"),
            bad,
            b"not json",
            envelope(reading, "r-unknown"),
            envelope(reading, "r-2"),
            topic=TOPIC,
        )
    assert batches == [["r-1", "r-unknown", "r-2"]]
    reasons = [(json.loads(d.body)["data"]["reading_id"] if d.body != b"not json" else None) for d in dead]
    assert reasons == ["r-bad", None, "r-unknown"]
    assert "data.value" in dead[0].headers["dlt-error"] and "-5" not in dead[0].headers["dlt-error"]
    assert dead[1].headers["dlt-error"].startswith("validation failed")
    assert dead[2].headers["dlt-error"] == "PermanentError: unknown meter"
    assert {d.headers["dlt-consumer-group"] for d in dead} == {"demo.demo-feed"}
    async with runtime.sessions() as session:
        assert len((await session.execute(select(tables.outbox))).all()) == 1


async def test_a_batch_of_only_bad_records_opens_no_transaction(settings: Any) -> None:
    calls = 0
    handlers = BatchHandlers()

    @handlers.on(MeterReadingReceived, name="demo-feed")
    async def store(uow: UnitOfWork, items: Sequence[BatchItem[MeterReadingReceived]]) -> list[Rejection]:
        nonlocal calls
        calls += 1
        return []

    runtime, dead = await make_runtime(settings, handlers)
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish_batch(b"{}", b"[1, 2]", topic=TOPIC)
    assert calls == 0
    assert len(dead) == 2


async def test_a_transient_failure_retries_the_batch_without_writing_dead_letters_twice(
    settings: Any, reading: Any
) -> None:
    attempts = 0
    handlers = BatchHandlers()

    @handlers.on(MeterReadingReceived, name="demo-feed")
    async def store(uow: UnitOfWork, items: Sequence[BatchItem[MeterReadingReceived]]) -> list[Rejection]:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ConnectionError("database restarting")
        return []

    runtime, dead = await make_runtime(settings, handlers)
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish_batch(envelope(reading, "r-1"), b"not json", topic=TOPIC)
    assert attempts == 3
    assert [d.body for d in dead] == [b"not json"]


@pytest.mark.parametrize(
    "failure",
    [
        PermanentError("no tariff for this day"),
        OverflowError("date value out of range"),
        DataError("INSERT ...", {}, Exception("value too long for type character varying(20)")),
        RuntimeError("bug"),
    ],
)
async def test_a_batch_failing_for_good_becomes_one_dead_letter_per_record(
    settings: Any, reading: Any, failure: Exception
) -> None:
    calls = 0
    handlers = BatchHandlers()

    @handlers.on(MeterReadingReceived, name="demo-feed")
    async def store(uow: UnitOfWork, items: Sequence[BatchItem[MeterReadingReceived]]) -> list[Rejection]:
        nonlocal calls
        calls += 1
        uow.emit(items[0].data, subject="m-1")  # never committed
        raise failure

    runtime, dead = await make_runtime(settings, handlers)
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish_batch(envelope(reading, "r-1"), envelope(reading, "r-2"), topic=TOPIC)
    assert calls == (
        1
        if isinstance(failure, PermanentError | OverflowError | DataError)
        else settings.consumer_max_attempts
    )
    assert [json.loads(d.body)["data"]["reading_id"] for d in dead] == ["r-1", "r-2"]
    assert {d.headers["dlt-error-type"] for d in dead} == {type(failure).__name__}
    async with runtime.sessions() as session:
        assert (await session.execute(select(tables.outbox))).all() == []


def consumer_record(body: dict[str, Any], partition: int, offset: int) -> ConsumerRecord[bytes, bytes]:
    value = json.dumps(body).encode()
    return ConsumerRecord(
        TOPIC,
        partition,
        offset,
        0,
        0,
        b"m-1",
        value,
        None,
        3,
        len(value),
        (("content-type", b"application/json"),),
    )


async def test_each_partitions_records_are_one_transaction_in_their_order(
    settings: Any, reading: Any
) -> None:
    batches: list[list[str]] = []
    handlers = BatchHandlers()

    @handlers.on(MeterReadingReceived, name="demo-feed", parallel=2)
    async def store(uow: UnitOfWork, items: Sequence[BatchItem[MeterReadingReceived]]) -> list[Rejection]:
        ids = [i.data.reading_id for i in items]
        batches.append(ids)
        uow.emit(items[0].data, subject="m-1")
        if "r-poison" in ids:
            raise PermanentError("cannot apply")
        return []

    runtime, dead = await make_runtime(settings, handlers)
    poll = [
        consumer_record(envelope(reading, "r-1"), 0, 10),
        consumer_record(envelope(reading, "r-poison"), 1, 20),
        consumer_record(envelope(reading, "r-2"), 0, 11),
        consumer_record(envelope(reading, "r-3"), 1, 21),
    ]
    async with TestKafkaBroker(runtime.broker):
        [subscriber] = [s for s in runtime.broker.subscribers if isinstance(s, BatchSubscriber)]
        await subscriber.process_message(poll)  # one poll from two partitions
    assert sorted(batches) == [["r-1", "r-2"], ["r-poison", "r-3"]]
    # Partition 0's batch is stored; partition 1's failed for good: each of its records is a
    # dead letter, none of partition 0's.
    assert [(d.headers["dlt-original-partition"], d.headers["dlt-original-offset"]) for d in dead] == [
        ("1", "20"),
        ("1", "21"),
    ]
    async with runtime.sessions() as session:
        assert len((await session.execute(select(tables.outbox))).all()) == 1


async def test_the_garbage_collector_runs_again_after_a_batch(settings: Any, reading: Any) -> None:
    import gc

    enabled_during: list[bool] = []
    handlers = BatchHandlers()

    @handlers.on(MeterReadingReceived, name="demo-feed")
    async def store(uow: UnitOfWork, items: Sequence[BatchItem[MeterReadingReceived]]) -> list[Rejection]:
        enabled_during.append(gc.isenabled())
        return []

    runtime, _ = await make_runtime(settings, handlers)
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish_batch(envelope(reading, "r-1"), topic=TOPIC)
        assert (enabled_during, gc.isenabled()) == ([False], True)
        gc.disable()  # paused by someone else: left as it is
        try:
            await broker.publish_batch(envelope(reading, "r-2"), topic=TOPIC)
            assert not gc.isenabled()
        finally:
            gc.enable()


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes = b""
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


class Committer:
    def __init__(self) -> None:
        self.handled: list[list[int]] = []

    async def handled_all(self, consumer: Any, records: Sequence[Record]) -> None:
        self.handled.append([r.offset for r in records])


async def test_the_middleware_marks_every_record_of_a_batch_handled(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiokafka import AIOKafkaConsumer

    runtime = new_runtime(settings)
    committer = Committer()
    runtime.dead_letters.offsets = committer  # type: ignore[assignment]
    consumer = AIOKafkaConsumer.__new__(AIOKafkaConsumer)

    @dataclass
    class Message:
        raw_message: tuple[Record, ...]
        consumer: Any
        body: Any = None
        headers: Any = None

    batch = (Record("t", 0, 7), Record("t", 1, 3))
    middleware = DeadLetterMiddleware(batch, context=None, policy=runtime.dead_letters)  # type: ignore[arg-type]

    async def handler(msg: Any) -> str:
        return "done"

    assert await middleware.consume_scope(handler, Message(batch, consumer)) == "done"  # type: ignore[arg-type]
    assert committer.handled == [[7, 3]]


async def test_the_envelope_payload_is_documented_for_the_batch_topic(settings: Any) -> None:
    from faststream.specification import AsyncAPI

    handlers = BatchHandlers()

    @handlers.on(MeterReadingReceived, name="demo-feed")
    async def store(uow: UnitOfWork, items: Sequence[BatchItem[MeterReadingReceived]]) -> list[Rejection]:
        return []

    runtime, _ = await make_runtime(settings, handlers)
    document = json.loads(AsyncAPI(runtime.broker).to_specification().to_json())
    assert f"demo.demo-feed:{TOPIC}" in document["channels"]
    assert "MeterReadingReceivedEnvelope" in json.dumps(document["components"]["schemas"])
