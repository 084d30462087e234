"""Changing the login address: asked with the password, confirmed from the new mailbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from identity.db.tables import Account, EmailChange
from identity.domain.secrets import token_digest
from identity.settings import IdentitySettings
from portal_chassis.mail_secrets import MailSecretsDecrypter, SecretPurpose
from portal_chassis.testing import Harness
from portal_schemas.identity import EmailChanged, EmailChangeRequested

MakeAccount = Callable[..., Awaitable[str]]  # the make_account fixture (conftest)


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


PASSWORD = "correct horse battery"  # make_account's default (conftest)
EMAIL = "jan@example.nl"
NEW_EMAIL = "jan.nieuw@example.nl"


async def bearer(service: Harness, email: str = EMAIL, password: str = PASSWORD) -> dict[str, str]:
    response = await service.client.post("/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def ask(
    service: Harness, headers: dict[str, str], new_email: str = NEW_EMAIL, password: str = PASSWORD
) -> Any:
    return await service.client.post(
        "/v1/me/email-change", headers=headers, json={"password": password, "new_email": new_email}
    )


def secrets_of(mail_keys: MailSecretsDecrypter, event: Any) -> tuple[str, str]:
    data = EmailChangeRequested.model_validate(event.data)
    return (
        mail_keys.decrypt(data.sealed_token, SecretPurpose.EMAIL_CHANGE_TOKEN),
        mail_keys.decrypt(data.sealed_code, SecretPurpose.EMAIL_CHANGE_CODE),
    )


async def login_email(service: Harness, account_id: str) -> str:
    async with service.runtime.sessions() as session:
        email = await session.scalar(select(Account.email).where(Account.id == account_id))
    assert email is not None
    return email


async def test_confirm_by_link_switches_the_login_address(
    service: Harness,
    make_account: MakeAccount,
    settings: IdentitySettings,
    clock: MovableClock,
    mail_keys: MailSecretsDecrypter,
) -> None:
    account_id = await make_account()
    headers = await bearer(service)
    answer = await ask(service, headers, new_email=" Jan.Nieuw@Example.nl ")
    assert answer.status_code == 202
    [event] = await service.outbox("EmailChangeRequested")
    data = EmailChangeRequested.model_validate(event.data)
    assert (data.old_email, data.new_email, event.subject) == (EMAIL, NEW_EMAIL, account_id)
    assert data.expires_at == clock.now + settings.email_change_ttl
    token, code = secrets_of(mail_keys, event)
    assert token not in event.model_dump_json() and len(code) == 6
    async with service.runtime.sessions() as session:
        [stored] = await session.scalars(select(EmailChange))
    assert stored.token_hash == token_digest(token) and code not in stored.code_hash

    me = (await service.client.get("/v1/me", headers=headers)).json()
    assert me["email"] == EMAIL  # nothing changes before the confirmation
    assert me["pending_email_change"]["new_email"] == NEW_EMAIL

    confirmed = await service.client.post("/v1/email-changes/confirm", json={"token": token})  # no log-in
    assert confirmed.status_code == 204, confirmed.text
    assert await login_email(service, account_id) == NEW_EMAIL
    [changed] = await service.outbox("EmailChanged")
    assert EmailChanged.model_validate(changed.data).model_dump() == {
        "account_id": account_id,
        "old_email": EMAIL,
        "new_email": NEW_EMAIL,
        "language": "nl",
    }
    await bearer(service, email=NEW_EMAIL)
    old = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": PASSWORD})
    assert old.status_code == 401

    again = await service.client.post("/v1/email-changes/confirm", json={"token": token})
    assert again.status_code == 400
    assert again.json()["type"] == "/problems/email-change-invalid"


async def test_confirm_by_code_needs_the_accounts_token(
    service: Harness, make_account: MakeAccount, mail_keys: MailSecretsDecrypter
) -> None:
    account_id = await make_account()
    await make_account(email="piet@example.nl")
    headers = await bearer(service)
    await ask(service, headers)
    _, code = secrets_of(mail_keys, (await service.outbox("EmailChangeRequested"))[0])

    anonymous = await service.client.post("/v1/email-changes/confirm", json={"code": code})
    assert anonymous.status_code == 401
    stranger = await service.client.post(
        "/v1/email-changes/confirm", json={"code": code}, headers=await bearer(service, "piet@example.nl")
    )
    assert stranger.status_code == 400  # Piet has no open change; Jan's stays untouched
    assert await login_email(service, account_id) == EMAIL

    ok = await service.client.post("/v1/email-changes/confirm", json={"code": code}, headers=headers)
    assert ok.status_code == 204
    assert await login_email(service, account_id) == NEW_EMAIL


async def test_the_fifth_wrong_code_ends_the_request(
    service: Harness, make_account: MakeAccount, mail_keys: MailSecretsDecrypter
) -> None:
    account_id = await make_account()
    headers = await bearer(service)
    await ask(service, headers)
    token, code = secrets_of(mail_keys, (await service.outbox("EmailChangeRequested"))[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    lefts = []
    for _ in range(5):
        answer = await service.client.post("/v1/email-changes/confirm", json={"code": wrong}, headers=headers)
        assert answer.status_code == 400
        lefts.append(answer.json()["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    for body in ({"code": code}, {"token": token}):
        dead = await service.client.post("/v1/email-changes/confirm", json=body, headers=headers)
        assert dead.status_code == 400
        assert dead.json()["type"] == "/problems/email-change-invalid"
    assert await login_email(service, account_id) == EMAIL
    assert await service.outbox("EmailChanged") == []


async def test_a_newer_request_replaces_the_older_and_requests_expire(
    service: Harness,
    make_account: MakeAccount,
    settings: IdentitySettings,
    clock: MovableClock,
    mail_keys: MailSecretsDecrypter,
) -> None:
    account_id = await make_account()
    headers = await bearer(service)
    await ask(service, headers, new_email="first@example.nl")
    await ask(service, headers, new_email="second@example.nl")
    first, second = await service.outbox("EmailChangeRequested")
    first_token, _ = secrets_of(mail_keys, first)
    second_token, _ = secrets_of(mail_keys, second)
    replaced = await service.client.post("/v1/email-changes/confirm", json={"token": first_token})
    assert replaced.status_code == 400
    async with service.runtime.sessions() as session:
        reasons = sorted(str(r) for r in await session.scalars(select(EmailChange.end_reason)))
    assert reasons == ["None", "replaced"]

    clock.advance(hours=settings.email_change_hours, seconds=1)
    expired = await service.client.post("/v1/email-changes/confirm", json={"token": second_token})
    assert expired.status_code == 400
    assert await login_email(service, account_id) == EMAIL


async def test_same_answer_whatever_the_new_address(service: Harness, make_account: MakeAccount) -> None:
    await make_account()
    await make_account(email="taken@example.nl")
    headers = await bearer(service)
    free = await ask(service, headers, new_email="free@example.nl")
    taken = await ask(service, headers, new_email="Taken@example.nl")
    assert free.status_code == taken.status_code == 202
    assert free.json() == taken.json()
    [event] = await service.outbox("EmailChangeRequested")  # nothing to the other account's mailbox
    assert EmailChangeRequested.model_validate(event.data).new_email == "free@example.nl"


async def test_address_taken_meanwhile_is_409_and_changes_nothing(
    service: Harness, make_account: MakeAccount, mail_keys: MailSecretsDecrypter
) -> None:
    account_id = await make_account()
    headers = await bearer(service)
    await ask(service, headers)
    token, _ = secrets_of(mail_keys, (await service.outbox("EmailChangeRequested"))[0])
    await make_account(email=NEW_EMAIL)  # someone else got the address first
    taken = await service.client.post("/v1/email-changes/confirm", json={"token": token})
    assert taken.status_code == 409
    assert taken.json()["type"] == "/problems/email-taken"
    assert await login_email(service, account_id) == EMAIL
    assert await service.outbox("EmailChanged") == []


async def test_wrong_password_counts_and_bad_input_changes_nothing(
    service: Harness, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    headers = await bearer(service)
    wrong = await ask(service, headers, password="not my password")
    assert wrong.status_code == 401
    assert wrong.json()["type"] == "/problems/wrong-password"
    async with service.runtime.sessions() as session:
        assert await session.scalar(select(Account.failed_logins).where(Account.id == account_id)) == 1
    same = await ask(service, headers, new_email="JAN@example.nl")
    assert same.status_code == 422
    assert same.json()["type"] == "/problems/email-unchanged"
    for body in ({"password": PASSWORD, "new_email": "not an address"}, {"password": PASSWORD}, {}):
        answer = await service.client.post("/v1/me/email-change", headers=headers, json=body)
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
    for body in ({}, {"token": "x" * 43, "code": "123456"}, {"code": "12345"}, {"code": "abcdef"}):
        answer = await service.client.post("/v1/email-changes/confirm", headers=headers, json=body)
        assert answer.status_code == 422, body
    assert (await ask(service, {})).status_code == 401
    assert await service.outbox("EmailChangeRequested") == []
    unknown = await service.client.post("/v1/email-changes/confirm", json={"token": "y" * 43})
    assert unknown.status_code == 400
