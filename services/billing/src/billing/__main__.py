"""``python -m billing serve | migrate | asyncapi``."""

from __future__ import annotations

import sys
from pathlib import Path

from billing.app import create_app
from billing.settings import BillingSettings
from portal_chassis.cli import run

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def main(argv: list[str] | None = None) -> int:
    return run(
        create_app=create_app,
        settings=BillingSettings,
        migrations_dir=MIGRATIONS,
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
