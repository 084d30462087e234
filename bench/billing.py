"""A billing run on real PostgreSQL: the monthly advance run and annual settlements, each
against a plain bulk insert of the same rows.

    uv run python -m bench --only billing [--contracts 100000] [--advance-batch 5000]
                                          [--settlements 2000] [--durable]

It starts a throwaway PostgreSQL cluster on a free port (fsync off unless ``--durable``),
migrates billing's schema (its Alembic migration) and writes ``--contracts`` electricity
contracts straight into the database as billing's consumers would leave them: contract, first
product, customer, billing account in monthly-advance mode, an advance plan (40 to 139 euro)
and the product's tariff. Then it times:

1. advance run: ``billing.use_cases.advance_run.advance_run`` for one month, as
   ``python -m billing advance-run`` runs it (``--advance-batch`` contracts per transaction; default
   the service's ``BILLING_ADVANCE_RUN_BATCH_SIZE``): per batch the sequence lock, the
   selection of the contracts still to invoice, the invoices built by the domain, one
   multi-row insert each of invoices, lines and VAT rows, the InvoiceIssued outbox rows and
   the credit check;
2. baseline: the same invoice and line rows, already built, copied with asyncpg
   ``copy_records_to_table`` into two tables made ``LIKE`` the real ones (same columns and
   indexes), one transaction per batch of the same size: no selection, no logic, no events.

3. annual settlements: ``billing.use_cases.settlement_runs.annual_settlements`` on the
   contracts' anniversary (1 January 2027) for the first ``--settlements`` contracts (the others
   are moved to billing on reading first, so they are not due): one transaction per contract,
   the year's consumption estimated (no readings), December's advance deducted; and the same
   COPY baseline for its invoice and line rows.

It prints invoices per second of each and the ratios. A second advance run for the same month
must issue nothing: it is run and its time printed too (the cost of finding nothing left).
Logs are at WARNING. Figures are per machine; compare runs on the same one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg

from billing.__main__ import MIGRATIONS
from billing.settings import BillingSettings
from billing.use_cases.advance_run import advance_run
from billing.use_cases.settlement_runs import annual_settlements
from portal_chassis.logging import configure_logging
from portal_chassis.migrations import upgrade
from portal_chassis.runtime import ServiceRuntime

from .common import add_shared_option, asyncpg_url, postgres

PRODUCT = "BENCH-FIXED"
START = date(2026, 1, 1)
MONTH = date(2026, 12, 1)
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
# The contracts started on 1 January 2026: their anniversary, the day the annual run settles 2026.
ANNIVERSARY = date(2027, 1, 1)


def contract_id(i: int) -> str:
    return f"BC-{i:07d}"


def customer_number(i: int) -> str:
    return f"{300000000 + i}"


async def seed(database_url: str, contracts: int) -> None:
    """Read models, billing accounts and advance plans in bulk (COPY): the run is measured."""
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await connection.execute(
            "INSERT INTO product_view (product_code, name, kind, published_at) VALUES ($1, $2, $3, $4)",
            PRODUCT,
            "Bench fixed",
            "fixed",
            NOW,
        )
        await connection.execute(
            "INSERT INTO tariff_periods (product_code, commodity, valid_from, valid_to, vat_rate,"
            " unit_prices, fixed_costs_per_day) VALUES ($1, 'electricity', $2, NULL, 0.21, $3, 0.198347)",
            PRODUCT,
            date(2025, 1, 1),
            json.dumps({"electricity_single": "0.247934"}),
        )
        ids = range(contracts)
        await connection.copy_records_to_table(
            "contract_view",
            records=[
                (contract_id(i), customer_number(i), "electricity", PRODUCT, START, False,
                 json.dumps({"electricity_single": str(1500 + i % 2000)}))
                for i in ids
            ],
            columns=[
                "contract_id", "customer_number", "commodity", "product_code", "start_date", "withdrawn",
                "expected_annual_consumption",
            ],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "contract_products",
            records=[(contract_id(i), START, PRODUCT, i % 3 == 0, False) for i in ids],
            columns=["contract_id", "effective_from", "product_code", "e_invoice", "self_reading"],
        )
        await connection.copy_records_to_table(
            "customer_view",
            records=[(customer_number(i), "nl", "transfer") for i in ids],
            columns=["customer_number", "language", "payment_method"],
        )
        await connection.copy_records_to_table(
            "billing_accounts",
            records=[(contract_id(i), customer_number(i), "monthly_advance") for i in ids],
            columns=["contract_id", "customer_number", "mode"],
        )
        await connection.copy_records_to_table(
            "advance_plans",
            records=[(contract_id(i), START, Decimal(40 + i % 100), "billing", NOW) for i in ids],
            columns=["contract_id", "effective_from", "amount", "set_by", "set_at"],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def run_advances(database_url: str, batch: int | None) -> tuple[float, int, int]:
    """One advance run for MONTH; (seconds, invoices issued, batches)."""
    settings = BillingSettings(database_url=database_url, log_level="WARNING")
    if batch is not None:
        settings.advance_run_batch_size = batch
    runtime = ServiceRuntime.create(settings)
    try:
        started = time.perf_counter()
        summary = await advance_run(runtime.new_uow, settings, month=MONTH, now=NOW)
        return time.perf_counter() - started, summary.issued, summary.batches
    finally:
        await runtime.engine.dispose()


async def run_baseline(database_url: str, batch: int, kind: str) -> tuple[float, int]:
    """The issued invoices of ``kind`` and their lines copied again into bare copies of their
    tables; (seconds, invoices)."""
    connection = await asyncpg.connect(asyncpg_url(database_url))
    invoices_copy, lines_copy = f"baseline_{kind}_invoices", f"baseline_{kind}_lines"
    try:
        await connection.execute(f"CREATE TABLE {invoices_copy} (LIKE invoices INCLUDING ALL)")
        await connection.execute(f"CREATE TABLE {lines_copy} (LIKE invoice_lines INCLUDING ALL)")
        invoices = [
            tuple(r)
            for r in await connection.fetch("SELECT * FROM invoices WHERE kind = $1 ORDER BY number", kind)
        ]
        lines: dict[str, list[tuple[object, ...]]] = {}
        for r in await connection.fetch(
            "SELECT l.* FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.kind = $1", kind
        ):
            lines.setdefault(r["invoice_id"], []).append(tuple(r))
        invoice_columns = [
            a.name for a in (await connection.prepare("SELECT * FROM invoices")).get_attributes()
        ]
        line_columns = [
            a.name for a in (await connection.prepare("SELECT * FROM invoice_lines")).get_attributes()
        ]
        started = time.perf_counter()
        for at in range(0, len(invoices), batch):
            chunk = invoices[at : at + batch]
            async with connection.transaction():
                await connection.copy_records_to_table(invoices_copy, records=chunk, columns=invoice_columns)
                await connection.copy_records_to_table(
                    lines_copy,
                    records=[line for row in chunk for line in lines[row[0]]],
                    columns=line_columns,
                )
        return time.perf_counter() - started, len(invoices)
    finally:
        await connection.close()


async def run_annual(database_url: str, settlements: int) -> tuple[float, dict[str, int]]:
    """The annual settlement run on the anniversary, for the first ``settlements`` contracts
    (the others are moved to billing on reading, so they are not due)."""
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await connection.execute(
            "UPDATE billing_accounts SET mode = 'on_reading' WHERE contract_id >= $1",
            contract_id(settlements),
        )
    finally:
        await connection.close()
    settings = BillingSettings(database_url=database_url, log_level="WARNING")
    runtime = ServiceRuntime.create(settings)
    try:
        async with runtime.new_uow() as uow:
            started = time.perf_counter()
            result = await annual_settlements(
                uow, settings, today=ANNIVERSARY, now=datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
            )
            return time.perf_counter() - started, result
    finally:
        await runtime.engine.dispose()


async def table_counts(database_url: str) -> dict[str, int]:
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        return {
            table: int(await connection.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608 - our names
            for table in ("invoices", "invoice_lines", "invoice_vat", "outbox")
        }
    finally:
        await connection.close()


async def measure(database_url: str, contracts: int, batch: int | None, settlements: int) -> None:
    started = time.perf_counter()
    await seed(database_url, contracts)
    seeded = time.perf_counter() - started
    seconds, issued, batches = await run_advances(database_url, batch)
    again, issued_again, _ = await run_advances(database_url, batch)
    counts = await table_counts(database_url)
    size = batch or BillingSettings().advance_run_batch_size
    baseline, copied = await run_baseline(database_url, size, "advance")
    if issued != contracts or issued_again != 0 or counts["outbox"] != contracts:
        raise AssertionError(f"expected {contracts} invoices once, got {issued} + {issued_again}: {counts}")
    ours_rate, baseline_rate = issued / seconds, copied / baseline
    print(
        f"contracts: {contracts:,} in monthly-advance billing, seeded in {seeded:.1f} s;"
        f" {size:,} per transaction ({batches} batches); PostgreSQL 15, one process"
    )
    print(
        f"advance run        {ours_rate:10,.0f} invoices/s  ({seconds:.2f} s: select, build, COPY"
        f" invoices + lines + VAT, {counts['outbox']:,} InvoiceIssued outbox rows)"
    )
    print(f"second run         {again:10.2f} s            (nothing left to issue: {issued_again} issued)")
    print(
        f"baseline COPY      {baseline_rate:10,.0f} invoices/s  ({baseline:.2f} s: the same invoice"
        " and line rows, COPY into tables LIKE the real ones)"
    )
    print(f"ratio              {ours_rate / baseline_rate:10.2f}  (advance run / baseline)")
    if settlements <= 0:
        return
    annual_seconds, result = await run_annual(database_url, min(settlements, contracts))
    if result["issued"] != min(settlements, contracts) or result["failed"]:
        raise AssertionError(f"annual settlements: {result}")
    copy_seconds, copied = await run_baseline(database_url, size, "annual_settlement")
    annual_rate, copy_rate = result["issued"] / annual_seconds, copied / copy_seconds
    print(
        f"annual settlements {annual_rate:10,.0f} invoices/s  ({annual_seconds:.2f} s for"
        f" {result['issued']:,}: one transaction each, no readings so estimated, December's advance"
        " deducted)"
    )
    print(
        f"baseline COPY      {copy_rate:10,.0f} invoices/s  ({copy_seconds:.2f} s: the same invoice and"
        " line rows)"
    )
    print(f"ratio              {annual_rate / copy_rate:10.4f}  (annual settlements / baseline)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("billing", "the monthly advance run vs plain COPY (bench/billing.py)")
    group.add_argument(
        "--contracts", type=int, default=100_000, help="contracts billed by advances (default 100000)"
    )
    group.add_argument(
        "--advance-batch",
        type=int,
        help="contracts per transaction of the advance run (default: the service's setting, 5000)",
    )
    group.add_argument(
        "--settlements",
        type=int,
        default=2_000,
        help="contracts whose annual settlement is timed (default 2000; 0: none)",
    )
    add_shared_option(group, "--durable", action="store_true", help="PostgreSQL with fsync on (default off)")


def run_with(args: argparse.Namespace) -> None:
    configure_logging("bench", "WARNING")
    with (
        tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp,
        postgres(Path(tmp), services=("billing",), durable=args.durable) as database_urls,
    ):
        database_url = database_urls["billing"]
        upgrade(MIGRATIONS, database_url)
        asyncio.run(measure(database_url, args.contracts, args.advance_batch, args.settlements))
