"""``python -m notifications serve | migrate | asyncapi | deliveries | requeue-failed | preview``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from notifications.app import create_app
from notifications.preview import preview, preview_args
from notifications.settings import NotificationsSettings
from notifications.use_cases.operations import delivery_report, requeue_failed
from portal_chassis.cli import run, run_in_unit_of_work
from portal_chassis.uow import UnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--failed-limit", type=int, default=50)


def _report(args: argparse.Namespace) -> int:
    async def work(uow: UnitOfWork) -> int:
        report = await delivery_report(uow, args.failed_limit)
        if not report.counts:
            print("no deliveries yet")
        for (kind, status), count in sorted(report.counts.items()):
            print(f"{kind:<24} {status:<8} {count}")
        for failed in report.failed:
            print(
                f"failed {failed.id} {failed.kind} attempts={failed.attempts} "
                f"created={failed.created_at.isoformat()} error={failed.last_error or '-'}"
            )
        print(f"{report.parked} events parked until their customer has an account")
        return 0

    return asyncio.run(run_in_unit_of_work(NotificationsSettings(), work))


def _requeue_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", dest="delivery_id", help="one delivery; all failed ones if absent")


def _requeue(args: argparse.Namespace) -> int:
    async def work(uow: UnitOfWork) -> int:
        count = await requeue_failed(uow, args.delivery_id)
        print(f"{count} deliveries back in the queue")
        return 0

    return asyncio.run(run_in_unit_of_work(NotificationsSettings(), work))


def main(argv: list[str] | None = None) -> int:
    return run(
        create_app=create_app,
        settings=NotificationsSettings,
        migrations_dir=MIGRATIONS,
        commands={
            "deliveries": (
                "counts per kind and status, failed deliveries, events parked",
                _report,
                _report_args,
            ),
            "requeue-failed": ("send failed deliveries again", _requeue, _requeue_args),
            "preview": ("render an email from sample data", preview, preview_args),
        },
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
