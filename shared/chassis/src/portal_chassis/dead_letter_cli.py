"""``python -m <service> dead-letters list | redrive``: the operator's view of the service's
dead-letter topic, and the way back once the cause is fixed.

``list`` prints one line per dead letter: its offset, when and why it failed, where it came
from (topic, consumer group) and its key, never its value (it may hold personal data).
``redrive`` publishes the chosen entries again to the topic they came from, with their original
key, value and headers: the ``dlt-*`` headers are dropped and ``redriven-from`` names the dead
letter (``<topic>:<partition>:<offset>``). Consumers drop an event they already applied (inbox
by event id; batch handlers by their own keys), so redriving an entry twice changes nothing
more; one that fails again comes back to the dead-letter topic with its new reason.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from portal_chassis.settings import ServiceSettings
from portal_schemas.topics import dead_letter_topic

DLT_PREFIX = "dlt-"
REDRIVEN_FROM = "redriven-from"
# Reading the topic gives up when no record came for this long before its end was reached (the
# broker went away): an operator's command ends rather than waiting for ever.
STALL_SECONDS = 30.0


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    written_at: datetime  # the record's Kafka timestamp

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode(errors="replace")
        return None

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def origin(self) -> str | None:
        return self.header("dlt-original-topic") or None

    def redrive_headers(self) -> list[tuple[str, bytes]]:
        kept = [(k, v) for k, v in self.headers if not k.startswith(DLT_PREFIX) and k != REDRIVEN_FROM]
        return [*kept, (REDRIVEN_FROM, f"{self.topic}:{self.position}".encode())]

    def describe(self) -> str:
        key = self.key.decode(errors="replace") if self.key is not None else "-"
        return (
            f"{self.position}  {self.written_at.isoformat(timespec='seconds')}"
            f"  from {self.origin or '?'}  key={key}"
            f"  group={self.header('dlt-consumer-group') or '?'}"
            f"  attempts={self.header('dlt-attempts') or '?'}"
            f"  error={self.header('dlt-error') or '?'}"
        )


class SelectionError(ValueError):
    """The operator's choice names no (or an unusable) dead letter: nothing is published."""


def parse_position(text: str) -> tuple[int | None, int]:
    """``N`` (any partition) or ``P:N``."""
    partition, _, offset = text.rpartition(":")
    try:
        return (int(partition) if partition else None), int(offset)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an offset (N or PARTITION:N)") from None


def parse_since(text: str) -> datetime:
    """An ISO date (midnight UTC) or an aware or UTC datetime."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or date-time") from None
    if len(text) == 10:  # a date alone
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def filtered(
    letters: Sequence[DeadLetter], *, origin: str | None, since: datetime | None
) -> list[DeadLetter]:
    return [
        d
        for d in letters
        if (origin is None or d.origin == origin) and (since is None or d.written_at >= since)
    ]


def choose(
    letters: Sequence[DeadLetter],
    *,
    positions: Sequence[tuple[int | None, int]] = (),
    origin: str | None = None,
    since: datetime | None = None,
) -> list[DeadLetter]:
    """The entries to redrive: those at ``positions``, or (none given) every one that matches
    ``origin`` and ``since``. Raises SelectionError for an offset that is not there or is
    ambiguous, or an entry without an origin topic."""
    if not positions:
        return [d for d in filtered(letters, origin=origin, since=since) if d.origin]
    chosen: list[DeadLetter] = []
    for partition, offset in positions:
        found = [d for d in letters if d.offset == offset and partition in (None, d.partition)]
        label = f"{partition}:{offset}" if partition is not None else str(offset)
        if not found:
            raise SelectionError(f"no dead letter at offset {label}")
        if len(found) > 1:
            raise SelectionError(f"offset {label} is on several partitions: write PARTITION:{offset}")
        if not found[0].origin:
            raise SelectionError(f"dead letter {found[0].position} names no original topic")
        if found[0] not in chosen:
            chosen.append(found[0])
    return chosen


class KafkaUnavailable(RuntimeError):
    """Kafka stopped answering while the dead-letter topic was read."""


class Topics(Protocol):
    async def read(self, topic: str) -> list[DeadLetter]: ...
    async def publish(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None: ...


class KafkaTopics:
    """Reads a whole topic without a consumer group (nothing is committed) and publishes with an
    idempotent producer, acks from every in-sync replica."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap = bootstrap_servers
        self._producer: AIOKafkaProducer | None = None

    async def read(self, topic: str) -> list[DeadLetter]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
        try:
            await consumer.start()
            numbers = consumer.partitions_for_topic(topic)
            if not numbers:
                await consumer._client.force_metadata_update()
                numbers = consumer.partitions_for_topic(topic) or set()
            if not numbers:
                raise SelectionError(f"topic {topic} does not exist")
            partitions = [TopicPartition(topic, p) for p in sorted(numbers)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            letters: list[DeadLetter] = []
            stalled_at = time.monotonic() + STALL_SECONDS
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                batch = await consumer.getmany(timeout_ms=1000)
                if batch:
                    stalled_at = time.monotonic() + STALL_SECONDS
                elif time.monotonic() > stalled_at:
                    raise KafkaUnavailable(f"no record of {topic} for {STALL_SECONDS:.0f}s before its end")
                for records in batch.values():
                    for r in records:
                        if r.offset < ends[TopicPartition(r.topic, r.partition)]:
                            letters.append(
                                DeadLetter(
                                    r.topic,
                                    r.partition,
                                    r.offset,
                                    r.key,
                                    r.value,
                                    tuple((k, v or b"") for k, v in r.headers),
                                    datetime.fromtimestamp(r.timestamp / 1000, UTC),
                                )
                            )
            return sorted(letters, key=lambda d: (d.partition, d.offset))
        finally:
            await consumer.stop()

    async def publish(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        if self._producer is None:
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True
            )
            await self._producer.start()
        await self._producer.send_and_wait(topic, value, key=key, headers=headers)

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()


async def list_letters(topics: Topics, service: str, *, origin: str | None, since: datetime | None) -> int:
    topic = dead_letter_topic(service)
    letters = filtered(await topics.read(topic), origin=origin, since=since)
    for letter in letters:
        print(letter.describe())
    print(f"{len(letters)} dead letter(s) on {topic}")
    return 0


async def redrive(
    topics: Topics,
    service: str,
    *,
    positions: Sequence[tuple[int | None, int]],
    origin: str | None,
    since: datetime | None,
) -> int:
    """Exit 0 when done, 2 when the choice names no usable dead letter (nothing published)."""
    topic = dead_letter_topic(service)
    try:
        chosen = choose(await topics.read(topic), positions=positions, origin=origin, since=since)
    except SelectionError as exc:
        print(f"nothing redriven: {exc}", file=sys.stderr)
        return 2
    for letter in chosen:
        assert letter.origin is not None  # choose() keeps only entries that name it
        await topics.publish(letter.origin, letter.key, letter.value, letter.redrive_headers())
        key = letter.key.decode(errors="replace") if letter.key is not None else "-"
        print(f"redriven {topic}:{letter.position} -> {letter.origin} key={key}")
    print(f"{len(chosen)} dead letter(s) redriven")
    return 0


def configure(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dead-letters", help="list the service's dead letters, or redrive them to their topic"
    )
    actions = parser.add_subparsers(dest="dead_letters", required=True)
    listing = actions.add_parser("list", help="one line per dead letter: offset, time, origin, key, error")
    listing.add_argument("--topic", "--origin", dest="origin", help="only those from this original topic")
    listing.add_argument("--since", type=parse_since, help="only those written since (ISO date or date-time)")
    again = actions.add_parser("redrive", help="publish chosen dead letters again to their original topic")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--offset",
        dest="positions",
        action="append",
        type=parse_position,
        default=[],
        metavar="[PARTITION:]N",
        help="the dead letter at this offset (repeatable; `list` shows them)",
    )
    which.add_argument("--all", action="store_true", help="every dead letter (narrow with --origin/--since)")
    again.add_argument("--origin", "--topic", dest="origin", help="with --all: only those from this topic")
    again.add_argument("--since", type=parse_since, help="with --all: only those written since")


def command(args: argparse.Namespace, settings: type[ServiceSettings]) -> int:
    if args.dead_letters == "redrive" and args.positions and (args.origin or args.since):
        print("--origin and --since go with --all, not with --offset", file=sys.stderr)
        return 2
    service = settings.service_name
    bootstrap = settings().kafka_bootstrap_servers

    async def go() -> int:
        topics = KafkaTopics(bootstrap)
        try:
            if args.dead_letters == "list":
                return await list_letters(topics, service, origin=args.origin, since=args.since)
            return await redrive(
                topics, service, positions=args.positions, origin=args.origin, since=args.since
            )
        except SelectionError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        except (KafkaError, KafkaUnavailable) as exc:
            # What was redriven before is printed above; the rest stays on the dead-letter topic.
            print(f"Kafka at {bootstrap} is not answering: {exc}", file=sys.stderr)
            return 1
        finally:
            await topics.close()

    return asyncio.run(go())
