"""Event pipeline throughput on real PostgreSQL and Kafka: outbox write, relay, inbox consume.

    uv run python -m bench [--only pipeline] [--events 20000] [--per-transaction 100]

1. write: use cases emit events through the unit of work, ``--per-transaction`` per commit;
2. relay: the outbox relay publishes them to Kafka (idempotent producer, acks=all);
3. consume: a typed handler applies them through the inbox (claim + commit per event),
   the path every consumer of the suite takes.

It starts its own Kafka (cached jars) and a throwaway PostgreSQL cluster on free ports. Logs
are at WARNING so the figures measure the pipeline, not the terminal. Figures are events per
second on this machine; compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

from pydantic_settings import SettingsConfigDict
from sqlalchemy import func, select

from portal_chassis import tables
from portal_chassis.broker import wire_consumers
from portal_chassis.consumers import EventHandlers
from portal_chassis.logging import configure_logging
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.settings import ServiceSettings
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.metering import MeterReadingReceived

from .common import postgres_and_kafka


class BenchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "metering"


def reading(i: int) -> MeterReadingReceived:
    return MeterReadingReceived(
        reading_id=f"r-{i}",
        meter_id=f"m-{i % 500}",
        customer_number=f"{100000000 + i % 500}",
        register_type="electricity_single",
        value=Decimal(i),
        unit="kWh",
        read_at=datetime.now(UTC),
        source="smart_meter",
        quality="actual",
    )


async def run(bootstrap: str, database_url: str, events: int, per_transaction: int) -> None:
    handlers = EventHandlers()
    applied = 0
    done = asyncio.Event()

    @handlers.on(MeterReadingReceived, name="bench-consumer")
    async def apply(uow: UnitOfWork, event: Envelope, data: MeterReadingReceived) -> None:
        nonlocal applied
        applied += 1
        if applied == events:
            done.set()

    settings = BenchSettings(
        database_url=database_url, kafka_bootstrap_servers=bootstrap, log_level="WARNING"
    )
    runtime = ServiceRuntime.create(settings)
    wire_consumers(runtime.broker, runtime.dead_letters, "bench", handlers, runtime.new_uow)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(tables.metadata.create_all)

    started = time.perf_counter()
    for first in range(0, events, per_transaction):
        async with runtime.new_uow() as uow:
            for i in range(first, min(first + per_transaction, events)):
                uow.emit(reading(i), subject=f"m-{i % 500}")
            await uow.commit()
    write_seconds = time.perf_counter() - started

    await runtime.broker.connect()
    started = time.perf_counter()
    while await runtime.relay.publish_pending():
        pass
    relay_seconds = time.perf_counter() - started

    started = time.perf_counter()
    await runtime.broker.start()
    await asyncio.wait_for(done.wait(), timeout=600)
    consume_seconds = time.perf_counter() - started
    async with runtime.sessions() as session:
        claimed = await session.scalar(select(func.count()).select_from(tables.inbox))
    await runtime.broker.stop()
    await runtime.engine.dispose()

    print(f"events: {events}, {per_transaction} per transaction, PostgreSQL + Kafka 4.1.1 on loopback")
    print(f"outbox write   {events / write_seconds:10,.0f} events/s  ({write_seconds:.2f} s)")
    print(f"relay publish  {events / relay_seconds:10,.0f} events/s  ({relay_seconds:.2f} s)")
    print(
        f"inbox consume  {events / consume_seconds:10,.0f} events/s  ({consume_seconds:.2f} s,"
        f" incl. group join; {claimed} inbox rows)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pipeline", "outbox/relay/inbox throughput (bench/outbox_pipeline.py)")
    group.add_argument("--events", type=int, default=20_000)
    group.add_argument("--per-transaction", type=int, default=100)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox_pipeline", description=__doc__)
    add_arguments(parser)
    run_with(parser.parse_args(argv))


def run_with(args: argparse.Namespace) -> None:
    configure_logging("bench", "WARNING")
    with (
        tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp,
        postgres_and_kafka(Path(tmp)) as (database_urls, bootstrap),
    ):
        asyncio.run(run(bootstrap, database_urls["metering"], args.events, args.per_transaction))
