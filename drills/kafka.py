"""Kafka as the drills see it: who consumes what, producing with retries, reading a topic,
consumer lag, and resetting groups the way an operator would (kafka-consumer-groups)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from portal_stack import SERVICE_NAMES, kafka_cli
from portal_stack.paths import repo_root

from .common import say

Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(frozen=True)
class Consumption:
    """One consumer group of a service reading one topic."""

    service: str
    group: str
    topic: str


def consumed_topics(services: Sequence[str] = SERVICE_NAMES) -> list[Consumption]:
    """Every (service, group, topic) from the committed AsyncAPI documents, which the contract
    tests keep equal to the services' consumers."""
    found = []
    for service in services:
        document = json.loads((repo_root() / "shared/schemas/asyncapi" / f"{service}.json").read_text())
        for name, operation in document["operations"].items():
            if operation["action"] == "receive":
                group, topic = name.split(":", 1)
                found.append(Consumption(service, group, topic))
    return sorted(found, key=lambda c: (c.topic, c.service))


class Producer:
    """Sends as an upstream system would: idempotent, and a send that fails (the broker is
    away) is sent again until it is acknowledged, so the drills themselves lose nothing."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.resent = 0
        self._producer: AIOKafkaProducer | None = None

    async def __aenter__(self) -> Producer:
        await self._start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def _start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=10,
            request_timeout_ms=10_000,
        )
        while True:
            try:
                await self._producer.start()
                return
            except KafkaError as exc:
                say(f"producer: broker not reachable yet ({type(exc).__name__}); retrying")
                await asyncio.sleep(1)

    async def send_all(self, messages: Sequence[tuple[str, bytes, bytes]]) -> None:
        """(topic, key, value) each acknowledged, in order per key; failed ones again."""
        pending = list(messages)
        while pending:
            assert self._producer is not None
            futures = []
            failed: list[tuple[str, bytes, bytes]] = []
            for message in pending:
                topic, key, value = message
                try:
                    futures.append((message, await self._producer.send(topic, value, key=key)))
                except KafkaError:
                    failed.append(message)
            for message, future in futures:
                try:
                    await future
                except KafkaError:
                    failed.append(message)
            if failed:
                self.resent += len(failed)
                await asyncio.sleep(1)
            pending = failed


async def read_topic(
    bootstrap: str,
    topic: str,
    until: Callable[[list[Record]], bool],
    within: float = 60.0,
) -> list[Record]:
    """Every record of ``topic`` from the beginning, once ``until(records)`` holds (or what
    was there after ``within`` seconds)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Record] = []
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and not until(records):
            for part in (await consumer.getmany(timeout_ms=300, max_records=5000)).values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
    return set(partitions or ())


async def committed(bootstrap: str, groups: Sequence[str]) -> dict[str, dict[TopicPartition, int]]:
    """Each group's committed offsets."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = {}
        for group in groups:
            found = await admin.list_consumer_group_offsets(group)
            offsets[group] = {tp: meta.offset for tp, meta in found.items()}
        return offsets
    finally:
        await admin.close()


async def lag(bootstrap: str, consumptions: Sequence[Consumption]) -> dict[str, int]:
    """Per group: records on its topic not yet committed as handled (end offset - committed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = {
            c.topic: [TopicPartition(c.topic, p) for p in await _partitions(consumer, c.topic)]
            for c in consumptions
        }
        ends = await consumer.end_offsets([tp for tps in partitions.values() for tp in tps])
    finally:
        await consumer.stop()
    offsets = await committed(bootstrap, [c.group for c in consumptions])
    return {
        c.group: sum(ends[tp] - offsets[c.group].get(tp, 0) for tp in partitions[c.topic])
        for c in consumptions
    }


def reset_to_earliest(bootstrap: str, consumptions: Sequence[Consumption]) -> str:
    """``kafka-consumer-groups --reset-offsets --to-earliest --all-topics --execute`` for the
    groups, in one call (the groups must have no members: stop their services first); returns
    the tool's table."""
    groups = [arg for c in consumptions for arg in ("--group", c.group)]
    completed = kafka_cli(
        "ConsumerGroupCommand", "--bootstrap-server", bootstrap, *groups,
        "--all-topics", "--reset-offsets", "--to-earliest", "--execute", timeout=120,
    )  # fmt: skip
    return completed.stdout.strip()
