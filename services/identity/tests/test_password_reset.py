"""Forgotten password, on the in-memory broker and SQLite."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Protocol

import pytest
from httpx import Response
from sqlalchemy import func, select, update

from identity.app import create_app
from identity.db.tables import Account, PasswordReset
from identity.domain.secrets import token_digest
from identity.settings import IdentitySettings
from identity.use_cases import password_reset
from identity.use_cases.accounts import create_account
from portal_chassis.mail_secrets import (
    MailSecretsDecrypter,
    MailSecretsEncrypter,
    MailSecretsError,
    SecretPurpose,
)
from portal_chassis.sealing import Sealer, SealingError
from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordChanged, PasswordResetRequested

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new secret"
EMAIL = "jan@example.nl"


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


async def make_account(service: Harness, email: str = "Jan@Example.nl") -> str:
    async with service.runtime.new_uow() as uow:
        account = await create_account(
            uow, email=email, password=PASSWORD, customer_number="100200300", language="nl"
        )
    return account.id


async def test_same_answer_whether_or_not_the_account_exists(service: Harness) -> None:
    await make_account(service)
    known = await service.client.post("/v1/password-resets", json={"email": "jan@example.nl"})
    unknown = await service.client.post("/v1/password-resets", json={"email": "nobody@example.nl"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    events = await service.outbox("PasswordResetRequested")
    assert len(events) == 1  # only the existing account got a token


async def test_reset_event_carries_the_token_sealed(
    service: Harness, mail_keys: MailSecretsDecrypter
) -> None:
    account_id = await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": "JAN@example.nl "})
    [event] = await service.outbox("PasswordResetRequested")
    data = PasswordResetRequested.model_validate(event.data)
    assert event.subject == account_id
    assert data.email == "jan@example.nl"
    token = mail_keys.decrypt(data.sealed_token, SecretPurpose.PASSWORD_RESET_TOKEN)
    assert token not in event.model_dump_json()  # readers of the topic cannot see it

    new_password = "a brand new secret"
    ok = await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )
    assert ok.status_code == 200
    again = await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": "another one here"}
    )
    assert again.status_code == 400
    assert again.json()["type"] == "/problems/reset-token-invalid"

    old = await service.client.post("/v1/sessions", json={"email": "jan@example.nl", "password": PASSWORD})
    assert old.status_code == 401
    new = await service.client.post(
        "/v1/sessions", json={"email": "jan@example.nl", "password": new_password}
    )
    assert new.status_code == 201


async def test_bad_input_is_a_problem_and_changes_nothing(service: Harness) -> None:
    response = await service.client.post("/v1/password-resets", json={"email": "not-an-email"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/validation"
    assert body["errors"][0]["field"] == "email"
    short = await service.client.post(
        "/v1/password-resets/confirm", json={"token": "x" * 43, "new_password": "short"}
    )
    assert short.status_code == 422
    assert await service.outbox() == []


async def test_at_most_three_reset_emails_per_hour(service: Harness, clock) -> None:
    account_id = await make_account(service)
    answers = [
        await service.client.post("/v1/password-resets", json={"email": "jan@example.nl"}) for _ in range(5)
    ]
    assert {a.status_code for a in answers} == {202}
    assert all(a.json() == answers[0].json() for a in answers)  # throttled looks the same
    assert len(await service.outbox("PasswordResetRequested")) == 3
    async with service.runtime.sessions() as session:
        stored = await session.scalar(
            select(func.count()).select_from(PasswordReset).where(PasswordReset.account_id == account_id)
        )
    assert stored == 3  # no token made for the throttled requests

    clock.advance(minutes=59)
    await service.client.post("/v1/password-resets", json={"email": "jan@example.nl"})
    assert len(await service.outbox("PasswordResetRequested")) == 3
    clock.advance(minutes=1, seconds=1)  # the first three are more than an hour old now
    await service.client.post("/v1/password-resets", json={"email": "jan@example.nl"})
    assert len(await service.outbox("PasswordResetRequested")) == 4


async def test_the_throttle_is_per_account(service: Harness) -> None:
    await make_account(service)
    await make_account(service, email="an@example.nl")
    for _ in range(4):
        await service.client.post("/v1/password-resets", json={"email": "jan@example.nl"})
    await service.client.post("/v1/password-resets", json={"email": "an@example.nl"})
    events = await service.outbox("PasswordResetRequested")
    assert [PasswordResetRequested.model_validate(e.data).email for e in events].count("an@example.nl") == 1
    assert len(events) == 4


# --- the app's form (user name and email), replaced resets, the code, signing in -----------------

CODE = "042137"
CUSTOMER = "100200300"  # make_account's customer number


async def latest_token(service: Harness, mail_keys: MailSecretsDecrypter) -> str:
    events = await service.outbox("PasswordResetRequested")
    sealed = PasswordResetRequested.model_validate(events[-1].data).sealed_token
    return mail_keys.decrypt(sealed, SecretPurpose.PASSWORD_RESET_TOKEN)


@pytest.fixture
def fixed_code(monkeypatch: pytest.MonkeyPatch) -> str:
    """Resets get a known code (the event cannot carry it yet); nothing in the HTTP API shows it."""
    monkeypatch.setattr(password_reset, "new_code", lambda: CODE)
    return CODE


async def set_legacy_username(service: Harness, account_id: str, username: str) -> None:
    async with service.runtime.sessions() as session, session.begin():
        await session.execute(
            update(Account).where(Account.id == account_id).values(legacy_username=username)
        )


async def reset_rows(service: Harness) -> list[PasswordReset]:
    async with service.runtime.sessions() as session:
        return list(await session.scalars(select(PasswordReset).order_by(PasswordReset.created_at)))


async def by_code(
    service: Harness, code: str, new_password: str = NEW_PASSWORD, email: str = EMAIL
) -> Response:
    return await service.client.post(
        "/v1/password-resets/confirm", json={"email": email, "code": code, "new_password": new_password}
    )


async def log_in_with(service: Harness, password: str) -> Response:
    return await service.client.post("/v1/sessions", json={"email": EMAIL, "password": password})


async def test_the_app_form_needs_user_name_and_email_of_one_account(service: Harness) -> None:
    jan = await make_account(service)
    await make_account(service, email="an@example.nl")
    await set_legacy_username(service, jan, "janv")
    answers = [
        await service.client.post("/v1/password-resets", json=body)
        for body in (
            {"username": " JanV ", "email": EMAIL},  # the old portal's user name
            {"username": "nobody", "email": EMAIL},  # unknown user name
            {"username": "an@example.nl", "email": EMAIL},  # another account's address
            {"username": "janv", "email": "nobody@example.nl"},  # unknown address
            {"username": "an@example.nl", "email": "an@example.nl"},  # no old user name: the address
        )
    ]
    assert {a.status_code for a in answers} == {202}
    assert all(a.json() == answers[0].json() for a in answers)
    events = [
        PasswordResetRequested.model_validate(e.data) for e in await service.outbox("PasswordResetRequested")
    ]
    assert [e.email for e in events] == [EMAIL, "an@example.nl"]
    assert len(await reset_rows(service)) == 2  # nothing stored for the mismatches

    bad = await service.client.post("/v1/password-resets", json={"username": "", "email": EMAIL})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "username"
    assert len(await reset_rows(service)) == 2


async def test_a_new_request_ends_the_older_link_and_code(
    service: Harness, mail_keys: MailSecretsDecrypter, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_account(service)
    codes = iter(["111111", "222222"])
    monkeypatch.setattr(password_reset, "new_code", lambda: next(codes))
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    first = await latest_token(service, mail_keys)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    second = await latest_token(service, mail_keys)
    older, newer = await reset_rows(service)
    assert (older.end_reason, newer.end_reason) == ("replaced", None)
    assert older.used_at is not None and newer.used_at is None

    stale = await confirm(service, first)
    assert stale.status_code == 400
    assert stale.json()["type"] == "/problems/reset-token-invalid"
    assert (await by_code(service, "111111")).status_code == 400
    assert (await confirm(service, second)).status_code == 200
    assert await service.outbox("PasswordChanged") != []


async def test_the_reset_code_is_stored_as_argon2_and_sealed_ready_for_the_event(
    service: Harness, settings: IdentitySettings, clock: MovableClock, mail_keys: MailSecretsDecrypter
) -> None:
    await make_account(service)
    async with service.runtime.new_uow() as uow:
        issued = await password_reset.request_password_reset(
            uow, settings, encrypter(settings), EMAIL, now=clock.now
        )
    assert issued is not None
    assert len(issued.code) == 6 and issued.code.isdigit()
    assert mail_keys.decrypt(issued.sealed_code, SecretPurpose.PASSWORD_RESET_CODE) == issued.code
    assert mail_keys.decrypt(issued.sealed_token, SecretPurpose.PASSWORD_RESET_TOKEN) == issued.token
    with pytest.raises(MailSecretsError):  # each opens only as what it is
        mail_keys.decrypt(issued.sealed_code, SecretPurpose.ACTIVATION_CODE)
    with pytest.raises(SealingError):  # the key every service holds does not open them
        Sealer(settings.event_sealing_key.get_secret_value()).open(issued.sealed_code)  # type: ignore[union-attr]
    [row] = await reset_rows(service)
    assert row.code_hash.startswith("$argon2id$") and issued.code not in row.code_hash
    assert row.token_hash == token_digest(issued.token)
    assert row.code_expires_at == clock.now + timedelta(minutes=15)
    assert row.expires_at == clock.now + timedelta(hours=24)
    [event] = await service.outbox("PasswordResetRequested")
    assert issued.code not in event.model_dump_json()

    async with service.runtime.new_uow() as uow:
        nothing = await password_reset.request_password_reset(
            uow, settings, encrypter(settings), "nobody@example.nl", now=clock.now
        )
    assert nothing is None


def encrypter(settings: IdentitySettings) -> MailSecretsEncrypter:
    assert settings.mail_secrets_public_key is not None
    return MailSecretsEncrypter(settings.mail_secrets_public_key)


async def test_the_code_sets_the_password_signs_in_and_tells_the_owner(
    service: Harness, mail_keys: MailSecretsDecrypter, clock: MovableClock, fixed_code: str
) -> None:
    account_id = await make_account(service)
    before = await log_in_with(service, PASSWORD)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    token = await latest_token(service, mail_keys)

    done = await by_code(service, f"{fixed_code[:3]} {fixed_code[3:]}")  # typed with a space
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60 and body["refresh_expires_in"] == 12 * 3600
    assert (await refresh(service, before.json()["refresh_token"])).status_code == 401  # old session ended
    assert (await refresh(service, body["refresh_token"])).status_code == 200  # the new one works

    [changed] = await service.outbox("PasswordChanged")
    data = PasswordChanged.model_validate(changed.data)
    assert changed.subject == account_id
    assert (data.account_id, data.email, data.language, data.reason) == (account_id, EMAIL, "nl", "reset")
    assert data.changed_at == clock.now

    assert (await log_in_with(service, PASSWORD)).status_code == 401
    assert (await log_in_with(service, NEW_PASSWORD)).status_code == 201
    again = await by_code(service, fixed_code, "yet another fresh one")
    assert again.status_code == 400  # single use
    assert (await confirm(service, token, "yet another fresh one")).status_code == 400  # the link too
    assert len(await service.outbox("PasswordChanged")) == 1


async def test_five_wrong_codes_kill_the_code_but_not_the_link(
    service: Harness, mail_keys: MailSecretsDecrypter, fixed_code: str
) -> None:
    await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    token = await latest_token(service, mail_keys)
    unknown = await by_code(service, "999999", email="nobody@example.nl")
    wrong = [await by_code(service, f"99999{i}") for i in range(5)]
    assert {w.status_code for w in wrong} == {400}
    assert all(w.json() == unknown.json() for w in wrong)  # no attempts_left: says nothing of the account
    assert unknown.json()["type"] == "/problems/reset-code-invalid"
    [row] = await reset_rows(service)
    assert row.wrong_codes == 5

    dead = await by_code(service, fixed_code)
    assert dead.status_code == 400
    assert (await log_in_with(service, PASSWORD)).status_code == 201  # unchanged
    assert await service.outbox("PasswordChanged") == []
    assert (await confirm(service, token)).status_code == 200


async def test_four_wrong_codes_leave_the_right_one_working(service: Harness, fixed_code: str) -> None:
    await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    for i in range(4):
        assert (await by_code(service, f"00000{i}")).status_code == 400
    assert (await by_code(service, fixed_code)).status_code == 200


async def test_the_code_lives_15_minutes_and_the_link_24_hours(
    service: Harness, mail_keys: MailSecretsDecrypter, clock: MovableClock, fixed_code: str
) -> None:
    await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    token = await latest_token(service, mail_keys)
    clock.advance(minutes=15)
    assert (await by_code(service, fixed_code)).status_code == 400
    clock.advance(hours=23, minutes=44)
    assert (await confirm(service, token)).status_code == 200


async def test_the_link_expires_after_24_hours(
    service: Harness, mail_keys: MailSecretsDecrypter, clock: MovableClock
) -> None:
    await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    token = await latest_token(service, mail_keys)
    clock.advance(hours=24)
    expired = await confirm(service, token)
    assert expired.status_code == 400
    assert await service.outbox("PasswordChanged") == []


async def test_a_refused_password_costs_no_try_and_keeps_the_code(service: Harness, fixed_code: str) -> None:
    await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    short = await by_code(service, fixed_code, "short")
    assert short.status_code == 422
    # The customer number is only checked after the right code: a stranger cannot probe it.
    probe = await by_code(service, "123456", f"my number is {CUSTOMER}")
    assert probe.status_code == 400
    refused = await by_code(service, fixed_code, f"my number is {CUSTOMER}")
    assert refused.status_code == 422
    assert [r["rule"] for r in refused.json()["rules"]] == ["contains-customer-number"]
    [row] = await reset_rows(service)
    assert (row.wrong_codes, row.used_at) == (1, None)  # only the probe counted
    assert await service.outbox("PasswordChanged") == []
    assert (await by_code(service, fixed_code)).status_code == 200


async def test_confirm_takes_a_token_or_email_and_code(service: Harness, fixed_code: str) -> None:
    await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    bodies = [
        {"token": "x" * 43, "email": EMAIL, "code": fixed_code, "new_password": NEW_PASSWORD},
        {"email": EMAIL, "new_password": NEW_PASSWORD},
        {"code": fixed_code, "new_password": NEW_PASSWORD},
        {"email": EMAIL, "code": "12345", "new_password": NEW_PASSWORD},
        {"email": EMAIL, "code": "12345a", "new_password": NEW_PASSWORD},
        {"email": EMAIL, "code": fixed_code},
        {"new_password": NEW_PASSWORD},
    ]
    for body in bodies:
        answer = await service.client.post("/v1/password-resets/confirm", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["type"] == "/problems/validation"
    [row] = await reset_rows(service)
    assert (row.wrong_codes, row.used_at) == (0, None)
    assert await service.outbox("PasswordChanged") == []
    assert (await log_in_with(service, PASSWORD)).status_code == 201


async def test_stay_signed_in_after_a_reset(service: Harness, mail_keys: MailSecretsDecrypter) -> None:
    await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    token = await latest_token(service, mail_keys)
    done = await service.client.post(
        "/v1/password-resets/confirm",
        json={"token": token, "new_password": NEW_PASSWORD, "stay_signed_in": True},
    )
    assert done.status_code == 200
    assert done.json()["refresh_expires_in"] == 30 * 24 * 3600


async def test_the_same_code_twice_at_once_resets_once(service: Harness, fixed_code: str) -> None:
    await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    answers = await asyncio.gather(
        by_code(service, fixed_code), by_code(service, fixed_code, "another new secret")
    )
    assert sorted(a.status_code for a in answers) == [200, 400]
    assert len(await service.outbox("PasswordChanged")) == 1


async def confirm(service: Harness, token: str, new_password: str = NEW_PASSWORD) -> Response:
    return await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )


async def refresh(service: Harness, refresh_token: str) -> Response:
    return await service.client.post("/v1/sessions/refresh", json={"refresh_token": refresh_token})


def test_the_service_needs_notifications_public_key_and_only_that(
    settings: IdentitySettings, mail_key_pair: tuple[str, str]
) -> None:
    with pytest.raises(RuntimeError, match="IDENTITY_MAIL_SECRETS_PUBLIC_KEY"):
        create_app(settings.model_copy(update={"mail_secrets_public_key": None}))
    with pytest.raises(MailSecretsError, match="private half"):  # identity must not open them
        create_app(settings.model_copy(update={"mail_secrets_public_key": mail_key_pair[0]}))
