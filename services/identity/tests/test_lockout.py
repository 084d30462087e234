"""Failed log-ins lock the account: the third in a row locks it for three hours."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from identity.db.tables import Account
from portal_chassis.testing import Harness
from portal_schemas.identity import AccountLocked

MakeAccount = Callable[..., Awaitable[str]]  # the make_account fixture (conftest)


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


PASSWORD = "correct horse battery"  # make_account's default (conftest)
EMAIL = "jan@example.nl"
LOCK = timedelta(hours=3)


async def log_in(service: Harness, password: str, email: str = EMAIL):  # type: ignore[no-untyped-def]
    return await service.client.post("/v1/sessions", json={"email": email, "password": password})


async def failed_logins(service: Harness, account_id: str) -> tuple[int, datetime | None]:
    async with service.runtime.sessions() as session:
        row = (
            await session.execute(
                select(Account.failed_logins, Account.locked_until).where(Account.id == account_id)
            )
        ).one()
    return row.failed_logins, row.locked_until


async def test_third_failure_locks_and_emits_one_account_locked(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    account_id = await make_account(language="fr")
    first, second = await log_in(service, "wrong one"), await log_in(service, "wrong two")
    assert first.status_code == second.status_code == 401
    assert await service.outbox("AccountLocked") == []

    third = await log_in(service, "wrong three")
    assert third.status_code == 423
    assert third.headers["content-type"] == "application/problem+json"
    body = third.json()
    assert body["type"] == "/problems/account-locked"
    assert datetime.fromisoformat(body["locked_until"]) == clock.now + LOCK
    assert third.headers["retry-after"] == str(int(LOCK.total_seconds()))

    [event] = await service.outbox("AccountLocked")
    data = AccountLocked.model_validate(event.data)
    assert event.subject == account_id
    assert (data.account_id, data.email, data.language) == (account_id, EMAIL, "fr")
    assert data.locked_until == clock.now + LOCK
    assert data.failed_attempts == 3
    assert await failed_logins(service, account_id) == (3, clock.now + LOCK)


async def test_while_locked_even_the_right_password_is_refused(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    account_id = await make_account()
    for _ in range(3):
        await log_in(service, "wrong")
    locked_until = clock.now + LOCK

    clock.advance(hours=1)
    right = await log_in(service, PASSWORD)
    wrong = await log_in(service, "still wrong")
    assert right.status_code == wrong.status_code == 423
    assert datetime.fromisoformat(right.json()["locked_until"]) == locked_until  # not extended
    assert right.headers["retry-after"] == str(int(timedelta(hours=2).total_seconds()))
    assert len(await service.outbox("AccountLocked")) == 1  # not emitted again
    assert await failed_logins(service, account_id) == (3, locked_until)


async def test_the_lock_runs_out_after_three_hours(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    await make_account()
    for _ in range(3):
        await log_in(service, "wrong")

    clock.advance(hours=2, minutes=59, seconds=59)
    assert (await log_in(service, PASSWORD)).status_code == 423
    clock.advance(seconds=1)
    assert (await log_in(service, PASSWORD)).status_code == 201


async def test_after_the_lock_runs_out_counting_starts_again(
    service: Harness, make_account: MakeAccount, clock: MovableClock
) -> None:
    account_id = await make_account()
    for _ in range(3):
        await log_in(service, "wrong")
    clock.advance(hours=3)

    assert (await log_in(service, "wrong")).status_code == 401  # the first of a new count
    assert await failed_logins(service, account_id) == (1, None)
    assert (await log_in(service, "wrong")).status_code == 401
    assert (await log_in(service, "wrong")).status_code == 423
    assert len(await service.outbox("AccountLocked")) == 2


async def test_a_success_resets_the_count(service: Harness, make_account: MakeAccount) -> None:
    account_id = await make_account()
    for _ in range(2):
        assert (await log_in(service, "wrong")).status_code == 401
    assert (await log_in(service, PASSWORD)).status_code == 201
    assert await failed_logins(service, account_id) == (0, None)
    for _ in range(2):
        assert (await log_in(service, "wrong")).status_code == 401
    assert await service.outbox("AccountLocked") == []


async def test_unknown_emails_answer_like_wrong_passwords_and_never_lock(
    service: Harness, make_account: MakeAccount
) -> None:
    await make_account()
    wrong = await log_in(service, "wrong")
    unknown = [await log_in(service, "wrong", email="nobody@example.nl") for _ in range(5)]
    assert {r.status_code for r in unknown} == {401}
    assert all(r.json() == wrong.json() for r in unknown)  # the very same body
    assert await service.outbox("AccountLocked") == []


async def test_a_password_reset_unlocks_the_account(
    service: Harness, make_account: MakeAccount, reset_tokens: Any
) -> None:
    account_id = await make_account()
    for _ in range(3):
        await log_in(service, "wrong")
    assert (await service.client.post("/v1/password-resets", json={"email": EMAIL})).status_code == 202
    [token] = await reset_tokens()

    new_password = "a brand new secret"
    confirmed = await service.client.post(
        "/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )
    assert confirmed.status_code == 200  # and signed in with a new session
    assert await failed_logins(service, account_id) == (0, None)
    assert (await log_in(service, new_password)).status_code == 201


async def test_parallel_failures_cannot_skip_the_lock(service: Harness, make_account: MakeAccount) -> None:
    await make_account()
    answers = await asyncio.gather(*(log_in(service, f"guess {i}") for i in range(6)))
    assert sorted(a.status_code for a in answers) == [401, 401, 423, 423, 423, 423]
    assert len(await service.outbox("AccountLocked")) == 1
