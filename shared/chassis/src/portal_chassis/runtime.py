"""What one running service holds: settings, database, broker, relay, tracing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from portal_chassis.broker import kafka_publish, make_broker
from portal_chassis.db import make_engine, make_sessions
from portal_chassis.dead_letter import DeadLetterPolicy
from portal_chassis.logging import get_logger
from portal_chassis.outbox import OutboxRelay
from portal_chassis.settings import ServiceSettings
from portal_chassis.tracing import make_tracer_provider
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: KafkaBroker
    dead_letters: DeadLetterPolicy
    relay: OutboxRelay
    tracer_provider: TracerProvider
    broker_connected: bool = False
    subscribers: list[Any] = field(default_factory=list)
    _starting: asyncio.Task[None] | None = None

    @classmethod
    def create(cls, settings: ServiceSettings) -> ServiceRuntime:
        service = settings.service_name
        tracer_provider = make_tracer_provider(service, settings.traces_exporter)
        engine = make_engine(settings.database_url)
        sessions = make_sessions(engine)
        broker, policy = make_broker(
            settings.kafka_bootstrap_servers,
            service=service,
            tracer_provider=tracer_provider,
            max_attempts=settings.consumer_max_attempts,
        )
        relay = OutboxRelay(
            sessions, kafka_publish(broker), service=service, poll_seconds=settings.outbox_poll_seconds
        )
        return cls(settings, engine, sessions, broker, policy, relay, tracer_provider)

    def new_uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.settings.service_name, on_commit=self.relay.wake)

    def start_messaging(self) -> None:
        """Connect to Kafka in the background, so HTTP is up (and /ready says why) meanwhile."""
        self._starting = asyncio.create_task(self._connect(), name="kafka-connect")

    async def _connect(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.broker.start()
                break
            except Exception as exc:
                log.warning("kafka not reachable yet", error=type(exc).__name__, retry_in=delay)
                await self.broker.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        self.broker_connected = True
        self.dead_letters.offsets.start()
        self.relay.start()
        log.info("connected to kafka", bootstrap=self.settings.kafka_bootstrap_servers)

    async def shutdown(self) -> None:
        """Finish in-flight handlers, publish what they committed, then close."""
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        if self.broker_connected:
            await self.dead_letters.offsets.stop()
            for subscriber in self.broker.subscribers:
                await subscriber.stop()
            await self.relay.stop()
        await self.broker.stop()
        await self.engine.dispose()
        self.tracer_provider.shutdown()
