"""Sessions: refresh-token rotation, reuse detection, log-out and "stay signed in"."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import jwt
from sqlalchemy import func, select

from identity.db.tables import RefreshToken, SessionFamily
from identity.domain.secrets import token_digest
from portal_chassis.testing import Harness

MakeAccount = Callable[..., Awaitable[str]]  # the make_account fixture (conftest)


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


PASSWORD = "correct horse battery"  # make_account's default (conftest)
EMAIL = "jan@example.nl"
HOURS_12 = int(timedelta(hours=12).total_seconds())
DAYS_30 = int(timedelta(days=30).total_seconds())


async def log_in(service: Harness, **extra: Any) -> dict[str, Any]:
    response = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": PASSWORD, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(service: Harness, token: str):  # type: ignore[no-untyped-def]
    return await service.client.post("/v1/sessions/refresh", json={"refresh_token": token})


def session_of(access_token: str) -> str:
    sid: str = jwt.decode(access_token, options={"verify_signature": False})["sid"]
    return sid


async def test_log_in_answers_an_access_and_a_refresh_token(
    service: Harness, make_account: MakeAccount
) -> None:
    await make_account()
    body = await log_in(service)
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert body["refresh_expires_in"] == HOURS_12
    async with service.runtime.sessions() as session:
        stored = await session.scalar(select(RefreshToken.token_hash))
    assert stored == token_digest(body["refresh_token"])  # only the digest is kept


async def test_refresh_rotates_within_the_same_session(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    await make_account()
    first = await log_in(service)
    clock.advance(hours=11)
    response = await refresh(service, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["refresh_expires_in"] == HOURS_12  # counted from this refresh
    assert session_of(second["access_token"]) == session_of(first["access_token"])

    clock.advance(hours=11)  # 22 hours after log-in: the rotated token still works
    third = await refresh(service, second["refresh_token"])
    assert third.status_code == 200


async def test_reusing_a_refresh_token_revokes_the_whole_family(
    service: Harness, make_account: MakeAccount
) -> None:
    await make_account()
    other_device = await log_in(service)
    first = await log_in(service)
    second = (await refresh(service, first["refresh_token"])).json()

    reused = await refresh(service, first["refresh_token"])
    assert reused.status_code == 401
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["type"] == "/problems/refresh-token-reused"

    successor = await refresh(service, second["refresh_token"])  # every token of the family ends
    assert successor.status_code == 401
    assert successor.json()["type"] == "/problems/refresh-token-invalid"
    assert (await refresh(service, other_device["refresh_token"])).status_code == 200  # other sessions live


async def test_log_out_ends_the_session_and_reveals_nothing(
    service: Harness, make_account: MakeAccount
) -> None:
    await make_account()
    body = await log_in(service)
    rotated = (await refresh(service, body["refresh_token"])).json()

    out = await service.client.post("/v1/sessions/logout", json={"refresh_token": rotated["refresh_token"]})
    assert out.status_code == 204
    after = await refresh(service, rotated["refresh_token"])
    assert after.status_code == 401
    assert after.json()["type"] == "/problems/refresh-token-invalid"

    again = await service.client.post("/v1/sessions/logout", json={"refresh_token": rotated["refresh_token"]})
    unknown = await service.client.post("/v1/sessions/logout", json={"refresh_token": "x" * 43})
    assert again.status_code == unknown.status_code == 204
    assert (await refresh(service, "x" * 43)).json()["type"] == "/problems/refresh-token-invalid"


async def test_stay_signed_in_keeps_the_session_for_thirty_days(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    await make_account()
    short = await log_in(service)
    long = await log_in(service, stay_signed_in=True)
    assert long["refresh_expires_in"] == DAYS_30

    clock.advance(hours=12)
    expired = await refresh(service, short["refresh_token"])
    assert expired.status_code == 401
    assert expired.json()["type"] == "/problems/refresh-token-invalid"

    clock.advance(days=29)
    rotated = await refresh(service, long["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["refresh_expires_in"] == DAYS_30  # the family keeps its kind

    clock.advance(days=30)
    assert (await refresh(service, rotated.json()["refresh_token"])).status_code == 401


async def test_a_password_reset_ends_every_session(
    service: Harness, make_account: MakeAccount, reset_tokens: Any
) -> None:
    await make_account()
    sessions = [await log_in(service), await log_in(service, stay_signed_in=True)]
    await service.client.post("/v1/password-resets", json={"email": EMAIL})
    [token] = await reset_tokens()
    confirmed = await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": "a brand new secret"}
    )
    assert confirmed.status_code == 200
    for body in sessions:
        answer = await refresh(service, body["refresh_token"])
        assert answer.status_code == 401
        assert answer.json()["type"] == "/problems/refresh-token-invalid"
    # The session the reset opened is the only one left, and it rotates as usual.
    fresh = await refresh(service, confirmed.json()["refresh_token"])
    assert fresh.status_code == 200


async def test_bad_input_is_a_problem_and_changes_nothing(
    service: Harness, make_account: MakeAccount
) -> None:
    await make_account()
    bad = [
        (
            "/v1/sessions",
            {"email": EMAIL, "password": PASSWORD, "stay_signed_in": "perhaps"},
            "stay_signed_in",
        ),
        ("/v1/sessions", {"email": EMAIL}, "password"),
        ("/v1/sessions", {"email": "not-an-email", "password": "wrong"}, "email"),
        ("/v1/sessions/refresh", {}, "refresh_token"),
        ("/v1/sessions/refresh", {"refresh_token": "short"}, "refresh_token"),
        ("/v1/sessions/logout", {"refresh_token": 12}, "refresh_token"),
    ]
    for path, body, field in bad:
        response = await service.client.post(path, json=body)
        assert response.status_code == 422, (path, body)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/validation"
        assert response.json()["errors"][0]["field"] == field
    async with service.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SessionFamily)) == 0
        assert await session.scalar(select(func.count()).select_from(RefreshToken)) == 0
    for _ in range(2):  # the bad requests did not count as failed log-ins
        wrong = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": "wrong"})
        assert wrong.status_code == 401
    assert [e.event_type for e in await service.outbox()] == ["AccountRegistered", "AccountActivated"]
