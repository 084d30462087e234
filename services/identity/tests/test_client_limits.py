"""The spraying limit: failed log-ins from one client over any accounts, in a sliding window."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import func, select

from identity.app import create_app
from identity.db.tables import Base, ClientFailure
from identity.settings import IdentitySettings
from identity.use_cases.accounts import create_account
from identity.use_cases.client_limits import client_key, record_failure, refuse_when_spraying
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, service_under_test

PASSWORD = "correct horse battery"


class MovableClock(Protocol):  # the clock fixture (conftest)
    now: datetime

    def advance(self, **delta: float) -> None: ...


@pytest.fixture
def settings(tmp_path: Path, mail_key_pair: tuple[str, str]) -> IdentitySettings:
    return IdentitySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/identity.sqlite3",
        event_sealing_key=Sealer.new_key(),
        mail_secrets_public_key=mail_key_pair[1],
        max_client_failures=4,
        client_failure_window_minutes=15,
    )


@pytest.fixture
async def service(settings: IdentitySettings, clock: MovableClock) -> AsyncIterator[Harness]:
    app = create_app(settings)
    app.state.clock = clock
    async with service_under_test(app, Base.metadata) as harness:
        yield harness


async def _accounts(service: Harness, count: int) -> list[str]:
    emails = [f"klant{i}@example.nl" for i in range(count)]
    for email in emails:
        async with service.runtime.new_uow() as uow:
            await create_account(
                uow, email=email, password=PASSWORD, customer_number="100200300", language="nl"
            )
    return emails


LogIn = Callable[[str, str], Awaitable[int]]


@pytest.fixture
def log_in(service: Harness) -> LogIn:
    async def attempt(email: str, password: str) -> int:
        response = await service.client.post("/v1/sessions", json={"email": email, "password": password})
        return response.status_code

    return attempt


async def test_failures_over_many_accounts_stop_the_client_until_they_age_out(
    service: Harness, clock: MovableClock, log_in: LogIn
) -> None:
    emails = await _accounts(service, 5)
    # One wrong guess per account (no account gets near its own lockout) plus an unknown address.
    assert [await log_in(e, "Summer2026!!") for e in emails[:3]] == [401, 401, 401]
    clock.advance(minutes=5)
    assert await log_in("nobody@example.nl", "Summer2026!!") == 401

    refused = await service.client.post("/v1/sessions", json={"email": emails[4], "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/too-many-failures"
    # Back below 4 once the oldest failures (5 minutes ago) leave the 15-minute window.
    assert refused.headers["retry-after"] == str(10 * 60)
    assert refused.json()["retry_after"] == 10 * 60

    clock.advance(minutes=9)  # the first three failures are still inside the window
    late = await service.client.post("/v1/sessions", json={"email": emails[4], "password": PASSWORD})
    assert (late.status_code, late.headers["retry-after"]) == (429, "60")
    clock.advance(minutes=1)  # now they are out; only the unknown-address one remains
    assert await log_in(emails[4], PASSWORD) == 201


async def test_successful_log_ins_do_not_count(service: Harness, log_in: LogIn) -> None:
    (email,) = await _accounts(service, 1)
    for _ in range(6):
        assert await log_in(email, PASSWORD) == 201


async def test_a_locked_account_keeps_counting_against_the_client(service: Harness, log_in: LogIn) -> None:
    (email,) = await _accounts(service, 1)
    statuses = [await log_in(email, "wrong guess") for _ in range(5)]
    # 401, 401, then the lock (423); the fourth failure reaches the client limit: 429.
    assert statuses == [401, 401, 423, 423, 429]


async def test_clients_are_counted_apart_and_stored_without_their_address(
    service: Harness, settings: IdentitySettings, clock: MovableClock
) -> None:
    one, other = client_key(settings, "203.0.113.7"), client_key(settings, "198.51.100.20")
    assert one != other and "203.0.113.7" not in one
    for _ in range(4):
        async with service.runtime.new_uow() as uow:
            await record_failure(uow, settings, one, clock.now)
    async with service.runtime.new_uow() as uow:
        with pytest.raises(ProblemError) as refused:
            await refuse_when_spraying(uow, settings, one, clock.now)
        assert refused.value.status == 429
        await refuse_when_spraying(uow, settings, other, clock.now)  # not refused


async def test_old_failures_are_deleted_when_new_ones_are_recorded(
    service: Harness, settings: IdentitySettings, clock: MovableClock
) -> None:
    key = client_key(settings, "203.0.113.7")
    for _ in range(3):
        async with service.runtime.new_uow() as uow:
            await record_failure(uow, settings, key, clock.now)
    clock.advance(minutes=16)
    async with service.runtime.new_uow() as uow:
        await record_failure(uow, settings, client_key(settings, "198.51.100.20"), clock.now)
    async with service.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ClientFailure)) == 1


def test_the_key_depends_on_the_sealing_key(tmp_path: Path) -> None:
    a = IdentitySettings(database_url="sqlite+aiosqlite://", event_sealing_key=Sealer.new_key())
    b = IdentitySettings(database_url="sqlite+aiosqlite://", event_sealing_key=Sealer.new_key())
    # Without the key, a table dump cannot be turned back into addresses by hashing all of IPv4.
    assert client_key(a, "203.0.113.7") != client_key(b, "203.0.113.7")


async def test_wrong_registration_proofs_count_but_a_refused_weak_password_does_not(
    service: Harness, log_in: LogIn
) -> None:
    (email,) = await _accounts(service, 1)

    async def register(customer_number: str, password: str) -> int:
        body = {
            "customer_number": customer_number,
            "postcode": "1234AB",
            "email": "nieuw@example.nl",
            "password": password,
        }
        return (await service.client.post("/v1/registrations", json=body)).status_code

    assert [await register(f"90000000{i}", "short") for i in range(5)] == [422] * 5
    assert await log_in(email, PASSWORD) == 201  # five weak passwords are no guesses
    assert [await register(f"90000000{i}", "a sturdy passphrase") for i in range(4)] == [422] * 4
    assert await register("900000009", "a sturdy passphrase") == 429
    assert await log_in(email, PASSWORD) == 429  # the client, not the endpoint, is limited
