"""``python -m billing serve | migrate | asyncapi`` and billing's scheduled jobs."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from billing.app import create_app
from billing.settings import BillingSettings
from portal_chassis.cli import run

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _today_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        help="the calendar day to act as (default: today in the service's zone); for tests and catch-up",
    )


def main(argv: list[str] | None = None) -> int:
    return run(
        create_app=create_app,
        settings=BillingSettings,
        migrations_dir=MIGRATIONS,
        commands={},
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
