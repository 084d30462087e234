"""Counting what arrived, by id: readings in metering, invoices in billing, deliveries in
notifications and the emails in the mail catcher (by Message-ID, read from its folder)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import asyncpg

from bench.common import asyncpg_url
from portal_stack import Stack

# The emails a terminated contract causes: its confirmation, and its final invoice's.
EMAIL_KINDS = ("contract_terminated", "invoice_issued")
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^@>]+)@", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Tally:
    """What the databases and the mail catcher hold of the drills' load."""

    readings: int  # quarter hours stored (day rows' slots with a value)
    readings_total: Decimal  # their sum
    month_readings: int  # the same counted in the monthly sums (a slot added twice shows here)
    month_total: Decimal
    invoices: int  # final invoices of the drills' contracts
    invoiced_contracts: int  # distinct contracts among them
    deliveries: int  # emails queued for the drills' events (EMAIL_KINDS)
    delivered_events: int  # distinct (event, kind) among them
    sent: int  # of those, marked sent
    mailed: int  # distinct Message-IDs of those deliveries in the mail catcher
    mail_copies: int  # extra copies of a Message-ID (an SMTP send repeated after a crash)

    def line(self) -> str:
        return (
            f"readings {self.readings:,} (monthly sums {self.month_readings:,}), invoices {self.invoices:,}"
            f" ({self.invoiced_contracts:,} contracts), emails queued {self.deliveries:,}"
            f" sent {self.sent:,} in the catcher {self.mailed:,} (+{self.mail_copies} copies)"
        )


@dataclass(frozen=True)
class Totals:
    """Everything the services hold, for the replay drill: nothing may change."""

    counts: dict[str, int]
    readings_total: Decimal


async def _one(url: str, sql: str, *args: object) -> asyncpg.Record:
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        row = await connection.fetchrow(sql, *args)
        assert row is not None
        return row
    finally:
        await connection.close()


async def _rows(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


def mailed_ids(mail_dir: Path) -> Counter[str]:
    """Message-ID (the delivery id) -> how many copies the catcher holds."""
    found: Counter[str] = Counter()
    for path in mail_dir.glob("*.eml"):
        with path.open("rb") as handle:
            head = handle.read(8192)
        match = _MESSAGE_ID.search(head)
        if match:
            found[match.group(1).decode()] += 1
    return found


def mail_dir(stack: Stack) -> Path:
    return stack.config.run_dir / "mail"


async def tally(stack: Stack, customers: list[str], contract_prefix: str) -> Tally:
    urls = stack.database_urls
    days = await _one(
        urls["metering"],
        "SELECT coalesce(sum(intervals), 0) AS n, coalesce(sum(total), 0) AS t FROM consumption_days",
    )
    months = await _one(
        urls["metering"],
        "SELECT coalesce(sum(intervals), 0) AS n, coalesce(sum(total), 0) AS t FROM consumption_months",
    )
    invoices = await _one(
        urls["billing"],
        "SELECT count(*) AS n, count(DISTINCT contract_id) AS c FROM invoices WHERE contract_id LIKE $1",
        contract_prefix + "%",
    )
    deliveries = await _rows(
        urls["notifications"],
        "SELECT id, event_id, kind, status FROM deliveries"
        " WHERE customer_number = ANY($1) AND kind = ANY($2)",
        customers,
        list(EMAIL_KINDS),
    )
    copies = mailed_ids(mail_dir(stack))
    sent = [d["id"] for d in deliveries if d["status"] == "sent"]
    return Tally(
        readings=int(days["n"]),
        readings_total=Decimal(days["t"]),
        month_readings=int(months["n"]),
        month_total=Decimal(months["t"]),
        invoices=int(invoices["n"]),
        invoiced_contracts=int(invoices["c"]),
        deliveries=len(deliveries),
        delivered_events=len({(d["event_id"], d["kind"]) for d in deliveries}),
        sent=len(sent),
        mailed=sum(1 for i in sent if copies[i]),
        mail_copies=sum(copies[i] - 1 for i in sent if copies[i] > 1),
    )


async def totals(stack: Stack) -> Totals:
    """Row counts of what a replay could add twice, in every service, and the emails."""
    urls = stack.database_urls
    counts: dict[str, int] = {}
    for service, url in urls.items():
        counts[f"{service} outbox events"] = int((await _one(url, "SELECT count(*) AS n FROM outbox"))["n"])
        counts[f"{service} inbox claims"] = int((await _one(url, "SELECT count(*) AS n FROM inbox"))["n"])
    counts["billing invoices"] = int((await _one(urls["billing"], "SELECT count(*) AS n FROM invoices"))["n"])
    counts["notifications deliveries"] = int(
        (await _one(urls["notifications"], "SELECT count(*) AS n FROM deliveries"))["n"]
    )
    counts["metering readings"] = int(
        (await _one(urls["metering"], "SELECT coalesce(sum(intervals), 0) AS n FROM consumption_months"))["n"]
    )
    counts["emails in the catcher"] = sum(mailed_ids(mail_dir(stack)).values())
    total = (await _one(urls["metering"], "SELECT coalesce(sum(total), 0) AS t FROM consumption_months"))["t"]
    return Totals(counts, Decimal(total))
