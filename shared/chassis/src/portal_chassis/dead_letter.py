"""Bounded retries and the dead-letter topic, as a FastStream broker middleware.

A message that cannot be read (bad JSON, an envelope or payload that fails validation) goes
to ``<service>.dead-letter.v1`` at once; one whose handler keeps failing goes there after
``max_attempts``. Failures of the service's own infrastructure (database or broker down) are
not the message's fault: they are retried until they pass, so an outage sends nothing to the
dead-letter topic. The original offset is committed only after the dead letter was written,
and the consumer goes on with the next message.

Dead letters keep the original key, value and headers, plus ``dlt-*`` headers naming the
error, the original topic/partition/offset, the consumer group and the attempts made. The
error text never includes the message's field values (they may be personal data).

Batch subscribers (batch_consumers.py) hand over a batch: the raw message is then a tuple of
records. Every record's offset is marked handled once the batch is, and a batch that fails
here for good becomes one dead letter per record (each with its own offset, so an operator can
replay them one by one). (The batch consumer retries its transactions itself, with this
policy's ``retrying``.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from faststream import BaseMiddleware
from pydantic import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from portal_chassis.logging import get_logger
from portal_chassis.offsets import OffsetCommitter

if TYPE_CHECKING:
    from faststream._internal.basic_types import AsyncFuncAny
    from faststream._internal.context.repository import ContextRepo
    from faststream.kafka import KafkaBroker
    from faststream.message import StreamMessage

log = get_logger(__name__)

T = TypeVar("T")

TRANSIENT = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,  # every pooled connection busy: load, not a bad message
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    ConnectionError,
    TimeoutError,
    OSError,
)


class PermanentError(Exception):
    """Raised by a handler for an event that can never be applied; no retries."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT)


def record_headers(record: Any) -> dict[str, str]:
    """An aiokafka record's headers as text."""
    return {k: v.decode(errors="replace") for k, v in (getattr(record, "headers", None) or ())}


def batch_records(raw_message: Any) -> list[Any] | None:
    """The records of a batch message (a tuple, or a list from the in-memory test broker);
    None for a single record."""
    return list(raw_message) if isinstance(raw_message, tuple | list) else None


def describe(exc: BaseException) -> str:
    """An error text without input values."""
    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        ]
        return f"validation failed: {'; '.join(parts)}"[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]


@dataclass
class DeadLetterPolicy:
    service: str
    topic: str
    max_attempts: int = 5
    first_backoff: float = 0.2
    max_backoff: float = 30.0
    groups: dict[str, str] = field(default_factory=dict)  # source topic -> consumer group
    broker: KafkaBroker | None = None
    offsets: OffsetCommitter = field(default_factory=OffsetCommitter)

    def middleware(self, msg: Any, /, *, context: ContextRepo) -> DeadLetterMiddleware:
        return DeadLetterMiddleware(msg, context=context, policy=self)

    async def retrying(
        self,
        attempt: Callable[[], Awaitable[T]],
        give_up: Callable[[BaseException, int], Awaitable[None]],
    ) -> T | None:
        """``attempt()`` until it succeeds; an unreadable message, a PermanentError, an
        OverflowError or a DataError gives up at once, another error after ``max_attempts``,
        an infrastructure failure never.
        ``give_up(error, attempts)`` sets the work aside (writes its dead letters)."""
        attempts = 0
        backoff = self.first_backoff
        while True:
            attempts += 1
            try:
                return await attempt()
            except (ValidationError, PermanentError, OverflowError, DataError) as exc:
                # These fail the same way on every attempt: an OverflowError is a date at the
                # calendar's edge (9999-12-31 23:59 UTC in Amsterdam), a DataError a value the
                # column cannot hold (a text longer than its column, a number too large).
                await give_up(exc, attempts)
                return None
            except Exception as exc:
                if is_transient(exc):
                    log.warning("transient failure; retrying", error=describe(exc), attempt=attempts)
                elif attempts >= self.max_attempts:
                    await give_up(exc, attempts)
                    return None
                else:
                    log.warning("handler failed; retrying", error=describe(exc), attempt=attempts)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def send(
        self,
        record: Any,
        body: bytes,
        original_headers: dict[str, Any],
        exc: BaseException,
        attempts: int,
    ) -> None:
        """Publish ``record`` (an aiokafka ConsumerRecord) to the dead-letter topic."""
        assert self.broker is not None, "policy not bound to a broker"
        source_topic = getattr(record, "topic", "")
        if source_topic == self.topic:
            # A reader of the dead-letter topic failed: never loop a dead letter onto itself.
            log.error("dead letter could not be handled", error=describe(exc))
            return
        headers = {k: v for k, v in original_headers.items() if isinstance(v, str)}
        headers.update(
            {
                "dlt-error": describe(exc),
                "dlt-error-type": type(exc).__name__,
                "dlt-original-topic": str(source_topic),
                "dlt-original-partition": str(getattr(record, "partition", "")),
                "dlt-original-offset": str(getattr(record, "offset", "")),
                "dlt-consumer-group": self.groups.get(source_topic, self.service),
                "dlt-attempts": str(attempts),
                "dlt-failed-at": datetime.now(UTC).isoformat(),
            }
        )
        delay = self.first_backoff
        while True:
            # The offset moves on only once the dead letter is written, so keep trying.
            try:
                await self.broker.publish(
                    body, topic=self.topic, key=getattr(record, "key", None), headers=headers
                )
                break
            except Exception as publish_error:
                log.warning("dead letter not written yet; retrying", error=repr(publish_error))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        log.error(
            "message sent to dead-letter topic",
            source_topic=source_topic,
            offset=getattr(record, "offset", None),
            error=headers["dlt-error"],
            attempts=attempts,
        )


class DeadLetterMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(self, call_next: AsyncFuncAny, msg: StreamMessage[Any]) -> Any:
        result = await self._handle(call_next, msg)
        # Handled: applied or set aside as a dead letter. Only now may its offset be committed.
        # (FastStream's in-memory test broker has no real consumer, and nothing to commit.)
        consumer = getattr(msg, "consumer", None)
        if isinstance(consumer, AIOKafkaConsumer):
            records = batch_records(msg.raw_message) or [msg.raw_message]
            await self.policy.offsets.handled_all(consumer, records)
        return result

    async def _dead_letter(self, msg: StreamMessage[Any], exc: BaseException, attempts: int) -> None:
        records = batch_records(msg.raw_message)
        if records is None:
            await self.policy.send(msg.raw_message, msg.body, msg.headers, exc, attempts)
            return
        for record in records:
            await self.policy.send(record, record.value or b"", record_headers(record), exc, attempts)

    async def _handle(self, call_next: AsyncFuncAny, msg: StreamMessage[Any]) -> Any:
        async def give_up(exc: BaseException, attempts: int) -> None:
            await self._dead_letter(msg, exc, attempts)

        return await self.policy.retrying(lambda: call_next(msg), give_up)

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        # Errors raised before the handler ran (undecodable body) arrive here only.
        if isinstance(exc_val, Exception) and self.msg is not None:
            records = batch_records(self.msg) or [self.msg]
            for record in records:
                value = getattr(record, "value", b"") or b""
                await self.policy.send(record, value, record_headers(record), exc_val, 1)
            consumer = getattr(self.context.get_local("message"), "consumer", None)
            if isinstance(consumer, AIOKafkaConsumer):
                await self.policy.offsets.handled_all(consumer, records)
            return True
        return False
