"""Batch consumers: many records of one topic applied per transaction, for busy feeds.

:mod:`portal_chassis.consumers` applies one event per transaction behind the inbox: right for
business events, too slow for a feed of thousands of records a second (the smart-meter
interval data). A batch handler is registered the same way::

    batches = BatchHandlers()

    @batches.on(IntervalReadingsPublished, name="interval-feed", max_records=500)
    async def store(uow, items):
        ...

and gets its own consumer group ``<service>.<name>`` (never rename it). Per poll (FastStream
``batch=True``, up to ``max_records`` records or ``batch_timeout_ms``), the records of each
partition are one batch, in their order:

1. each record is read and validated on its own; one that fails is set aside with its reason,
   the others go on;
2. the handler gets the valid ones inside one unit of work and may set aside more (a
   :class:`Rejection` per record it can never apply, with the reason); it must be idempotent by
   its own keys (there is no inbox here), so a redelivered batch changes nothing;
3. the chassis commits, then writes each set-aside record to the dead-letter topic; once every
   batch of the poll is done, the offsets of all its records are marked handled
   (DeadLetterMiddleware, OffsetCommitter).

A failing batch is retried as the dead-letter policy says (``DeadLetterPolicy.retrying``):
infrastructure failures until they pass, others up to ``max_attempts``, after which each of
its records becomes a dead letter of its own (a PermanentError from the handler does that at
once). Set-aside records are written only after the commit, so a retry never writes them twice.

Throughput: up to ``parallel`` batches of a poll (partitions) run at once, each in its own
transaction, so one is parsed while another one's statements run in the database; a
partition's records stay in order. And CPython's cyclic garbage collector is paused while a
poll is handled: its batches are some 10^5 small objects that live until they commit, which
the collector would otherwise scan again and again (it tripled the time to parse one); they
hold no reference cycles.
"""

# No `from __future__ import annotations` here: FastStream reads the handler's annotations at
# runtime (the payload the AsyncAPI document shows).

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import SkipValidation, ValidationError

from portal_chassis.consumers import group_id, typed_envelope
from portal_chassis.context import work_context
from portal_chassis.dead_letter import DeadLetterPolicy, PermanentError, record_headers
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope, EventData

log = get_logger(__name__)

E = TypeVar("E", bound=EventData)


@dataclass(frozen=True)
class BatchItem(Generic[E]):
    """One valid record of a batch: the Kafka record, its envelope and its typed payload."""

    record: Any  # aiokafka ConsumerRecord
    envelope: Envelope
    data: E


@dataclass(frozen=True)
class Rejection:
    """A record the handler can never apply; it goes to the dead-letter topic with ``reason``
    (which, like every dead-letter reason, must not repeat personal data from the record)."""

    item: BatchItem[Any]
    reason: str


BatchHandler = Callable[[UnitOfWork, Sequence[BatchItem[E]]], Awaitable[Sequence[Rejection]]]


@dataclass(frozen=True)
class BatchRegistration(Generic[E]):
    model: type[E]
    name: str
    handler: BatchHandler[E]
    max_records: int
    batch_timeout_ms: int
    parallel: int


class BatchHandlers:
    def __init__(self) -> None:
        self.registrations: list[BatchRegistration[Any]] = []

    def on(
        self,
        model: type[E],
        *,
        name: str,
        max_records: int = 500,
        batch_timeout_ms: int = 200,
        parallel: int = 1,
    ) -> Callable[[BatchHandler[E]], BatchHandler[E]]:
        if any(r.model is model for r in self.registrations):
            raise ValueError(f"{model.event_type} already has a batch handler in this service")
        if parallel < 1:
            raise ValueError("parallel: at least one batch at a time")

        def register(handler: BatchHandler[E]) -> BatchHandler[E]:
            self.registrations.append(
                BatchRegistration(model, name, handler, max_records, batch_timeout_ms, parallel)
            )
            return handler

        return register


async def _raw_values(msg: StreamMessage[Any]) -> list[bytes]:
    """The records' bytes as they came: each is validated on its own, so one bad record never
    fails the decoding of its whole batch."""
    return [record.value or b"" for record in msg.raw_message]


_batches_pausing_gc = 0
_COLLECT_EVERY_SECONDS = 10.0
_last_collection = time.monotonic()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection while any batch is being handled (see above)."""
    global _batches_pausing_gc
    if _batches_pausing_gc == 0 and not gc.isenabled():
        yield  # paused by someone else: theirs to resume
        return
    global _last_collection
    _batches_pausing_gc += 1
    gc.disable()
    try:
        yield
    finally:
        _batches_pausing_gc -= 1
        if _batches_pausing_gc == 0:
            gc.enable()
        elif time.monotonic() - _last_collection > _COLLECT_EVERY_SECONDS:
            # Under a steady stream batches overlap and the count never reaches zero: collect
            # now and then, so reference cycles cannot pile up for as long as the stream lasts.
            gc.collect()
            _last_collection = time.monotonic()


def _read(
    envelope_type: type[Envelope], records: Sequence[Any]
) -> tuple[list[BatchItem[Any]], list[tuple[Any, BaseException]]]:
    items: list[BatchItem[Any]] = []
    unreadable: list[tuple[Any, BaseException]] = []
    for record in records:
        try:
            envelope = envelope_type.model_validate_json(record.value or b"")
        except ValidationError as exc:
            unreadable.append((record, exc))
            continue
        items.append(BatchItem(record=record, envelope=envelope, data=envelope.data))
    return items, unreadable


def _by_partition(records: Sequence[Any]) -> list[list[Any]]:
    parts: dict[tuple[str, int], list[Any]] = {}
    for record in records:
        parts.setdefault((record.topic, record.partition), []).append(record)
    return list(parts.values())


def subscribe_batch(
    broker: KafkaBroker,
    policy: DeadLetterPolicy,
    service: str,
    registration: BatchRegistration[Any],
    new_uow: Callable[[], UnitOfWork],
) -> None:
    envelope_type = typed_envelope(registration.model)  # type: ignore[arg-type]
    group = group_id(service, registration)
    topic = registration.model.topic()
    slots = asyncio.Semaphore(registration.parallel)

    async def dead_letter(record: Any, error: BaseException, attempts: int) -> None:
        await policy.send(record, record.value or b"", record_headers(record), error, attempts)

    async def apply(records: list[Any]) -> None:
        """One partition's records of the poll: one batch, one transaction."""
        async with slots:
            items, unreadable = _read(envelope_type, records)

            async def attempt() -> Sequence[Rejection]:
                async with new_uow() as uow:
                    rejected = await registration.handler(uow, items)
                    await uow.commit()
                return rejected

            async def give_up(error: BaseException, attempts: int) -> None:
                for item in items:
                    await dead_letter(item.record, error, attempts)

            rejected = (await policy.retrying(attempt, give_up) if items else None) or ()
            # After the commit: a retried batch writes no dead letter twice.
            for record, error in unreadable:
                await dead_letter(record, error, 1)
            for rejection in rejected:
                await dead_letter(rejection.item.record, PermanentError(rejection.reason), 1)
            log.info(
                "batch applied",
                group=group,
                records=len(records),
                unreadable=len(unreadable),
                rejected=len(rejected),
            )

    # `body` only documents the payload: AsyncAPI shows what one record on the topic holds (an
    # envelope), though FastStream hands over the poll. The records are read from `message`.
    async def consume(body: SkipValidation[envelope_type], message: KafkaMessage) -> None:  # type: ignore[valid-type]
        with work_context(None), _collector_paused():
            # apply() never raises for a batch (it retries or sets it aside), so no batch is
            # left running when this returns and the poll's offsets are marked.
            await asyncio.gather(*(apply(part) for part in _by_partition(list(message.raw_message))))

    consume.__name__ = f"on_{registration.model.event_type}_batch"
    broker.subscriber(
        topic,
        batch=True,
        max_records=registration.max_records,
        batch_timeout_ms=registration.batch_timeout_ms,
        group_id=group,
        decoder=_raw_values,
        # Offsets are committed by the chassis (offsets.py) after the effects and dead letters.
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        title=f"{group}:{topic}",
        description=registration.model.summary or None,
    )(consume)
    policy.groups[topic] = group


def wire_batch_consumers(
    broker: KafkaBroker,
    policy: DeadLetterPolicy,
    service: str,
    handlers: BatchHandlers,
    new_uow: Callable[[], UnitOfWork],
) -> None:
    for registration in handlers.registrations:
        subscribe_batch(broker, policy, service, registration, new_uow)
