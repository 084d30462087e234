"""Typed, idempotent event handlers.

A service lists its handlers once::

    handlers = EventHandlers()

    @handlers.on(MeterReadingReceived, name="reading-view")
    async def keep_reading(uow: UnitOfWork, event: Envelope, data: MeterReadingReceived) -> None:
        ...

Each handler gets its own consumer group ``<service>.<name>`` (starting from the earliest
offset, so a new read model sees history) and runs inside one unit of work together with the
inbox claim of the event id: a redelivered or replayed event changes nothing. The name is
part of the inbox key and the group: never rename a handler that has run in production.
"""

# No `from __future__ import annotations` here: FastStream reads the handler's annotations at
# runtime to validate messages and to describe them in AsyncAPI.

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from pydantic import model_validator

from portal_chassis import inbox
from portal_chassis.context import work_context
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope, EventData

log = get_logger(__name__)

E = TypeVar("E", bound=EventData)
Handler = Callable[[UnitOfWork, Envelope, E], Awaitable[None]]


@dataclass(frozen=True)
class Registration(Generic[E]):
    model: type[E]
    name: str
    handler: Handler[E]


class EventHandlers:
    def __init__(self) -> None:
        self.registrations: list[Registration[Any]] = []

    def on(self, model: type[E], *, name: str) -> Callable[[Handler[E]], Handler[E]]:
        if any(r.model is model for r in self.registrations):
            raise ValueError(f"{model.event_type} already has a handler in this service")

        def register(handler: Handler[E]) -> Handler[E]:
            self.registrations.append(Registration(model, name, handler))
            return handler

        return register


class _TopicEnvelope(Envelope):
    """An envelope read from one event type's topic: it must say it holds that type and version.

    Without this check an envelope of another type (a producer's mistake, a hand-written
    message) whose data happens to fit would be handled as the topic's event; now it is a
    validation error like any unreadable message, so it goes to the dead letters at once.
    """

    expected: ClassVar[type[EventData]]

    @model_validator(mode="after")
    def _of_this_topic(self) -> Self:
        model = type(self).expected
        if (self.event_type, self.schema_version) != (model.event_type, model.schema_version):
            raise ValueError(
                f"envelope of {self.event_type} v{self.schema_version} on the topic of "
                f"{model.event_type} v{model.schema_version}"
            )
        return self


@functools.cache
def typed_envelope(model: type[EventData]) -> type[Envelope]:
    """``Envelope`` whose ``data`` is validated as ``model`` (and documented in AsyncAPI), and
    whose ``event_type`` and ``schema_version`` must be the model's."""
    namespace = {"__annotations__": {"data": model}, "__module__": __name__, "expected": model}
    return type(f"{model.event_type}Envelope", (_TopicEnvelope,), namespace)


class Named(Protocol):
    @property
    def name(self) -> str: ...


def group_id(service: str, registration: Named) -> str:
    """A handler's consumer group, per-event or batch alike."""
    return f"{service}.{registration.name}"


def subscribe(
    broker: KafkaBroker,
    service: str,
    registration: Registration[Any],
    new_uow: Callable[[], UnitOfWork],
) -> None:
    envelope_type = typed_envelope(registration.model)  # type: ignore[arg-type]
    group = group_id(service, registration)

    async def consume(body: envelope_type) -> None:  # type: ignore[valid-type]
        event: Envelope = body
        with work_context(event.correlation_id, causation=str(event.event_id)):
            async with new_uow() as uow:
                if not await inbox.claim(uow.session, group, str(event.event_id)):
                    log.info("event already applied", event_id=str(event.event_id), group=group)
                    return
                await registration.handler(uow, event, event.data)
                await uow.commit()
            log.info(
                "event applied",
                event_type=event.event_type,
                event_id=str(event.event_id),
                group=group,
            )

    consume.__name__ = f"on_{registration.model.event_type}"
    broker.subscriber(
        registration.model.topic(),
        group_id=group,
        # Offsets are committed by the chassis (offsets.py) after the effect or the dead letter.
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        title=f"{group}:{registration.model.topic()}",
        description=registration.model.summary or None,
    )(consume)
