"""What several benchmarks share: PostgreSQL and Kafka on free loopback ports, percentiles, and
options that more than one benchmark defines."""

from __future__ import annotations

import argparse
import contextlib
import statistics
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from portal_stack import SERVICE_NAMES, LocalKafka, PostgresCluster, create_topics
from portal_stack.ports import free_ports


@contextmanager
def postgres(
    tmp: Path, *, services: Sequence[str] = SERVICE_NAMES, durable: bool = False
) -> Iterator[dict[str, str]]:
    """A throwaway PostgreSQL cluster (fsync off unless ``durable``) with a database per service
    in ``services``; yields their SQLAlchemy URLs and removes the cluster again."""
    cluster = PostgresCluster(log_file=tmp / "postgres.log", services=services, durable=durable)
    cluster.start()
    try:
        yield cluster.database_urls
    finally:
        cluster.stop()


@contextmanager
def postgres_and_kafka(
    tmp: Path, *, services: Sequence[str] = SERVICE_NAMES
) -> Iterator[tuple[dict[str, str], str]]:
    """``postgres`` and a Kafka broker from the cached jars with the suite's topics; yields the
    database URLs and the bootstrap servers."""
    kafka_port, controller_port = free_ports(2)  # never reuse a broker that runs already
    kafka = LocalKafka(
        tmp / "kafka", port=kafka_port, controller_port=controller_port, log_file=tmp / "kafka.log"
    )
    with postgres(tmp, services=services) as database_urls:
        kafka.start()
        try:
            create_topics(kafka.bootstrap_servers)
            yield database_urls, kafka.bootstrap_servers
        finally:
            kafka.stop()


def asyncpg_url(url: str) -> str:
    """A service's SQLAlchemy URL as asyncpg takes it."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of ``values`` (inclusive method; a single value is all three)."""
    if len(values) < 2:
        return values[0], values[0], values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def add_shared_option(group: argparse._ArgumentGroup, flag: str, **kwargs: Any) -> None:
    """Adds ``flag`` to ``group`` unless a benchmark run in the same command has defined it
    already (``--meters``): then that one definition serves both."""
    with contextlib.suppress(argparse.ArgumentError):  # a conflicting option string: defined before
        group.add_argument(flag, **kwargs)
