"""Offsets are committed in batches, and never past a message that was not handled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from portal_chassis.offsets import OffsetCommitter


@dataclass
class Record:
    topic: str
    partition: int
    offset: int


class FakeConsumer:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})


async def test_commits_the_offset_after_the_last_handled_message_per_partition() -> None:
    consumer = FakeConsumer()
    committer = OffsetCommitter(interval=3600, batch=3)
    await committer.handled(consumer, Record("t", 0, 0))  # first: due at once (never committed)
    await committer.handled(consumer, Record("t", 0, 1))
    await committer.handled(consumer, Record("t", 1, 7))
    assert consumer.commits == [{TopicPartition("t", 0): 1}]  # batch of 3 not reached yet
    await committer.handled(consumer, Record("t", 0, 2))
    assert consumer.commits[-1] == {TopicPartition("t", 0): 3, TopicPartition("t", 1): 8}


async def test_flush_commits_the_tail_and_nothing_twice() -> None:
    consumer = FakeConsumer()
    committer = OffsetCommitter(interval=3600, batch=100)
    await committer.handled(consumer, Record("t", 0, 4))
    await committer.handled(consumer, Record("t", 0, 5))
    await committer.flush()
    await committer.flush()
    assert consumer.commits == [{TopicPartition("t", 0): 5}, {TopicPartition("t", 0): 6}]


async def test_a_failed_commit_is_not_fatal() -> None:
    class Rebalanced(FakeConsumer):
        async def commit(self, offsets: dict[TopicPartition, Any]) -> None:
            raise RuntimeError("partition no longer assigned")

    committer = OffsetCommitter(interval=0, batch=1)
    await committer.handled(Rebalanced(), Record("t", 0, 1))  # logged; redelivery is harmless
