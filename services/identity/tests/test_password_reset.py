"""Forgotten password, on the in-memory broker and SQLite."""

from __future__ import annotations

from sqlalchemy import func, select

from identity.db.tables import PasswordReset
from identity.use_cases.accounts import create_account
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordResetRequested

PASSWORD = "correct horse battery"


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


async def test_reset_event_carries_the_token_sealed(service: Harness, settings) -> None:
    account_id = await make_account(service)
    await service.client.post("/v1/password-resets", json={"email": "JAN@example.nl "})
    [event] = await service.outbox("PasswordResetRequested")
    data = PasswordResetRequested.model_validate(event.data)
    assert event.subject == account_id
    assert data.email == "jan@example.nl"
    token = Sealer(settings.event_sealing_key.get_secret_value()).open(data.sealed_token)
    assert token not in event.model_dump_json()  # readers of the topic cannot see it

    new_password = "a brand new secret"
    ok = await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )
    assert ok.status_code == 204
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
