"""``python -m identity serve | migrate | asyncapi | create-account | import-legacy |
end-portal-access | operator-token | rotate-signing-key | retire-signing-keys``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from identity.app import create_app
from identity.domain.signing import issue_operator_token
from identity.settings import IdentitySettings
from identity.use_cases.access_end import end_portal_access
from identity.use_cases.accounts import create_account
from identity.use_cases.legacy_import import LegacyFileError, import_legacy_accounts
from identity.use_cases.signing_keys import (
    current_key,
    ensure_signing_key,
    retire_signing_keys,
    rotate_signing_key,
)
from portal_chassis.auth import OPERATIONS_AUDIENCE
from portal_chassis.calendar import calendar_day
from portal_chassis.cli import run, run_in_unit_of_work, today_arg
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


def _end_portal_access(args: argparse.Namespace) -> int:
    """Daily: ends the access of accounts whose contracts ended a grace period ago; prints how
    many. Safe to run twice, or twice at once."""
    settings = IdentitySettings()
    now = datetime.now(UTC)
    today = args.today or calendar_day(now, settings.zone)

    async def work(uow: UnitOfWork) -> int:
        print(await end_portal_access(uow, settings, today=today, now=now))
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work))


def _operator_token_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--operator", required=True, help="who acts: named in the audit log and events")
    parser.add_argument("--minutes", type=int, default=60, choices=range(1, 481), metavar="1..480")


def _operator_token(args: argparse.Namespace) -> int:
    """Prints a short-lived operations token for the admin endpoints (``/v1/admin/...``)."""

    async def work(uow: UnitOfWork) -> int:
        await ensure_signing_key(uow)
        settings = IdentitySettings()
        token = issue_operator_token(
            await current_key(uow, publish_delay=settings.signing_key_publish_delay),
            operator=args.operator,
            issuer=settings.token_issuer,
            audience=OPERATIONS_AUDIENCE,
            now=datetime.now(UTC),
            ttl=timedelta(minutes=args.minutes),
        )
        print(token)
        return 0

    return asyncio.run(run_in_unit_of_work(IdentitySettings(), work))


def _rotate_args(parser: argparse.ArgumentParser) -> None:
    """No options: the publish delay is a setting (IDENTITY_SIGNING_KEY_PUBLISH_SECONDS)."""


def _rotate(args: argparse.Namespace) -> int:
    """A new signing key: in the JWKS at once, signing after the publish delay."""
    settings = IdentitySettings()

    async def work(uow: UnitOfWork) -> int:
        await ensure_signing_key(uow)
        kid, signs_from = await rotate_signing_key(
            uow, now=datetime.now(UTC), publish_delay=settings.signing_key_publish_delay
        )
        print(
            f"new signing key {kid}: in the JWKS now, signs from {signs_from.isoformat(timespec='seconds')}"
        )
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work))


def _retire_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kid", help="retire only this key (default: every key older than the newest)")
    parser.add_argument(
        "--immediately",
        action="store_true",
        help="do not wait an access token's lifetime: tokens the key signed stop working (a leaked key)",
    )


def _retire(args: argparse.Namespace) -> int:
    """Exit 0 when done (or nothing is due yet: it says until when), 1 when refused."""
    settings = IdentitySettings()

    async def work(uow: UnitOfWork) -> int:
        outcome = await retire_signing_keys(
            uow,
            now=datetime.now(UTC),
            access_ttl=settings.access_token_ttl,
            publish_delay=settings.signing_key_publish_delay,
            kid=args.kid,
            immediately=args.immediately,
        )
        for kid in outcome.retired:
            print(f"retired {kid}")
        for kid, due in outcome.kept:
            print(
                f"kept {kid}: tokens it signed may still be valid;"
                f" retire from {due.isoformat(timespec='seconds')}"
            )
        if not outcome.retired and not outcome.kept:
            print("nothing to retire: only the newest key is active")
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work))


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
            "end-portal-access": (
                "end the portal access of accounts whose contracts ended a grace period ago",
                _end_portal_access,
                today_arg,
            ),
            "operator-token": (
                "print a short-lived token for the admin endpoints",
                _operator_token,
                _operator_token_args,
            ),
            "rotate-signing-key": (
                "add a new access-token signing key (published now, signs after the publish delay)",
                _rotate,
                _rotate_args,
            ),
            "retire-signing-keys": (
                "remove older signing keys from the JWKS once no token they signed is valid",
                _retire,
                _retire_args,
            ),
        },
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
