"""``python -m identity serve | migrate | asyncapi | create-account``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from identity.app import create_app
from identity.settings import IdentitySettings
from identity.use_cases.accounts import create_account
from portal_chassis.cli import run, run_in_unit_of_work
from portal_chassis.uow import UnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _create_account_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True)
    parser.add_argument("--customer-number", required=True)
    parser.add_argument("--language", default="nl", choices=["nl", "en", "fr", "de"])


def _create_account(args: argparse.Namespace) -> int:
    """Reads the password from standard input, so it never shows in a process list."""
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 10:
        print("password (on standard input) must have at least 10 characters", file=sys.stderr)
        return 2

    async def work(uow: UnitOfWork) -> int:
        account = await create_account(
            uow,
            email=args.email,
            password=password,
            customer_number=args.customer_number,
            language=args.language,
        )
        print(account.id)
        return 0

    return asyncio.run(run_in_unit_of_work(IdentitySettings(), work))


def main(argv: list[str] | None = None) -> int:
    return run(
        create_app=create_app,
        settings=IdentitySettings,
        migrations_dir=MIGRATIONS,
        commands={
            "create-account": ("create an account (password on stdin)", _create_account, _create_account_args)
        },
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
