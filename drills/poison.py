"""A poison message on every consumed topic: each consumer sets it aside in its service's
dead-letter topic with the reason, and goes on (its committed offset passes the poison).

One unreadable record per topic, keyed by a marker of its own, is read by every group of
every service consuming that topic (from the committed AsyncAPI documents), so each must write
its own dead letter naming the original topic, partition, offset and its group.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from aiokafka import TopicPartition
from aiokafka.structs import RecordMetadata

from portal_schemas.topics import dead_letter_topic

from .common import Verdict, say
from .kafka import Consumption, Producer, Record, committed, consumed_topics, read_topic


@dataclass(frozen=True)
class Poisoned:
    topic: str
    key: bytes
    partition: int
    offset: int


@dataclass(frozen=True)
class Outcome:
    """What became of one poison message at one consumer."""

    consumption: Consumption
    poison: Poisoned
    reason: str | None  # the dead letter's dlt-error; None: no dead letter
    dead_letter_headers_ok: bool
    went_on: bool  # the group committed past the poison

    @property
    def ok(self) -> bool:
        return bool(self.reason) and self.dead_letter_headers_ok and self.went_on


async def _publish_poison(bootstrap: str, topics: list[str]) -> dict[str, Poisoned]:
    async with Producer(bootstrap) as producer:
        assert producer._producer is not None
        sent: dict[str, Poisoned] = {}
        for topic in topics:
            key = f"poison-{uuid.uuid4()}".encode()
            value = b"drill poison: this is not an event {"
            meta: RecordMetadata = await producer._producer.send_and_wait(topic, value, key=key)
            sent[topic] = Poisoned(topic, key, meta.partition, meta.offset)
        return sent


def _headers(record: Record) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in record.headers}


async def poison_every_topic(bootstrap: str, within: float = 90.0) -> list[Outcome]:
    """Publish one poison message per consumed topic and wait (bounded) for every consumer's
    dead letter and committed offset; one outcome per (group, topic)."""
    consumptions = consumed_topics()
    topics = sorted({c.topic for c in consumptions})
    poisoned = await _publish_poison(bootstrap, topics)
    say(f"poison: one unreadable record on each of {len(topics)} topics, {len(consumptions)} consumers")
    deadline = time.monotonic() + within
    letters: dict[tuple[str, bytes], dict[str, str]] = {}  # (group, key) -> dead letter headers
    services = sorted({c.service for c in consumptions})
    keys = {p.key for p in poisoned.values()}
    wanted = {(c.group, poisoned[c.topic].key) for c in consumptions}

    async def dead_letters(service: str) -> None:
        expected = {(c.group, poisoned[c.topic].key) for c in consumptions if c.service == service}

        def seen(records: list[Record]) -> bool:
            for record in records:
                if record.key in keys:
                    headers = _headers(record)
                    letters[(headers.get("dlt-consumer-group", ""), record.key or b"")] = headers
            return expected <= set(letters)

        await read_topic(bootstrap, dead_letter_topic(service), seen, within=deadline - time.monotonic())

    await asyncio.gather(*(dead_letters(service) for service in services))
    went_on: dict[str, bool] = {}
    while True:
        offsets = await committed(bootstrap, [c.group for c in consumptions])
        for c in consumptions:
            poison = poisoned[c.topic]
            done = offsets[c.group].get(TopicPartition(c.topic, poison.partition), -1) > poison.offset
            went_on[c.group + c.topic] = done
        if all(went_on.values()) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    outcomes = []
    for c in consumptions:
        poison = poisoned[c.topic]
        headers = letters.get((c.group, poison.key), {})
        headers_ok = (
            headers.get("dlt-original-topic") == c.topic
            and headers.get("dlt-original-partition") == str(poison.partition)
            and headers.get("dlt-original-offset") == str(poison.offset)
        )
        outcomes.append(Outcome(c, poison, headers.get("dlt-error"), headers_ok, went_on[c.group + c.topic]))
    missing = wanted - set(letters)
    if missing:
        say(f"poison: {len(missing)} consumers wrote no dead letter within {within:.0f}s")
    return outcomes


def run(bootstrap: str) -> Verdict:
    verdict = Verdict("poison message on every consumed topic")
    started = time.monotonic()
    outcomes = asyncio.run(poison_every_topic(bootstrap))
    good = [o for o in outcomes if o.ok]
    verdict.figure(
        f"{len(good)} of {len(outcomes)} consumers set their poison aside and went on"
        f" ({len({o.consumption.topic for o in outcomes})} topics, {time.monotonic() - started:.1f}s)"
    )
    reasons = sorted({(o.reason or "")[:60] for o in good})
    verdict.figure(f"reasons seen: {'; '.join(reasons)}")
    for outcome in outcomes:
        c = outcome.consumption
        verdict.check(
            outcome.ok,
            f"{c.group} on {c.topic}: dead letter {'with reason' if outcome.reason else 'missing'},"
            f" headers {'ok' if outcome.dead_letter_headers_ok else 'wrong'},"
            f" {'went on' if outcome.went_on else 'did not commit past it'}",
        )
    return verdict
