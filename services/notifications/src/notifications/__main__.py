"""``python -m notifications serve | migrate | asyncapi | deliveries | requeue-failed``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from notifications.app import create_app
from notifications.settings import NotificationsSettings
from notifications.use_cases.operations import delivery_report, requeue_failed
from portal_chassis.cli import run
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.uow import UnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

T = TypeVar("T")


def _with_uow(work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    async def go() -> T:
        runtime = ServiceRuntime.create(NotificationsSettings())
        try:
            async with runtime.new_uow() as uow:
                return await work(uow)
        finally:
            await runtime.engine.dispose()

    return asyncio.run(go())


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--failed-limit", type=int, default=50)


def _report(args: argparse.Namespace) -> int:
    report = _with_uow(lambda uow: delivery_report(uow, args.failed_limit))
    if not report.counts:
        print("no deliveries yet")
    for (kind, status), count in sorted(report.counts.items()):
        print(f"{kind:<24} {status:<8} {count}")
    for failed in report.failed:
        print(
            f"failed {failed.id} {failed.kind} attempts={failed.attempts} "
            f"created={failed.created_at.isoformat()} error={failed.last_error or '-'}"
        )
    return 0


def _requeue_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", dest="delivery_id", help="one delivery; all failed ones if absent")


def _requeue(args: argparse.Namespace) -> int:
    count = _with_uow(lambda uow: requeue_failed(uow, args.delivery_id))
    print(f"{count} deliveries back in the queue")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(
        create_app=create_app,
        settings=NotificationsSettings,
        migrations_dir=MIGRATIONS,
        commands={
            "deliveries": ("counts per kind and status, and failed deliveries", _report, _report_args),
            "requeue-failed": ("send failed deliveries again", _requeue, _requeue_args),
        },
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
