"""GET/PUT /v1/contracts/{id}/billing-mode: a change waits for the first day of next month."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from billing.api.deps import get_now
from billing.app import create_app
from billing.db.tables import Base, BillingAccount
from billing.settings import BillingSettings
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas.contracts import ContractWithdrawn

ME, OTHER = "100200300", "999888777"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(
    settings: BillingSettings, tokens: TokenFactory, clock: Clock, events: Any
) -> AsyncIterator[Harness]:
    app = create_app(settings)
    tokens.install(app)
    app.dependency_overrides[get_now] = clock
    async with service_under_test(app, Base.metadata) as harness:
        await harness.deliver(events.contract("C-1", customer=ME), subject="C-1")
        await harness.deliver(events.contract("C-2", customer=OTHER), subject="C-2")
        yield harness


async def mode(service: Harness, tokens: TokenFactory, contract_id: str = "C-1") -> Any:
    return await service.client.get(f"/v1/contracts/{contract_id}/billing-mode", headers=tokens.headers(ME))


async def request(service: Harness, tokens: TokenFactory, body: Any, contract_id: str = "C-1") -> Any:
    return await service.client.put(
        f"/v1/contracts/{contract_id}/billing-mode", json=body, headers=tokens.headers(ME)
    )


async def test_a_new_contract_is_billed_by_monthly_advances(service: Harness, tokens: TokenFactory) -> None:
    response = await mode(service, tokens)
    assert response.status_code == 200
    assert response.json() == {
        "contract_id": "C-1",
        "mode": "monthly_advance",
        "next_mode": None,
        "next_mode_from": None,
    }


async def test_a_change_waits_for_next_month_and_is_announced(
    service: Harness, tokens: TokenFactory, clock: Clock
) -> None:
    response = await request(service, tokens, {"mode": "quarterly"})

    assert response.status_code == 200
    assert response.json() == {
        "contract_id": "C-1",
        "mode": "monthly_advance",
        "next_mode": "quarterly",
        "next_mode_from": "2026-12-01",
    }
    [changed] = await service.outbox("BillingModeChanged")
    assert changed.subject == "C-1"
    assert changed.data == {
        "contract_id": "C-1",
        "customer_number": ME,
        "mode": "quarterly",
        "previous_mode": "monthly_advance",
        "effective_from": "2026-12-01",
    }

    # Asked again: nothing new.
    assert (await request(service, tokens, {"mode": "quarterly"})).json() == response.json()
    assert len(await service.outbox("BillingModeChanged")) == 1

    # 1 December in Amsterdam (23:30 UTC on 30 November): the change is in force.
    clock.now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert (await mode(service, tokens)).json() == {
        "contract_id": "C-1",
        "mode": "quarterly",
        "next_mode": None,
        "next_mode_from": None,
    }


async def test_asking_for_the_current_mode_back_cancels_the_waiting_change(
    service: Harness, tokens: TokenFactory
) -> None:
    await request(service, tokens, {"mode": "on_reading"})

    response = await request(service, tokens, {"mode": "monthly_advance"})

    assert response.json()["next_mode"] is None
    assert [e.data["mode"] for e in await service.outbox("BillingModeChanged")] == [
        "on_reading",
        "monthly_advance",
    ]
    assert (await service.outbox("BillingModeChanged"))[-1].data["previous_mode"] == "on_reading"
    async with service.runtime.sessions() as session:
        account = await session.scalar(select(BillingAccount).where(BillingAccount.contract_id == "C-1"))
    assert account is not None
    assert (account.mode, account.next_mode, account.next_mode_from) == ("monthly_advance", None, None)


async def test_a_change_fallen_due_is_applied_before_the_next_one(
    service: Harness, tokens: TokenFactory, clock: Clock
) -> None:
    await request(service, tokens, {"mode": "quarterly"})
    clock.now = datetime(2026, 12, 10, 9, tzinfo=UTC)

    response = await request(service, tokens, {"mode": "on_reading"})

    assert response.json() == {
        "contract_id": "C-1",
        "mode": "quarterly",
        "next_mode": "on_reading",
        "next_mode_from": "2027-01-01",
    }
    assert (await service.outbox("BillingModeChanged"))[-1].data["previous_mode"] == "quarterly"


@pytest.mark.parametrize("body", [{"mode": "weekly"}, {}, {"mode": None}, {"mode": "quarterly", "x": 1}])
async def test_an_unknown_mode_is_a_validation_problem_and_changes_nothing(
    service: Harness, tokens: TokenFactory, body: Any
) -> None:
    response = await request(service, tokens, body)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation"
    assert await service.outbox("BillingModeChanged") == []
    assert (await mode(service, tokens)).json()["next_mode"] is None


async def test_someone_elses_contract_is_not_found(service: Harness, tokens: TokenFactory) -> None:
    theirs = await mode(service, tokens, "C-2")
    missing = await mode(service, tokens, "C-404")
    changed = await request(service, tokens, {"mode": "quarterly"}, "C-2")
    assert theirs.status_code == missing.status_code == changed.status_code == 404
    assert theirs.json() == {**missing.json(), "instance": theirs.json()["instance"]}
    assert await service.outbox("BillingModeChanged") == []


async def test_an_ended_contract_keeps_its_mode(service: Harness, tokens: TokenFactory) -> None:
    await service.deliver(
        ContractWithdrawn(contract_id="C-1", customer_number=ME, withdrawn_on=date(2026, 11, 20)),
        subject="C-1",
    )
    response = await request(service, tokens, {"mode": "quarterly"})
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/contract-ended"
    assert await service.outbox("BillingModeChanged") == []
