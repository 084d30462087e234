"""The month-by-day consumption view through the gateway, on one year of 15-minute data.

    uv run python -m bench --only queries [--meters 10000] [--rate 200] [--seconds 60]
                                          [--warmup 5] [--year 2025]

Starts its own PostgreSQL (fsync off), Kafka (cached jars), metering as deployed
(``python -m metering migrate`` then ``serve``, its consumers connected) and nginx with the
suite's gateway config. Access tokens are signed by a key of the benchmark's own, whose public
half it serves as identity's JWKS endpoint, so metering verifies every token as usual.

Data, loaded with server-side SQL (generate_series, an array per row): ``--meters``
electricity contracts, each with a smart meter and a current consent, and for each meter a
consumption_days row per customer day of ``--year`` holding the day's quarter hours in its
slots (35,040 a year, 350 M for 10,000 meters, in 3.65 M rows) with their sum and count, in
one statement per chunk of meters; then the monthly sums from the days.

Load: an open loop at ``--rate`` requests per second for ``--seconds`` (after ``--warmup``
seconds not counted): each request a random contract and month of the year, with that
customer's token, and a distinct client address in X-Forwarded-For (many customers behind a
load balancer; the gateway's per-address rate limit stays as configured). Latency is from the
moment a request was due to its answer, so a client that falls behind shows in the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from portal_chassis.logging import configure_logging
from portal_chassis.sealing import Sealer
from portal_chassis.testing import TokenFactory
from portal_stack import Gateway, ServiceProcess
from portal_stack.ports import LOOPBACK, free_ports
from portal_stack.services import SERVICE_NAMES, Endpoints, service_environment

from .common import add_shared_option, asyncpg_url, percentiles, postgres_and_kafka

ZONE = ZoneInfo("Europe/Amsterdam")
CHANNEL = "electricity_consumption"
# Bytes per day row on disk (heap with 96 numeric slots + primary key), measured.
BYTES_PER_DAY = 1_250
CHUNK_METERS = 500  # meters per INSERT: 182,500 day rows


def contract_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def customer_number(n: int) -> str:
    return str(300_000_000 + n)


# The same ids in SQL, from the meter number n.
SQL_CONTRACT = "'00000000-0000-4000-8000-' || lpad(n::text, 12, '0')"
SQL_METER = "'00000000-0000-4000-9000-' || lpad(n::text, 12, '0')"
SQL_CUSTOMER = "(300000000 + n)::text"


@dataclass
class Loaded:
    meters: int
    intervals: int
    days: int
    months: int
    setup_seconds: float
    day_seconds: float
    month_seconds: float
    heap_bytes: int
    index_bytes: int


async def load(database_url: str, meters: int, year: int) -> Loaded:
    """Contracts, meters, consents, then the year's days (their quarter hours in slots) with
    their monthly sums."""
    conn = await asyncpg.connect(asyncpg_url(database_url))
    try:
        started = time.perf_counter()
        first = date(year, 1, 1)
        async with conn.transaction():
            await conn.execute(
                f"""INSERT INTO contract_view (contract_id, customer_number, commodity, product_code,
                    start_date, status, readings_expected, ean, self_reading, updated_at)
                SELECT {SQL_CONTRACT}, {SQL_CUSTOMER}, 'electricity', 'BENCH', $1, 'active', true,
                    '8716' || lpad(n::text, 14, '0'), false, now()
                FROM generate_series(0, $2 - 1) n""",  # noqa: S608 - constant fragments
                first,
                meters,
            )
            await conn.execute(
                f"""INSERT INTO meters (meter_id, contract_id, customer_number, commodity, ean, serial,
                    smart, location, installed_on, created_at)
                SELECT {SQL_METER}, {SQL_CONTRACT}, {SQL_CUSTOMER}, 'electricity',
                    '8716' || lpad(n::text, 14, '0'), 'E' || n, true, 'indoors', $1, now()
                FROM generate_series(0, $2 - 1) n""",  # noqa: S608 - constant fragments
                first,
                meters,
            )
            await conn.execute(
                f"""INSERT INTO meter_registers (meter_id, register_type, unit, digits)
                SELECT {SQL_METER}, 'electricity_single', 'kWh', 6
                FROM generate_series(0, $1 - 1) n""",  # noqa: S608 - constant fragments
                meters,
            )
            await conn.execute(
                f"""INSERT INTO smart_meter_consents (contract_id, customer_number, status, terms_version,
                    granted_at)
                SELECT {SQL_CONTRACT}, {SQL_CUSTOMER}, 'granted', 1, now()
                FROM generate_series(0, $1 - 1) n""",  # noqa: S608 - constant fragments
                meters,
            )
        setup_seconds = time.perf_counter() - started

        await conn.execute("SET work_mem = '256MB'")
        # One statement per chunk of meters: a row per meter and customer day of the year, its
        # quarter hours (92, 96 or 100: the slots of the day in the zone) in an array built on
        # the server, their sum and count, in key order.
        chunk_sql = f"""
            INSERT INTO consumption_days (meter_id, channel, day, total, intervals, interval_minutes,
                slot_values, slot_qualities)
            SELECT {SQL_METER}, '{CHANNEL}', d.day, (SELECT sum(x) FROM unnest(v.vals) x), d.slots, 15,
                v.vals, repeat('m', d.slots)
            FROM generate_series($3::int, $4::int - 1) n
            CROSS JOIN (
                SELECT CAST(t AS date) AS day,
                    CAST(extract(epoch FROM
                        (CAST(t + interval '1 day' AS timestamp) AT TIME ZONE '{ZONE.key}')
                        - (CAST(t AS timestamp) AT TIME ZONE '{ZONE.key}')) / 900 AS int) AS slots
                FROM generate_series(CAST($1 AS date), CAST($2 AS date) - 1, interval '1 day') t
            ) d
            CROSS JOIN LATERAL (
                SELECT ARRAY(
                    SELECT round(CAST(0.01 + 0.3 * random() AS numeric), 3)
                    FROM generate_series(1, d.slots + 0 * n)  -- per meter and day
                ) AS vals
            ) v
            ORDER BY 1, 3"""  # noqa: S608 - constant fragments
        started = time.perf_counter()
        end_day = date(year + 1, 1, 1)
        days_in_year = (end_day - first).days
        report_every = max(meters // 10, CHUNK_METERS)
        for low in range(0, meters, CHUNK_METERS):
            high = min(low + CHUNK_METERS, meters)
            await conn.execute(chunk_sql, first, end_day, low, high)
            if high % report_every < CHUNK_METERS or high == meters:
                elapsed = time.perf_counter() - started
                rows = high * days_in_year
                print(
                    f"  loaded {high:,}/{meters:,} meters, {rows:,} day rows in {elapsed:,.0f} s"
                    f" ({rows / elapsed:,.0f} rows/s)",
                    flush=True,
                )
        day_seconds = time.perf_counter() - started

        started = time.perf_counter()
        await conn.execute(
            """INSERT INTO consumption_months (meter_id, channel, month, total, intervals, interval_minutes)
            SELECT meter_id, channel, date_trunc('month', day)::date, sum(total), sum(intervals), 15
            FROM consumption_days GROUP BY meter_id, channel, 3"""
        )
        for table in ("contract_view", "meters", "meter_registers", "smart_meter_consents"):
            await conn.execute(f"VACUUM ANALYZE {table}")
        await conn.execute("VACUUM ANALYZE consumption_days")
        await conn.execute("VACUUM ANALYZE consumption_months")
        month_seconds = time.perf_counter() - started

        counts = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM consumption_days) AS days,
                (SELECT coalesce(sum(intervals), 0) FROM consumption_days) AS intervals,
                (SELECT count(*) FROM consumption_months) AS months,
                pg_table_size('consumption_days') AS heap, pg_indexes_size('consumption_days') AS idx"""
        )
        assert counts is not None
        return Loaded(
            meters,
            int(counts["intervals"]),
            counts["days"],
            counts["months"],
            setup_seconds,
            day_seconds,
            month_seconds,
            counts["heap"],
            counts["idx"],
        )
    finally:
        await conn.close()


@contextmanager
def jwks_endpoint(jwks: dict[str, Any], port: int) -> Iterator[None]:
    """identity's JWKS endpoint, played by the benchmark: the keys its tokens are signed with."""
    body = json.dumps(jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="jwks", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Outcome:
    due: float
    done: float
    status: int  # 0: no answer (connection error, timeout)
    measured: bool


class Connections:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams: the load generator shares the
    machine with what it measures, and a full client library would cost several times the CPU."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}\r\n".encode()
        for attempt in range(2):
            reused = bool(self.idle)
            reader, writer = (
                self.idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
            )
            try:
                writer.write(request)
                status, body, keep = await self._response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                if reused and attempt == 0:
                    continue  # the server closed an idle connection: once more on a new one
                raise
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()
            return status, body
        raise ConnectionError("no answer")

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)
        }
        if fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await reader.readexactly(size + 2))
            await reader.readuntil(b"\r\n")
            body = b"".join(c[:-2] for c in chunks)
        else:
            body = await reader.readexactly(int(fields.get("content-length", "0")))
        return status, body, fields.get("connection", "").lower() != "close"

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def drive(gateway: Gateway, tokens: TokenFactory, args: argparse.Namespace) -> list[Outcome]:
    rng = random.Random(5)  # the same requests every run
    headers = [
        {
            "Authorization": f"Bearer {tokens.token(customer_number(n), ttl=3600)}",
            "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
        }
        for n in range(args.meters)
    ]
    client = Connections(LOOPBACK, gateway.port)
    try:
        status, raw = await client.get(
            f"/metering/v1/contracts/{contract_id(0)}/consumption/months/{args.year}-03", headers[0]
        )
        use = json.loads(raw)["period"]["series"][0] if status == 200 else {}
        if not use.get("total", {}).get("complete"):  # every quarter hour of the month is there
            raise RuntimeError(f"the view does not answer as expected: {status} {raw[:500]!r}")

        loop = asyncio.get_running_loop()
        outcomes: list[Outcome] = []

        async def one(path: str, n: int, due: float, measured: bool) -> None:
            try:
                status, _ = await asyncio.wait_for(client.get(path, headers[n]), 30)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                status = 0
            outcomes.append(Outcome(due, loop.time(), status, measured))

        warmup = int(args.rate * args.warmup)
        total = warmup + int(args.rate * args.seconds)
        tasks = []
        started = loop.time()
        for i in range(total):
            due = started + i / args.rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            n = rng.randrange(args.meters)
            month = f"{args.year}-{rng.randint(1, 12):02d}"
            path = f"/metering/v1/contracts/{contract_id(n)}/consumption/months/{month}"
            tasks.append(asyncio.create_task(one(path, n, due, i >= warmup)))
        await asyncio.gather(*tasks)
    finally:
        client.close()
    return outcomes


def report(outcomes: list[Outcome], args: argparse.Namespace) -> None:
    measured = [o for o in outcomes if o.measured]
    ok = [o for o in measured if o.status == 200]
    errors = Counter(o.status for o in measured if o.status != 200)
    print(
        f"open loop: {args.rate:g} req/s offered for {args.seconds:g} s after {args.warmup:g} s warm-up;"
        f" random contract and month of {args.year}"
    )
    print(f"requests {len(measured):,}  ok {len(ok):,}  errors {sum(errors.values()):,} {dict(errors) or ''}")
    if len(ok) > 1:
        ms = sorted((o.done - o.due) * 1000 for o in ok)
        p50, p95, p99 = percentiles(ms)
        wall = max(o.done for o in measured) - min(o.due for o in measured)
        print(f"latency p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  p99 {p99:7.1f} ms  max {ms[-1]:7.1f} ms")
        print(f"achieved {len(ok) / wall:,.1f} req/s (answered 200 over {wall:.1f} s)")


def run(tmp: Path, args: argparse.Namespace) -> None:
    needed = args.meters * 366 * BYTES_PER_DAY
    free = shutil.disk_usage(tmp).free
    if needed > free * 0.9:
        raise SystemExit(
            f"{args.meters:,} meters need about {needed / 1e9:.1f} GB for the day rows, "
            f"{free / 1e9:.0f} GB are free: use fewer --meters"
        )
    tokens = TokenFactory()
    with postgres_and_kafka(tmp, services=("metering",)) as (database_urls, bootstrap):
        metering_port, gateway_port, jwks_port, smtp_port = free_ports(4)
        env = service_environment(
            "metering",
            database_url=database_urls["metering"],
            endpoints=Endpoints(bootstrap, smtp_port, gateway_port, jwks_port),
            sealing_key=Sealer.new_key(),
            log_level="INFO",
        )
        metering = ServiceProcess("metering", port=metering_port, env=env, log_dir=tmp)
        metering.migrate()
        print(f"loading {args.meters:,} meters x one year of quarter hours ({args.year}) ...", flush=True)
        loaded = asyncio.run(load(database_urls["metering"], args.meters, args.year))
        with jwks_endpoint(tokens.jwks, jwks_port):
            metering.start_and_wait()
            ports = {name: metering_port if name == "metering" else smtp_port for name in SERVICE_NAMES}
            gateway = Gateway(tmp / "gateway", ports, port=gateway_port)
            gateway.start_and_wait()
            try:
                outcomes = asyncio.run(drive(gateway, tokens, args))
            finally:
                gateway.stop()
                metering.stop()

    total = loaded.setup_seconds + loaded.day_seconds + loaded.month_seconds
    print(
        "month-by-day view: GET /metering/v1/contracts/{id}/consumption/months/YYYY-MM through nginx;"
        " metering (one uvicorn process, log level INFO), PostgreSQL 15 (fsync off), Kafka on loopback"
    )
    print(
        f"data: {loaded.meters:,} meters, {loaded.intervals:,} quarter hours in {loaded.days:,} day rows,"
        f" {loaded.months:,} monthly sums; consumption_days {loaded.heap_bytes / 1e9:.1f} GB"
        f" + primary key {loaded.index_bytes / 1e9:.2f} GB"
    )
    print(
        f"load: {total:,.0f} s (contracts, meters, consents {loaded.setup_seconds:.1f} s; day rows"
        f" {loaded.day_seconds:,.0f} s = {loaded.days / loaded.day_seconds:,.0f} rows/s,"
        f" {loaded.intervals / loaded.day_seconds:,.0f} quarter hours/s; monthly sums and ANALYZE"
        f" {loaded.month_seconds:.1f} s)"
    )
    report(outcomes, args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "queries", "month-by-day view through the gateway (bench/metering_queries.py)"
    )
    add_shared_option(
        group, "--meters", type=int, default=10_000, help="meters with a year of data (default 10000)"
    )
    group.add_argument("--rate", type=float, default=200.0, help="requests per second offered (default 200)")
    group.add_argument("--seconds", type=float, default=60.0, help="measured seconds (default 60)")
    group.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring (default 5)")
    group.add_argument(
        "--year", type=int, default=datetime.now(UTC).year - 1, help="the year of data (default: last year)"
    )


def run_with(args: argparse.Namespace) -> None:
    if args.meters < 1 or args.rate <= 0 or args.seconds <= 0 or args.warmup < 0:
        raise SystemExit("--meters, --rate and --seconds must be positive, --warmup at least 0")
    configure_logging("bench", "WARNING")
    with tempfile.TemporaryDirectory(prefix="portal-bench-queries-") as tmp:
        run(Path(tmp), args)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.metering_queries",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    run_with(parser.parse_args(argv))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
