"""GET /v1/contracts, /v1/contracts/{id} and the indicative termination fee."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

from fastapi import FastAPI

from portal_chassis.testing import Harness, TokenFactory

CUSTOMER = "100200300"
MakeContract = Callable[..., Awaitable[str]]  # the make_contract fixture (conftest)


async def test_list_shows_only_my_contracts_paginated(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    older = await make_contract(
        start_date=date(2024, 1, 1), fixed_term_end=None, concluded_on=date(2023, 12, 1)
    )
    newer = await make_contract(commodity="gas")
    await make_contract("999888777")

    first = await service.client.get("/v1/contracts?limit=1", headers=tokens.headers(CUSTOMER))
    assert first.status_code == 200
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 0)
    [item] = page["items"]
    assert item["id"] == newer  # newest start first
    assert item["commodity"] == "gas"
    assert item["status"] == "active"
    assert item["fixed_term_end"] == "2026-12-31"
    assert item["termination_fee"] is None

    second = await service.client.get("/v1/contracts?limit=1&offset=1", headers=tokens.headers(CUSTOMER))
    assert [c["id"] for c in second.json()["items"]] == [older]

    too_big = await service.client.get("/v1/contracts?limit=1000", headers=tokens.headers(CUSTOMER))
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "query.limit"


async def test_one_contract_and_someone_elses(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    mine = await make_contract()
    theirs = await make_contract("999888777")
    ok = await service.client.get(f"/v1/contracts/{mine}", headers=tokens.headers(CUSTOMER))
    assert ok.status_code == 200
    assert ok.json()["product_code"] == "FIX-3Y-GREEN"
    refused = await service.client.get(f"/v1/contracts/{theirs}", headers=tokens.headers(CUSTOMER))
    assert refused.status_code == 404
    assert refused.json()["type"] == "/problems/contract-not-found"
    assert (await service.client.get("/v1/contracts")).status_code == 401


async def test_a_terminated_contract_shows_ended_after_its_last_day(
    app: FastAPI, service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract()
    headers = tokens.headers(CUSTOMER)
    await service.client.post(
        f"/v1/contracts/{contract_id}/termination",
        json={"end_date": "2026-03-31", "reason": "switch"},
        headers=headers,
    )
    before = await service.client.get(f"/v1/contracts/{contract_id}", headers=headers)
    assert before.json()["status"] == "terminating"
    app.state.clock = lambda: datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    after = await service.client.get(f"/v1/contracts/{contract_id}", headers=headers)
    assert after.json()["status"] == "ended"


async def test_indicative_fee_changes_nothing(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    # Same numbers as the early termination in test_terminate_contract: 76.69 incl. VAT.
    contract_id = await make_contract()
    headers = tokens.headers(CUSTOMER)
    quote = await service.client.get(
        f"/v1/contracts/{contract_id}/termination-fee?end_date=2026-06-30", headers=headers
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["indicative"] is True
    assert quote.json()["fee"]["total_incl_vat"] == "76.69"
    past = await service.client.get(
        f"/v1/contracts/{contract_id}/termination-fee?end_date=2026-01-01", headers=headers
    )
    assert past.status_code == 422
    shown = await service.client.get(f"/v1/contracts/{contract_id}", headers=headers)
    assert shown.json()["status"] == "active"
    assert await service.outbox("ContractTerminated") == []


async def test_health_and_openapi(service: Harness) -> None:
    assert (await service.client.get("/health")).json()["service"] == "contracts"
    spec = (await service.client.get("/openapi.json")).json()
    assert "/v1/contracts/{contract_id}/termination" in spec["paths"]
