"""Importing the old portal's accounts: ``python -m identity import-legacy FILE``.

The file is CSV (UTF-8, comma-separated, RFC 4180 quoting) with exactly this header::

    legacy_username,email,customer_number,password_hash,language

- ``legacy_username``: the old portal's user name, 1 to 150 characters without spaces; it is
  compared without regard to case and stays usable for logging in;
- ``email``: a valid address (stored lower-cased);
- ``customer_number``: 1 to 20 characters without spaces;
- ``password_hash``: ``pbkdf2_sha256$<iterations>$<salt>$<hash>`` where salt and hash are
  standard base64 and hash is PBKDF2-HMAC-SHA256 of the UTF-8 password (iterations
  1,000..2,000,000, salt at least 8 bytes, hash 16..64 bytes; see domain.legacy_hash);
- ``language``: nl, en, fr or de.

Each valid row becomes an account with status ``legacy``, announced with AccountRegistered
(method ``legacy_import``; AccountActivated follows when the customer has chosen a new password
and confirmed the address). A row whose user name is
already imported, or whose email address already has a portal account, is skipped, so running
the same file again changes nothing. Invalid rows are reported by line number and reason,
never with their email address or hash; the valid rows are imported all the same, in one
transaction.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import get_args

from pydantic import EmailStr, TypeAdapter, ValidationError

from identity.db.repositories import Accounts, normalise_username
from identity.db.tables import Account
from identity.domain.legacy_hash import LegacyHashError, parse_legacy_hash
from identity.domain.registration import LEGACY
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountRegistered
from portal_schemas.types import Language

HEADER = ["legacy_username", "email", "customer_number", "password_hash", "language"]
_LANGUAGES = set(get_args(Language))
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)


class LegacyFileError(ValueError):
    """The file as a whole cannot be read (wrong header)."""


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0
    invalid: int = 0
    problems: list[str] = field(default_factory=list)  # "line N: reason", without personal data


@dataclass(frozen=True)
class _Row:
    username: str
    email: str
    customer_number: str
    password_hash: str
    language: str


def _no_space(value: str) -> bool:
    return bool(value) and not any(c.isspace() for c in value)


def _parse(record: dict[str, str | None]) -> _Row:
    """The row, or ValueError with a reason that quotes nothing from the row."""
    values = {key: (record.get(key) or "").strip() for key in HEADER}
    if None in record or any(record.get(key) is None for key in HEADER):
        raise ValueError("wrong number of fields")
    username = values["legacy_username"]
    if not _no_space(username) or len(username) > 150:
        raise ValueError("legacy_username must have 1 to 150 characters without spaces")
    try:
        email = _EMAIL.validate_python(values["email"]).lower()
    except ValidationError:
        raise ValueError("email is not a valid address") from None
    customer_number = values["customer_number"]
    if not _no_space(customer_number) or len(customer_number) > 20:
        raise ValueError("customer_number must have 1 to 20 characters without spaces")
    try:
        parse_legacy_hash(values["password_hash"])
    except LegacyHashError as exc:
        raise ValueError(f"password_hash: {exc}") from None
    if values["language"] not in _LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(sorted(_LANGUAGES))}")
    return _Row(
        normalise_username(username), email, customer_number, values["password_hash"], values["language"]
    )


def read_legacy_csv(lines: Iterable[str]) -> Iterable[tuple[int, _Row | ValueError]]:
    """(line number, row or the reason it is invalid) for each record after the header."""
    reader = csv.DictReader(lines, strict=True)
    if reader.fieldnames != HEADER:
        raise LegacyFileError(f"the header must be exactly: {','.join(HEADER)}")
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield reader.line_num, ValueError("malformed CSV")
            continue
        try:
            yield reader.line_num, _parse(record)
        except ValueError as exc:
            yield reader.line_num, exc


async def import_legacy_accounts(uow: UnitOfWork, lines: Iterable[str], *, now: datetime) -> ImportReport:
    report = ImportReport()
    accounts = Accounts(uow.session)
    for line, parsed in read_legacy_csv(lines):
        if isinstance(parsed, ValueError):
            report.invalid += 1
            report.problems.append(f"line {line}: invalid: {parsed}")
            continue
        if await accounts.by_legacy_username(parsed.username) is not None:
            report.skipped += 1  # imported before (or twice in this file)
            continue
        if await accounts.by_email(parsed.email) is not None:
            report.skipped += 1
            report.problems.append(f"line {line}: skipped: the email address already has an account")
            continue
        account_id = str(uuid.uuid4())
        accounts.add(
            Account(
                id=account_id,
                email=parsed.email,
                customer_number=parsed.customer_number,
                password_hash=parsed.password_hash,
                language=parsed.language,
                created_at=now,
                password_changed_at=now,
                failed_logins=0,
                status=LEGACY,
                legacy_username=parsed.username,
            )
        )
        await uow.session.flush()  # the next rows' look-ups see it
        uow.emit(
            AccountRegistered(
                account_id=account_id,
                customer_number=parsed.customer_number,
                email=parsed.email,
                language=parsed.language,
                method="legacy_import",
            ),
            subject=account_id,
        )
        report.imported += 1
    await uow.commit()
    return report
