"""Operations: merging two accounts of one person, and linking a contract to an account."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from identity.db.tables import Account, ContractLink, SessionFamily
from identity.domain.signing import issue_operator_token
from identity.settings import IdentitySettings
from identity.use_cases.accounts import create_account
from identity.use_cases.signing_keys import current_key
from portal_chassis.auth import OPERATIONS_AUDIENCE
from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractCreated
from portal_schemas.identity import AccountsMerged, ContractLinked

PASSWORD = "a long enough secret"


@pytest.fixture
async def ops(service: Harness, settings: IdentitySettings) -> dict[str, str]:
    async with service.runtime.new_uow() as uow:
        token = issue_operator_token(
            await current_key(uow),
            operator="ops-carla",
            issuer=settings.token_issuer,
            audience=OPERATIONS_AUDIENCE,
            now=datetime.now(UTC),
            ttl=timedelta(minutes=30),
        )
    return {"Authorization": f"Bearer {token}"}


async def account(service: Harness, email: str, customer_number: str) -> str:
    async with service.runtime.new_uow() as uow:
        made = await create_account(
            uow, email=email, password=PASSWORD, customer_number=customer_number, language="nl"
        )
    return made.id


async def contract(service: Harness, contract_id: str, number: str, owner: str) -> None:
    await service.deliver(
        ContractCreated(
            contract_id=contract_id,
            contract_number=number,
            customer_number=owner,
            commodity="gas",
            product_code="VAR",
            start_date=date(2026, 1, 1),
        ),
        subject=contract_id,
        producer="contracts",
    )


async def log_in(service: Harness, email: str) -> httpx.Response:
    return await service.client.post("/v1/sessions", json={"email": email, "password": PASSWORD})


async def links_of(service: Harness, account_id: str) -> list[tuple[str, str, str]]:
    async with service.runtime.sessions() as session:
        rows = await session.scalars(
            select(ContractLink)
            .where(ContractLink.account_id == account_id)
            .order_by(ContractLink.contract_number)
        )
        return [(link.contract_number, link.role, link.via) for link in rows]


async def link(service: Harness, ops: dict[str, str], **body: Any) -> httpx.Response:
    return await service.client.post("/v1/admin/contract-links", json=body, headers=ops)


async def test_operations_link_a_co_holder(service: Harness, ops: dict[str, str]) -> None:
    await contract(service, "c-1", "100000001", owner="111")
    holder = await account(service, "holder@example.nl", "111")
    partner = await account(service, "partner@example.nl", "222")

    made = await link(service, ops, account_id=partner, contract_number="100000001", role="co_holder")
    assert made.status_code == 201, made.text
    assert (made.json()["role"], made.json()["via"], made.json()["customer_number"]) == (
        "co_holder",
        "operations",
        "111",
    )
    [linked] = await service.outbox("ContractLinked")
    data = ContractLinked.model_validate(linked.data)
    assert (data.account_id, data.role, data.email) == (partner, "co_holder", "partner@example.nl")

    assert (
        await link(service, ops, account_id=partner, contract_number="100000001", role="holder")
    ).status_code == 409
    own = await link(service, ops, account_id=holder, contract_number="100000001", role="holder")
    assert own.status_code == 409  # the holder's own customer number already gives it
    unknown = await link(service, ops, account_id=partner, contract_number="999999999", role="holder")
    assert (unknown.status_code, unknown.json()["type"]) == (404, "/problems/contract-unknown")
    nobody = await link(service, ops, account_id="nobody", contract_number="100000001", role="holder")
    assert (nobody.status_code, nobody.json()["type"]) == (404, "/problems/account-unknown")
    for bad in ({"role": "owner"}, {"contract_number": "12"}, {"account_id": ""}):
        body = {"account_id": partner, "contract_number": "100000001", "role": "holder", **bad}
        response = await link(service, ops, **body)
        assert response.status_code == 422 and response.json()["type"] == "/problems/validation"
    assert len(await service.outbox("ContractLinked")) == 1

    token = (await log_in(service, "partner@example.nl")).json()["access_token"]
    customer = {"Authorization": f"Bearer {token}"}
    refused = await link(service, customer, account_id=partner, contract_number="100000001", role="holder")
    assert refused.status_code == 401  # a customer's token opens no admin endpoint
    assert (
        await link(service, {}, account_id=partner, contract_number="100000001", role="holder")
    ).status_code == 401


async def test_merging_closes_one_account_and_moves_its_contracts(
    service: Harness, ops: dict[str, str]
) -> None:
    await contract(service, "c-kept", "100000001", owner="111")
    await contract(service, "c-m1", "100000002", owner="222")
    await contract(service, "c-m2", "100000003", owner="222")
    await contract(service, "c-x", "100000004", owner="333")
    kept = await account(service, "kept@example.nl", "111")
    merged = await account(service, "old@example.nl", "222")
    assert (
        await link(service, ops, account_id=merged, contract_number="100000004", role="co_holder")
    ).status_code == 201
    session = await log_in(service, "old@example.nl")
    assert session.status_code == 201
    before = len(await service.outbox("ContractLinked"))

    response = await service.client.post(
        "/v1/admin/account-merges", json={"keep_account_id": kept, "merge_account_id": merged}, headers=ops
    )
    assert response.status_code == 200, response.text
    assert sorted(c["contract_number"] for c in response.json()["contracts"]) == [
        "100000002",
        "100000003",
        "100000004",
    ]
    assert await links_of(service, kept) == [
        ("100000002", "holder", "merge"),
        ("100000003", "holder", "merge"),
        ("100000004", "co_holder", "merge"),
    ]
    assert await links_of(service, merged) == []
    announced = [
        ContractLinked.model_validate(e.data) for e in (await service.outbox("ContractLinked"))[before:]
    ]
    assert sorted(a.contract_number for a in announced) == ["100000002", "100000003", "100000004"]
    assert {a.account_id for a in announced} == {kept}
    [event] = await service.outbox("AccountsMerged")
    assert AccountsMerged.model_validate(event.data) == AccountsMerged(
        kept_account_id=kept, merged_account_id=merged
    )

    async with service.runtime.sessions() as db:
        closed = await db.get(Account, merged)
        assert closed is not None and (closed.status, closed.merged_into) == ("closed", kept)
        revoked = await db.scalars(
            select(SessionFamily.revoked_reason).where(SessionFamily.account_id == merged)
        )
        assert list(revoked) == ["merged"]

    wrong_password = await service.client.post(
        "/v1/sessions", json={"email": "old@example.nl", "password": "nope nope nope"}
    )
    closed_login = await log_in(service, "old@example.nl")
    assert closed_login.status_code == 401
    assert closed_login.json() | {"instance": None} == wrong_password.json() | {"instance": None}
    refreshed = await service.client.post(
        "/v1/sessions/refresh", json={"refresh_token": session.json()["refresh_token"]}
    )
    assert refreshed.status_code == 401

    token = (await log_in(service, "kept@example.nl")).json()["access_token"]
    mine = await service.client.get("/v1/me/contracts", headers={"Authorization": f"Bearer {token}"})
    assert [c["contract_number"] for c in mine.json()["items"]] == [
        "100000001",
        "100000002",
        "100000003",
        "100000004",
    ]

    again = await service.client.post(
        "/v1/admin/account-merges", json={"keep_account_id": kept, "merge_account_id": merged}, headers=ops
    )
    assert (again.status_code, again.json()["type"]) == (409, "/problems/account-closed")


async def test_merge_refusals_change_nothing(service: Harness, ops: dict[str, str]) -> None:
    kept = await account(service, "kept@example.nl", "111")

    async def merge(body: dict[str, Any], headers: dict[str, str] = ops) -> httpx.Response:
        return await service.client.post("/v1/admin/account-merges", json=body, headers=headers)

    itself = await merge({"keep_account_id": kept, "merge_account_id": kept})
    assert (itself.status_code, itself.json()["type"]) == (422, "/problems/merge-same-account")
    unknown = await merge({"keep_account_id": kept, "merge_account_id": "nobody"})
    assert (unknown.status_code, unknown.json()["type"], unknown.json()["field"]) == (
        404, "/problems/account-unknown", "merge_account_id",
    )  # fmt: skip
    missing = await merge({"keep_account_id": kept})
    assert missing.status_code == 422 and missing.json()["type"] == "/problems/validation"
    assert (await merge({"keep_account_id": kept, "merge_account_id": "x"}, headers={})).status_code == 401
    assert await service.outbox("AccountsMerged") == []
    async with service.runtime.sessions() as db:
        assert [a.status for a in await db.scalars(select(Account))] == ["active"]
