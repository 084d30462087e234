"""Operations find an account by its address and unlock it; a reset's unlock is announced too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from identity.domain.signing import issue_operator_token
from identity.settings import IdentitySettings
from identity.use_cases.signing_keys import current_key
from portal_chassis.auth import OPERATIONS_AUDIENCE
from portal_chassis.testing import Harness
from portal_schemas.identity import AccountUnlocked

MakeAccount = Callable[..., Awaitable[str]]  # the make_account fixture (conftest)


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


PASSWORD = "correct horse battery"  # make_account's default (conftest)
EMAIL = "jan@example.nl"


@pytest.fixture
async def ops(service: Harness, settings: IdentitySettings) -> dict[str, str]:
    async with service.runtime.new_uow() as uow:
        token = issue_operator_token(
            await current_key(uow),
            operator="ops-bram",
            issuer=settings.token_issuer,
            audience=OPERATIONS_AUDIENCE,
            now=datetime.now(UTC),
            ttl=timedelta(minutes=30),
        )
    return {"Authorization": f"Bearer {token}"}


async def lock(service: Harness) -> None:
    for _ in range(3):
        await service.client.post("/v1/sessions", json={"email": EMAIL, "password": "wrong password"})


async def test_operations_find_and_unlock_a_locked_account(
    service: Harness, make_account: MakeAccount, ops: dict[str, str], clock: MovableClock
) -> None:
    account_id = await make_account()
    await lock(service)
    found = await service.client.get("/v1/admin/accounts", params={"email": "JAN@example.nl"}, headers=ops)
    assert found.status_code == 200
    [item] = found.json()["items"]
    assert item["id"] == account_id and item["status"] == "active" and item["customer_number"] == "100200300"
    assert datetime.fromisoformat(item["locked_until"]) == clock.now + timedelta(hours=3)

    unlocked = await service.client.post(f"/v1/admin/accounts/{account_id}/unlock", headers=ops)
    assert unlocked.status_code == 204
    [event] = await service.outbox("AccountUnlocked")
    assert AccountUnlocked.model_validate(event.data).by == "operations"
    logged_in = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": PASSWORD})
    assert logged_in.status_code == 201
    again = await service.client.post(f"/v1/admin/accounts/{account_id}/unlock", headers=ops)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/not-locked"


async def test_unlock_refusals_change_nothing(
    service: Harness, make_account: MakeAccount, ops: dict[str, str]
) -> None:
    account_id = await make_account()
    assert (await service.client.post("/v1/admin/accounts/nobody/unlock", headers=ops)).status_code == 404
    assert (
        await service.client.post(f"/v1/admin/accounts/{account_id}/unlock", headers=ops)
    ).status_code == 409
    await lock(service)
    customer = await service.client.post(f"/v1/admin/accounts/{account_id}/unlock")
    assert customer.status_code == 401
    assert await service.outbox("AccountUnlocked") == []
    still = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": PASSWORD})
    assert still.status_code == 423
    none = await service.client.get("/v1/admin/accounts", params={"email": "nobody@example.nl"}, headers=ops)
    assert none.json()["items"] == [] and none.json()["total"] == 0
    bad = await service.client.get("/v1/admin/accounts", params={"email": "no address"}, headers=ops)
    assert bad.status_code == 422
    assert (await service.client.get("/v1/admin/accounts", params={"email": EMAIL})).status_code == 401


async def test_a_lock_that_ran_out_is_not_locked(
    service: Harness, make_account: MakeAccount, ops: dict[str, str], clock: MovableClock
) -> None:
    account_id = await make_account()
    await lock(service)
    clock.advance(hours=3)
    answer = await service.client.post(f"/v1/admin/accounts/{account_id}/unlock", headers=ops)
    assert answer.status_code == 409


async def test_a_reset_announces_the_unlock_only_when_locked(
    service: Harness, make_account: MakeAccount, reset_tokens: Any
) -> None:
    await make_account()

    async def reset(new_password: str) -> None:
        await service.client.post("/v1/password-resets", json={"email": EMAIL})
        token = (await reset_tokens())[-1]
        done = await service.client.post(
            "/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
        )
        assert done.status_code == 200, done.text

    await reset("first new passphrase")
    assert await service.outbox("AccountUnlocked") == []
    await lock(service)
    await reset("second new passphrase")
    [event] = await service.outbox("AccountUnlocked")
    assert AccountUnlocked.model_validate(event.data).by == "password_reset"
