"""Security properties of identity: no account enumeration, single-use and expiring reset
tokens, activation codes that cannot be guessed, no secrets in the logs, and the HTTP API
against its own OpenAPI document (schemathesis, in-process)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import structlog
from sqlalchemy import select

from identity.app import create_app
from identity.db.tables import Account
from identity.db.tables import Base as IdentityBase
from identity.domain.signing import issue_operator_token
from identity.settings import IdentitySettings
from identity.use_cases.signing_keys import current_key
from portal_chassis.api_fuzzing import fuzz_openapi
from portal_chassis.auth import OPERATIONS_AUDIENCE
from portal_chassis.mail_secrets import MailSecretsDecrypter, SecretPurpose, generate_key_pair
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractCreated, CustomerRegistered, RegistrationCodeIssued
from portal_schemas.identity import (
    ActivationRequested,
    EmailChangeRequested,
    PasswordResetRequested,
    PortalAccessApproved,
    PortalAccessRequested,
)

MakeAccount = Callable[..., Awaitable[str]]  # the make_account fixture (conftest)


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


PASSWORD = "correct horse battery"  # the make_account fixture's password
NEW_PASSWORD = "a brand new secret phrase"
CUSTOMER = "271828182"
POSTCODE = "1234AB"
REG_PASSWORD = "registered secret phrase"


def same_answer(first: httpx.Response, second: httpx.Response) -> None:
    """Status, media type and body are identical; only ``instance`` may differ."""
    assert first.status_code == second.status_code
    assert first.headers.get("content-type") == second.headers.get("content-type")
    one, other = first.json(), second.json()
    if isinstance(one, dict) and isinstance(other, dict):
        one.pop("instance", None)
        other.pop("instance", None)
    assert one == other


def sealer_of(settings: IdentitySettings) -> Sealer:
    assert settings.event_sealing_key is not None
    return Sealer(settings.event_sealing_key.get_secret_value())


async def reset_tokens(service: Harness, mail_keys: MailSecretsDecrypter) -> list[str]:
    """Every reset token identity has mailed, oldest first, opened as notifications does."""
    return [
        mail_keys.decrypt(
            PasswordResetRequested.model_validate(event.data).sealed_token, SecretPurpose.PASSWORD_RESET_TOKEN
        )
        for event in await service.outbox("PasswordResetRequested")
    ]


async def activation_secrets(service: Harness, mail_keys: MailSecretsDecrypter) -> tuple[str, str]:
    """The token and code of the latest activation mail."""
    events = await service.outbox("ActivationRequested")
    data = ActivationRequested.model_validate(events[-1].data)
    return (
        mail_keys.decrypt(data.sealed_token, SecretPurpose.ACTIVATION_TOKEN),
        mail_keys.decrypt(data.sealed_code, SecretPurpose.ACTIVATION_CODE),
    )


async def account_status(service: Harness, email: str) -> str | None:
    async with service.runtime.sessions() as session:
        account = await session.scalar(select(Account).where(Account.email == email))
    return None if account is None else account.status


@pytest.fixture
async def customer(service: Harness) -> CustomerRegistered:
    facts = CustomerRegistered(
        customer_number=CUSTOMER, segment="private", language="nl", supply_postcodes=[POSTCODE]
    )
    await service.deliver(facts, subject=CUSTOMER, producer="contracts")
    return facts


def registration(email: str, password: str = REG_PASSWORD) -> dict[str, Any]:
    return {"customer_number": CUSTOMER, "postcode": POSTCODE, "email": email, "password": password}


async def log_in(service: Harness, email: str, password: str) -> httpx.Response:
    return await service.client.post("/v1/sessions", json={"email": email, "password": password})


async def confirm(service: Harness, token: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": password}
    )


# --- account enumeration -------------------------------------------------------------------


async def test_password_reset_request_does_not_reveal_the_account(
    service: Harness, make_account: MakeAccount
) -> None:
    await make_account("known@example.nl")
    known = await service.client.post("/v1/password-resets", json={"email": "known@example.nl"})
    unknown = await service.client.post("/v1/password-resets", json={"email": "unknown@example.nl"})
    assert known.status_code == 202
    same_answer(known, unknown)
    # The app's form: a user name that is not the account's answers like an unknown address.
    foreign = await service.client.post(
        "/v1/password-resets", json={"email": "known@example.nl", "username": "somebody.else"}
    )
    same_answer(known, foreign)
    assert len(await service.outbox("PasswordResetRequested")) == 1  # only the known address's


async def test_registration_does_not_reveal_an_existing_account(
    service: Harness, customer: CustomerRegistered, make_account: MakeAccount
) -> None:
    await make_account("taken@example.nl")  # an active account
    taken = await service.client.post("/v1/registrations", json=registration("taken@example.nl"))
    free = await service.client.post("/v1/registrations", json=registration("free@example.nl"))
    assert free.status_code == 202
    same_answer(taken, free)
    # A pending registration registered again within the resend interval answers the same too.
    again = await service.client.post("/v1/registrations", json=registration("free@example.nl"))
    same_answer(again, free)

    [mail] = await service.outbox("ActivationRequested")  # nothing goes to the active account
    assert ActivationRequested.model_validate(mail.data).email == "free@example.nl"
    assert await account_status(service, "taken@example.nl") == "active"  # not taken over


async def test_log_in_does_not_reveal_the_account(service: Harness, make_account: MakeAccount) -> None:
    await make_account("known@example.nl")
    wrong_password = await log_in(service, "known@example.nl", "not the right password")
    unknown_email = await log_in(service, "unknown@example.nl", "not the right password")
    assert wrong_password.status_code == 401
    assert wrong_password.json()["type"] == "/problems/invalid-credentials"
    same_answer(wrong_password, unknown_email)


# --- reset tokens --------------------------------------------------------------------------


async def test_a_reset_token_works_once(
    service: Harness, mail_keys: MailSecretsDecrypter, make_account: MakeAccount
) -> None:
    await make_account("jan@example.nl")
    await service.client.post("/v1/password-resets", json={"email": "jan@example.nl"})
    [token] = await reset_tokens(service, mail_keys)
    assert (await confirm(service, token)).is_success

    reused = await confirm(service, token, "an attacker's own phrase")
    assert reused.status_code == 400
    assert reused.json()["type"] == "/problems/reset-token-invalid"
    assert (await log_in(service, "jan@example.nl", "an attacker's own phrase")).status_code == 401
    assert (await log_in(service, "jan@example.nl", NEW_PASSWORD)).status_code == 201


async def test_an_expired_reset_token_is_refused(
    service: Harness,
    settings: IdentitySettings,
    clock: MovableClock,
    make_account: MakeAccount,
    mail_keys: MailSecretsDecrypter,
) -> None:
    await make_account("jan@example.nl")
    await service.client.post("/v1/password-resets", json={"email": "jan@example.nl"})
    [token] = await reset_tokens(service, mail_keys)

    clock.advance(hours=settings.reset_token_hours)  # to the second its lifetime ends
    expired = await confirm(service, token)
    assert expired.status_code == 400
    assert expired.json()["type"] == "/problems/reset-token-invalid"
    assert (await log_in(service, "jan@example.nl", PASSWORD)).status_code == 201  # unchanged


async def test_a_reset_token_still_works_one_second_before_it_expires(
    service: Harness,
    settings: IdentitySettings,
    clock: MovableClock,
    make_account: MakeAccount,
    mail_keys: MailSecretsDecrypter,
) -> None:
    await make_account("jan@example.nl")
    await service.client.post("/v1/password-resets", json={"email": "jan@example.nl"})
    [token] = await reset_tokens(service, mail_keys)
    clock.advance(hours=settings.reset_token_hours, seconds=-1)
    assert (await confirm(service, token)).is_success
    assert (await log_in(service, "jan@example.nl", NEW_PASSWORD)).status_code == 201


async def test_a_newer_reset_request_ends_the_older_token(
    service: Harness, clock: MovableClock, make_account: MakeAccount, mail_keys: MailSecretsDecrypter
) -> None:
    await make_account("jan@example.nl")
    await make_account("piet@example.nl")
    for email in ("piet@example.nl", "jan@example.nl", "jan@example.nl"):
        await service.client.post("/v1/password-resets", json={"email": email})
        clock.advance(minutes=1)
    other_account, older, newer = await reset_tokens(service, mail_keys)

    stale = await confirm(service, older, "an attacker's own phrase")
    assert stale.status_code == 400
    assert stale.json()["type"] == "/problems/reset-token-invalid"
    assert (await log_in(service, "jan@example.nl", PASSWORD)).status_code == 201  # unchanged
    assert (await confirm(service, newer)).is_success
    assert (await confirm(service, other_account)).is_success  # another account's reset lives on


# --- activation code brute force -----------------------------------------------------------


async def test_five_wrong_codes_kill_the_activation_even_for_the_right_code_and_link(
    service: Harness,
    customer: CustomerRegistered,
    settings: IdentitySettings,
    mail_keys: MailSecretsDecrypter,
) -> None:
    email = "new@example.nl"
    assert (await service.client.post("/v1/registrations", json=registration(email))).status_code == 202
    token, code = await activation_secrets(service, mail_keys)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    answers = [
        await service.client.post("/v1/activations", json={"email": email, "code": wrong})
        for _ in range(settings.max_wrong_activation_codes)
    ]
    assert [a.status_code for a in answers] == [400] * 5
    unknown = await service.client.post("/v1/activations", json={"email": "nobody@example.nl", "code": wrong})
    assert all(a.json() == unknown.json() for a in answers)  # no countdown to learn from

    right_code = await service.client.post("/v1/activations", json={"email": email, "code": code})
    assert right_code.status_code == 400
    assert right_code.json()["type"] == "/problems/activation-invalid"
    assert "attempts_left" not in right_code.json()  # no further counting: there is nothing to guess
    link = await service.client.post("/v1/activations", json={"token": token})
    assert link.status_code == 400
    assert await account_status(service, email) == "pending"
    assert await service.outbox("AccountActivated") == []
    assert (await log_in(service, email, REG_PASSWORD)).status_code == 403  # still not activated


# --- secrets in logs -----------------------------------------------------------------------

# Fields the chassis fills with generated ids and times: a 6-digit code could match by chance.
_GENERATED = ("timestamp", "trace_id", "span_id", "correlation_id", "causation_id")


class LogCapture:
    """The lines the service writes, rendered by the chassis' own formatter (as shipped)."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[str]:
        return [line for line in self.stream.getvalue().splitlines() if line]

    def assert_absent(self, *secrets: str) -> None:
        lines = self.lines()
        assert lines, "nothing was logged: the capture is not wired"
        for line in lines:
            event = json.loads(line)
            for key in _GENERATED:
                event.pop(key, None)
            text = json.dumps(event, ensure_ascii=False)
            for secret in secrets:
                if secret.isdigit():
                    found = re.search(rf"(?<![0-9A-Fa-f]){secret}(?![0-9A-Fa-f])", text) is not None
                else:
                    found = secret in text or json.dumps(secret)[1:-1] in text
                assert not found, f"a secret is logged: {line}"


@pytest.fixture
def service_logs(service: Harness) -> Iterator[LogCapture]:
    root = logging.getLogger()
    formatter = next(
        (h.formatter for h in root.handlers if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)),
        None,
    )
    assert formatter is not None, "the chassis configures a structlog formatter on the root logger"
    capture = LogCapture()
    handler = logging.StreamHandler(capture.stream)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    try:
        yield capture
    finally:
        root.removeHandler(handler)


async def test_passwords_tokens_and_codes_never_reach_the_logs(
    service: Harness,
    customer: CustomerRegistered,
    mail_keys: MailSecretsDecrypter,
    service_logs: LogCapture,
) -> None:
    email = "secret.keeper@example.nl"
    wrong_password = "guessing a password here"
    rejected_password = f"x{email}x"  # contains the address: refused by the rules
    too_long_password = "toolongpassword" * 10  # refused by the request schema (at most 128)
    wrong_code_password = "wrong code attempt phrase"

    rejected = await service.client.post("/v1/registrations", json=registration(email, rejected_password))
    assert rejected.status_code == 422
    assert (await service.client.post("/v1/registrations", json=registration(email))).status_code == 202
    activation_token, code = await activation_secrets(service, mail_keys)
    wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"
    bad = await service.client.post("/v1/activations", json={"email": email, "code": wrong_code})
    assert bad.status_code == 400
    ok = await service.client.post("/v1/activations", json={"email": email, "code": code})
    assert ok.status_code == 204
    used = await service.client.post("/v1/activations", json={"token": activation_token})
    assert used.status_code == 400

    assert (await log_in(service, email, wrong_password)).status_code == 401
    assert (await log_in(service, email, too_long_password)).status_code == 422
    session = await log_in(service, email, REG_PASSWORD)
    assert session.status_code == 201
    tokens = session.json()
    refreshed = await service.client.post(
        "/v1/sessions/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200

    await service.client.post("/v1/password-resets", json={"email": email})
    [reset_token] = await reset_tokens(service, mail_keys)
    weak = await confirm(service, reset_token, wrong_code_password[:8])
    assert weak.status_code == 422
    completed = await confirm(service, reset_token)
    assert completed.is_success
    reused = await confirm(service, reset_token, "another new phrase here")
    assert reused.status_code == 400

    service_logs.assert_absent(
        REG_PASSWORD,
        wrong_password,
        rejected_password,
        too_long_password,
        wrong_code_password[:8],
        NEW_PASSWORD,
        activation_token,
        code,
        wrong_code,
        reset_token,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed.json()["refresh_token"],
        *(
            completed.json()[key]
            for key in ("access_token", "refresh_token")
            if completed.status_code == 200  # the reset signs in with a new session
        ),
    )


async def test_the_account_flows_keep_secrets_and_addresses_out_of_the_logs(
    service: Harness,
    customer: CustomerRegistered,
    settings: IdentitySettings,
    mail_keys: MailSecretsDecrypter,
    service_logs: LogCapture,
    clock: MovableClock,
) -> None:
    """Registration by letter code, settings, email change and portal access: no password,
    code, token, email address or name in any log line."""
    sealer = sealer_of(settings)
    email, new_email, requester = "letter.holder@example.nl", "moved.on@example.nl", "asks.access@example.nl"
    letter_code, wrong_letter_code, changed_password = "Hk7mPq3x", "Hk7mPq3X", "yet another long phrase"
    await service.deliver(
        ContractCreated(
            contract_id="c-9",
            contract_number="123456789",
            customer_number=CUSTOMER,
            commodity="gas",
            product_code="VAST",
            start_date=date(2026, 1, 1),
        ),
        subject="c-9",
        producer="contracts",
    )
    await service.deliver(
        RegistrationCodeIssued(
            contract_id="c-9",
            contract_number="123456789",
            customer_number=CUSTOMER,
            sealed_code=sealer.seal(letter_code),
            expires_at=clock.now + timedelta(days=30),
        ),
        subject="c-9",
        producer="contracts",
    )
    by_code = {"contract_number": "123456789", "email": email, "password": REG_PASSWORD}
    wrong = await service.client.post(
        "/v1/registrations/contract-code", json={**by_code, "registration_code": wrong_letter_code}
    )
    assert wrong.status_code == 422
    registered = await service.client.post(
        "/v1/registrations/contract-code", json={**by_code, "registration_code": letter_code}
    )
    assert registered.status_code == 202, registered.text
    activation_token, activation_code = await activation_secrets(service, mail_keys)
    assert (await service.client.post("/v1/activations", json={"token": activation_token})).status_code == 204

    session = await log_in(service, email, REG_PASSWORD)
    headers = {"Authorization": f"Bearer {session.json()['access_token']}"}
    change = {"current_password": "not my password at all", "new_password": changed_password}
    assert (await service.client.post("/v1/me/password", headers=headers, json=change)).status_code == 401
    change["current_password"] = REG_PASSWORD
    assert (await service.client.post("/v1/me/password", headers=headers, json=change)).status_code == 204

    asked = await service.client.post(
        "/v1/me/email-change", headers=headers, json={"password": changed_password, "new_email": new_email}
    )
    assert asked.status_code == 202
    [requested] = await service.outbox("EmailChangeRequested")
    change_data = EmailChangeRequested.model_validate(requested.data)
    change_token = mail_keys.decrypt(change_data.sealed_token, SecretPurpose.EMAIL_CHANGE_TOKEN)
    change_code = mail_keys.decrypt(change_data.sealed_code, SecretPurpose.EMAIL_CHANGE_CODE)
    wrong_change_code = f"{(int(change_code) + 1) % 1_000_000:06d}"
    refused = await service.client.post(
        "/v1/email-changes/confirm", headers=headers, json={"code": wrong_change_code}
    )
    assert refused.status_code == 400
    assert (await service.client.post("/v1/email-changes/confirm", json={"token": change_token})).is_success

    name = "Geertruida Zwanenburg"
    access = {"name": name, "customer_number": CUSTOMER, "email": requester}
    assert (await service.client.post("/v1/access-requests", json=access)).status_code == 202
    [asked_access] = await service.outbox("PortalAccessRequested")
    async with service.runtime.new_uow() as uow:
        operator_token = issue_operator_token(
            await current_key(uow),
            operator="ops-kim",
            issuer=settings.token_issuer,
            audience=OPERATIONS_AUDIENCE,
            now=clock.now,
            ttl=timedelta(minutes=5),
        )
    ops = {"Authorization": f"Bearer {operator_token}"}
    request_id = PortalAccessRequested.model_validate(asked_access.data).request_id
    approved = await service.client.post(f"/v1/admin/access-requests/{request_id}/approval", headers=ops)
    assert approved.status_code == 200, approved.text
    [approval] = await service.outbox("PortalAccessApproved")
    invitation = mail_keys.decrypt(
        PortalAccessApproved.model_validate(approval.data).sealed_token, SecretPurpose.INVITATION_TOKEN
    )
    accepted = await service.client.post(
        "/v1/invitations/accept", json={"token": invitation, "password": NEW_PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text

    service_logs.assert_absent(
        email,
        new_email,
        requester,
        name,
        letter_code,
        wrong_letter_code,
        REG_PASSWORD,
        changed_password,
        "not my password at all",
        activation_token,
        activation_code,
        change_token,
        change_code,
        wrong_change_code,
        invitation,
        NEW_PASSWORD,
        operator_token,
        session.json()["access_token"],
        session.json()["refresh_token"],
        accepted.json()["access_token"],
        accepted.json()["refresh_token"],
    )


# --- the API against its OpenAPI document (schemathesis) -----------------------------------


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_api_answers_no_5xx_and_as_documented(tmp_path: Path) -> None:
    """Valid and invalid requests (25 of each per operation): never a server error, and every
    answer matches the response schema its OpenAPI document declares."""
    settings = IdentitySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/identity.sqlite3",
        event_sealing_key=Sealer.new_key(),
        mail_secrets_public_key=generate_key_pair()[1],
    )
    operations, failures = fuzz_openapi(create_app(settings), IdentityBase.metadata)
    assert operations >= 10  # the document was read, every route is there
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
