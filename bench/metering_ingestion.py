"""Smart-meter feed ingestion on real Kafka and PostgreSQL, against a plain COPY baseline.

    uv run python -m bench --only ingestion [--readings 1000000] [--meters 10000]
                                            [--per-message 96] [--batch-records 500]

It starts its own Kafka (cached jars) and a throwaway PostgreSQL cluster on free ports,
migrates metering's schema (its Alembic migration) and puts ``--meters`` smart electricity
meters with their contracts and consents straight into the database. Then it produces
``--readings`` quarter-hour readings to ``hub.interval-readings-published.v1`` as the hub
would, ``--per-message`` readings of one meter per IntervalReadingsPublished (96: one day),
keyed by EAN over the topic's 6 partitions, and reads them twice:

1. metering: the service's real feed consumer (``metering.app.create_app``'s broker: the
   chassis batch consumer, up to ``--batch-records`` records per poll, each partition's share
   one transaction: each record validated, EANs resolved to meters, consent checked, the
   intervals grouped into their customer days' slots, the batch's meters locked, the stored
   days read and merged (first value wins), the day rows and monthly sums upserted), until
   every reading is stored;
2. baseline: a plain aiokafka consumer of the same records (its own group), ``json.loads`` of
   each record, the EAN looked up in a dict, and asyncpg ``copy_records_to_table`` into a bare
   table (no key, no index), offsets committed after each copy.

Both times run from the consumer's start (group join included) until the last reading is in
the database. It prints readings per second of each and their ratio. Logs are at WARNING.
Figures are per machine; compare runs on the same one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from metering.__main__ import MIGRATIONS
from metering.app import create_app
from metering.settings import MeteringSettings
from portal_chassis.logging import configure_logging
from portal_chassis.migrations import upgrade
from portal_chassis.runtime import ServiceRuntime
from portal_schemas.hub import IntervalReadingsPublished

from .common import add_shared_option, asyncpg_url, postgres_and_kafka

TOPIC = IntervalReadingsPublished.topic()
FIRST_DAY = date(2026, 1, 5)
CHANNEL = "electricity_consumption"


@dataclass(frozen=True)
class Plan:
    readings: int
    meters: int
    per_message: int

    @property
    def messages(self) -> int:
        return -(-self.readings // self.per_message)


def ean(i: int) -> str:
    return f"8716{i:014d}"


async def seed(database_url: str, plan: Plan) -> None:
    """Contracts, smart meters and consents for the terms in force, as the consumers and the
    consent API would leave them (written in bulk: the feed is what is measured)."""
    now = datetime.now(UTC)
    terms = MeteringSettings().smart_meter_terms_version
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        contracts = [
            (
                f"BC-{i}",
                f"{100000000 + i}",
                "electricity",
                "BENCH",
                date(2025, 1, 1),
                "active",
                True,
                ean(i),
                now,
            )
            for i in range(plan.meters)
        ]
        await connection.copy_records_to_table(
            "contract_view",
            records=contracts,
            columns=[
                "contract_id", "customer_number", "commodity", "product_code", "start_date", "status",
                "readings_expected", "ean", "updated_at",
            ],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "meters",
            records=[
                (f"BM-{i}", f"BC-{i}", f"{100000000 + i}", "electricity", ean(i), f"S-{i}", True, "indoors",
                 date(2025, 1, 1), now)
                for i in range(plan.meters)
            ],
            columns=[
                "meter_id", "contract_id", "customer_number", "commodity", "ean", "serial", "smart",
                "location", "installed_on", "created_at",
            ],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "smart_meter_consents",
            records=[(f"BC-{i}", f"{100000000 + i}", "granted", terms, now) for i in range(plan.meters)],
            columns=["contract_id", "customer_number", "status", "terms_version", "granted_at"],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def hub_message(plan: Plan, k: int) -> tuple[bytes, bytes]:
    """Message ``k``: one day of meter ``k % meters`` (the next day once every meter had one)."""
    meter = k % plan.meters
    day = FIRST_DAY + timedelta(days=k // plan.meters)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=1)
    count = min(plan.per_message, plan.readings - k * plan.per_message)
    readings = [
        {"start": (start + timedelta(minutes=15 * i)).isoformat(), "value": f"0.{(k + i) % 1000:03d}"}
        for i in range(count)
    ]
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": IntervalReadingsPublished.event_type,
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "hub",
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "subject": ean(meter),
        "data": {
            "batch_id": f"bench-{k}",
            "ean": ean(meter),
            "channel": CHANNEL,
            "interval_minutes": 15,
            "unit": "kWh",
            "readings": readings,
        },
    }
    return ean(meter).encode(), json.dumps(envelope).encode()


async def produce(bootstrap: str, plan: Plan) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1_048_576
    )
    await producer.start()
    started = time.perf_counter()
    try:
        pending = []
        for k in range(plan.messages):
            key, value = hub_message(plan, k)
            pending.append(await producer.send(TOPIC, value, key=key))
            if len(pending) >= 2000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def stored_readings(connection: asyncpg.Connection, table: str) -> int:
    if table == "consumption_months":  # the feed's sums: a small table to poll
        return int(await connection.fetchval("SELECT coalesce(sum(intervals), 0) FROM consumption_months"))
    return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608 - our own names


async def wait_until_stored(database_url: str, table: str, expected: int, started: float) -> float:
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        while True:
            if await stored_readings(connection, table) >= expected:
                return time.perf_counter() - started
            if time.perf_counter() - started > 1800:
                raise TimeoutError(f"{table}: not all readings stored after 30 minutes")
            await asyncio.sleep(0.05)
    finally:
        await connection.close()


async def run_metering(
    bootstrap: str, database_url: str, plan: Plan, batch_records: int, parallel: int | None
) -> float:
    settings = MeteringSettings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        log_level="WARNING",
        feed_batch_records=batch_records,
    )
    if parallel is not None:
        settings.feed_parallel_batches = parallel
    app = create_app(settings)
    logging.getLogger("faststream").setLevel(logging.WARNING)  # its per-consumer start-up lines
    runtime: ServiceRuntime = app.state.runtime
    started = time.perf_counter()
    await runtime.broker.start()
    runtime.dead_letters.offsets.start()
    try:
        return await wait_until_stored(database_url, "consumption_months", plan.readings, started)
    finally:
        await runtime.dead_letters.offsets.stop()
        await runtime.broker.stop()
        await runtime.engine.dispose()


async def run_baseline(bootstrap: str, database_url: str, plan: Plan, batch_records: int) -> float:
    connection = await asyncpg.connect(asyncpg_url(database_url))
    await connection.execute(
        "CREATE TABLE baseline_intervals (meter_id text, channel text, starts_at timestamptz,"
        " minutes smallint, value numeric, quality text)"
    )
    meters = {ean(i): f"BM-{i}" for i in range(plan.meters)}
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id="bench.baseline",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    started = time.perf_counter()
    await consumer.start()
    copied = 0
    try:
        while copied < plan.readings:
            batches = await consumer.getmany(timeout_ms=200, max_records=batch_records)
            rows = []
            for records in batches.values():
                for record in records:
                    data = json.loads(record.value)["data"]
                    meter_id = meters[data["ean"]]
                    for reading in data["readings"]:
                        rows.append(
                            (
                                meter_id,
                                data["channel"],
                                datetime.fromisoformat(reading["start"]),
                                data["interval_minutes"],
                                Decimal(reading["value"]),
                                reading.get("quality", "measured"),
                            )
                        )
            if rows:
                await connection.copy_records_to_table("baseline_intervals", records=rows)
                await consumer.commit()
                copied += len(rows)
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await connection.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "ingestion", "smart-meter feed vs plain COPY (bench/metering_ingestion.py)"
    )

    group.add_argument(
        "--readings", type=int, default=1_000_000, help="interval readings to feed (default 1000000)"
    )
    add_shared_option(
        group, "--meters", type=int, default=10_000, help="smart meters with consent (default 10000)"
    )
    group.add_argument(
        "--per-message", type=int, default=96, help="readings per hub message (default 96: a day)"
    )
    group.add_argument("--batch-records", type=int, default=500, help="Kafka records per poll (default 500)")
    group.add_argument(
        "--parallel",
        type=int,
        help="metering's transactions at once (default: the service's feed_parallel_batches)",
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.metering_ingestion", description=__doc__)
    add_arguments(parser)
    run_with(parser.parse_args(argv))


async def measure(
    bootstrap: str, database_url: str, plan: Plan, batch_records: int, parallel: int | None
) -> None:
    await seed(database_url, plan)
    produce_seconds = await produce(bootstrap, plan)
    ours = await run_metering(bootstrap, database_url, plan, batch_records, parallel)
    baseline = await run_baseline(bootstrap, database_url, plan, batch_records)
    ours_rate, baseline_rate = plan.readings / ours, plan.readings / baseline
    print(
        f"readings: {plan.readings:,} for {plan.meters:,} meters, {plan.per_message} per message"
        f" ({plan.messages:,} messages on {TOPIC}, 6 partitions), up to {batch_records} messages"
        " per poll; PostgreSQL 15 + Kafka 4.1.1 on loopback"
    )
    print(
        f"produce (hub)      {plan.readings / produce_seconds:10,.0f} readings/s  ({produce_seconds:.2f} s)"
    )
    print(
        f"metering feed      {ours_rate:10,.0f} readings/s  ({ours:.2f} s: validate, resolve,"
        " consent, merge into day rows once, monthly sums)"
    )
    print(
        f"baseline COPY      {baseline_rate:10,.0f} readings/s  ({baseline:.2f} s:"
        " json.loads + COPY into a bare table)"
    )
    print(f"ratio              {ours_rate / baseline_rate:10.2f}  (metering / baseline)")


def run_with(args: argparse.Namespace) -> None:
    configure_logging("bench", "WARNING")
    plan = Plan(readings=args.readings, meters=args.meters, per_message=args.per_message)
    with (
        tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp,
        postgres_and_kafka(Path(tmp), services=("metering",)) as (database_urls, bootstrap),
    ):
        database_url = database_urls["metering"]
        upgrade(MIGRATIONS, database_url)
        asyncio.run(measure(bootstrap, database_url, plan, args.batch_records, args.parallel))
