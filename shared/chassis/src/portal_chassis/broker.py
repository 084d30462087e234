"""The Kafka broker of a service: idempotent producer, telemetry, dead letters, publishers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider

from portal_chassis.consumers import EventHandlers, group_id, subscribe, typed_envelope
from portal_chassis.dead_letter import DeadLetterPolicy
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas import REGISTRY
from portal_schemas.topics import dead_letter_topic


def make_broker(
    bootstrap_servers: str,
    *,
    service: str,
    tracer_provider: TracerProvider,
    max_attempts: int,
) -> tuple[KafkaBroker, DeadLetterPolicy]:
    policy = DeadLetterPolicy(service=service, topic=dead_letter_topic(service), max_attempts=max_attempts)
    broker = KafkaBroker(
        bootstrap_servers,
        client_id=service,
        acks="all",
        enable_idempotence=True,  # retries never duplicate or reorder a partition's records
        allow_auto_create_topics=False,
        middlewares=(
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            policy.middleware,
        ),
        logger=get_logger("faststream"),
        log_level=logging.DEBUG,  # its per-message lines; the chassis logs each applied event
        graceful_timeout=20.0,  # on shutdown, let in-flight handlers finish
    )
    policy.broker = broker
    return broker, policy


def wire_consumers(
    broker: KafkaBroker,
    policy: DeadLetterPolicy,
    service: str,
    handlers: EventHandlers,
    new_uow: Callable[[], UnitOfWork],
) -> None:
    for registration in handlers.registrations:
        subscribe(broker, service, registration, new_uow)
        policy.groups[registration.model.topic()] = group_id(service, registration)


def document_publishers(broker: KafkaBroker, event_types: list[str]) -> None:
    """Declare what this service produces, so its AsyncAPI document lists the topics."""
    for spec in REGISTRY.values():
        if spec.event_type in event_types:
            broker.publisher(
                spec.topic,
                title=f"{spec.topic}:publish",
                description=spec.model.summary or None,
                schema=typed_envelope(spec.model),
            )


def kafka_publish(broker: KafkaBroker) -> Callable[[bytes, str, str, dict[str, str]], Awaitable[Any]]:
    """The outbox relay's publish: returns the delivery future without waiting on it."""

    async def publish(payload: bytes, topic: str, key: str, headers: dict[str, str]) -> Any:
        return await broker.publish(
            payload,
            topic=topic,
            key=key.encode(),
            headers={**headers, "content-type": "application/json"},
            correlation_id=headers.get("correlation_id"),
            no_confirm=True,
        )

    return publish
