"""The load the crash drills run under: smart-meter readings from the hub and terminated
contracts, each of which billing settles with a final invoice that notifications mails (with
the termination's confirmation). Sent paced over a stretch of time, and counted afterwards.

Readings: ``bench.metering_ingestion``'s meters, consents and hub messages (96 quarter hours of
one meter's day each); every wave sends later days, so each wave's readings are new.
Billing events: ContractTerminated of contracts billing never saw (``drill-<wave>-<n>``) with a
final fee, for the drills' customers in turn: billing issues the final invoice at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bench.metering_ingestion import Plan, hub_message, seed
from portal_schemas import Envelope
from portal_schemas.contracts import ContractTerminated
from portal_schemas.hub import IntervalReadingsPublished
from portal_stack import Stack

from .common import Customer, Verdict, create_customers, say
from .kafka import Producer
from .tally import Tally, tally

CONTRACT_PREFIX = "drill-"
PER_MESSAGE = 96


@dataclass
class Workload:
    """The drills' meters and customers, and what all waves so far sent (to count against)."""

    stack: Stack
    meters: int
    customers: list[Customer]
    plan: Plan  # all waves' readings: wave after wave takes the next messages
    next_message: int = 0
    readings_sent: int = 0
    readings_total: Decimal = Decimal(0)
    terminations_sent: int = 0
    resent: int = 0  # sends repeated by the drills' producer (the broker was away)

    @property
    def customer_numbers(self) -> list[str]:
        return [c.customer_number for c in self.customers]

    def expected(self) -> str:
        return (
            f"readings {self.readings_sent:,}, invoices {self.terminations_sent:,},"
            f" emails {2 * self.terminations_sent:,}"
        )


def prepare(stack: Stack, *, meters: int, customers: int, total_readings: int) -> Workload:
    """Meters with consent in metering's database, customers through the services' commands."""
    plan = Plan(readings=total_readings, meters=meters, per_message=PER_MESSAGE)
    asyncio.run(seed(stack.database_urls["metering"], plan))
    made = create_customers(stack, customers)
    say(f"load: {meters:,} smart meters with consent, {len(made)} customers with an account")
    return Workload(stack, meters, made, plan)


def _terminated(wave: str, n: int, customer_number: str) -> tuple[str, bytes, bytes]:
    contract_id = f"{CONTRACT_PREFIX}{wave}-{n:06d}"
    data = ContractTerminated(
        contract_id=contract_id,
        customer_number=customer_number,
        end_date=date(2026, 12, 31),
        reason="move",
        termination_fee=Decimal("121.00"),
        termination_fee_excl_vat=Decimal("100.00"),
        termination_fee_vat_rate=Decimal("0.21"),
    )
    envelope = Envelope.wrap(data, subject=contract_id, producer="contracts")
    return ContractTerminated.topic(), contract_id.encode(), envelope.to_json()


def _readings(workload: Workload, count: int) -> list[tuple[str, bytes, bytes]]:
    messages = []
    first = workload.next_message
    last = min(first + -(-count // PER_MESSAGE), workload.plan.messages)
    for k in range(first, last):
        key, value = hub_message(workload.plan, k)
        start = k * PER_MESSAGE
        for i in range(min(PER_MESSAGE, workload.plan.readings - start)):
            workload.readings_total += Decimal(f"0.{(k + i) % 1000:03d}")
            workload.readings_sent += 1
        messages.append((IntervalReadingsPublished.topic(), key, value))
    workload.next_message = last
    return messages


async def send_wave(workload: Workload, wave: str, readings: int, terminations: int, seconds: float) -> None:
    """The wave's messages, interleaved and paced evenly over ``seconds``."""
    customers = workload.customer_numbers
    before = workload.readings_sent
    feed = _readings(workload, readings)
    billing = [_terminated(wave, n, customers[n % len(customers)]) for n in range(terminations)]
    workload.terminations_sent += terminations
    # Interleave by position, so both kinds flow during the whole wave.
    tagged = [(i / len(feed), m) for i, m in enumerate(feed)] + [
        (i / len(billing), m) for i, m in enumerate(billing)
    ]
    messages = [m for _, m in sorted(tagged, key=lambda t: t[0])]
    started = time.monotonic()
    chunk = max(1, len(messages) // max(1, int(seconds * 10)))  # ten sends a second
    async with Producer(workload.stack.bootstrap_servers) as producer:
        for n in range(0, len(messages), chunk):
            await producer.send_all(messages[n : n + chunk])
            due = started + seconds * (n + chunk) / len(messages)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        workload.resent += producer.resent
    say(
        f"load: wave {wave} sent {len(feed):,} hub messages ({workload.readings_sent - before:,}"
        f" readings) and {terminations:,} terminations in {time.monotonic() - started:.1f}s"
    )


async def wait_until_counted(workload: Workload, within: float) -> Tally:
    """Until everything sent so far is counted (or ``within`` seconds pass, or nothing moved for
    three minutes); progress every ten seconds."""
    started = time.monotonic()
    last_change = reported = started
    previous: Tally | None = None
    emails = 2 * workload.terminations_sent
    while True:
        now = await tally(workload.stack, workload.customer_numbers, CONTRACT_PREFIX)
        complete = (
            now.readings >= workload.readings_sent
            and now.invoiced_contracts >= workload.terminations_sent
            and now.sent >= emails
            and now.mailed >= emails
        )
        if now != previous:
            last_change = time.monotonic()
        if complete or time.monotonic() - started > within or time.monotonic() - last_change > 180:
            return now
        if time.monotonic() - reported >= 10:
            say(f"counting: {now.line()}")
            reported = time.monotonic()
        previous = now
        await asyncio.sleep(2)


def judge(workload: Workload, counted: Tally, verdict: Verdict) -> None:
    """0 lost and 0 duplicated readings, invoices and emails, counted by id."""
    sent, terminations = workload.readings_sent, workload.terminations_sent
    emails = 2 * terminations
    verdict.figure(f"sent: {workload.expected()} (sends repeated by the producer: {workload.resent})")
    verdict.figure(f"counted: {counted.line()}")
    lost = {
        "readings": sent - counted.readings,
        "invoices": terminations - counted.invoiced_contracts,
        "emails": emails - counted.mailed,
    }
    duplicated = {
        "readings": counted.month_readings - counted.readings,
        "invoices": counted.invoices - counted.invoiced_contracts,
        "emails": counted.deliveries - counted.delivered_events,
    }
    verdict.figure(
        "lost: " + ", ".join(f"{k} {v}" for k, v in lost.items())
        + "; duplicated: " + ", ".join(f"{k} {v}" for k, v in duplicated.items())
        + f"; email copies re-sent with the same Message-ID: {counted.mail_copies}"
    )  # fmt: skip
    for what, n in lost.items():
        verdict.check(n == 0, f"{n} {what} lost")
    for what, n in duplicated.items():
        verdict.check(n == 0, f"{n} {what} duplicated")
    verdict.check(
        counted.readings_total == workload.readings_total, "readings' sum differs from what was sent"
    )
    verdict.check(counted.month_total == counted.readings_total, "monthly sums differ from the day rows")
    verdict.check(counted.deliveries == emails, f"{counted.deliveries} emails queued, {emails} expected")


During = Callable[[], Awaitable[None]]


async def wave_under(
    workload: Workload, wave: str, readings: int, terminations: int, seconds: float, during: During
) -> None:
    """Sends a wave while ``during`` (the failures) runs; returns when both are over."""
    await asyncio.gather(send_wave(workload, wave, readings, terminations, seconds), during())
