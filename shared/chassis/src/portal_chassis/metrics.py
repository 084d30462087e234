"""``GET /metrics``: what an operator watches, in the Prometheus text format.

- consumer lag of each of the service's consumer groups, per topic and partition: the
  partition's end offset minus the group's committed offset (what the group has yet to handle);
- the outbox backlog: events committed but not yet published, and the age of the oldest one;
- dead letters written: the records of the service's dead-letter topic (a counter that counts
  every instance's, and survives restarts);
- whether Kafka is connected and the outbox relay is healthy.

Reading offsets and the outbox costs a few round trips, so a scrape reuses the figures of the
previous one for ``max_age`` seconds. Offsets are group-wide: every instance of a service
reports the same lag. The route is unauthenticated like ``/ready``; the gateway does not route
it (deploy/gateway/nginx.conf.template), only Prometheus inside the network reaches it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from portal_chassis.logging import get_logger
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.tables import outbox
from portal_schemas.topics import dead_letter_topic

log = get_logger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group has committed nothing on this partition yet
    end: int

    @property
    def lag(self) -> int:
        return max(self.end - (self.committed or 0), 0)


@dataclass
class Snapshot:
    """The figures of one scrape; None where a source could not be read."""

    lags: list[Lag] | None = None
    dead_letters: int | None = None
    outbox_pending: int | None = None
    outbox_oldest: datetime | None = None
    taken: float = field(default_factory=time.monotonic)


class KafkaOffsets:
    """Committed and end offsets, read with the service's own admin client and a group-less
    consumer, both opened on first use and kept."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._bootstrap = bootstrap_servers
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id="metrics")
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False
            )
            try:
                await admin.start()
                await consumer.start()
            except BaseException:
                await _quietly(admin.close())
                await _quietly(consumer.stop())
                raise
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def _partitions(self, consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
        found: list[TopicPartition] = []
        for topic in topics:
            numbers = consumer.partitions_for_topic(topic)
            if not numbers:
                await consumer._client.force_metadata_update()
                numbers = consumer.partitions_for_topic(topic) or set()
            found += [TopicPartition(topic, p) for p in sorted(numbers)]
        return found

    async def end_offsets(self, topics: Iterable[str]) -> dict[TopicPartition, int]:
        _, consumer = await self._clients()
        partitions = await self._partitions(consumer, topics)
        if not partitions:
            return {}
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return ends

    async def lags(self, groups: dict[str, str]) -> list[Lag]:
        """``groups``: topic -> the consumer group that reads it."""
        admin, _ = await self._clients()
        ends = await self.end_offsets(groups)
        found: list[Lag] = []
        for group in sorted(set(groups.values())):
            committed = await admin.list_consumer_group_offsets(group)
            for tp, end in sorted(ends.items()):
                if groups.get(tp.topic) != group:
                    continue
                mark = committed.get(tp)
                offset = mark.offset if mark is not None and mark.offset >= 0 else None
                found.append(Lag(group, tp.topic, tp.partition, offset, end))
        return found

    async def close(self) -> None:
        if self._admin is not None:
            await _quietly(self._admin.close())
        if self._consumer is not None:
            await _quietly(self._consumer.stop())
        self._admin = self._consumer = None


async def _quietly(closing: Any) -> None:
    try:
        await closing
    except Exception as exc:
        log.warning("metrics client did not close cleanly", error=type(exc).__name__)


class ServiceMetrics(Collector):
    """The service's figures, refreshed by :meth:`refresh` and collected by prometheus-client."""

    def __init__(self, runtime: ServiceRuntime, *, max_age: float = 5.0, offsets: Any = None) -> None:
        self.runtime = runtime
        self.service = runtime.settings.service_name
        self.max_age = max_age
        self.offsets = offsets or KafkaOffsets(runtime.settings.kafka_bootstrap_servers)
        self.snapshot = Snapshot(taken=float("-inf"))
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:  # one scrape reads; concurrent ones use its figures
            if time.monotonic() - self.snapshot.taken < self.max_age:
                return
            snapshot = Snapshot()
            await asyncio.gather(self._read_kafka(snapshot), self._read_outbox(snapshot))
            self.snapshot = snapshot

    async def _read_kafka(self, snapshot: Snapshot) -> None:
        if not self.runtime.broker_connected:
            return  # still connecting: /ready says so; no figures rather than stale ones
        topic = dead_letter_topic(self.service)
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                snapshot.lags = await self.offsets.lags(dict(self.runtime.dead_letters.groups))
                ends = await self.offsets.end_offsets([topic])
        except Exception as exc:
            log.warning("consumer offsets not readable for metrics", error=type(exc).__name__)
            await self.offsets.close()  # a broken connection: open fresh ones next time
            return
        snapshot.dead_letters = sum(ends.values())

    async def _read_outbox(self, snapshot: Snapshot) -> None:
        query = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS), self.runtime.sessions() as session:
                row = (await session.execute(query)).one()
        except Exception as exc:
            log.warning("outbox not readable for metrics", error=type(exc).__name__)
            return
        snapshot.outbox_pending = int(row[0] or 0)
        oldest = row[1]
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)  # SQLite hands back naive UTC
        snapshot.outbox_oldest = oldest

    def collect(self) -> Iterator[Metric]:
        service = self.service
        snap = self.snapshot
        up = GaugeMetricFamily(
            "portal_kafka_connected", "1 when the service is connected to Kafka", labels=["service"]
        )
        up.add_metric([service], 1.0 if self.runtime.broker_connected else 0.0)
        yield up
        relay = GaugeMetricFamily(
            "portal_outbox_relay_healthy", "1 when the last outbox relay round succeeded", labels=["service"]
        )
        relay.add_metric([service], 1.0 if self.runtime.relay.healthy else 0.0)
        yield relay
        if snap.lags is not None:
            labels = ["service", "group", "topic", "partition"]
            lag = GaugeMetricFamily(
                "portal_consumer_lag", "Records on the partition the group has not handled yet", labels=labels
            )
            committed = GaugeMetricFamily(
                "portal_consumer_committed_offset",
                "The group's committed offset (next record to handle); absent before its first commit",
                labels=labels,
            )
            end = GaugeMetricFamily("portal_topic_end_offset", "The partition's end offset", labels=labels)
            for item in snap.lags:
                values = [service, item.group, item.topic, str(item.partition)]
                lag.add_metric(values, float(item.lag))
                end.add_metric(values, float(item.end))
                if item.committed is not None:
                    committed.add_metric(values, float(item.committed))
            yield from (lag, committed, end)
        if snap.dead_letters is not None:
            letters = CounterMetricFamily(
                "portal_dead_letters",
                "Messages written to the service's dead-letter topic (every instance, since the topic began)",
                labels=["service", "topic"],
            )
            letters.add_metric([service, dead_letter_topic(service)], float(snap.dead_letters))
            yield letters
        if snap.outbox_pending is not None:
            pending = GaugeMetricFamily(
                "portal_outbox_pending_events", "Events committed but not yet published", labels=["service"]
            )
            pending.add_metric([service], float(snap.outbox_pending))
            yield pending
            age = GaugeMetricFamily(
                "portal_outbox_oldest_pending_age_seconds",
                "Age of the oldest unpublished event (0 when none waits)",
                labels=["service"],
            )
            oldest = snap.outbox_oldest
            seconds = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
            age.add_metric([service], max(seconds, 0.0))
            yield age

    async def close(self) -> None:
        await self.offsets.close()


router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    collector: ServiceMetrics = request.app.state.metrics
    await collector.refresh()
    return Response(generate_latest(collector.registry), media_type=CONTENT_TYPE)
