"""``python -m identity serve | migrate | asyncapi | create-account | import-legacy``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from identity.app import create_app
from identity.domain.signing import issue_operator_token
from identity.settings import IdentitySettings
from identity.use_cases.accounts import create_account
from identity.use_cases.legacy_import import LegacyFileError, import_legacy_accounts
from identity.use_cases.signing_keys import current_key, ensure_signing_key
from portal_chassis.auth import OPERATIONS_AUDIENCE
from portal_chassis.cli import run, run_in_unit_of_work
from portal_chassis.uow import UnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _create_account_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True)
    parser.add_argument("--customer-number", required=True)
    parser.add_argument("--language", default="nl", choices=["nl", "en", "fr", "de"])


def _create_account(args: argparse.Namespace) -> int:
    """Reads the password from standard input, so it never shows in a process list."""
    password = sys.stdin.readline().rstrip("\n")  # the password rules apply (create_account)

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


def _import_legacy_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="CSV export of the old portal (see README)")


def _import_legacy(args: argparse.Namespace) -> int:
    """Exit 0 when every row was imported or skipped, 1 when some were invalid (the valid rows
    are imported all the same), 2 when the file cannot be read."""

    async def work(uow: UnitOfWork) -> int:
        with args.file.open(encoding="utf-8-sig", newline="") as lines:
            report = await import_legacy_accounts(uow, lines, now=datetime.now(UTC))
        for problem in report.problems:
            print(problem, file=sys.stderr)
        print(f"imported {report.imported}, skipped {report.skipped}, invalid {report.invalid}")
        return 1 if report.invalid else 0

    try:
        return asyncio.run(
            run_in_unit_of_work(
                IdentitySettings(), work, refusals=(LegacyFileError, UnicodeDecodeError), refused_code=2
            )
        )
    except OSError as exc:
        print(f"cannot read the file: {exc.strerror}", file=sys.stderr)
        return 2


def _operator_token_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--operator", required=True, help="who acts: named in the audit log and events")
    parser.add_argument("--minutes", type=int, default=60, choices=range(1, 481), metavar="1..480")


def _operator_token(args: argparse.Namespace) -> int:
    """Prints a short-lived operations token for the admin endpoints (``/v1/admin/...``)."""

    async def work(uow: UnitOfWork) -> int:
        await ensure_signing_key(uow)
        settings = IdentitySettings()
        token = issue_operator_token(
            await current_key(uow),
            operator=args.operator,
            issuer=settings.token_issuer,
            audience=OPERATIONS_AUDIENCE,
            now=datetime.now(UTC),
            ttl=timedelta(minutes=args.minutes),
        )
        print(token)
        return 0

    return asyncio.run(run_in_unit_of_work(IdentitySettings(), work))


def main(argv: list[str] | None = None) -> int:
    return run(
        create_app=create_app,
        settings=IdentitySettings,
        migrations_dir=MIGRATIONS,
        commands={
            "create-account": (
                "create an account (password on stdin)",
                _create_account,
                _create_account_args,
            ),
            "import-legacy": (
                "import the old portal's accounts from CSV",
                _import_legacy,
                _import_legacy_args,
            ),
            "operator-token": (
                "print a short-lived token for the admin endpoints",
                _operator_token,
                _operator_token_args,
            ),
        },
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
