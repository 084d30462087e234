"""``dead-letters list | redrive``: choosing dead letters and publishing them back to their topic."""

from __future__ import annotations

import argparse
import socket
from datetime import UTC, datetime

import pytest

from portal_chassis import dead_letter_cli
from portal_chassis.dead_letter_cli import DeadLetter, choose, parse_position, parse_since, redrive

DLT = "demo.dead-letter.v1"


def letter(offset: int, origin: str | None = "a.v1", *, partition: int = 0, day: int = 1) -> DeadLetter:
    headers: list[tuple[str, bytes]] = [("event-type", b"Thing"), ("traceparent", b"00-abc-def-01")]
    if origin is not None:
        headers.append(("dlt-original-topic", origin.encode()))
    headers += [
        ("dlt-error", b"ValueError: no such contract"),
        ("dlt-consumer-group", b"demo.reader"),
        ("dlt-attempts", b"5"),
        ("redriven-from", b"demo.dead-letter.v1:0:0"),  # redriven once before, failed again
    ]
    return DeadLetter(
        DLT,
        partition,
        offset,
        f"key-{offset}".encode(),
        f'{{"n": {offset}}}'.encode(),
        tuple(headers),
        datetime(2026, 5, day, 12, tzinfo=UTC),
    )


class FakeTopics:
    def __init__(self, letters: list[DeadLetter]) -> None:
        self.letters = letters
        self.published: list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]] = []

    async def read(self, topic: str) -> list[DeadLetter]:
        assert topic == DLT
        return self.letters

    async def publish(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        self.published.append((topic, key, value, headers))


async def test_redrive_publishes_key_value_and_headers_without_the_dead_letter_ones(capsys) -> None:
    topics = FakeTopics([letter(0), letter(1, "b.v1"), letter(2)])

    code = await redrive(topics, "demo", positions=[(None, 1), (0, 2)], origin=None, since=None)

    assert code == 0
    assert [(t, k, v) for t, k, v, _ in topics.published] == [
        ("b.v1", b"key-1", b'{"n": 1}'),
        ("a.v1", b"key-2", b'{"n": 2}'),
    ]
    assert topics.published[0][3] == [
        ("event-type", b"Thing"),
        ("traceparent", b"00-abc-def-01"),
        ("redriven-from", b"demo.dead-letter.v1:0:1"),
    ]
    out = capsys.readouterr().out
    assert "redriven demo.dead-letter.v1:0:1 -> b.v1 key=key-1" in out
    assert "2 dead letter(s) redriven" in out


async def test_all_narrowed_by_origin_and_time() -> None:
    letters = [letter(0, day=1), letter(1, "b.v1", day=2), letter(2, day=3), letter(3, None, day=4)]
    topics = FakeTopics(letters)

    await redrive(topics, "demo", positions=[], origin="a.v1", since=parse_since("2026-05-02"))
    assert [k for _, k, _, _ in topics.published] == [b"key-2"]

    everything = FakeTopics(letters)
    await redrive(everything, "demo", positions=[], origin=None, since=None)
    # the entry without an original topic cannot go anywhere
    assert [k for _, k, _, _ in everything.published] == [b"key-0", b"key-1", b"key-2"]


@pytest.mark.parametrize(
    ("positions", "reason"),
    [
        ([(None, 0), (None, 9)], "no dead letter at offset 9"),
        ([(1, 0)], "no dead letter at offset 1:0"),
        ([(None, 3)], "names no original topic"),
        ([(None, 5)], "on several partitions"),
    ],
)
async def test_a_choice_that_names_no_usable_entry_publishes_nothing(capsys, positions, reason) -> None:
    topics = FakeTopics([letter(0), letter(3, None), letter(5), letter(5, partition=1)])

    code = await redrive(topics, "demo", positions=positions, origin=None, since=None)

    assert code == 2
    assert topics.published == []
    assert reason in capsys.readouterr().err


async def test_list_shows_where_when_and_why_but_not_the_value(capsys) -> None:
    topics = FakeTopics([letter(0), letter(1, "b.v1", day=9)])

    assert await dead_letter_cli.list_letters(topics, "demo", origin="b.v1", since=None) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "0:1  2026-05-09T12:00:00+00:00  from b.v1  key=key-1  group=demo.reader  attempts=5"
        "  error=ValueError: no such contract",
        "1 dead letter(s) on demo.dead-letter.v1",
    ]


def test_choose_keeps_the_order_asked_and_drops_repeats() -> None:
    letters = [letter(0), letter(1), letter(2)]
    assert [d.offset for d in choose(letters, positions=[(None, 2), (None, 0), (0, 2)])] == [2, 0]


def test_offsets_and_times_as_typed() -> None:
    assert parse_position("12") == (None, 12)
    assert parse_position("1:12") == (1, 12)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_position("twelve")
    assert parse_since("2026-05-02") == datetime(2026, 5, 2, tzinfo=UTC)
    assert parse_since("2026-05-02T10:00") == datetime(2026, 5, 2, 10, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_since("yesterday")


def test_every_service_gets_the_commands(settings, monkeypatch) -> None:
    from portal_chassis.cli import run

    from .conftest import DemoSettings

    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(dead_letter_cli, "command", lambda args, s: seen.append(args) or 0)

    def main(*argv: str) -> int:
        return run(create_app=lambda: None, settings=DemoSettings, migrations_dir=None, argv=list(argv))  # type: ignore[arg-type,return-value]

    assert main("dead-letters", "redrive", "--offset", "3", "--offset", "0:4") == 0
    assert seen[-1].positions == [(None, 3), (0, 4)]
    assert main("dead-letters", "list", "--topic", "a.v1") == 0
    assert seen[-1].origin == "a.v1"
    with pytest.raises(SystemExit):
        main("dead-letters", "redrive")  # neither --offset nor --all
    with pytest.raises(SystemExit):
        main("dead-letters", "redrive", "--all", "--offset", "1")


def test_origin_goes_with_all_only(capsys) -> None:
    args = argparse.Namespace(
        dead_letters="redrive", positions=[(None, 1)], origin="a.v1", since=None, all=False
    )
    from .conftest import DemoSettings

    assert dead_letter_cli.command(args, DemoSettings) == 2
    assert "go with --all" in capsys.readouterr().err


def test_kafka_not_answering_is_a_message_and_exit_1(capsys, monkeypatch) -> None:
    from .conftest import DemoSettings

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", address)
    args = argparse.Namespace(dead_letters="list", origin=None, since=None)

    assert dead_letter_cli.command(args, DemoSettings) == 1
    assert f"Kafka at {address} is not answering" in capsys.readouterr().err
