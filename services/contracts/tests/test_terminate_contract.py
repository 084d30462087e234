"""POST /v1/contracts/{id}/termination: the fee, the event, and everything it refuses.

Fees use the default settings: electricity 2500 kWh a year at a gap of 0.05 EUR/kWh, gas
1200 m3 at 0.20 EUR/m3, VAT 21 %, and the default monthly profiles in settings.py (the
conftest settings choose the monthly electricity table). Today is 2026-03-10 in Amsterdam
(see conftest).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from contracts.db.repositories import Contracts
from contracts.db.tables import Contract
from contracts.domain.errors import ContractNotActive
from contracts.settings import ContractsSettings
from contracts.use_cases.terminate_contract import terminate_contract
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.contracts import ContractTerminated
from portal_schemas.types import to_cents

CUSTOMER = "100200300"
NOW = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # as in conftest
MakeContract = Callable[..., Awaitable[str]]  # the make_contract fixture (conftest)
D = Decimal


async def terminate(service: Harness, tokens: TokenFactory, contract_id: str, **body: str) -> httpx.Response:
    payload = {"end_date": "2026-06-30", "reason": "switch", **body}
    return await service.client.post(
        f"/v1/contracts/{contract_id}/termination", json=payload, headers=tokens.headers(CUSTOMER)
    )


async def test_early_termination_records_the_fee_and_emits_one_event(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    # Fixed term until 2026-12-31, supply ends 2026-06-30: July..December remain.
    # Electricity profile: 0.068 + 0.071 + 0.075 + 0.086 + 0.098 + 0.109 = 0.507
    # volume 2500 x 0.507 = 1267.5 kWh; 1267.5 x 0.05 = 63.375 -> 63.38
    # VAT 63.38 x 0.21 = 13.3098 -> 13.31; total 76.69; days 31+31+30+31+30+31 = 184
    contract_id = await make_contract()
    response = await terminate(service, tokens, contract_id)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "terminating"
    assert body["fee"] == {
        "total_incl_vat": "76.69",
        "amount_excl_vat": "63.38",
        "vat": "13.31",
        "basis": "early_termination",
        "remaining_days": 184,
        "is_final": False,
    }

    [event] = await service.outbox("ContractTerminated")
    data = ContractTerminated.model_validate(event.data)
    assert event.subject == contract_id
    assert data.contract_id == contract_id
    assert data.customer_number == CUSTOMER
    assert data.end_date == date(2026, 6, 30)
    assert data.reason == "switch"
    assert data.termination_fee == Decimal("76.69")
    assert data.fee_is_final is False
    assert event.data["termination_fee"] == "76.69"  # money travels as a string
    # The same fee split for billing's invoice line: 63.38 before VAT at 21 %.
    # Back to the total: 63.38 x 0.21 = 13.3098 -> 13.31; 63.38 + 13.31 = 76.69, to the cent.
    excl, rate = data.termination_fee_excl_vat, data.termination_fee_vat_rate
    assert excl is not None and rate is not None
    assert (excl, rate) == (D("63.38"), D("0.21"))
    assert excl + to_cents(excl * rate) == data.termination_fee
    split = (event.data["termination_fee_excl_vat"], event.data["termination_fee_vat_rate"])
    assert split == ("63.38", "0.21")

    shown = await service.client.get(f"/v1/contracts/{contract_id}", headers=tokens.headers(CUSTOMER))
    assert shown.json()["termination_fee"] == "76.69"
    assert shown.json()["end_date"] == "2026-06-30"


async def test_moving_out_is_charged_like_any_early_end(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    # Gas, term 2025-10-01 .. 2026-09-30, supply ends 2026-04-30: May..September remain.
    # Gas profile: 0.045 + 0.030 + 0.025 + 0.025 + 0.035 = 0.160; 1200 x 0.160 = 192 m3
    # 192 x 0.20 = 38.40; VAT 8.064 -> 8.06; total 46.46
    contract_id = await make_contract(
        commodity="gas", start_date=date(2025, 10, 1), fixed_term_end=date(2026, 9, 30)
    )
    response = await terminate(service, tokens, contract_id, end_date="2026-04-30", reason="move")
    assert response.status_code == 201, response.text
    assert response.json()["fee"]["total_incl_vat"] == "46.46"
    [event] = await service.outbox("ContractTerminated")
    assert event.data["termination_fee"] == "46.46"
    assert event.data["reason"] == "move"
    # Split: 38.40 before VAT at 21 %; 38.40 + 8.06 = 46.46.
    split = (event.data["termination_fee_excl_vat"], event.data["termination_fee_vat_rate"])
    assert split == ("38.40", "0.21")


async def test_the_event_carries_the_vat_rate_the_fee_was_computed_with(
    service: Harness, settings: ContractsSettings, make_contract: MakeContract
) -> None:
    # Same contract and end date as the first test, VAT configured at 9 %:
    # 63.38 x 0.09 = 5.7042 -> 5.70; total 63.38 + 5.70 = 69.08.
    contract_id = await make_contract()
    nine_percent = settings.model_copy(update={"vat_rate": D("0.09")})
    async with service.runtime.new_uow() as uow:
        termination = await terminate_contract(
            uow,
            nine_percent,
            customer_number=CUSTOMER,
            contract_id=contract_id,
            end_date=date(2026, 6, 30),
            reason="switch",
            now=NOW,
        )
    assert termination.fee.total == D("69.08")
    [event] = await service.outbox("ContractTerminated")
    assert (
        event.data["termination_fee"],
        event.data["termination_fee_excl_vat"],
        event.data["termination_fee_vat_rate"],
    ) == ("69.08", "63.38", "0.09")


async def test_indefinite_contract_ends_free_and_the_fee_is_final(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(fixed_term_end=None, product_code="VAR-ELEC")
    response = await terminate(service, tokens, contract_id, reason="customer_request")
    assert response.status_code == 201
    assert response.json()["fee"]["total_incl_vat"] == "0.00"
    assert response.json()["fee"]["basis"] == "no_fixed_term"
    [event] = await service.outbox("ContractTerminated")
    assert event.data["termination_fee"] == "0.00"
    assert event.data["termination_fee_excl_vat"] == "0.00"  # nothing before VAT either
    assert event.data["termination_fee_vat_rate"] == "0.21"
    assert event.data["fee_is_final"] is True


async def test_terminating_twice_is_a_conflict_and_emits_once(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract()
    first = await terminate(service, tokens, contract_id)
    second = await terminate(service, tokens, contract_id, end_date="2026-05-31")
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert second.json()["type"] == "/problems/contract-not-active"
    assert len(await service.outbox("ContractTerminated")) == 1
    shown = await service.client.get(f"/v1/contracts/{contract_id}", headers=tokens.headers(CUSTOMER))
    assert shown.json()["end_date"] == "2026-06-30"  # the first termination stands


async def test_two_terminations_at_once_record_one(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract()
    responses = await asyncio.gather(
        terminate(service, tokens, contract_id), terminate(service, tokens, contract_id)
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    assert len(await service.outbox("ContractTerminated")) == 1


async def test_a_termination_that_loses_a_race_is_a_conflict(
    service: Harness,
    settings: ContractsSettings,
    make_contract: MakeContract,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Deterministic race: right after our request has read the (active) contract, a rival
    # request terminates it. Our write must then fail on the version check, not overwrite.
    contract_id = await make_contract()
    read_contract = Contracts.of_customer
    rival_ran = False

    async def read_then_let_a_rival_in(self: Contracts, customer: str, cid: str) -> Contract | None:
        nonlocal rival_ran
        contract = await read_contract(self, customer, cid)
        if not rival_ran:
            rival_ran = True
            async with service.runtime.new_uow() as rival:
                await terminate_contract(
                    rival,
                    settings,
                    customer_number=CUSTOMER,
                    contract_id=cid,
                    end_date=date(2026, 5, 31),
                    reason="move",
                    now=NOW,
                )
        return contract

    monkeypatch.setattr(Contracts, "of_customer", read_then_let_a_rival_in)
    async with service.runtime.new_uow() as uow:
        with pytest.raises(ContractNotActive, match="meanwhile"):
            await terminate_contract(
                uow,
                settings,
                customer_number=CUSTOMER,
                contract_id=contract_id,
                end_date=date(2026, 6, 30),
                reason="switch",
                now=NOW,
            )
    [event] = await service.outbox("ContractTerminated")
    assert event.data["end_date"] == "2026-05-31"  # the rival's, and only the rival's


async def test_another_customers_contract_is_not_found(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    theirs = await make_contract("999888777")
    response = await terminate(service, tokens, theirs)
    unknown = await terminate(service, tokens, "no-such-contract")
    assert response.status_code == unknown.status_code == 404
    assert response.json()["type"] == unknown.json()["type"] == "/problems/contract-not-found"
    assert response.json()["detail"] == unknown.json()["detail"]  # nothing to tell them apart
    assert await service.outbox("ContractTerminated") == []
    owner = await service.client.get(f"/v1/contracts/{theirs}", headers=tokens.headers("999888777"))
    assert owner.json()["status"] == "active"


async def test_bad_end_dates_are_refused_and_change_nothing(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract()
    future_start = await make_contract(start_date=date(2026, 5, 1), fixed_term_end=date(2027, 4, 30))
    cases = [
        (contract_id, {"end_date": "2026-03-09"}, "invalid-end-date"),  # yesterday in Amsterdam
        (future_start, {"end_date": "2026-04-30"}, "invalid-end-date"),  # before supply starts
        (contract_id, {"end_date": "9999-12-31"}, "invalid-end-date"),  # beyond any term
        (contract_id, {"end_date": "30-06-2026"}, "validation"),
        (contract_id, {"end_date": "2026-02-30"}, "validation"),
        (contract_id, {"reason": "bored"}, "validation"),
    ]
    for target, body, slug in cases:
        response = await terminate(service, tokens, target, **body)
        assert response.status_code == 422, (body, response.text)
        problem = response.json()
        assert problem["type"] == f"/problems/{slug}"
        assert problem["errors"][0]["field"] in ("end_date", "reason")
    assert await service.outbox("ContractTerminated") == []
    for target in (contract_id, future_start):
        shown = await service.client.get(f"/v1/contracts/{target}", headers=tokens.headers(CUSTOMER))
        assert shown.json()["status"] == "active"
        assert shown.json()["end_date"] is None


async def test_today_is_the_amsterdam_calendar_day(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    # It is 2026-03-09 23:30 UTC, already 2026-03-10 in Amsterdam: ending "today" is allowed.
    contract_id = await make_contract()
    response = await terminate(service, tokens, contract_id, end_date="2026-03-10")
    assert response.status_code == 201, response.text


async def test_termination_needs_a_token(service: Harness, make_contract: MakeContract) -> None:
    contract_id = await make_contract()
    response = await service.client.post(
        f"/v1/contracts/{contract_id}/termination",
        json={"end_date": "2026-06-30", "reason": "switch"},
    )
    assert response.status_code == 401
    assert await service.outbox("ContractTerminated") == []
