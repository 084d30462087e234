"""Registration with a registration letter's code or the latest invoice, contracts of an
account, and adding a contract with a letter's code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy import select

from identity.db.tables import Account, ContractLink, RegistrationCode
from identity.settings import IdentitySettings
from identity.use_cases.accounts import create_account
from identity.use_cases.legacy_import import import_legacy_accounts
from portal_chassis.mail_secrets import MailSecretsDecrypter, SecretPurpose
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import ContractCreated, CustomerRegistered, RegistrationCodeIssued
from portal_schemas.identity import (
    AccountRegistered,
    ActivationRequested,
    ContractLinked,
)


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


CUSTOMER = "314159265"
CONTRACT = "c-1"
NUMBER = "100000001"
CODE = "Hk7mPq3x"
EMAIL = "an@example.nl"
PASSWORD = "a long enough secret"


def sealer(settings: IdentitySettings) -> Sealer:
    assert settings.event_sealing_key is not None
    return Sealer(settings.event_sealing_key.get_secret_value())


async def customer(service: Harness, number: str = CUSTOMER, segment: str = "private") -> None:
    facts = CustomerRegistered.model_validate(
        {"customer_number": number, "segment": segment, "language": "nl", "supply_postcodes": ["1234AB"]}
    )
    await service.deliver(facts, subject=number, producer="contracts")


async def contract(
    service: Harness, contract_id: str = CONTRACT, number: str = NUMBER, owner: str = CUSTOMER
) -> None:
    await service.deliver(
        ContractCreated(
            contract_id=contract_id,
            contract_number=number,
            customer_number=owner,
            commodity="electricity",
            product_code="VAST",
            start_date=date(2026, 1, 1),
        ),
        subject=contract_id,
        producer="contracts",
    )


async def letter(
    service: Harness,
    settings: IdentitySettings,
    clock: MovableClock,
    *,
    code: str = CODE,
    contract_id: str = CONTRACT,
    number: str = NUMBER,
    owner: str = CUSTOMER,
    days: int = 90,
) -> None:
    await service.deliver(
        RegistrationCodeIssued(
            contract_id=contract_id,
            contract_number=number,
            customer_number=owner,
            sealed_code=sealer(settings).seal(code),
            expires_at=clock.now + timedelta(days=days),
        ),
        subject=contract_id,
        producer="contracts",
    )


async def invoice(
    service: Harness, number: str, total: str, issued_at: datetime, contract_id: str = CONTRACT
) -> None:
    await service.deliver(
        InvoiceIssued(
            invoice_id=f"i-{number}",
            invoice_number=number,
            customer_number=CUSTOMER,
            contract_id=contract_id,
            kind="periodic",
            issued_at=issued_at,
            due_date=date(2026, 6, 1),
            total_incl_vat=Decimal(total),
        ),
        subject=f"i-{number}",
        producer="billing",
    )


@pytest.fixture
async def known(service: Harness, settings: IdentitySettings, clock: MovableClock) -> None:
    """A private customer with one contract and a letter for it."""
    await customer(service)
    await contract(service)
    await letter(service, settings, clock)


def by_code(**changes: Any) -> dict[str, Any]:
    body = {"contract_number": NUMBER, "registration_code": CODE, "email": EMAIL, "password": PASSWORD}
    body.update(changes)
    return body


async def register(service: Harness, **changes: Any) -> httpx.Response:
    return await service.client.post("/v1/registrations/contract-code", json=by_code(**changes))


async def accounts(service: Harness) -> list[Account]:
    async with service.runtime.sessions() as session:
        return list(await session.scalars(select(Account)))


async def links(service: Harness) -> list[ContractLink]:
    async with service.runtime.sessions() as session:
        return list(await session.scalars(select(ContractLink).order_by(ContractLink.linked_at)))


async def stored_code(service: Harness, number: str = NUMBER) -> RegistrationCode:
    async with service.runtime.sessions() as session:
        row = await session.get(RegistrationCode, number)
    assert row is not None
    return row


async def activate(service: Harness, mail_keys: MailSecretsDecrypter) -> None:
    event = (await service.outbox("ActivationRequested"))[-1]
    sealed = ActivationRequested.model_validate(event.data).sealed_token
    token = mail_keys.decrypt(sealed, SecretPurpose.ACTIVATION_TOKEN)
    response = await service.client.post("/v1/activations", json={"token": token})
    assert response.status_code == 204, response.text


async def bearer(service: Harness, email: str = EMAIL, password: str = PASSWORD) -> dict[str, str]:
    response = await service.client.post("/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_register_with_a_letter_code_activate_and_see_the_contract(
    service: Harness, mail_keys: MailSecretsDecrypter, known: None
) -> None:
    response = await register(service, email="An@Example.nl", language="en")
    assert response.status_code == 202, response.text
    [account] = await accounts(service)
    assert (account.email, account.customer_number, account.status, account.language) == (
        "an@example.nl", CUSTOMER, "pending", "en",
    )  # fmt: skip
    [link] = await links(service)
    assert (link.account_id, link.contract_id, link.role, link.via) == (
        account.id,
        CONTRACT,
        "holder",
        "contract_code",
    )
    assert (await stored_code(service)).used_at is not None
    [registered] = await service.outbox("AccountRegistered")
    assert AccountRegistered.model_validate(registered.data).method == "contract_code"
    assert await service.outbox("ContractLinked") == []  # announced once the address is confirmed

    await activate(service, mail_keys)
    [linked] = await service.outbox("ContractLinked")
    data = ContractLinked.model_validate(linked.data)
    assert (data.account_id, data.contract_number, data.contract_id, data.role) == (
        account.id,
        NUMBER,
        CONTRACT,
        "holder",
    )

    mine = await service.client.get("/v1/me/contracts", headers=await bearer(service))
    assert mine.status_code == 200
    [item] = mine.json()["items"]  # its own customer's contract, once
    assert (item["contract_number"], item["contract_id"], item["customer_number"], item["role"]) == (
        NUMBER, CONTRACT, CUSTOMER, "holder",
    )  # fmt: skip
    assert mine.json()["total"] == 1

    again = await register(service, email="other@example.nl")
    assert again.status_code == 422
    assert again.json()["type"] == "/problems/registration-not-matched"


async def test_every_failed_proof_answers_the_same_and_changes_nothing(
    service: Harness, settings: IdentitySettings, clock: MovableClock, known: None
) -> None:
    await contract(service, "c-2", "100000002")
    await letter(service, settings, clock, code="Exp1reDd", contract_id="c-2", number="100000002", days=1)
    clock.advance(days=2)
    await contract(service, "c-3", "100000003")  # no letter at all
    answers = [
        await register(service, contract_number="999999999"),  # unknown contract
        await register(service, registration_code="Hk7mPq3y"),  # wrong code
        await register(service, registration_code=CODE.lower()),  # case matters
        await register(service, contract_number="100000002", registration_code="Exp1reDd"),  # expired
        await register(service, contract_number="100000003"),  # no code issued
    ]
    bodies = [(r.status_code, {k: v for k, v in r.json().items() if k != "instance"}) for r in answers]
    assert all(body == bodies[0] for body in bodies), bodies
    assert bodies[0][0] == 422 and bodies[0][1]["type"] == "/problems/registration-not-matched"
    assert await accounts(service) == [] and await links(service) == []
    assert await service.outbox("AccountRegistered") == []
    assert (await stored_code(service)).wrong_attempts == 2  # the two wrong tries at this letter


async def test_the_fifth_wrong_code_kills_the_letter_and_a_new_letter_works(
    service: Harness, settings: IdentitySettings, clock: MovableClock, known: None
) -> None:
    for _ in range(5):
        assert (await register(service, registration_code="Wrong234")).status_code == 422
    killed = await register(service)
    assert killed.status_code == 422 and killed.json()["type"] == "/problems/registration-not-matched"
    assert await accounts(service) == []

    clock.advance(minutes=1)
    await letter(service, settings, clock, code="NewC0de2")
    assert (await register(service, registration_code="NewC0de2")).status_code == 202


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contract_number": "10000001"}, "contract_number"),
        ({"contract_number": "10000000a"}, "contract_number"),
        ({"registration_code": "Hk7mPq3"}, "registration_code"),
        ({"registration_code": "Hk7mPq3!"}, "registration_code"),
        ({"email": "not-an-address"}, "email"),
        ({"language": "xx"}, "language"),
        ({"password": ""}, "password"),
    ],
)
async def test_bad_input_is_a_problem_and_changes_nothing(
    service: Harness, known: None, changes: dict[str, Any], field: str
) -> None:
    response = await register(service, **changes)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/validation"
    assert response.json()["errors"][0]["field"] == field
    assert await accounts(service) == []
    code = await stored_code(service)
    assert (code.used_at, code.wrong_attempts) == (None, 0)


async def test_a_code_typed_with_spaces_works(service: Harness, known: None) -> None:
    assert (
        await register(service, registration_code="Hk7m Pq3x", contract_number="100 000 001")
    ).status_code == 202


async def test_weak_password_and_business_customers_are_refused_without_using_the_code(
    service: Harness, settings: IdentitySettings, clock: MovableClock, known: None
) -> None:
    weak = await register(service, password="short")
    assert weak.status_code == 422 and weak.json()["type"] == "/problems/password-rejected"
    await customer(service, "555", segment="business")
    await contract(service, "c-b", "100000009", owner="555")
    await letter(
        service, settings, clock, code="Bus1ness", contract_id="c-b", number="100000009", owner="555"
    )
    business = await register(service, contract_number="100000009", registration_code="Bus1ness")
    assert business.status_code == 422 and business.json()["type"] == "/problems/business-customer"
    assert await accounts(service) == []
    assert (await stored_code(service)).used_at is None
    assert (await stored_code(service, "100000009")).used_at is None


async def test_an_active_account_gets_the_contract_with_its_own_password(
    service: Harness, settings: IdentitySettings, clock: MovableClock, known: None
) -> None:
    await customer(service, "777")
    await contract(service, "c-own", "100000077", owner="777")
    async with service.runtime.new_uow() as uow:
        account = await create_account(
            uow, email=EMAIL, password=PASSWORD, customer_number="777", language="nl"
        )

    wrong = await register(service, password="not the password at all")
    assert wrong.status_code == 401
    assert wrong.json()["type"] == "/problems/registration-password-mismatch"
    assert [a.failed_logins for a in await accounts(service)] == [1]
    assert (await stored_code(service)).used_at is None and await links(service) == []

    right = await register(service)
    assert right.status_code == 200, right.text
    assert (right.json()["contract_number"], right.json()["via"], right.json()["role"]) == (
        NUMBER,
        "contract_code",
        "holder",
    )
    [link] = await links(service)
    assert link.account_id == account.id
    [linked] = await service.outbox("ContractLinked")
    assert ContractLinked.model_validate(linked.data).contract_id == CONTRACT
    assert [a.failed_logins for a in await accounts(service)] == [0]
    assert (await stored_code(service)).used_at is not None
    registered = [
        AccountRegistered.model_validate(e.data).method for e in await service.outbox("AccountRegistered")
    ]
    assert registered == ["operations"]  # create_account's only: no new account

    mine = await service.client.get("/v1/me/contracts", headers=await bearer(service))
    assert [(i["contract_number"], i["via"]) for i in mine.json()["items"]] == [
        ("100000077", "customer_number"),
        (NUMBER, "contract_code"),
    ]

    clock.advance(minutes=1)
    await letter(service, settings, clock, code="Secnd234")
    twice = await register(service, registration_code="Secnd234")
    assert twice.status_code == 409 and twice.json()["type"] == "/problems/contract-already-linked"
    assert (await stored_code(service)).used_at is None  # the new letter stays usable


async def test_wrong_passwords_lock_the_existing_account(
    service: Harness, known: None, make_account: Any
) -> None:
    await make_account(email=EMAIL, password=PASSWORD)
    assert [(await register(service, password="wrong password " + str(i))).status_code for i in range(3)] == [
        401, 401, 423,
    ]  # fmt: skip
    assert len(await service.outbox("AccountLocked")) == 1
    assert (await register(service)).status_code == 423  # the right one too, while locked
    assert await links(service) == []


async def test_a_pending_address_follows_the_registration_rules(
    service: Harness, settings: IdentitySettings, clock: MovableClock, known: None
) -> None:
    await customer(service, "888")
    await contract(service, "c-8", "100000088", owner="888")
    await letter(
        service, settings, clock, code="Pend1ng2", contract_id="c-8", number="100000088", owner="888"
    )
    assert (await register(service)).status_code == 202
    soon = await register(service, contract_number="100000088", registration_code="Pend1ng2")
    assert soon.status_code == 202
    assert len(await service.outbox("ActivationRequested")) == 1  # within the resend interval
    assert (await stored_code(service, "100000088")).used_at is None

    clock.advance(minutes=16)
    taken = await register(
        service, contract_number="100000088", registration_code="Pend1ng2", password="another good secret"
    )
    assert taken.status_code == 202
    [account] = await accounts(service)
    assert account.customer_number == "888"
    assert [link.contract_id for link in await links(service)] == ["c-8"]  # the earlier claim went
    assert len(await service.outbox("ActivationRequested")) == 2


async def test_register_with_the_latest_invoice(
    service: Harness,
    settings: IdentitySettings,
    clock: MovableClock,
    known: None,
    mail_keys: MailSecretsDecrypter,
) -> None:
    await invoice(service, "F-2026-0001", "98.00", clock.now - timedelta(days=60))
    await invoice(service, "F-2026-0002", "98.00", clock.now - timedelta(days=30))

    def body(**changes: Any) -> dict[str, Any]:
        values = {
            "contract_number": NUMBER,
            "invoice_number": "F-2026-0002",
            "amount": "98,00",
            "email": EMAIL,
            "password": PASSWORD,
        }
        values.update(changes)
        return values

    async def post(**changes: Any) -> httpx.Response:
        return await service.client.post("/v1/registrations/invoice", json=body(**changes))

    refused = [
        await post(invoice_number="F-2026-0001"),  # not the latest
        await post(amount="98,01"),
        await post(contract_number="999999999"),
    ]
    assert {(r.status_code, r.json()["type"]) for r in refused} == {
        (422, "/problems/registration-not-matched")
    }
    for bad, field in (
        (98.0, "amount"),
        ("98,001", "amount"),
        ("1.234,00", "amount"),
        ("", "invoice_number"),
    ):
        key = "invoice_number" if field == "invoice_number" else "amount"
        response = await post(**{key: bad})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, (
            bad,
            response.text,
        )
    assert await accounts(service) == []

    assert (await post()).status_code == 202
    [account] = await accounts(service)
    [link] = await links(service)
    assert (account.status, link.via, link.contract_id) == ("pending", "invoice", CONTRACT)
    [registered] = await service.outbox("AccountRegistered")
    assert AccountRegistered.model_validate(registered.data).method == "invoice"

    await activate(service, mail_keys)
    await contract(service, "c-2", "100000002")
    await invoice(service, "F-2026-0003", "12.34", clock.now, contract_id="c-2")
    # The same customer's second contract is already the account's own.
    same = await post(contract_number="100000002", invoice_number="f-2026-0003", amount="12.34")
    assert same.status_code == 409


async def test_the_customer_number_registration_announces_the_account(service: Harness) -> None:
    await customer(service)
    body = {"customer_number": CUSTOMER, "postcode": "1234AB", "email": EMAIL, "password": PASSWORD}
    assert (await service.client.post("/v1/registrations", json=body)).status_code == 202
    [registered] = await service.outbox("AccountRegistered")
    assert AccountRegistered.model_validate(registered.data).method == "customer_number_postcode"


async def test_legacy_import_announces_each_account(service: Harness) -> None:
    line = "piet,piet@example.nl,100200300,pbkdf2_sha256$1000$c2FsdHNhbHQ=$" + "A" * 43 + "=,nl"
    async with service.runtime.new_uow() as uow:
        report = await import_legacy_accounts(
            uow, ["legacy_username,email,customer_number,password_hash,language", line], now=datetime.now(UTC)
        )
    assert report.imported == 1, report.problems
    [registered] = await service.outbox("AccountRegistered")
    assert AccountRegistered.model_validate(registered.data).method == "legacy_import"


async def test_adding_a_contract_by_code_and_only_ones_own_rows(
    service: Harness, settings: IdentitySettings, clock: MovableClock, known: None, make_account: Any
) -> None:
    await customer(service, "100200300")  # make_account's customer
    await contract(service, "c-own", "100000050", owner="100200300")
    await make_account(email=EMAIL, password=PASSWORD)
    await make_account(email="other@example.nl", password=PASSWORD)
    mine, other = await bearer(service), await bearer(service, "other@example.nl")

    add = {"contract_number": NUMBER, "registration_code": CODE}
    wrong = await service.client.post(
        "/v1/me/contracts", json={**add, "registration_code": "Wrong234"}, headers=other
    )
    assert wrong.status_code == 422 and wrong.json()["type"] == "/problems/registration-not-matched"
    added = await service.client.post("/v1/me/contracts", json=add, headers=mine)
    assert added.status_code == 201, added.text
    assert (added.json()["contract_id"], added.json()["via"]) == (CONTRACT, "contract_code")
    [linked] = await service.outbox("ContractLinked")
    assert ContractLinked.model_validate(linked.data).email == EMAIL

    used = await service.client.post("/v1/me/contracts", json=add, headers=other)  # the code is spent
    assert used.status_code == 422
    clock.advance(minutes=1)
    await letter(service, settings, clock, code="Again234")
    twice = await service.client.post(
        "/v1/me/contracts", json={**add, "registration_code": "Again234"}, headers=mine
    )
    assert twice.status_code == 409

    seen = await service.client.get("/v1/me/contracts", headers=mine)
    assert [i["contract_number"] for i in seen.json()["items"]] == ["100000050", NUMBER]
    theirs = await service.client.get("/v1/me/contracts", headers=other)
    # The other account has the same customer number (make_account) but not the link.
    assert [i["contract_number"] for i in theirs.json()["items"]] == ["100000050"]
    page = await service.client.get("/v1/me/contracts", params={"limit": 1, "offset": 1}, headers=mine)
    assert (page.json()["total"], [i["contract_number"] for i in page.json()["items"]]) == (2, [NUMBER])

    assert (await service.client.get("/v1/me/contracts")).status_code == 401
    bad = await service.client.post("/v1/me/contracts", json={"contract_number": "1"}, headers=mine)
    assert bad.status_code == 422 and bad.json()["type"] == "/problems/validation"


async def test_a_reset_that_activates_a_pending_account_announces_its_contract(
    service: Harness, reset_tokens: Any, known: None
) -> None:
    """The reset proves the mailbox as the activation would: the contract linked by the letter
    is announced then, or the account would never see it."""
    assert (await register(service)).status_code == 202
    assert (await service.client.post("/v1/password-resets", json={"email": EMAIL})).status_code == 202
    [token] = await reset_tokens()
    done = await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": "chosen from the mailbox"}
    )
    assert done.status_code == 200, done.text
    [account] = await accounts(service)
    [linked] = await service.outbox("ContractLinked")
    data = ContractLinked.model_validate(linked.data)
    assert (data.account_id, data.contract_id, data.role, data.email) == (
        account.id, CONTRACT, "holder", EMAIL,
    )  # fmt: skip
