"""``python -m billing serve | migrate | asyncapi`` and billing's scheduled jobs."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from billing.app import create_app
from billing.settings import BillingSettings
from billing.use_cases.advance_run import advance_run
from billing.use_cases.direct_debit import collect_direct_debits, process_debit_returns
from billing.use_cases.dunning import send_payment_reminders
from billing.use_cases.issue_final_invoice import settle_due_finals
from billing.use_cases.retention import purge_documents
from billing.use_cases.settlement_runs import annual_settlements, quarterly_invoices
from portal_chassis.calendar import calendar_day, start_of_day
from portal_chassis.cli import Command, run, run_in_unit_of_work, today_arg
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.uow import UnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class SettlementJob(Protocol):
    async def __call__(
        self, uow: UnitOfWork, settings: BillingSettings, *, today: date, now: datetime
    ) -> dict[str, int]: ...


def _send_payment_reminders(args: argparse.Namespace) -> int:
    """Daily: safe to run twice, and two runs at once send each step once."""
    settings = BillingSettings()
    today = args.today or calendar_day(datetime.now(UTC), settings.zone)

    async def work(uow: UnitOfWork) -> int:
        print(json.dumps(await send_payment_reminders(uow, settings, today=today)))
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work))


def _collection_args(parser: argparse.ArgumentParser) -> None:
    today_arg(parser)
    parser.add_argument(
        "--out",
        type=Path,
        help="the folder the pain.008 file is written to (default: <data dir>/sepa)",
    )


def _collect_direct_debits(args: argparse.Namespace) -> int:
    """Daily: writes one pain.008 file for what is due; a second run collects nothing again."""
    settings = BillingSettings()
    now = datetime.now(UTC)
    today = args.today or calendar_day(now, settings.zone)
    out_dir = args.out or settings.data_dir / "sepa"

    async def work(uow: UnitOfWork) -> int:
        result = await collect_direct_debits(uow, settings, today=today, now=now, out_dir=out_dir)
        print(json.dumps(result.summary()))
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work))


def _returns_file_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        type=Path,
        help='a JSON list: [{"end_to_end_id": ..., "reason_code": "AM04", "returned_on": "2026-03-10"}]',
    )


def _process_debit_returns(args: argparse.Namespace) -> int:
    """The same as POST /v1/admin/direct-debits/returns; repeating a file changes nothing."""
    from pydantic import ValidationError

    from billing.api.direct_debit_schemas import ReturnsIn

    settings = BillingSettings()
    try:
        entries = ReturnsIn.validate_json(args.file.read_bytes())
    except (OSError, ValidationError) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    if not entries:
        print(f"{args.file}: no returns in the file", file=sys.stderr)
        return 2

    async def work(uow: UnitOfWork) -> int:
        returns = [entry.to_return() for entry in entries]
        result = await process_debit_returns(uow, settings, returns, now=datetime.now(UTC))
        print(json.dumps(result.summary()))
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work))


def _simulator_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8190)


def _provider_simulator(args: argparse.Namespace) -> int:
    """The local stand-in for the card payment provider (billing.provider_simulator)."""
    import uvicorn

    from billing.provider_simulator import create_simulator
    from portal_chassis.logging import configure_logging

    settings = BillingSettings()
    configure_logging("payment-provider-simulator", settings.log_level)
    uvicorn.run(create_simulator(settings), host=args.host, port=args.port, log_config=None)
    return 0


def _advance_run_args(parser: argparse.ArgumentParser) -> None:
    today_arg(parser)
    parser.add_argument(
        "--month",
        type=_month,
        help="the month to invoice, YYYY-MM (default: the month of --today or of today)",
    )


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month as YYYY-MM: {text!r}") from None


def _advance_run(args: argparse.Namespace) -> int:
    """Monthly: issues the month's advance invoices still missing; safe to run twice, or two at
    once, and after being stopped half-way."""
    settings = BillingSettings()
    now = datetime.now(UTC)
    if args.today is not None and args.today != calendar_day(now, settings.zone):
        now = start_of_day(args.today, settings.zone) + timedelta(hours=12)  # acting as that day
    month = args.month or calendar_day(now, settings.zone)

    async def work() -> int:
        runtime = ServiceRuntime.create(settings)
        try:
            summary = await advance_run(runtime.new_uow, settings, month=month, now=now)
        finally:
            await runtime.engine.dispose()
        print(summary.to_json())
        return 0

    return asyncio.run(work())


def _purge_documents(args: argparse.Namespace) -> int:
    """Daily: removes invoices past their retention; a second run removes nothing more."""
    settings = BillingSettings()
    today = args.today or calendar_day(datetime.now(UTC), settings.zone)

    async def work(uow: UnitOfWork) -> int:
        print(json.dumps(await purge_documents(uow, settings, today=today)))
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work))


def _settlement_job(job: SettlementJob) -> Command:
    """A daily settlement job: each contract in its own transaction, safe to run twice."""

    def command(args: argparse.Namespace) -> int:
        settings = BillingSettings()
        now = datetime.now(UTC)
        today = args.today or calendar_day(now, settings.zone)

        async def work(uow: UnitOfWork) -> int:
            print(json.dumps(await job(uow, settings, today=today, now=now)))
            return 0

        return asyncio.run(run_in_unit_of_work(settings, work))

    return command


def main(argv: list[str] | None = None) -> int:
    return run(
        create_app=create_app,
        settings=BillingSettings,
        migrations_dir=MIGRATIONS,
        commands={
            "advance-run": (
                "issue the month's advance invoices of contracts billed by monthly advances; "
                "prints a JSON summary",
                _advance_run,
                _advance_run_args,
            ),
            "provider-simulator": (
                "run the local payment-provider simulator: hosted payment page and signed webhooks",
                _provider_simulator,
                _simulator_args,
            ),
            "send-payment-reminders": (
                "send the due reminder step of every overdue invoice; prints a JSON summary",
                _send_payment_reminders,
                today_arg,
            ),
            "collect-direct-debits": (
                "write a SEPA pain.008 file for the open invoices due by the collection date of "
                "customers with a mandate and book them as paid; prints a JSON summary",
                _collect_direct_debits,
                _collection_args,
            ),
            "purge-documents": (
                "remove invoices (not open) issued longer ago than the retention, with their "
                "lines and what refers to them; prints a JSON summary",
                _purge_documents,
                today_arg,
            ),
            "annual-settlements": (
                "settle the year of every monthly-advance contract whose anniversary has come; "
                "prints a JSON summary",
                _settlement_job(annual_settlements),
                today_arg,
            ),
            "quarterly-invoices": (
                "invoice every ended calendar quarter of the quarterly contracts; prints a JSON summary",
                _settlement_job(quarterly_invoices),
                today_arg,
            ),
            "settle-due-finals": (
                "issue the final settlements whose wait for the final reading is over (estimated "
                "where it is missing); prints a JSON summary",
                _settlement_job(settle_due_finals),
                today_arg,
            ),
            "process-debit-returns": (
                "reopen the invoices of debits the bank returned (a JSON file); prints a JSON summary",
                _process_debit_returns,
                _returns_file_arg,
            ),
        },
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
