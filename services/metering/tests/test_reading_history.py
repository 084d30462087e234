"""GET /v1/readings and GET /v1/meters: only the caller's, newest first, paginated."""

from __future__ import annotations

from typing import Any

import httpx

from portal_chassis.testing import Harness, TokenFactory

CUSTOMER = "100001"
OTHER = "200002"


async def post_reading(service: Harness, tokens: TokenFactory, customer: str, **fields: Any) -> None:
    response = await service.client.post("/v1/readings", json=fields, headers=tokens.headers(customer))
    assert response.status_code == 201, response.text


async def get(service: Harness, tokens: TokenFactory, url: str, customer: str) -> httpx.Response:
    return await service.client.get(url, headers=tokens.headers(customer))


async def test_readings_newest_first_and_paginated(service: Harness, tokens, contracts) -> None:
    await contracts.created("C-1")
    await contracts.created("C-2", commodity="gas")
    # Submitted out of date order: the list follows read_at, not submission order.
    for read_at, value in (("2026-03-01", "300"), ("2026-01-15", "100"), ("2026-02-01", "200")):
        await post_reading(
            service,
            tokens,
            CUSTOMER,
            contract_id="C-1",
            register_type="electricity_single",
            value=value,
            read_at=read_at,
        )
    await post_reading(
        service,
        tokens,
        CUSTOMER,
        contract_id="C-2",
        register_type="gas",
        value="50",
        read_at="2026-02-10",
    )

    everything = (await get(service, tokens, "/v1/readings", CUSTOMER)).json()
    assert everything["total"] == 4
    assert [r["value"] for r in everything["items"]] == ["300.000", "50.000", "200.000", "100.000"]

    first = (await get(service, tokens, "/v1/readings?contract_id=C-1&limit=2", CUSTOMER)).json()
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    assert [r["value"] for r in first["items"]] == ["300.000", "200.000"]
    rest = (await get(service, tokens, "/v1/readings?contract_id=C-1&limit=2&offset=2", CUSTOMER)).json()
    assert [r["value"] for r in rest["items"]] == ["100.000"]


async def test_readings_of_someone_else_stay_hidden(service: Harness, tokens, contracts) -> None:
    await contracts.created("C-1", customer_number=CUSTOMER)
    await contracts.created("C-9", customer_number=OTHER)
    await post_reading(
        service,
        tokens,
        OTHER,
        contract_id="C-9",
        register_type="electricity_single",
        value="9",
        read_at="2026-02-01",
    )
    mine = (await get(service, tokens, "/v1/readings", CUSTOMER)).json()
    assert (mine["total"], mine["items"]) == (0, [])
    foreign = await get(service, tokens, "/v1/readings?contract_id=C-9", CUSTOMER)
    assert foreign.status_code == 404
    assert foreign.json()["type"] == "/problems/contract-not-found"
    meters = (await get(service, tokens, "/v1/meters", CUSTOMER)).json()
    assert [m["contract_id"] for m in meters["items"]] == ["C-1"]


async def test_meters_show_the_latest_reading_per_register(service: Harness, tokens, contracts) -> None:
    await contracts.created("H-1", commodity="heat")

    async def read(register: str, value: str, read_at: str) -> None:
        await post_reading(
            service,
            tokens,
            CUSTOMER,
            contract_id="H-1",
            register_type=register,
            value=value,
            read_at=read_at,
        )

    await read("heat", "12.5", "2026-03-01")
    await read("heat", "10.25", "2026-02-01")  # older, submitted later: not the latest
    await read("hot_water", "3.1", "2026-02-15")

    [meter] = (await get(service, tokens, "/v1/meters", CUSTOMER)).json()["items"]
    latest = {r["register_type"]: r["latest_reading"] for r in meter["registers"]}
    assert latest["heat"]["value"] == "12.500"
    assert latest["heat"]["read_at"] == "2026-02-28T23:00:00Z"  # 1 March 00:00 CET
    assert latest["hot_water"]["value"] == "3.100"


async def test_lists_need_an_access_token(service: Harness) -> None:
    for url in ("/v1/readings", "/v1/meters"):
        response = await service.client.get(url)
        assert response.status_code == 401, url
