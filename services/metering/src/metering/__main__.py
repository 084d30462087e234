"""``python -m metering serve | migrate | asyncapi | send-reading-reminders | request-reconsent``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from metering.app import create_app
from metering.settings import MeteringSettings
from metering.use_cases.consent import request_reconsent
from metering.use_cases.reading_reminders import send_reading_reminders
from portal_chassis.calendar import calendar_day
from portal_chassis.cli import run, run_in_unit_of_work, today_arg
from portal_chassis.uow import UnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _send_reading_reminders(args: argparse.Namespace) -> int:
    """Daily: safe to run twice, and two runs at once send each reminder once."""
    settings = MeteringSettings()
    now = datetime.now(UTC)
    today = args.today or calendar_day(now, settings.zone)

    async def work(uow: UnitOfWork) -> int:
        print(await send_reading_reminders(uow, settings, today=today, now=now))
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work))


def _request_reconsent(args: argparse.Namespace) -> int:
    """After the consent terms changed: asks each customer once per terms version."""
    settings = MeteringSettings()

    async def work(uow: UnitOfWork) -> int:
        print(await request_reconsent(uow, settings))
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work))


def main(argv: list[str] | None = None) -> int:
    return run(
        create_app=create_app,
        settings=MeteringSettings,
        migrations_dir=MIGRATIONS,
        commands={
            "send-reading-reminders": (
                "remind self-reading customers whose reading is due; prints how many were sent",
                _send_reading_reminders,
                today_arg,
            ),
            "request-reconsent": (
                "ask customers whose smart-meter consent predates the terms in force to consent "
                "again; prints how many were asked",
                _request_reconsent,
                lambda parser: None,
            ),
        },
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
