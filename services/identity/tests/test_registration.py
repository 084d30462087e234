"""Registration with customer number and postcode, then activation by link or code."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy import func, select

from identity.db.tables import Account, Activation
from portal_chassis.mail_secrets import MailSecretsDecrypter, SecretPurpose
from portal_chassis.testing import Harness
from portal_schemas.contracts import CustomerRegistered
from portal_schemas.identity import AccountActivated, ActivationRequested

MakeAccount = Callable[..., Awaitable[str]]  # the make_account fixture (conftest)


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


EMAIL = "an@example.nl"
PASSWORD = "a long enough secret"
CUSTOMER = "314159265"


def registration(**changes: Any) -> dict[str, Any]:
    body = {
        "customer_number": CUSTOMER,
        "postcode": "1234AB",
        "email": EMAIL,
        "password": PASSWORD,
        "language": "en",
    }
    body.update(changes)
    return body


@pytest.fixture
async def customer(service: Harness) -> CustomerRegistered:
    facts = CustomerRegistered(
        customer_number=CUSTOMER,
        segment="private",
        language="nl",
        supply_postcodes=["1234AB", "5678CD"],
        billing_postcode="9012EF",
    )
    await service.deliver(facts, subject=CUSTOMER, producer="contracts")
    return facts


async def register(service: Harness, **changes: Any) -> httpx.Response:
    return await service.client.post("/v1/registrations", json=registration(**changes))


async def activation_secrets(
    service: Harness, mail_keys: MailSecretsDecrypter, index: int = -1
) -> tuple[str, str]:
    """The token and code of the index-th ActivationRequested event, opened as notifications does."""
    events = await service.outbox("ActivationRequested")
    data = ActivationRequested.model_validate(events[index].data)
    return (
        mail_keys.decrypt(data.sealed_token, SecretPurpose.ACTIVATION_TOKEN),
        mail_keys.decrypt(data.sealed_code, SecretPurpose.ACTIVATION_CODE),
    )


async def accounts(service: Harness) -> list[Account]:
    async with service.runtime.sessions() as session:
        return list(await session.scalars(select(Account)))


async def log_in(service: Harness, password: str = PASSWORD, email: str = EMAIL) -> httpx.Response:
    return await service.client.post("/v1/sessions", json={"email": email, "password": password})


async def activate(service: Harness, **body: str) -> httpx.Response:
    return await service.client.post("/v1/activations", json=body)


# --- registration -------------------------------------------------------------------------


async def test_registration_creates_a_pending_account_and_mails_link_and_code(
    service: Harness, customer: CustomerRegistered, mail_keys: MailSecretsDecrypter, clock: MovableClock
) -> None:
    response = await register(service, email="An@Example.nl ")
    assert response.status_code == 202
    assert response.json()["status"] == "accepted"

    [account] = await accounts(service)
    assert (account.email, account.status, account.customer_number, account.language) == (
        EMAIL,
        "pending",
        CUSTOMER,
        "en",
    )
    assert account.password_hash.startswith("$argon2id$")
    assert await service.outbox("AccountActivated") == []  # announced only once activated

    [event] = await service.outbox("ActivationRequested")
    data = ActivationRequested.model_validate(event.data)
    assert (event.subject, data.email, data.language) == (account.id, EMAIL, "en")
    assert data.purpose == "registration"
    assert data.expires_at == clock.now + timedelta(hours=24)
    token, code = await activation_secrets(service, mail_keys)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # safe in a URL, even pasted as plain text
    assert re.fullmatch(r"[0-9]{6}", code)
    payload = event.model_dump_json()
    assert token not in payload
    async with service.runtime.sessions() as session:
        [stored] = list(await session.scalars(select(Activation)))
    assert token not in (stored.token_hash, stored.code_hash)
    assert code not in stored.code_hash


async def test_language_defaults_to_the_customers(service: Harness, customer: CustomerRegistered) -> None:
    body = registration()
    del body["language"]
    assert (await service.client.post("/v1/registrations", json=body)).status_code == 202
    [account] = await accounts(service)
    assert account.language == "nl"


@pytest.mark.parametrize("postcode", ["1234AB", "5678CD", "9012EF", "1234 ab", " 9012 ef "])
async def test_supply_and_billing_postcodes_match_in_any_spelling(
    service: Harness, customer: CustomerRegistered, postcode: str
) -> None:
    response = await register(service, postcode=postcode)
    assert response.status_code == 202
    assert len(await service.outbox("ActivationRequested")) == 1


async def test_unknown_customer_and_wrong_postcode_get_one_answer_and_change_nothing(
    service: Harness, customer: CustomerRegistered
) -> None:
    wrong_postcode = await register(service, postcode="1111AA")
    unknown_customer = await register(service, customer_number="999999999")
    for response in (wrong_postcode, unknown_customer):
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/registration-not-matched"
    assert wrong_postcode.json()["detail"] == unknown_customer.json()["detail"]
    assert await accounts(service) == []
    assert await service.outbox() == []


async def test_business_customers_are_refused(service: Harness) -> None:
    business = CustomerRegistered(customer_number="777", segment="business", supply_postcodes=["1234AB"])
    await service.deliver(business, subject="777")
    response = await register(service, customer_number="777")
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/business-customer"
    assert "private customers" in body["detail"]
    assert await accounts(service) == []
    assert await service.outbox() == []


async def test_business_is_not_revealed_without_the_right_postcode(service: Harness) -> None:
    await service.deliver(
        CustomerRegistered(customer_number="777", segment="business", supply_postcodes=["1234AB"]),
        subject="777",
    )
    response = await register(service, customer_number="777", postcode="9999ZZ")
    assert response.json()["type"] == "/problems/registration-not-matched"


async def test_an_address_with_an_active_account_is_answered_as_success_and_sent_nothing(
    service: Harness, customer: CustomerRegistered, make_account: MakeAccount
) -> None:
    await make_account(email=EMAIL, password="the old password")
    created_before = len(await service.outbox("AccountActivated"))
    fresh = await register(service, email="new@example.nl")
    taken = await register(service, email=EMAIL, password="someone else's password")
    assert taken.status_code == fresh.status_code == 202
    assert taken.json() == fresh.json()
    events = await service.outbox("ActivationRequested")
    assert [ActivationRequested.model_validate(e.data).email for e in events] == ["new@example.nl"]
    assert len(await service.outbox("AccountActivated")) == created_before
    assert (await log_in(service, "the old password")).status_code == 201  # unchanged


@pytest.mark.parametrize(
    "changes",
    [
        {"password": ""},
        {"password": "x" * 1025},  # the rules (test_password_policy) see only what fits the bound
        {"language": "es"},
        {"email": "not-an-email"},
        {"customer_number": ""},
        {"postcode": "12"},
    ],
)
async def test_bad_registration_input_is_a_problem_and_changes_nothing(
    service: Harness, customer: CustomerRegistered, changes: dict[str, str]
) -> None:
    response = await register(service, **changes)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation"
    assert await accounts(service) == []
    assert await service.outbox() == []


# --- log-in before activation ----------------------------------------------------------------


async def test_a_pending_account_cannot_log_in(service: Harness, customer: CustomerRegistered) -> None:
    await register(service)
    right = await log_in(service)
    assert right.status_code == 403
    assert right.json()["type"] == "/problems/account-not-activated"
    wrong = await log_in(service, "not the password")
    assert wrong.status_code == 401
    assert wrong.json()["type"] == "/problems/invalid-credentials"


async def test_a_reset_of_a_pending_account_proves_the_mailbox_and_activates_it(
    service: Harness, customer: CustomerRegistered, mail_keys: MailSecretsDecrypter, reset_tokens: Any
) -> None:
    """Forgot the password typed at registration: the reset mail proves the address as the
    activation mail would, so the account works with the password chosen from the mailbox."""
    await register(service)
    activation_token, _ = await activation_secrets(service, mail_keys)
    assert (await service.client.post("/v1/password-resets", json={"email": EMAIL})).status_code == 202
    [reset_token] = await reset_tokens()
    chosen = "chosen from the mailbox"
    done = await service.client.post(
        "/v1/password-resets/confirm", json={"token": reset_token, "new_password": chosen}
    )
    assert done.status_code == 200, done.text
    [account] = await accounts(service)
    assert account.status == "active"
    [activated] = await service.outbox("AccountActivated")
    assert activated.data["email"] == EMAIL
    assert (await activate(service, token=activation_token)).status_code == 400  # ended
    log_in = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": chosen})
    assert log_in.status_code == 201


# --- activation ---------------------------------------------------------------------------


async def test_the_token_activates_once_and_announces_the_account(
    service: Harness, customer: CustomerRegistered, mail_keys: MailSecretsDecrypter
) -> None:
    await register(service)
    token, _ = await activation_secrets(service, mail_keys)
    response = await activate(service, token=token)
    assert response.status_code == 204

    [account] = await accounts(service)
    assert account.status == "active"
    [event] = await service.outbox("AccountActivated")
    data = AccountActivated.model_validate(event.data)
    assert (data.account_id, data.customer_number, data.email, data.language) == (
        account.id,
        CUSTOMER,
        EMAIL,
        "en",
    )
    assert (await log_in(service)).status_code == 201

    again = await activate(service, token=token)
    assert again.status_code == 400
    assert again.json()["type"] == "/problems/activation-invalid"
    assert len(await service.outbox("AccountActivated")) == 1


async def test_a_token_pasted_with_a_line_break_still_works(
    service: Harness, customer: CustomerRegistered, mail_keys: MailSecretsDecrypter
) -> None:
    await register(service)
    token, _ = await activation_secrets(service, mail_keys)
    pasted = f" {token[:20]}\r\n{token[20:]} "
    assert (await activate(service, token=pasted)).status_code == 204


async def test_the_code_activates_and_then_the_link_is_dead(
    service: Harness, customer: CustomerRegistered, mail_keys: MailSecretsDecrypter
) -> None:
    await register(service)
    token, code = await activation_secrets(service, mail_keys)
    response = await activate(service, email="AN@example.nl", code=f"{code[:3]} {code[3:]}")
    assert response.status_code == 204
    assert len(await service.outbox("AccountActivated")) == 1
    assert (await activate(service, token=token)).status_code == 400
    assert (await activate(service, email=EMAIL, code=code)).status_code == 400
    assert (await log_in(service)).status_code == 201


async def test_link_and_code_expire_after_24_hours(
    service: Harness, customer: CustomerRegistered, mail_keys: MailSecretsDecrypter, clock: MovableClock
) -> None:
    await register(service)
    token, code = await activation_secrets(service, mail_keys)
    clock.advance(hours=24)
    assert (await activate(service, token=token)).status_code == 400
    assert (await activate(service, email=EMAIL, code=code)).status_code == 400
    assert (await accounts(service))[0].status == "pending"
    assert await service.outbox("AccountActivated") == []


async def test_five_wrong_codes_cancel_the_activation(
    service: Harness, customer: CustomerRegistered, mail_keys: MailSecretsDecrypter
) -> None:
    await register(service)
    token, code = await activation_secrets(service, mail_keys)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    nobody = await activate(service, email="nobody@example.nl", code=wrong)
    for _ in range(5):
        response = await activate(service, email=EMAIL, code=wrong)
        assert response.status_code == 400
        assert response.json()["type"] == "/problems/activation-invalid"
        assert response.json() == nobody.json()  # reveals nothing about a waiting registration

    assert (await activate(service, email=EMAIL, code=code)).status_code == 400  # right code, too late
    assert (await activate(service, token=token)).status_code == 400  # the link went with it
    assert await service.outbox("AccountActivated") == []


async def test_unknown_tokens_and_addresses_are_invalid(
    service: Harness, customer: CustomerRegistered
) -> None:
    assert (await activate(service, token="A" * 43)).status_code == 400
    assert (await activate(service, email="nobody@example.nl", code="123456")).status_code == 400
    assert await service.outbox() == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": EMAIL},
        {"code": "123456"},
        {"token": "A" * 43, "email": EMAIL, "code": "123456"},
        {"email": EMAIL, "code": "12345"},
        {"email": EMAIL, "code": "12345a"},
        {"token": "short"},
    ],
)
async def test_bad_activation_input_is_a_problem(
    service: Harness, customer: CustomerRegistered, body: dict[str, str]
) -> None:
    await register(service)
    response = await activate(service, **body)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation"
    assert (await accounts(service))[0].status == "pending"
    assert await service.outbox("AccountActivated") == []


# --- resending ----------------------------------------------------------------------------


async def test_resend_is_throttled_and_replaces_the_old_link_and_code(
    service: Harness, customer: CustomerRegistered, mail_keys: MailSecretsDecrypter, clock: MovableClock
) -> None:
    await register(service)
    old_token, old_code = await activation_secrets(service, mail_keys)

    soon = await service.client.post("/v1/activations/resend", json={"email": EMAIL})
    unknown = await service.client.post("/v1/activations/resend", json={"email": "nobody@example.nl"})
    assert soon.status_code == unknown.status_code == 202
    assert soon.json() == unknown.json()
    assert len(await service.outbox("ActivationRequested")) == 1  # within 15 minutes: nothing sent

    clock.advance(minutes=14, seconds=59)
    await service.client.post("/v1/activations/resend", json={"email": EMAIL})
    assert len(await service.outbox("ActivationRequested")) == 1
    clock.advance(seconds=1)
    later = await service.client.post("/v1/activations/resend", json={"email": EMAIL})
    assert later.json() == soon.json()
    assert len(await service.outbox("ActivationRequested")) == 2

    new_token, _ = await activation_secrets(service, mail_keys)
    assert (await activate(service, token=old_token)).status_code == 400
    assert (await activate(service, email=EMAIL, code=old_code)).status_code == 400
    assert (await activate(service, token=new_token)).status_code == 204


async def test_resend_sends_nothing_to_an_active_account(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    await make_account(email=EMAIL)
    clock.advance(hours=1)
    response = await service.client.post("/v1/activations/resend", json={"email": EMAIL})
    assert response.status_code == 202
    assert await service.outbox("ActivationRequested") == []


async def test_registering_again_while_pending_sends_a_fresh_activation_after_the_interval(
    service: Harness, customer: CustomerRegistered, mail_keys: MailSecretsDecrypter, clock: MovableClock
) -> None:
    await register(service)
    old_token, _ = await activation_secrets(service, mail_keys)
    again = await register(service, password="a different secret")
    assert again.status_code == 202
    assert len(await service.outbox("ActivationRequested")) == 1  # throttled: nothing changed
    assert len(await accounts(service)) == 1

    clock.advance(minutes=15)
    await register(service, password="a different secret", postcode="9012 EF")
    assert len(await service.outbox("ActivationRequested")) == 2
    new_token, _ = await activation_secrets(service, mail_keys)
    assert (await activate(service, token=old_token)).status_code == 400
    assert (await activate(service, token=new_token)).status_code == 204
    assert (await log_in(service, "a different secret")).status_code == 201
    async with service.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 1
