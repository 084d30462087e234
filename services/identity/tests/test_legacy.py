"""Accounts from the old portal: the hash format, the import, and the way from the old password
to an active account (new password, then email confirmation)."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from identity.__main__ import MIGRATIONS, main
from identity.db.tables import Account, LegacyMigration
from identity.domain.legacy_hash import LegacyHashError, parse_legacy_hash, verify_legacy_password
from identity.use_cases.accounts import create_account
from identity.use_cases.legacy_import import import_legacy_accounts
from portal_chassis import tables
from portal_chassis.mail_secrets import MailSecretsDecrypter, SecretPurpose
from portal_chassis.migrations import upgrade
from portal_chassis.testing import Harness
from portal_schemas.identity import (
    AccountActivated,
    ActivationRequested,
    PasswordChanged,
)


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


HEADER = "legacy_username,email,customer_number,password_hash,language"
OLD_PASSWORD = "oldpw7"  # the old portal allowed short ones
NEW_PASSWORD = "amber meadow lighthouse"
EMAIL = "piet@example.nl"


def legacy_hash(password: str, salt: bytes = b"salt-of-piet", iterations: int = 1000) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def csv_lines(*rows: str) -> list[str]:
    return [f"{line}\n" for line in (HEADER, *rows)]


PIET = f"PietH,{EMAIL},100200300,{legacy_hash(OLD_PASSWORD)},nl"


# --- the hash format ------------------------------------------------------------------------


def test_a_hash_made_with_hashlib_verifies_the_right_password_only() -> None:
    encoded = legacy_hash("geheim", salt=b"\x00\x01salty\xff\xfe", iterations=1500)
    assert verify_legacy_password(encoded, "geheim")
    assert not verify_legacy_password(encoded, "Geheim")
    assert not verify_legacy_password(encoded, "")
    parsed = parse_legacy_hash(encoded)
    assert (parsed.iterations, parsed.salt, len(parsed.digest)) == (1500, b"\x00\x01salty\xff\xfe", 32)


@pytest.mark.parametrize(
    "encoded",
    [
        "md5$1000$c2FsdHNhbHQ=$" + base64.b64encode(b"x" * 32).decode(),
        "pbkdf2_sha256$999$c2FsdHNhbHQ=$" + base64.b64encode(b"x" * 32).decode(),
        "pbkdf2_sha256$2000001$c2FsdHNhbHQ=$" + base64.b64encode(b"x" * 32).decode(),
        "pbkdf2_sha256$1000$not base64!$" + base64.b64encode(b"x" * 32).decode(),
        "pbkdf2_sha256$1000$c2FsdA==$" + base64.b64encode(b"x" * 32).decode(),  # 4-byte salt
        "pbkdf2_sha256$1000$c2FsdHNhbHQ=$" + base64.b64encode(b"x" * 8).decode(),  # 8-byte hash
        "pbkdf2_sha256$1000$c2FsdHNhbHQ=",
        "",
    ],
)
def test_malformed_hashes_are_refused(encoded: str) -> None:
    with pytest.raises(LegacyHashError):
        parse_legacy_hash(encoded)
    assert not verify_legacy_password(encoded, "anything")


# --- the import -----------------------------------------------------------------------------


def _snapshot(path: Path) -> tuple[list[tuple[Any, ...]], int]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    Account.id,
                    Account.legacy_username,
                    Account.email,
                    Account.customer_number,
                    Account.password_hash,
                    Account.language,
                    Account.status,
                ).order_by(Account.legacy_username)
            ).all()
            events = conn.scalar(select(func.count()).select_from(tables.outbox)) or 0
    finally:
        engine.dispose()
    return [tuple(r) for r in rows], int(events)


def test_the_cli_import_is_idempotent_and_reports_invalid_rows_without_personal_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.sqlite3"
    url = f"sqlite+aiosqlite:///{db}"
    upgrade(MIGRATIONS, url)
    monkeypatch.setenv("IDENTITY_DATABASE_URL", url)
    bad_hash = "pbkdf2_sha256$10$c2FsdHNhbHQ=$c2VjcmV0c2VjcmV0c2VjcmV0"
    source = tmp_path / "legacy.csv"
    source.write_text(
        "".join(
            csv_lines(
                PIET,  # line 2
                f"anna,anna@example.nl,100200301,{legacy_hash('x', salt=b'annas-salt')},en",  # 3
                f"kees,not-an-email,100200302,{legacy_hash('x')},nl",  # 4
                f"joop,joop@example.nl,100200303,{bad_hash},nl",  # 5
                f"mien,mien@example.nl,100200304,{legacy_hash('x')},es",  # 6
                "truus,truus@example.nl,100200305",  # 7: fields missing
                f"PIETH,other@example.nl,100200306,{legacy_hash('y')},nl",  # 8: same user name, other case
            )
        ),
        encoding="utf-8",
    )

    first = main(["import-legacy", str(source)])
    out, err = capsys.readouterr()
    assert first == 1  # some rows were invalid
    assert out.strip() == "imported 2, skipped 1, invalid 4"
    assert [line.split(":")[0] for line in err.strip().splitlines()] == [
        "line 4",
        "line 5",
        "line 6",
        "line 7",
    ]
    assert "email" in err.splitlines()[0] and "password_hash" in err.splitlines()[1]
    for secret in (
        "not-an-email",
        bad_hash,
        "joop@example.nl",
        "mien@example.nl",
        "truus@example.nl",
        "c2Fsd",
    ):
        assert secret not in err + out
    accounts, events = _snapshot(db)
    assert [(a[1], a[2], a[6]) for a in accounts] == [
        ("anna", "anna@example.nl", "legacy"),
        ("pieth", EMAIL, "legacy"),
    ]
    assert events == 2  # AccountRegistered each; AccountActivated only once the account is active

    second = main(["import-legacy", str(source)])
    out, _ = capsys.readouterr()
    assert second == 1
    assert out.strip() == "imported 0, skipped 3, invalid 4"
    assert _snapshot(db) == (accounts, 2)  # nothing changed


def test_a_file_with_the_wrong_header_imports_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.sqlite3"
    url = f"sqlite+aiosqlite:///{db}"
    upgrade(MIGRATIONS, url)
    monkeypatch.setenv("IDENTITY_DATABASE_URL", url)
    source = tmp_path / "legacy.csv"
    source.write_text(f"username,email,customer_number,password_hash,language\n{PIET}\n", encoding="utf-8")
    assert main(["import-legacy", str(source)]) == 2
    assert "header" in capsys.readouterr().err
    assert _snapshot(db) == ([], 0)
    assert main(["import-legacy", str(tmp_path / "missing.csv")]) == 2


async def test_an_address_that_already_has_an_account_is_skipped(service: Harness) -> None:
    async with service.runtime.new_uow() as uow:
        await create_account(
            uow, email=EMAIL, password=NEW_PASSWORD, customer_number="100200300", language="nl"
        )
    async with service.runtime.new_uow() as uow:
        report = await import_legacy_accounts(uow, csv_lines(PIET), now=datetime.now().astimezone())
    assert (report.imported, report.skipped, report.invalid) == (0, 1, 0)
    assert report.problems == ["line 2: skipped: the email address already has an account"]
    async with service.runtime.sessions() as session:
        [account] = list(await session.scalars(select(Account)))
    assert (account.status, account.legacy_username) == ("active", None)


# --- from the old password to an active account ---------------------------------------------


@pytest.fixture
async def piet(service: Harness, clock: MovableClock) -> str:
    async with service.runtime.new_uow() as uow:
        report = await import_legacy_accounts(uow, csv_lines(PIET), now=clock.now)
    assert report.imported == 1
    async with service.runtime.sessions() as session:
        account_id = await session.scalar(select(Account.id))
    assert account_id is not None
    return account_id


async def log_in(service: Harness, password: str, **login: str) -> httpx.Response:
    return await service.client.post(
        "/v1/sessions", json={**(login or {"email": EMAIL}), "password": password}
    )


async def set_password(service: Harness, token: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return await service.client.post(
        "/v1/legacy-migrations/password", json={"migration_token": token, "new_password": password}
    )


async def account(service: Harness) -> Account:
    async with service.runtime.sessions() as session:
        [row] = list(await session.scalars(select(Account)))
    return row


async def test_first_log_in_leads_through_a_new_password_and_activation_to_a_session(
    service: Harness, mail_keys: MailSecretsDecrypter, piet: str
) -> None:
    first = await log_in(service, OLD_PASSWORD)
    assert first.status_code == 403
    problem = first.json()
    assert problem["type"] == "/problems/password-change-required"
    assert problem["expires_in"] == 15 * 60
    token = problem["migration_token"]
    assert "access_token" not in problem
    async with service.runtime.sessions() as session:
        [stored] = list(await session.scalars(select(LegacyMigration)))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()  # stored hashed

    refused = await set_password(service, token, "piet@example.nl")  # breaks the rules
    assert refused.status_code == 422
    assert refused.json()["field"] == "new_password"
    assert [r["rule"] for r in refused.json()["rules"]] == ["contains-email"]
    assert (await account(service)).status == "legacy"
    assert [e.event_type for e in await service.outbox()] == ["AccountRegistered"]  # the import's

    done = await set_password(service, token)
    assert done.status_code == 202
    migrated = await account(service)
    assert migrated.status == "pending"
    assert migrated.password_hash.startswith("$argon2id$")
    [requested] = await service.outbox("ActivationRequested")
    data = ActivationRequested.model_validate(requested.data)
    assert (requested.subject, data.email, data.language) == (piet, EMAIL, "nl")
    assert data.purpose == "legacy_migration"  # the mail explains the move
    [changed] = await service.outbox("PasswordChanged")
    told = PasswordChanged.model_validate(changed.data)
    assert (changed.subject, told.account_id, told.email) == (piet, piet, EMAIL)
    assert told.reason == "legacy_migration"

    again = await set_password(service, token, "a second fresh password")
    assert again.status_code == 400
    assert again.json()["type"] == "/problems/migration-token-invalid"
    assert len(await service.outbox("PasswordChanged")) == 1  # a refused try tells nobody
    assert (await log_in(service, OLD_PASSWORD)).status_code == 401  # the old password is gone
    not_yet = await log_in(service, NEW_PASSWORD)
    assert not_yet.status_code == 403
    assert not_yet.json()["type"] == "/problems/account-not-activated"

    activation_token = mail_keys.decrypt(data.sealed_token, SecretPurpose.ACTIVATION_TOKEN)
    activated = await service.client.post("/v1/activations", json={"token": activation_token})
    assert activated.status_code == 204
    [created] = await service.outbox("AccountActivated")
    assert AccountActivated.model_validate(created.data).account_id == piet

    assert (await log_in(service, NEW_PASSWORD)).status_code == 201
    by_username = await log_in(service, NEW_PASSWORD, username="PIETH")
    assert by_username.status_code == 201
    assert by_username.json()["token_type"] == "Bearer"


async def test_the_user_name_logs_in_a_legacy_account_too(service: Harness, piet: str) -> None:
    response = await log_in(service, OLD_PASSWORD, username=" pietH ")
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/password-change-required"
    wrong = await log_in(service, "oldpw8", username="pieth")
    unknown = await log_in(service, OLD_PASSWORD, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_log_in_takes_email_or_user_name_not_both(service: Harness, piet: str) -> None:
    both = await service.client.post(
        "/v1/sessions", json={"email": EMAIL, "username": "pieth", "password": OLD_PASSWORD}
    )
    neither = await service.client.post("/v1/sessions", json={"password": OLD_PASSWORD})
    assert both.status_code == neither.status_code == 422
    async with service.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LegacyMigration)) == 0


async def test_wrong_legacy_passwords_lock_the_account(service: Harness, piet: str) -> None:
    answers = [(await log_in(service, f"guess {i}")).status_code for i in range(3)]
    assert answers == [401, 401, 423]
    assert len(await service.outbox("AccountLocked")) == 1
    right = await log_in(service, OLD_PASSWORD, username="pieth")
    assert right.status_code == 423  # even the right one, and no token
    async with service.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LegacyMigration)) == 0


async def test_a_right_legacy_password_resets_the_failure_count(service: Harness, piet: str) -> None:
    for _ in range(2):
        assert (await log_in(service, "wrong guess")).status_code == 401
    assert (await log_in(service, OLD_PASSWORD)).status_code == 403
    assert (await log_in(service, "wrong guess")).status_code == 401  # counts from 1 again


async def test_migration_tokens_expire_and_a_newer_one_replaces_the_older(
    service: Harness, clock: MovableClock, piet: str
) -> None:
    older = (await log_in(service, OLD_PASSWORD)).json()["migration_token"]
    newer = (await log_in(service, OLD_PASSWORD)).json()["migration_token"]
    assert (await set_password(service, older)).status_code == 400
    clock.advance(minutes=15)
    expired = await set_password(service, newer)
    assert expired.status_code == 400
    assert (await account(service)).status == "legacy"
    assert [e.event_type for e in await service.outbox()] == ["AccountRegistered"]  # the import's

    fresh = (await log_in(service, OLD_PASSWORD)).json()["migration_token"]
    assert (await set_password(service, fresh)).status_code == 202


async def test_a_forgotten_old_password_is_replaced_by_a_reset_from_the_app(
    service: Harness, reset_tokens: Any, piet: str
) -> None:
    """The app's form (old user name + email): the reset mail proves the address, so the
    account is migrated and active at once, with an argon2id hash of the new password."""
    asked = await service.client.post("/v1/password-resets", json={"username": "pieth", "email": EMAIL})
    assert asked.status_code == 202
    [token] = await reset_tokens()
    done = await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 200, done.text
    migrated = await account(service)
    assert migrated.status == "active" and migrated.password_hash is not None
    assert migrated.password_hash.startswith("$argon2id$")
    [activated] = await service.outbox("AccountActivated")
    assert AccountActivated.model_validate(activated.data).account_id == piet
    assert (await log_in(service, OLD_PASSWORD)).status_code == 401
    assert (await log_in(service, NEW_PASSWORD, username="PietH")).status_code == 201
