"""GET /metrics: consumer lag, outbox backlog and dead letters in the Prometheus text format."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from aiokafka import TopicPartition
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import MetaData, update

from portal_chassis import tables
from portal_chassis.app import build_service
from portal_chassis.metrics import Lag, ServiceMetrics
from portal_chassis.testing import create_schema, service_under_test

from .conftest import new_runtime


class FakeOffsets:
    """Offsets as the admin client would read them; counts the reads."""

    def __init__(self, ends: dict[tuple[str, int], int], committed: dict[tuple[str, int], int]) -> None:
        self.ends = ends
        self.committed = committed
        self.reads = 0

    async def lags(self, groups: dict[str, str]) -> list[Lag]:
        self.reads += 1
        return [
            Lag(groups[topic], topic, partition, self.committed.get((topic, partition)), end)
            for (topic, partition), end in sorted(self.ends.items())
            if topic in groups
        ]

    async def end_offsets(self, topics: Iterable[str]) -> dict[TopicPartition, int]:
        wanted = set(topics)
        return {TopicPartition(t, p): e for (t, p), e in self.ends.items() if t in wanted}

    async def close(self) -> None:
        pass


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def labels(**values: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"service": "demo", **values}.items()))


async def test_lag_per_group_and_partition_backlog_and_dead_letters(settings, reading) -> None:
    runtime = new_runtime(settings)
    await create_schema(runtime, MetaData())
    async with runtime.new_uow() as uow:  # two events the relay has not published (it is not running)
        uow.emit(reading(), subject="m-1")
        uow.emit(reading(), subject="m-2")
        await uow.commit()
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            update(tables.outbox)
            .where(tables.outbox.c.key == "m-1")
            .values(created_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    runtime.broker_connected = True
    runtime.dead_letters.groups.update({"a.v1": "demo.reader", "b.v1": "demo.other"})
    offsets = FakeOffsets(
        ends={("a.v1", 0): 10, ("a.v1", 1): 4, ("b.v1", 0): 7, ("demo.dead-letter.v1", 0): 3},
        committed={("a.v1", 0): 8, ("a.v1", 1): 4},  # b.v1: the group never committed
    )
    metrics = ServiceMetrics(runtime, offsets=offsets)

    await metrics.refresh()
    found = samples(generate_latest(metrics.registry).decode())

    assert found[("portal_consumer_lag", labels(group="demo.reader", topic="a.v1", partition="0"))] == 2
    assert found[("portal_consumer_lag", labels(group="demo.reader", topic="a.v1", partition="1"))] == 0
    assert found[("portal_consumer_lag", labels(group="demo.other", topic="b.v1", partition="0"))] == 7
    committed = labels(group="demo.reader", topic="a.v1", partition="0")
    assert found[("portal_consumer_committed_offset", committed)] == 8
    never = labels(group="demo.other", topic="b.v1", partition="0")
    assert ("portal_consumer_committed_offset", never) not in found
    assert found[("portal_dead_letters_total", labels(topic="demo.dead-letter.v1"))] == 3
    assert found[("portal_outbox_pending_events", labels())] == 2
    assert 300 <= found[("portal_outbox_oldest_pending_age_seconds", labels())] < 360
    assert found[("portal_kafka_connected", labels())] == 1
    assert found[("portal_outbox_relay_healthy", labels())] == 1


async def test_figures_are_reused_for_a_few_seconds(settings) -> None:
    runtime = new_runtime(settings)
    await create_schema(runtime, MetaData())
    runtime.broker_connected = True
    runtime.dead_letters.groups["a.v1"] = "demo.reader"
    offsets = FakeOffsets(ends={("a.v1", 0): 1}, committed={})
    metrics = ServiceMetrics(runtime, offsets=offsets, max_age=60)

    await metrics.refresh()
    await metrics.refresh()
    assert offsets.reads == 1
    metrics.max_age = 0
    await metrics.refresh()
    assert offsets.reads == 2


async def test_an_empty_outbox_has_no_age(settings) -> None:
    runtime = new_runtime(settings)
    await create_schema(runtime, MetaData())
    metrics = ServiceMetrics(runtime, offsets=FakeOffsets({}, {}))
    await metrics.refresh()
    found = samples(generate_latest(metrics.registry).decode())
    assert found[("portal_outbox_pending_events", labels())] == 0
    assert found[("portal_outbox_oldest_pending_age_seconds", labels())] == 0
    # not connected to Kafka yet: no lag figures rather than made-up ones
    assert found[("portal_kafka_connected", labels())] == 0
    assert not [name for name, _ in found if name.startswith("portal_consumer_")]


async def test_the_route_answers_prometheus_text_even_when_kafka_is_unreachable(settings) -> None:
    # settings point at 127.0.0.1:1: no broker answers there
    app = build_service(settings, title="demo", description="demo")
    async with service_under_test(app, MetaData()) as svc:
        svc.runtime.dead_letters.groups["a.v1"] = "demo.reader"
        response = await svc.client.get("/metrics")
        spec = (await svc.client.get("/openapi.json")).json()

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(response.text)
    assert found[("portal_outbox_pending_events", labels())] == 0
    assert not [name for name, _ in found if name.startswith("portal_consumer_")]
    assert "/metrics" not in spec["paths"]  # an operations endpoint, not part of the API
