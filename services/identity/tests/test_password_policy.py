"""The password rules: each rule alone, all together, and where they apply (registration,
password reset, the operations CLI) — a refused password changes nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from identity.__main__ import MIGRATIONS, main
from identity.db.tables import Account
from identity.domain.password_policy import check_password, password_failures
from identity.use_cases.accounts import create_account
from portal_chassis import tables
from portal_chassis.mail_secrets import MailSecretsDecrypter, SecretPurpose
from portal_chassis.migrations import upgrade
from portal_chassis.problems import ProblemError
from portal_chassis.testing import Harness
from portal_schemas.contracts import CustomerRegistered

EMAIL = "marieke.jansen@example.nl"
CUSTOMER = "314159265"
GOOD = "lantern orchard violin"


def rules(password: str, email: str | None = EMAIL, customer_number: str | None = CUSTOMER) -> list[str]:
    return [f.rule for f in password_failures(password, email=email, customer_number=customer_number)]


def test_a_good_password_passes() -> None:
    assert rules(GOOD) == []
    assert rules("x" * 12 + "ab9!") == []  # no composition rules: long enough is enough
    assert rules("ä" * 12) == []  # characters, not bytes


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("violin77wq!", "too-short"),  # 11 characters
        ("qz8" * 43, "too-long"),  # 129 characters
        ("password1234", "common"),
        ("PassWord1234", "common"),  # the list is checked lower-cased too
        ("iloveyou1234", "common"),
        ("x marieke.jansen@example.nl x", "contains-email"),
        ("orchard MARIEKE.JANSEN violin", "contains-email"),  # the local part, any case
        ("orchard 314159265 violin", "contains-customer-number"),
        ("orchard 314 159 265 violin", "contains-customer-number"),  # spaces do not hide it
    ],
)
def test_each_rule_fails_alone(password: str, rule: str) -> None:
    assert rules(password) == [rule]


def test_every_failed_rule_is_named() -> None:
    assert rules("marieke.jansen314159265") == ["contains-email", "contains-customer-number"]
    assert rules("jansen") == ["too-short"]  # too short to contain the whole local part
    # A 6-character local part and a 4-character customer number do count:
    assert rules("max1234", email="max.vd@example.nl", customer_number="1234") == [
        "too-short",
        "contains-customer-number",
    ]
    assert rules("max.vd1234", email="max.vd@example.nl", customer_number="1234") == [
        "too-short",
        "contains-email",
        "contains-customer-number",
    ]
    assert rules("Password1234" + "marieke.jansen", customer_number=None) == ["contains-email"]


def test_short_local_parts_and_customer_numbers_do_not_block_everything() -> None:
    assert rules("jo jo jo jo jo jo", email="jo@example.nl", customer_number="42") == []


def test_the_problem_lists_every_rule_with_its_message() -> None:
    with pytest.raises(ProblemError) as caught:
        check_password("314159265", email=EMAIL, customer_number=CUSTOMER, field="new_password")
    problem = caught.value
    assert (problem.status, problem.slug) == (422, "password-rejected")
    assert problem.extra["field"] == "new_password"
    assert [r["rule"] for r in problem.extra["rules"]] == ["too-short", "contains-customer-number"]
    assert all(r["message"] and r["message"] in problem.detail for r in problem.extra["rules"])


# --- where the rules apply ------------------------------------------------------------------


@pytest.fixture
async def customer(service: Harness) -> CustomerRegistered:
    facts = CustomerRegistered(
        customer_number=CUSTOMER,
        segment="private",
        language="nl",
        supply_postcodes=["1234AB"],
        billing_postcode="1234AB",
    )
    await service.deliver(facts, subject=CUSTOMER, producer="contracts")
    return facts


async def account_count(service: Harness) -> int:
    async with service.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


async def test_registration_refuses_a_bad_password_naming_every_rule(
    service: Harness, customer: CustomerRegistered
) -> None:
    body = {"customer_number": CUSTOMER, "postcode": "1234AB", "email": EMAIL, "password": "Marieke.Jansen"}
    response = await service.client.post("/v1/registrations", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/password-rejected"
    assert problem["field"] == "password"
    assert [r["rule"] for r in problem["rules"]] == ["contains-email"]
    too_long = await service.client.post("/v1/registrations", json={**body, "password": "password1234" * 11})
    assert [r["rule"] for r in too_long.json()["rules"]] == ["too-long"]
    assert await account_count(service) == 0
    assert await service.outbox() == []

    accepted = await service.client.post("/v1/registrations", json={**body, "password": GOOD})
    assert accepted.status_code == 202


async def test_password_reset_refuses_a_bad_password_and_the_token_still_works(
    service: Harness, mail_keys: MailSecretsDecrypter
) -> None:
    async with service.runtime.new_uow() as uow:
        await create_account(uow, email=EMAIL, password=GOOD, customer_number=CUSTOMER, language="nl")
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    [event] = await service.outbox("PasswordResetRequested")
    token = mail_keys.decrypt(event.data["sealed_token"], SecretPurpose.PASSWORD_RESET_TOKEN)

    refused = await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": "314159265!"}
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "new_password"
    assert [r["rule"] for r in refused.json()["rules"]] == ["too-short", "contains-customer-number"]
    old = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": GOOD})
    assert old.status_code == 201  # unchanged

    unknown = await service.client.post(
        "/v1/password-resets/confirm", json={"token": "y" * 43, "new_password": "password1234"}
    )
    assert [r["rule"] for r in unknown.json()["rules"]] == ["common"]  # the rules answer first

    done = await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": "a quiet copper kettle"}
    )
    assert done.status_code == 200


async def test_create_account_refuses_a_bad_password(service: Harness) -> None:
    with pytest.raises(ProblemError) as caught:
        async with service.runtime.new_uow() as uow:
            await create_account(
                uow, email=EMAIL, password="password1234", customer_number=CUSTOMER, language="nl"
            )
    assert [f["rule"] for f in caught.value.extra["rules"]] == ["common"]
    assert await account_count(service) == 0
    assert await service.outbox() == []


def test_the_cli_refuses_a_bad_password_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(MIGRATIONS, url)
    monkeypatch.setenv("IDENTITY_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))

    code = main(["create-account", "--email", EMAIL, "--customer-number", CUSTOMER])

    assert code == 1
    assert re.search("at least 12 characters", capsys.readouterr().err)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Account)) == 0
            assert conn.scalar(select(func.count()).select_from(tables.outbox)) == 0
    finally:
        engine.dispose()
