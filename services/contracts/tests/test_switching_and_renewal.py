"""Switch notices, the provisional and final fee, fee adjustments, unilateral changes and
renewals.

Fees use the default settings (the make_contract product is not in the catalogue, so the
configured gap stands in): electricity 2500 kWh a year at a gap of 0.05 EUR/kWh, VAT 21 %,
and the electricity profile in settings.py. Today is 2026-03-10 in Amsterdam (conftest).
The default contract: fixed term until 2026-12-31, concluded 2025-06-01.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx

from contracts.db.repositories import ContractEvents, Contracts
from contracts.db.tables import Contract
from contracts.settings import ContractsSettings
from contracts.use_cases.renewals import propose_renewals
from contracts.use_cases.terminate_contract import end_due_contracts
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.hub import SwitchNoticeReceived

CUSTOMER = "100200300"
NOW = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # as in conftest
MakeContract = Callable[..., Awaitable[str]]
D = Decimal


async def stored(service: Harness, contract_id: str) -> Contract:
    async with service.runtime.new_uow() as uow:
        contract = await Contracts(uow.session).get(contract_id)
        assert contract is not None
        uow.session.expunge(contract)  # read after the unit of work ends
        return contract


async def notice(service: Harness, contract_id: str, switch: date, notice_id: str = "n-1") -> None:
    number = (await stored(service, contract_id)).contract_number
    await service.deliver(
        SwitchNoticeReceived(
            notice_id=notice_id,
            contract_number=number,
            new_supplier="Andere Energie BV",
            intended_switch_date=switch,
        ),
        subject=number,
        producer="hub",
    )


async def terminated(service: Harness) -> list[dict[str, Any]]:
    return [e.data for e in await service.outbox("ContractTerminated")]


async def end_due(service: Harness, settings: ContractsSettings, today: date) -> int:
    async with service.runtime.new_uow() as uow:
        return await end_due_contracts(uow, settings, today=today, now=NOW)


async def test_a_switch_notice_sets_the_provisional_fee_and_the_end_of_supply_the_final_one(
    service: Harness, settings: ContractsSettings, make_contract: MakeContract
) -> None:
    # The new supplier starts 2026-07-01: our last day is 2026-06-30; July..December remain:
    # 0.068 + 0.071 + 0.075 + 0.086 + 0.098 + 0.109 = 0.507 x 2500 = 1267.5 kWh x 0.05
    # = 63.375 -> 63.38; VAT 13.3098 -> 13.31; total 76.69 (provisional).
    contract_id = await make_contract()
    await notice(service, contract_id, date(2026, 7, 1))
    await notice(service, contract_id, date(2026, 7, 1), notice_id="n-1-again")  # same date: no-op
    [provisional] = await terminated(service)
    assert provisional["end_date"] == "2026-06-30"
    assert provisional["reason"] == "switch"
    assert (provisional["termination_fee"], provisional["termination_fee_excl_vat"]) == ("76.69", "63.38")
    assert provisional["fee_is_final"] is False
    assert (await stored(service, contract_id)).status == "terminating"

    # The hub moves the switch to 2026-08-01: last day 2026-07-31, August..December remain:
    # 0.071 + 0.075 + 0.086 + 0.098 + 0.109 = 0.439 x 2500 = 1097.5 kWh x 0.05 = 54.875
    # -> 54.88; VAT 11.5248 -> 11.52; total 66.40.
    await notice(service, contract_id, date(2026, 8, 1), notice_id="n-2")
    assert [e["termination_fee"] for e in await terminated(service)] == ["76.69", "66.40"]

    # Not yet due on the last day itself; due the day after. A second run changes nothing.
    assert await end_due(service, settings, date(2026, 7, 31)) == 0
    assert await end_due(service, settings, date(2026, 8, 1)) == 1
    assert await end_due(service, settings, date(2026, 8, 1)) == 0
    final = (await terminated(service))[-1]
    assert len(await terminated(service)) == 3
    assert (final["termination_fee"], final["fee_is_final"], final["end_date"]) == (
        "66.40",
        True,
        "2026-07-31",
    )
    contract = await stored(service, contract_id)
    assert (contract.status, contract.termination_fee_final) == ("ended", True)


async def test_a_switch_notice_for_a_connection_we_do_not_supply_changes_nothing(
    service: Harness, make_contract: MakeContract
) -> None:
    await make_contract()
    await service.deliver(
        SwitchNoticeReceived(
            notice_id="n-x", ean="871234567890123456", new_supplier="X", intended_switch_date=date(2026, 7, 1)
        ),
        subject="871234567890123456",
    )
    assert await terminated(service) == []


async def test_a_free_termination_is_final_at_once_and_not_announced_again(
    service: Harness, settings: ContractsSettings, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(fixed_term_end=date(2026, 6, 30))
    await notice(service, contract_id, date(2026, 7, 1))  # the term's end: no fee
    [event] = await terminated(service)
    assert (event["termination_fee"], event["fee_is_final"]) == ("0.00", True)
    assert await end_due(service, settings, date(2026, 7, 1)) == 1
    assert len(await terminated(service)) == 1


async def adjust(
    service: Harness, tokens: TokenFactory, contract_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await service.client.post(
        f"/v1/admin/contracts/{contract_id}/fee-adjustment", json=body, headers=tokens.operator_headers()
    )


async def test_operations_lower_a_fee_and_the_final_fee_carries_it(
    service: Harness, settings: ContractsSettings, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract()
    url = f"/v1/admin/contracts/{contract_id}/fee-adjustment"
    assert (await adjust(service, tokens, contract_id, {"waive": True, "reason": "x"})).status_code == 409

    await notice(service, contract_id, date(2026, 7, 1))  # provisional 63.38 excl. VAT
    refused = [
        await adjust(service, tokens, contract_id, {"amount_excl_vat": "70.00", "reason": "too high"}),
        await adjust(
            service, tokens, contract_id, {"amount_excl_vat": "1.00", "waive": True, "reason": "both"}
        ),
        await adjust(service, tokens, contract_id, {"amount_excl_vat": "1.00", "reason": ""}),
        await service.client.post(
            url, json={"waive": True, "reason": "x"}, headers=tokens.headers(CUSTOMER)
        ),  # a customer token is not an operator's
    ]
    assert [r.status_code for r in refused[:3]] == [422, 422, 422]
    assert refused[0].headers["content-type"].startswith("application/problem+json")
    assert refused[3].status_code in (401, 403)
    assert (await stored(service, contract_id)).fee_adjusted_excl_vat is None

    # Lowered to 20.00: VAT 4.20, total 24.20.
    done = await adjust(service, tokens, contract_id, {"amount_excl_vat": "20.00", "reason": "hardship"})
    assert done.status_code == 200, done.text
    assert done.json() == {"contract_id": contract_id, "termination_fee": "24.20", "amount_excl_vat": "20.00"}
    async with service.runtime.new_uow() as uow:
        [audit] = [
            e.details
            for e in await ContractEvents(uow.session).of_contract(contract_id)
            if e.kind == "fee_adjusted"
        ]
    assert audit["operator"] == "ops-tester"
    assert (audit["old_fee_excl_vat"], audit["new_fee_excl_vat"]) == ("63.38", "20.00")
    assert audit["reason"] == "hardship"

    await end_due(service, settings, date(2026, 7, 1))
    final = (await terminated(service))[-1]
    assert (final["termination_fee"], final["termination_fee_excl_vat"], final["fee_is_final"]) == (
        "24.20",
        "20.00",
        True,
    )
    # The final fee is announced: no more adjustments.
    assert (await adjust(service, tokens, contract_id, {"waive": True, "reason": "late"})).status_code == 409


async def test_an_announced_change_lets_the_customer_leave_free_before_it_takes_effect(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract()
    gas_id = await make_contract(commodity="gas", supply_postcode="1234AB")
    url = "/v1/admin/unilateral-changes"
    body = {"kind": "price", "description": "Nieuwe tarieven", "commodity": "electricity"}
    # Today is 2026-03-10: 30 days ahead is 2026-04-09.
    early = await service.client.post(
        url, json={**body, "effective_date": "2026-04-08"}, headers=tokens.operator_headers()
    )
    assert early.status_code == 422
    assert early.json()["errors"][0]["field"] == "effective_date"
    assert await service.outbox("UnilateralChangeAnnounced") == []

    done = await service.client.post(
        url, json={**body, "effective_date": "2026-04-09"}, headers=tokens.operator_headers()
    )
    assert done.status_code == 201, done.text
    assert done.json()["contracts_notified"] == 1
    [event] = await service.outbox("UnilateralChangeAnnounced")
    assert (event.data["contract_id"], event.data["effective_date"]) == (contract_id, "2026-04-09")
    assert (await stored(service, gas_id)).free_termination_before is None

    ended = await service.client.post(
        f"/v1/contracts/{contract_id}/termination",
        json={"end_date": "2026-06-30", "reason": "customer_request"},
        headers=tokens.headers(CUSTOMER),
    )
    assert ended.status_code == 201, ended.text
    assert ended.json()["fee"]["basis"] == "unilateral_change"
    assert ended.json()["fee"]["total_incl_vat"] == "0.00"


async def test_an_indefinite_contract_ends_free_with_thirty_days_notice(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(fixed_term_end=None)
    url = f"/v1/contracts/{contract_id}/termination"
    # Today 2026-03-10 + 30 days = 2026-04-09.
    short = await service.client.post(
        url, json={"end_date": "2026-04-08", "reason": "customer_request"}, headers=tokens.headers(CUSTOMER)
    )
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "end_date"
    assert (await stored(service, contract_id)).status == "active"
    ok = await service.client.post(
        url, json={"end_date": "2026-04-09", "reason": "customer_request"}, headers=tokens.headers(CUSTOMER)
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["fee"]["basis"] == "no_fixed_term"


async def test_renewals_are_proposed_once_accepted_or_rolled_over(
    service: Harness,
    settings: ContractsSettings,
    tokens: TokenFactory,
    make_contract: MakeContract,
    catalogue: None,
) -> None:
    soon = await make_contract(fixed_term_end=date(2026, 5, 8))  # within 60 days of 2026-03-10
    later = await make_contract(fixed_term_end=date(2026, 5, 10))  # 61 days: not yet
    lapsing = await make_contract(fixed_term_end=date(2026, 4, 30))

    async def run(today: date) -> tuple[int, int]:
        async with service.runtime.new_uow() as uow:
            done = await propose_renewals(uow, settings, today=today, now=NOW)
        return done.proposed, done.rolled_over

    assert await run(date(2026, 3, 10)) == (2, 0)
    assert await run(date(2026, 3, 10)) == (0, 0)  # twice: no second proposal
    proposals = await service.outbox("RenewalProposed")
    assert sorted(e.data["contract_id"] for e in proposals) == sorted([soon, lapsing])
    assert later not in {e.data["contract_id"] for e in proposals}

    url = f"/v1/contracts/{soon}/renewal"
    headers = tokens.headers(CUSTOMER)
    assert (
        await service.client.post(url, json={"product_code": "VARIABEL"}, headers=headers)
    ).status_code == 422
    assert (await service.client.post(url, json={"product_code": "NOPE"}, headers=headers)).status_code == 422
    no_proposal = await service.client.post(
        f"/v1/contracts/{later}/renewal", json={"product_code": "VAST-1JR"}, headers=headers
    )
    assert no_proposal.status_code == 409
    # VAST-1JR runs 12 months from the day after the old term: 2026-05-09 .. 2027-05-08.
    accepted = await service.client.post(url, json={"product_code": "VAST-1JR"}, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {
        "contract_id": soon,
        "product_code": "VAST-1JR",
        "fixed_term_end": "2027-05-08",
        "effective_from": "2026-05-09",
    }
    again = await service.client.post(url, json={"product_code": "VAST-1JR"}, headers=headers)
    assert again.status_code == 409  # accepted once: no open proposal left
    [amended] = [e.data for e in await service.outbox("ContractAmended")]
    assert (amended["contract_id"], amended["change"], amended["effective_from"]) == (
        soon,
        "renewal",
        "2026-05-09",
    )
    assert amended["product_code"] == "VAST-1JR"
    overview = (await service.client.get(f"/v1/contracts/{soon}", headers=headers)).json()
    # Today the old term is still in force; the new one is planned.
    assert overview["fixed_term_end"] == "2026-05-08"
    assert [(p["effective_from"], p["product_code"]) for p in overview["overview"]["planned_changes"]] == [
        ("2026-05-09", "VAST-1JR")
    ]

    # 2026-05-01: the lapsing term ended unaccepted: indefinite from now on; the later term
    # is now within 60 days and gets its proposal.
    assert await run(date(2026, 5, 1)) == (1, 1)
    contract = await stored(service, lapsing)
    assert contract.status == "active"
    rollover = [e.data for e in await service.outbox("ContractAmended") if e.data["change"] == "rollover"]
    assert [(e["contract_id"], e["effective_from"]) for e in rollover] == [(lapsing, "2026-05-01")]
    assert await run(date(2026, 5, 1)) == (0, 0)  # rolled over once
    async with service.runtime.new_uow() as uow:
        kinds = [e.kind for e in await ContractEvents(uow.session).of_contract(lapsing)]
    assert kinds.count("rolled_over_to_indefinite") == 1
    # The accepted renewal's term is the one proposed for next (not the concluded one).
    assert await run(date(2027, 3, 20)) == (1, 1)  # and `later`, never accepted, rolls over
    [*_, renewed] = await service.outbox("RenewalProposed")
    assert (renewed.data["contract_id"], renewed.data["fixed_term_end"]) == (soon, "2027-05-08")
    assert renewed.data["product_code"] == "VAST-1JR"


async def test_the_fee_reads_the_term_in_force_after_a_renewal_or_a_switch(
    service: Harness,
    settings: ContractsSettings,
    tokens: TokenFactory,
    make_contract: MakeContract,
    catalogue: None,
) -> None:
    headers = tokens.headers(CUSTOMER)
    renewed = await make_contract(fixed_term_end=date(2026, 5, 8))
    switched = await make_contract(fixed_term_end=None, supply_postcode="4321BA")
    async with service.runtime.new_uow() as uow:
        await propose_renewals(uow, settings, today=date(2026, 3, 10), now=NOW)
    accepted = await service.client.post(
        f"/v1/contracts/{renewed}/renewal", json={"product_code": "VAST-1JR"}, headers=headers
    )
    assert accepted.status_code == 200, accepted.text

    async def basis(contract_id: str, end_date: str) -> str:
        got = await service.client.get(
            f"/v1/contracts/{contract_id}/termination-fee", params={"end_date": end_date}, headers=headers
        )
        assert got.status_code == 200, got.text
        return str(got.json()["fee"]["basis"])

    # Ending within the new term (until 2027-05-08) costs a fee; the old term ended 2026-05-08.
    assert await basis(renewed, "2026-05-08") == "term_completed"
    assert await basis(renewed, "2026-06-30") == "early_termination"
    assert await basis(renewed, "2027-05-08") == "term_completed"

    # An indefinite contract switched to a fixed product gets a price guarantee, and the fee
    # rules of a fixed term from the switch day on.
    assert await basis(switched, "2026-06-30") == "no_fixed_term"
    switch = await service.client.post(
        f"/v1/contracts/{switched}/tariff-switch",
        json={"product_code": "VAST-1JR", "effective_date": "2026-04-01"},
        headers=headers,
    )
    assert switch.status_code == 201, switch.text
    assert await basis(switched, "2026-06-30") == "early_termination"
    assert await basis(switched, "2027-03-31") == "term_completed"


async def test_announcing_the_same_change_again_notifies_no_one_again(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract, catalogue: None
) -> None:
    concluded_on_it = await make_contract(product_code="VARIABEL")
    switched_to_it = await make_contract(fixed_term_end=None, product_code="OTHER", supply_postcode="4321BA")
    switch = await service.client.post(
        f"/v1/contracts/{switched_to_it}/tariff-switch",
        json={"product_code": "VARIABEL", "effective_date": "2026-04-01"},
        headers=tokens.headers(CUSTOMER),
    )
    assert switch.status_code == 201, switch.text
    url = "/v1/admin/unilateral-changes"
    body = {
        "kind": "price",
        "description": "Nieuwe tarieven",
        "effective_date": "2026-05-01",
        "product_codes": ["VARIABEL"],
    }
    first = await service.client.post(url, json=body, headers=tokens.operator_headers())
    assert first.status_code == 201, first.text
    # Both contracts have VARIABEL on the effective date, one of them through a switch.
    assert first.json()["contracts_notified"] == 2
    assert {e.data["contract_id"] for e in await service.outbox("UnilateralChangeAnnounced")} == {
        concluded_on_it,
        switched_to_it,
    }

    again = await service.client.post(url, json=body, headers=tokens.operator_headers())
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert len(await service.outbox("UnilateralChangeAnnounced")) == 2

    other_text = await service.client.post(
        url, json={**body, "description": "Andere tekst"}, headers=tokens.operator_headers()
    )
    assert other_text.status_code == 409
    assert other_text.json()["change_id"] == first.json()["change_id"]
    assert len(await service.outbox("UnilateralChangeAnnounced")) == 2

    # Another effective date is another change.
    later = await service.client.post(
        url, json={**body, "effective_date": "2026-06-01"}, headers=tokens.operator_headers()
    )
    assert later.status_code == 201
    assert later.json()["change_id"] != first.json()["change_id"]
    assert len(await service.outbox("UnilateralChangeAnnounced")) == 4
