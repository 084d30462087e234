"""A meter reading at the gateway to the invoice email in the mail catcher, on the whole suite.

    uv run python -m bench --only e2e [--customers 10] [--reading-rate 5] [--seconds 60]
                                      [--warmup 5] [--drain 30] [--keep]

Starts its own stack as the integration tests do (``StackConfig.ephemeral``: Kafka, PostgreSQL,
the mail catcher, the five services and the gateway) with ``BILLING_DEFAULT_BILLING_MODE``
``on_reading``, so every new contract is billed on its actual readings from its start. Then
``--customers`` customers as operations and the grid operator would make them: an electricity
contract (``contracts create-contract``, VAST-3JR, 3650 kWh a year, from 1 January of last
year), a portal account (``identity create-account``), the hub's MeterInstalled (a 6-digit
single register at 1000 kWh on the start day: metering's first actual index), a log-in at the
gateway.

Load: an open loop at ``--reading-rate`` readings per second (``--warmup`` seconds not
counted, then ``--seconds`` measured), customers in turn, each submitting the next day's index
(10 kWh a day) with ``POST /metering/v1/readings``. Every reading settles a day: billing issues
a ``periodic`` invoice through the reading's day (InvoiceIssued), notifications mails it.
Per reading the benchmark records when the gateway answered 201, when MeterReadingReceived and
InvoiceIssued were published (their Kafka timestamps; the envelopes' occurred_at is when the
producing transaction wrote them to the outbox) and when the catcher received the email (its
own arrival time), matched by reading id, causation id and invoice number. It prints
p50/p95/p99/max of each stage and of the whole way, and the rates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from stdnum import ean as gs1

from portal_chassis.logging import configure_logging
from portal_schemas import Envelope
from portal_schemas.billing import InvoiceIssued
from portal_schemas.hub import MeterInstalled, RegisterSpec
from portal_schemas.metering import MeterReadingReceived
from portal_stack import MailCatcherClient, Stack, StackConfig, describe

from .common import add_shared_option, asyncpg_url, percentiles

PASSWORD = "Bench-Latency-2026!"  # noqa: S105 - throwaway accounts on a throwaway stack
REGISTER = "electricity_single"
FIRST_INDEX = 1000  # kWh on the meter when it is placed
PER_DAY = 10  # kWh a day: 3650 a year, what the contract expects
POLL = 0.05  # seconds between looks at the mail catcher (arrival times are the catcher's own)
SETUP_PROCESSES = 4  # CLI commands at once while making customers (each starts a Python)


@contextmanager
def billed_on_readings() -> Iterator[None]:
    """New contracts in billing mode on_reading: the services inherit this environment."""
    name = "BILLING_DEFAULT_BILLING_MODE"
    before = os.environ.get(name)
    os.environ[name] = "on_reading"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


# -- customers -----------------------------------------------------------------------------


@dataclass
class Customer:
    number: str
    email: str
    ean: str
    contract_id: str = ""
    account_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    readings: int = 0  # submitted so far: the next one is for the day after


def new_ean(rng: random.Random) -> str:
    body = "8716" + "".join(rng.choices("0123456789", k=13))
    return body + gs1.calc_check_digit(body)


def command(stack: Stack, service: str, args: list[str], stdin: str = "") -> str:
    """One of a service's operations commands, with that service's environment; its last line."""
    done = subprocess.run(
        [stack.config.python, "-m", service, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=stack.services[service].env,
        timeout=600,  # commands of one kind run one at a time (the chassis' job lock)
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{service} {args[0]} failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def make_customers(stack: Stack, count: int, start: date) -> list[Customer]:
    """Contracts and portal accounts through the services' own commands, a few at a time."""
    rng = random.Random()
    base = rng.randrange(100_000_000, 900_000_000 - count)
    customers = [Customer(str(base + n), f"bench{base + n}@example.nl", new_ean(rng)) for n in range(count)]

    def contract(c: Customer) -> None:
        c.contract_id = command(
            stack,
            "contracts",
            [
                "create-contract", "--customer-number", c.number, "--name", "Bench Klant",
                "--commodity", "electricity", "--product-code", "VAST-3JR",
                "--start-date", start.isoformat(), "--supply-postcode", "1234AB",
                "--meter-location", "indoors", "--ean", c.ean, "--annual-kwh", str(PER_DAY * 365),
            ],
        )  # fmt: skip

    def account(c: Customer) -> None:
        c.account_id = command(
            stack,
            "identity",
            ["create-account", "--email", c.email, "--customer-number", c.number],
            PASSWORD + "\n",
        )

    with ThreadPoolExecutor(SETUP_PROCESSES) as pool:
        for future in [pool.submit(make, c) for c in customers for make in (contract, account)]:
            future.result()
    return customers


async def eventually(check: Callable[[], Awaitable[Any]], what: str, within: float = 120.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if found := await check():
            return found
        await asyncio.sleep(0.2)
    raise RuntimeError(f"not within {within:.0f} s: {what}")


async def prepare(stack: Stack, http: httpx.AsyncClient, customers: list[Customer], start: date) -> None:
    """Log in, place each meter once metering knows the contract, and wait until billing bills
    on readings and notifications has mailed the contracts' welcome (then empty the catcher)."""
    for c in customers:
        answer = await http.post("/identity/v1/sessions", json={"email": c.email, "password": PASSWORD})
        answer.raise_for_status()
        c.headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}

    async def all_ok(path: Callable[[Customer], str], ok: Callable[[Any], bool]) -> bool:
        for c in customers:
            answer = await http.get(path(c), headers=c.headers)
            if answer.status_code != 200 or not ok(answer.json()):
                return False
        return True

    await eventually(
        lambda: all_ok(lambda c: "/metering/v1/meters", lambda body: bool(body["items"])),
        "metering knows every contract",
    )
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for n, c in enumerate(customers):
            placed = MeterInstalled(
                notice_id=f"N-bench-{c.number}",
                ean=c.ean,
                meter_serial=f"E-{n}",
                installed_on=start,
                smart=False,
                location="indoors",
                registers=[
                    RegisterSpec.model_validate(
                        {"register_type": REGISTER, "digits": 6, "index": str(FIRST_INDEX)}
                    )
                ],
            )
            envelope = Envelope.wrap(placed, subject=c.ean, producer="hub")
            await producer.send_and_wait(MeterInstalled.topic(), envelope.to_json(), key=c.ean.encode())
    finally:
        await producer.stop()
    await eventually(
        lambda: all_ok(lambda c: "/metering/v1/meters", lambda body: body["items"][0]["serial"] is not None),
        "every meter placed",
    )
    await eventually(
        lambda: all_ok(
            lambda c: f"/billing/v1/contracts/{c.contract_id}/billing-mode",
            lambda body: body["mode"] == "on_reading",
        ),
        "billing bills every contract on its readings",
    )

    notifications = await asyncpg.connect(asyncpg_url(stack.database_urls["notifications"]))
    try:
        numbers = [c.number for c in customers]

        async def welcomed() -> bool:
            row = await notifications.fetchrow(
                """SELECT (SELECT count(*) FROM recipients WHERE account_id = ANY($1)) AS known,
                    count(*) FILTER (WHERE status = 'pending') AS pending, count(*) AS queued
                FROM deliveries WHERE customer_number = ANY($2)""",
                [c.account_id for c in customers],
                numbers,
            )
            assert row is not None
            # Per customer the contract's confirmation and its three documents.
            return bool(row["known"] == len(customers) and row["queued"] >= 4 * len(customers))

        await eventually(welcomed, "notifications knows every account and queued the welcome")
        await eventually(lambda: _none_pending(notifications, numbers), "the welcome mails sent", within=60)
    finally:
        await notifications.close()
    with stack.mail_client() as mail:
        mail.clear()


async def _none_pending(notifications: asyncpg.Connection, numbers: list[str]) -> bool:
    pending = await notifications.fetchval(
        "SELECT count(*) FROM deliveries WHERE customer_number = ANY($1) AND status = 'pending'", numbers
    )
    return bool(pending == 0)


# -- the load and what it leads to ---------------------------------------------------------


@dataclass
class Reading:
    customer: Customer
    day: date
    due: float  # wall-clock seconds (time.time()), comparable with Kafka's and the catcher's
    measured: bool
    answered: float | None = None
    status: int = 0
    reading_id: str | None = None
    problem: str | None = None


@dataclass
class Published:
    at: float  # the Kafka record's timestamp
    occurred: float  # the envelope's occurred_at: when the producer's transaction wrote it
    event_id: str
    causation_id: str | None
    data: dict[str, Any]


@dataclass
class Observed:
    readings: dict[str, Published] = field(default_factory=dict)  # by reading id
    invoices: dict[str, Published] = field(default_factory=dict)  # by causation (reading event) id
    mails: dict[str, float] = field(default_factory=dict)  # arrival by subject's last word
    # notifications' invoice email by InvoiceIssued event id: when its consumer queued it
    queued: dict[str, float] = field(default_factory=dict)


async def read_queued(database_url: str, observed: Observed) -> None:
    """When notifications queued each invoice email (its deliveries row, written by the consumer
    in the transaction that claimed the event)."""
    conn = await asyncpg.connect(asyncpg_url(database_url))
    try:
        rows = await conn.fetch(
            "SELECT event_id, created_at FROM deliveries"
            " WHERE kind = 'invoice_issued' AND event_id = ANY($1)",
            [invoice.event_id for invoice in observed.invoices.values()],
        )
    finally:
        await conn.close()
    observed.queued.update({row["event_id"]: row["created_at"].timestamp() for row in rows})


async def watch_kafka(bootstrap: str, observed: Observed, ready: asyncio.Event, stop: asyncio.Event) -> None:
    """Both topics from their end (taken before the load starts) on, as a downstream reader."""
    topics = (MeterReadingReceived.topic(), InvoiceIssued.topic())
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in consumer.partitions_for_topic(topic) or ()
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p)
                for topic in topics
                for p in consumer.partitions_for_topic(topic) or ()
            ]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for partition in partitions:
            await consumer.position(partition)  # resolve the end now, before the first reading
        ready.set()
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    envelope = Envelope.model_validate_json(record.value or b"")
                    seen = Published(
                        record.timestamp / 1000,
                        envelope.occurred_at.timestamp(),
                        str(envelope.event_id),
                        None if envelope.causation_id is None else str(envelope.causation_id),
                        dict(envelope.data),
                    )
                    if record.topic == topics[0]:
                        observed.readings[str(seen.data["reading_id"])] = seen
                    elif seen.causation_id is not None:
                        observed.invoices[seen.causation_id] = seen
    finally:
        await consumer.stop()


async def watch_mail(mail: MailCatcherClient, observed: Observed, stop: asyncio.Event) -> None:
    """Every message as it arrives (the catcher's arrival time), deleted once seen so the list
    stays short."""
    while not stop.is_set():
        for message in await asyncio.to_thread(mail.list):
            words = message.subject.split()
            if words:
                observed.mails[words[-1]] = datetime.fromisoformat(message.received_at).timestamp()
            await asyncio.to_thread(mail.delete, message.id)
        await asyncio.sleep(POLL)


async def submit(http: httpx.AsyncClient, reading: Reading, start: date, forwarded: str) -> None:
    c = reading.customer
    n = (reading.day - start).days
    body = {
        "contract_id": c.contract_id,
        "register_type": REGISTER,
        "value": str(FIRST_INDEX + PER_DAY * n),
        "read_at": reading.day.isoformat(),
    }
    try:
        answer = await http.post(
            "/metering/v1/readings", json=body, headers={**c.headers, "X-Forwarded-For": forwarded}
        )
    except httpx.HTTPError as exc:
        reading.answered, reading.problem = time.time(), type(exc).__name__
        return
    reading.answered, reading.status = time.time(), answer.status_code
    if answer.status_code == 201:
        reading.reading_id = answer.json()["reading_id"]
    else:
        reading.problem = answer.json().get("type", answer.text[:200])


async def drive(
    stack: Stack, http: httpx.AsyncClient, customers: list[Customer], start: date, args: argparse.Namespace
) -> tuple[list[Reading], Observed]:
    observed = Observed()
    stop, kafka_ready = asyncio.Event(), asyncio.Event()
    mail = stack.mail_client()
    watchers = [
        asyncio.create_task(watch_kafka(stack.bootstrap_servers, observed, kafka_ready, stop)),
        asyncio.create_task(watch_mail(mail, observed, stop)),
    ]
    try:
        await asyncio.wait_for(kafka_ready.wait(), 30)
        readings: list[Reading] = []
        # A customer's readings go one after another (each the next day), whatever the rate.
        previous: dict[str, asyncio.Task[None]] = {}

        async def after(before: asyncio.Task[None] | None, reading: Reading, forwarded: str) -> None:
            if before is not None:
                await before
            await submit(http, reading, start, forwarded)

        warmup = int(args.reading_rate * args.warmup)
        total = warmup + int(args.reading_rate * args.seconds)
        tasks = []
        began = time.time()
        for i in range(total):
            due = began + i / args.reading_rate
            if (delay := due - time.time()) > 0:
                await asyncio.sleep(delay)
            n = i % len(customers)
            c = customers[n]
            c.readings += 1
            reading = Reading(c, start + timedelta(days=c.readings), due, i >= warmup)
            readings.append(reading)
            task = asyncio.create_task(after(previous.get(c.number), reading, f"10.0.{n >> 8}.{n & 255}"))
            previous[c.number] = task
            tasks.append(task)
        await asyncio.gather(*tasks)

        def complete() -> bool:
            for r in readings:
                if r.reading_id is None:
                    continue
                event = observed.readings.get(r.reading_id)
                invoice = None if event is None else observed.invoices.get(event.event_id)
                if invoice is None or invoice.data["invoice_number"] not in observed.mails:
                    return False
            return True

        deadline = time.monotonic() + args.drain
        while not complete() and time.monotonic() < deadline:  # noqa: ASYNC110 - polls the watchers' findings
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.gather(*watchers)
        mail.close()
    return readings, observed


# -- figures -------------------------------------------------------------------------------


def line(name: str, seconds: list[float], of: int) -> str:
    if not seconds:
        return f"  {name:<44} none"
    ms = sorted(s * 1000 for s in seconds)
    p50, p95, p99 = percentiles(ms)
    missing = f"   ({of - len(ms)} missing)" if len(ms) < of else ""
    return f"  {name:<44} {p50:8.1f} {p95:8.1f} {p99:8.1f} {ms[-1]:8.1f}{missing}"


def report(readings: list[Reading], observed: Observed, args: argparse.Namespace) -> None:
    measured = [r for r in readings if r.measured]
    accepted = [r for r in measured if r.reading_id is not None and r.answered is not None]
    refused: dict[str, int] = {}
    for r in measured:
        if r.reading_id is None:
            key = f"{r.status} {r.problem}"
            refused[key] = refused.get(key, 0) + 1
    stages: dict[str, list[float]] = {
        key: []
        for key in (
            "accepted",
            "reading_event",
            "metering_relay",
            "billing",
            "billing_consumer",
            "billing_relay",
            "invoice_event",
            "notifications",
            "notifications_consumer",
            "sender",
            "overall",
        )
    }
    for r in accepted:
        assert r.answered is not None and r.reading_id is not None
        stages["accepted"].append(r.answered - r.due)
        event = observed.readings.get(r.reading_id)
        if event is None:
            continue
        stages["reading_event"].append(event.at - r.answered)
        stages["metering_relay"].append(event.at - event.occurred)
        invoice = observed.invoices.get(event.event_id)
        if invoice is None:
            continue
        stages["billing"].append(invoice.at - event.at)
        stages["billing_consumer"].append(invoice.occurred - event.at)
        stages["billing_relay"].append(invoice.at - invoice.occurred)
        stages["invoice_event"].append(invoice.at - r.answered)
        mailed = observed.mails.get(str(invoice.data["invoice_number"]))
        if mailed is None:
            continue
        stages["notifications"].append(mailed - invoice.at)
        if (queued := observed.queued.get(invoice.event_id)) is not None:
            stages["notifications_consumer"].append(queued - invoice.at)
            stages["sender"].append(mailed - queued)
        stages["overall"].append(mailed - r.answered)

    offered = len(measured)
    first = min((r.due for r in measured), default=0.0)
    last = max((r.answered or r.due for r in measured), default=0.0)
    print(
        f"steady load: {args.reading_rate:g} readings/s for {args.seconds:g} s after {args.warmup:g} s"
        f" warm-up, {args.customers} customers billed on their readings (each reading: the next day)"
    )
    print(
        f"readings {offered:,}  accepted {len(accepted):,}  refused {offered - len(accepted):,}"
        f" {refused or ''}  (accepted {len(accepted) / max(last - first, 1e-9):.2f}/s)"
    )
    n = len(accepted)
    print(f"  {'milliseconds':<44} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    print(line("POST /metering/v1/readings -> 201", stages["accepted"], n))
    print(line("201 -> MeterReadingReceived on Kafka", stages["reading_event"], n))
    print(line("  metering's outbox -> Kafka", stages["metering_relay"], n))
    print(line("MeterReadingReceived -> InvoiceIssued", stages["billing"], n))
    print(line("  billing's consumer: fetch, settle, write", stages["billing_consumer"], n))
    print(line("  billing's outbox -> Kafka", stages["billing_relay"], n))
    print(line("201 -> InvoiceIssued on Kafka", stages["invoice_event"], n))
    print(line("InvoiceIssued -> email in the catcher", stages["notifications"], n))
    print(line("  notifications' consumer: fetch, queue", stages["notifications_consumer"], n))
    print(line("  sender: queued -> email in the catcher", stages["sender"], n))
    print(line("201 -> email in the catcher (overall)", stages["overall"], n))
    if stages["overall"]:
        p95 = percentiles(sorted(stages["overall"]))[1]
        missing = n - len(stages["overall"])
        verdict = "met" if p95 <= 1.0 and not missing else "NOT met"
        print(f"aim p95 <= 1 s from 201 to the email: {verdict} (p95 {p95 * 1000:.0f} ms, {missing} missing)")


# -- entry points --------------------------------------------------------------------------


def run(tmp: Path, args: argparse.Namespace) -> None:
    today = datetime.now(UTC).date()
    start = date(today.year - 1, 1, 1)
    per_customer = int(args.reading_rate * (args.warmup + args.seconds)) // args.customers + 1
    if start + timedelta(days=per_customer) >= today:
        raise SystemExit(
            f"each customer would read {per_customer} days, more than lie between {start} and today:"
            " use more --customers or fewer readings"
        )
    with billed_on_readings():
        stack = Stack(StackConfig.ephemeral(tmp / "stack"))
        began = time.monotonic()
        stack.start(report=lambda text: print(f"  stack: {text}", flush=True))
    try:
        print(f"stack ready in {time.monotonic() - began:.0f} s ({describe()})", flush=True)
        began = time.monotonic()
        customers = make_customers(stack, args.customers, start)
        print(f"{len(customers)} contracts and accounts in {time.monotonic() - began:.0f} s", flush=True)

        async def go() -> tuple[list[Reading], Observed]:
            async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
                began = time.monotonic()
                await prepare(stack, http, customers, start)
                print(f"meters placed, welcome mails sent in {time.monotonic() - began:.0f} s", flush=True)
                readings, observed = await drive(stack, http, customers, start, args)
                await read_queued(stack.database_urls["notifications"], observed)
                return readings, observed

        readings, observed = asyncio.run(go())
    finally:
        stack.stop()
    report(readings, observed, args)
    if args.keep:
        print(f"the stack's logs: {tmp / 'stack' / 'logs'}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "e2e", "a reading at the gateway to the invoice email, whole suite (bench/e2e_latency.py)"
    )
    group.add_argument("--customers", type=int, default=10, help="customers reading in turn (default 10)")
    group.add_argument(
        "--reading-rate", type=float, default=5.0, help="readings per second offered (default 5)"
    )
    # Shared with the consumption-queries benchmark (same meaning and defaults).
    add_shared_option(group, "--seconds", type=float, default=60.0, help="measured seconds (default 60)")
    add_shared_option(group, "--warmup", type=float, default=5.0, help="seconds before measuring (default 5)")
    group.add_argument(
        "--drain", type=float, default=30.0, help="seconds to wait for the last emails (default 30)"
    )
    group.add_argument(
        "--keep", action="store_true", help="keep the stack's run directory (its logs) afterwards"
    )


def run_with(args: argparse.Namespace) -> None:
    if args.customers < 1 or args.reading_rate <= 0 or args.seconds <= 0 or args.warmup < 0 or args.drain < 0:
        raise SystemExit(
            "--customers, --reading-rate and --seconds must be positive, --warmup and --drain at least 0"
        )
    configure_logging("bench", "WARNING")
    if args.keep:
        run(Path(tempfile.mkdtemp(prefix="portal-bench-e2e-")), args)
        return
    with tempfile.TemporaryDirectory(prefix="portal-bench-e2e-") as tmp:
        run(Path(tmp), args)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.e2e_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    run_with(parser.parse_args(argv))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
