"""A move without a new address ends confirmed contracts that have not started, and accounts
linked to another customer's contract (co-holders) see it but cannot change it.

Today is 2026-03-10 (conftest); the default contract's fixed term runs until 2026-12-31 and
its product is not in the catalogue, so the fee uses the configured gap (0.05 EUR/kWh, 2500
kWh a year, VAT 21 %).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.db.repositories import Contracts
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.identity import AccountsMerged, ContractLinked

from .conftest import MakeContract

CUSTOMER = "100200300"
OTHER = "900800700"


async def confirmed(
    service: Harness, make_contract: MakeContract, *, start: date, concluded: date, term_end: date
) -> str:
    """A contract concluded through the portal whose supply has not started yet."""
    contract_id = await make_contract(start_date=start, concluded_on=concluded, fixed_term_end=term_end)
    async with service.runtime.new_uow() as uow:
        contract = await Contracts(uow.session).get(contract_id)
        assert contract is not None
        contract.status = "confirmed"
        await uow.commit()
    return contract_id


async def move_out(service: Harness, tokens: TokenFactory, **body: Any) -> Any:
    return await service.client.post(
        "/v1/moves", json={"move_out_date": "2026-04-01", **body}, headers=tokens.headers(CUSTOMER)
    )


async def status_of(service: Harness, tokens: TokenFactory, contract_id: str) -> dict[str, Any]:
    got = await service.client.get(f"/v1/contracts/{contract_id}", headers=tokens.headers(CUSTOMER))
    assert got.status_code == 200, got.text
    return dict(got.json())


async def test_a_contract_not_started_is_withdrawn_at_a_move_within_the_withdrawal_period(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await confirmed(
        service, make_contract, start=date(2026, 5, 1), concluded=date(2026, 3, 1), term_end=date(2027, 4, 30)
    )
    done = await move_out(service, tokens)
    assert done.status_code == 201, done.text
    [withdrawn] = await service.outbox("ContractWithdrawn")
    assert (withdrawn.data["contract_id"], withdrawn.data["last_supply_day"]) == (contract_id, None)
    assert await service.outbox("ContractTerminated") == []
    shown = await status_of(service, tokens, contract_id)
    assert (shown["status"], shown["termination_fee"]) == ("withdrawn", "0.00")


async def test_a_contract_not_started_ends_before_its_start_with_the_fee_after_the_withdrawal_period(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await confirmed(
        service, make_contract, start=date(2026, 5, 1), concluded=date(2026, 2, 1), term_end=date(2027, 4, 30)
    )
    done = await move_out(service, tokens)
    assert done.status_code == 201, done.text
    [ended] = await service.outbox("ContractTerminated")
    # Nothing is supplied: the last day of supply is the day before the first. The whole
    # year's volume remains: 2500 kWh x 0.05 = 125.00 + 26.25 VAT, provisional.
    assert (ended.data["contract_id"], ended.data["end_date"], ended.data["reason"]) == (
        contract_id,
        "2026-04-30",
        "move",
    )
    assert (ended.data["termination_fee"], ended.data["fee_is_final"]) == ("151.25", False)
    assert await service.outbox("ContractWithdrawn") == []
    assert (await status_of(service, tokens, contract_id))["status"] == "terminating"


async def test_a_confirmed_contract_starting_before_the_move_out_day_ends_on_it(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await confirmed(
        service,
        make_contract,
        start=date(2026, 3, 20),
        concluded=date(2026, 2, 1),
        term_end=date(2027, 3, 19),
    )
    done = await move_out(service, tokens)
    assert done.status_code == 201, done.text
    [ended] = await service.outbox("ContractTerminated")
    assert (ended.data["contract_id"], ended.data["end_date"]) == (contract_id, "2026-04-01")
    assert ended.data["termination_fee"] != "0.00"


def account_headers(tokens: TokenFactory, customer_number: str, account_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.token(customer_number, account_id=account_id)}"}


async def link(service: Harness, account: str, contract_id: str, owner: str = CUSTOMER) -> None:
    async with service.runtime.new_uow() as uow:
        contract = await Contracts(uow.session).get(contract_id)
        assert contract is not None
        number = contract.contract_number
    await service.deliver(
        ContractLinked(
            account_id=account,
            contract_number=number,
            contract_id=contract_id,
            customer_number=owner,
            role="co_holder",
            email="partner@example.nl",
        ),
        subject=account,
        producer="identity",
    )


async def test_a_co_holder_sees_the_linked_contract_but_cannot_change_it(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    shared = await make_contract(CUSTOMER)
    own = await make_contract(OTHER, supply_postcode="4321BA")
    partner = account_headers(tokens, OTHER, "acc-partner")
    stranger = account_headers(tokens, OTHER, "acc-stranger")

    before = await service.client.get("/v1/contracts", headers=partner)
    assert [c["id"] for c in before.json()["items"]] == [own]
    assert (await service.client.get(f"/v1/contracts/{shared}", headers=partner)).status_code == 404

    await link(service, "acc-partner", shared)
    await link(service, "acc-partner", shared)  # a repeated link changes nothing
    listed = await service.client.get("/v1/contracts", headers=partner)
    assert sorted(c["id"] for c in listed.json()["items"]) == sorted([own, shared])
    assert listed.json()["total"] == 2
    one = await service.client.get(f"/v1/contracts/{shared}", headers=partner)
    assert one.status_code == 200, one.text
    assert one.json()["overview"] is not None

    # Another account of the same customer is not linked.
    assert (await service.client.get(f"/v1/contracts/{shared}", headers=stranger)).status_code == 404
    assert [
        c["id"] for c in (await service.client.get("/v1/contracts", headers=stranger)).json()["items"]
    ] == [own]

    # Changes stay with the holder's customer.
    for method, path, body in [
        ("PATCH", "options", {"e_invoice": True}),
        ("POST", "tariff-switch", {"product_code": "VAST-1JR", "effective_date": "2026-04-01"}),
        ("POST", "termination", {"end_date": "2026-06-30", "reason": "customer_request"}),
        ("POST", "withdrawal", None),
        ("POST", "renewal", {"product_code": "VAST-1JR"}),
    ]:
        refused = await service.client.request(
            method, f"/v1/contracts/{shared}/{path}", json=body, headers=partner
        )
        assert refused.status_code == 404, (path, refused.text)
    assert await service.outbox("ContractAmended") == []
    assert await service.outbox("ContractTerminated") == []


async def test_a_merged_accounts_links_pass_to_the_kept_account(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    shared = await make_contract(CUSTOMER)
    await link(service, "acc-old", shared)
    await service.deliver(
        AccountsMerged(kept_account_id="acc-new", merged_account_id="acc-old"),
        subject="acc-new",
        producer="identity",
    )
    kept = account_headers(tokens, OTHER, "acc-new")
    merged = account_headers(tokens, OTHER, "acc-old")
    assert (await service.client.get(f"/v1/contracts/{shared}", headers=kept)).status_code == 200
    assert (await service.client.get(f"/v1/contracts/{shared}", headers=merged)).status_code == 404
