"""Portal access ends a grace period (90 days) after the customer's last contract has ended,
and a new contract gives it back."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from identity.db.tables import Account, ContractEnd, ContractLink
from identity.settings import IdentitySettings
from identity.use_cases.access_end import end_portal_access
from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.contracts import ContractCreated, ContractTerminated, ContractWithdrawn

from .conftest import PASSWORD, MakeAccount

CUSTOMER = "100200300"  # make_account's
EMAIL = "jan@example.nl"
T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


async def created(service: Harness, contract_id: str, customer: str = CUSTOMER) -> None:
    data = ContractCreated(
        contract_id=contract_id,
        customer_number=customer,
        commodity="electricity",
        product_code="VAST-1JR",
        start_date=date(2026, 1, 1),
    )
    await service.deliver(data, subject=contract_id, producer="contracts")


async def terminated(service: Harness, contract_id: str, end: date, occurred_at: datetime = T0) -> None:
    data = ContractTerminated(
        contract_id=contract_id,
        customer_number=CUSTOMER,
        end_date=end,
        reason="switch",
        termination_fee=0,
    )
    envelope = Envelope.wrap(data, subject=contract_id, producer="contracts", occurred_at=occurred_at)
    await service.redeliver(envelope, ContractTerminated.topic())


async def run_job(service: Harness, settings: IdentitySettings, today: date) -> int:
    async with service.runtime.new_uow() as uow:
        return await end_portal_access(uow, settings, today=today, now=datetime.now(UTC))


async def status(service: Harness, account_id: str) -> str:
    async with service.runtime.sessions() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        return account.status


async def log_in(service: Harness, password: str = PASSWORD) -> tuple[int, dict[str, object]]:
    response = await service.client.post("/v1/sessions", json={"email": EMAIL, "password": password})
    return response.status_code, response.json()


async def test_access_ends_after_the_grace_period_of_the_last_contract(
    service: Harness, settings: IdentitySettings, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    await created(service, "c-1")
    await created(service, "c-2")
    code, session = await log_in(service)
    assert code == 201

    await terminated(service, "c-1", date(2026, 6, 30))
    assert await run_job(service, settings, date(2026, 12, 31)) == 0  # c-2 still runs
    await terminated(service, "c-2", date(2026, 7, 31))
    assert await run_job(service, settings, date(2026, 7, 31) + timedelta(days=90)) == 0  # last day
    assert await run_job(service, settings, date(2026, 7, 31) + timedelta(days=91)) == 1
    assert await run_job(service, settings, date(2026, 12, 31)) == 0  # once
    assert await status(service, account_id) == "ended"

    code, problem = await log_in(service)
    assert (code, problem["type"]) == (403, "/problems/portal-access-ended")
    assert (await log_in(service, "not the password at all"))[0] == 401  # tells a stranger nothing
    refreshed = await service.client.post(
        "/v1/sessions/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refreshed.status_code == 401
    before = len(await service.outbox("PasswordResetRequested"))
    asked = await service.client.post("/v1/password-resets", json={"email": EMAIL})
    assert asked.status_code == 202
    assert len(await service.outbox("PasswordResetRequested")) == before  # no mail for it


async def test_the_newest_termination_sets_the_end(
    service: Harness, settings: IdentitySettings, make_account: MakeAccount
) -> None:
    await make_account()
    await created(service, "c-1")
    await terminated(service, "c-1", date(2026, 6, 30), occurred_at=T0)  # provisional
    await terminated(service, "c-1", date(2026, 8, 31), occurred_at=T0 + timedelta(days=2))  # moved
    await terminated(service, "c-1", date(2026, 5, 31), occurred_at=T0 + timedelta(days=1))  # late, older
    async with service.runtime.sessions() as session:
        [end] = await session.scalars(select(ContractEnd))
    assert end.end_date == date(2026, 8, 31)
    assert await run_job(service, settings, date(2026, 8, 31) + timedelta(days=90)) == 0
    assert await run_job(service, settings, date(2026, 8, 31) + timedelta(days=91)) == 1


async def test_a_withdrawn_contract_ends_too(
    service: Harness, settings: IdentitySettings, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    await created(service, "c-1")
    withdrawn = ContractWithdrawn(contract_id="c-1", customer_number=CUSTOMER, withdrawn_on=date(2026, 2, 10))
    await service.deliver(withdrawn, subject="c-1", producer="contracts")
    assert await run_job(service, settings, date(2026, 2, 10) + timedelta(days=91)) == 1
    assert await status(service, account_id) == "ended"


async def test_a_new_contract_gives_access_back(
    service: Harness, settings: IdentitySettings, make_account: MakeAccount
) -> None:
    account_id = await make_account()
    await created(service, "c-1")
    await terminated(service, "c-1", date(2026, 1, 31))
    assert await run_job(service, settings, date(2026, 12, 1)) == 1

    await created(service, "c-2")  # the customer comes back
    assert await status(service, account_id) == "active"
    assert (await log_in(service))[0] == 201
    assert await run_job(service, settings, date(2026, 12, 2)) == 0


async def test_accounts_with_a_running_or_unknown_contract_keep_access(
    service: Harness, settings: IdentitySettings, make_account: MakeAccount
) -> None:
    linked_id = await make_account()
    other_id = await make_account(email="piet@example.nl")  # same customer number
    await terminated(service, "c-1", date(2026, 1, 31))  # identity never saw it created
    # One account also holds a running contract of another customer (a co-holder's link).
    await created(service, "c-9", customer="555666777")
    async with service.runtime.new_uow() as uow:
        uow.session.add(
            ContractLink(
                id=str(uuid.uuid4()),
                account_id=linked_id,
                contract_id="c-9",
                contract_number="100000009",
                customer_number="555666777",
                role="co_holder",
                via="operations",
                linked_at=T0,
            )
        )
        await uow.commit()
    other_customer = await make_account(email="kees@example.nl")
    async with service.runtime.new_uow() as uow:
        account = await uow.session.get(Account, other_customer)
        assert account is not None
        account.customer_number = "999000111"  # no contract identity knows of
        await uow.commit()

    assert await run_job(service, settings, date(2026, 12, 1)) == 1
    assert [await status(service, a) for a in (linked_id, other_id, other_customer)] == [
        "active",
        "ended",
        "active",
    ]
