"""The contract overview, products, options and tariff switches (today is 2026-03-10)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from contracts.db.tables import ContractEvent, ContractTerms
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.contracts import ContractAmended

CUSTOMER = "100200300"
MakeContract = Callable[..., Awaitable[str]]  # the make_contract fixture (conftest)

pytestmark = pytest.mark.usefixtures("catalogue")


async def stored(service: Harness, contract_id: str) -> tuple[int, int, int]:
    """terms rows, history lines and ContractAmended events of a contract."""
    async with service.runtime.sessions() as session:
        terms = await session.scalar(
            sa.select(sa.func.count())
            .select_from(ContractTerms)
            .where(ContractTerms.contract_id == contract_id)
        )
        history = await session.scalar(
            sa.select(sa.func.count())
            .select_from(ContractEvent)
            .where(ContractEvent.contract_id == contract_id)
        )
    events = [e for e in await service.outbox("ContractAmended") if e.subject == contract_id]
    return int(terms or 0), int(history or 0), len(events)


async def test_overview_shows_todays_prices_consumption_guarantee_and_options(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(
        product_code="VAST-3JR",
        annual_consumption={"electricity_normal": Decimal("1800"), "electricity_offpeak": Decimal("1400")},
        meter_location="indoors",
    )
    response = await service.client.get(f"/v1/contracts/{contract_id}", headers=tokens.headers(CUSTOMER))
    assert response.status_code == 200
    body = response.json()
    assert (body["product_code"], body["status"], body["meter_location"]) == ("VAST-3JR", "active", "indoors")
    overview = body["overview"]
    assert overview["product_name"] == "Vast 3 jaar"
    assert overview["price_guarantee_end"] == "2026-12-31"
    assert overview["vat_rate"] == "0.21"
    prices = {p["register_type"]: p for p in overview["prices"]}
    assert prices["electricity_normal"]["unit_price_excl_vat"] == "0.259504"
    assert prices["electricity_normal"]["unit_price_incl_vat"] == "0.314000"  # 0.259504 x 1.21 = 0.31399984
    assert prices["electricity_normal"]["expected_annual_volume"] == "1800.000"
    assert prices["electricity_offpeak"]["expected_annual_volume"] == "1400.000"
    assert prices["electricity_single"]["expected_annual_volume"] is None
    assert prices["electricity_single"]["unit"] == "kWh"
    assert overview["fixed_costs_per_day_incl_vat"] == "0.240000"
    assert overview["options"] == {
        "green_electricity": False,
        "e_invoice": False,
        "self_reading": False,
        "gas_source": None,
    }
    assert overview["planned_changes"] == []

    listed = await service.client.get("/v1/contracts", headers=tokens.headers(CUSTOMER))
    assert listed.json()["items"][0]["overview"] == overview


async def test_a_product_the_catalogue_does_not_know_shows_no_prices(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(commodity="gas")  # FIX-3Y-GREEN: not in the catalogue
    body = (await service.client.get(f"/v1/contracts/{contract_id}", headers=tokens.headers(CUSTOMER))).json()
    assert body["overview"]["product_name"] is None
    assert body["overview"]["prices"] == []
    assert body["overview"]["options"]["gas_source"] == "grey"


async def test_products_are_public_with_prices_excl_and_incl_vat(service: Harness) -> None:
    response = await service.client.get("/v1/products?limit=3&offset=1")
    assert response.status_code == 200
    page = response.json()
    assert page["total"] == 4
    [fixed_1y, _, heat] = page["items"]
    assert (fixed_1y["code"], fixed_1y["kind"], fixed_1y["term_months"]) == ("VAST-1JR", "fixed", 12)
    first = (await service.client.get("/v1/products?limit=1")).json()["items"]
    [variable] = first
    assert (variable["code"], variable["kind"], variable["term_months"]) == ("VARIABEL", "variable", None)
    electricity = next(t for t in variable["current_tariffs"] if t["commodity"] == "electricity")
    assert (electricity["valid_from"], electricity["valid_to"]) == ("2026-01-01", "2026-07-01")
    single = next(p for p in electricity["unit_prices"] if p["register_type"] == "electricity_single")
    assert (single["excl_vat"], single["incl_vat"]) == ("0.214876", "0.260000")
    assert [p["register_type"] for p in heat["current_tariffs"][0]["unit_prices"]] == ["heat", "hot_water"]


async def test_options_change_from_a_day_on_and_are_announced(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(product_code="VAST-3JR", meter_location="indoors")
    headers = tokens.headers(CUSTOMER)
    now = await service.client.patch(
        f"/v1/contracts/{contract_id}/options", json={"green_electricity": True}, headers=headers
    )
    assert now.status_code == 200, now.text
    assert now.json()["effective_from"] == "2026-03-10"  # today when no day is given
    later = await service.client.patch(
        f"/v1/contracts/{contract_id}/options",
        json={"self_reading": True, "e_invoice": True, "effective_date": "2026-04-01"},
        headers=headers,
    )
    assert later.status_code == 200
    assert later.json()["options"] == {
        "green_electricity": True,  # kept from the change before
        "e_invoice": True,
        "self_reading": True,
        "gas_source": None,
    }

    overview = (await service.client.get(f"/v1/contracts/{contract_id}", headers=headers)).json()["overview"]
    assert overview["options"]["green_electricity"] is True
    assert overview["options"]["self_reading"] is False  # from 1 April on
    [planned] = overview["planned_changes"]
    assert (planned["effective_from"], planned["options"]["self_reading"]) == ("2026-04-01", True)

    events = [ContractAmended.model_validate(e.data) for e in await service.outbox("ContractAmended")]
    assert [(e.change, e.effective_from, e.options.self_reading) for e in events] == [
        ("options", date(2026, 3, 10), False),
        ("options", date(2026, 4, 1), True),
    ]
    assert events[0].customer_number == CUSTOMER and events[0].product_code == "VAST-3JR"
    assert await stored(service, contract_id) == (2, 3, 2)  # created + two changes in the history

    same = await service.client.patch(
        f"/v1/contracts/{contract_id}/options", json={"green_electricity": True}, headers=headers
    )
    assert same.status_code == 200
    assert await stored(service, contract_id) == (2, 3, 2)  # nothing new to record


@pytest.mark.parametrize(
    ("commodity", "meter", "body", "status", "slug", "field"),
    [
        (
            "electricity",
            "indoors",
            {"e_invoice": True, "effective_date": "2026-03-09"},
            422,
            "invalid-amendment",
            "effective_date",
        ),
        (
            "electricity",
            "indoors",
            {"e_invoice": True, "effective_date": "2027-06-01"},
            422,
            "invalid-amendment",
            "effective_date",
        ),
        ("electricity", "indoors", {}, 422, "invalid-amendment", "body"),
        ("electricity", "indoors", {"gas_source": "green"}, 422, "invalid-amendment", "gas_source"),
        ("gas", "indoors", {"green_electricity": True}, 422, "invalid-amendment", "green_electricity"),
        ("gas", "indoors", {"gas_source": "purple"}, 422, "validation", "gas_source"),
        ("electricity", "outdoors", {"self_reading": True}, 422, "self-reading-unavailable", None),
        ("electricity", "unknown", {"self_reading": True}, 422, "self-reading-unavailable", None),
        ("electricity", "indoors", {"e_invoice": "maybe"}, 422, "validation", "e_invoice"),
        ("electricity", "indoors", {"colour": "red"}, 422, "validation", "colour"),
    ],
)
async def test_bad_option_changes_are_refused_and_change_nothing(
    service: Harness,
    tokens: TokenFactory,
    make_contract: MakeContract,
    commodity: str,
    meter: str,
    body: dict[str, Any],
    status: int,
    slug: str,
    field: str | None,
) -> None:
    contract_id = await make_contract(commodity=commodity, product_code="VAST-1JR", meter_location=meter)
    response = await service.client.patch(
        f"/v1/contracts/{contract_id}/options", json=body, headers=tokens.headers(CUSTOMER)
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith(slug)
    if field is not None:
        assert problem["errors"][0]["field"] == field
    assert await stored(service, contract_id) == (0, 1, 0)


async def test_gas_source_of_a_gas_contract(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(commodity="gas", product_code="VAST-1JR")
    response = await service.client.patch(
        f"/v1/contracts/{contract_id}/options",
        json={"gas_source": "co2_compensated"},
        headers=tokens.headers(CUSTOMER),
    )
    assert response.status_code == 200
    [event] = await service.outbox("ContractAmended")
    assert ContractAmended.model_validate(event.data).options.gas_source == "co2_compensated"


async def test_tariff_switch_starts_a_new_guarantee_and_is_announced(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(product_code="VARIABEL", fixed_term_end=None, commodity="gas")
    headers = tokens.headers(CUSTOMER)
    response = await service.client.post(
        f"/v1/contracts/{contract_id}/tariff-switch",
        json={"product_code": "VAST-1JR", "effective_date": "2026-03-10"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["price_guarantee_end"] == "2027-03-09"

    body = (await service.client.get(f"/v1/contracts/{contract_id}", headers=headers)).json()
    assert body["product_code"] == "VARIABEL"  # the product the contract was concluded with
    overview = body["overview"]
    assert overview["product_name"] == "Vast 1 jaar"
    assert overview["price_guarantee_end"] == "2027-03-09"
    assert overview["prices"][0]["unit_price_excl_vat"] == "1.074380"
    [event] = await service.outbox("ContractAmended")
    amended = ContractAmended.model_validate(event.data)
    assert (amended.change, amended.product_code, amended.effective_from) == (
        "tariff_switch",
        "VAST-1JR",
        date(2026, 3, 10),
    )
    assert amended.options.gas_source == "grey"


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        ({"product_code": "WARMTE", "effective_date": "2026-04-01"}, 422, "unknown-product"),  # heat
        ({"product_code": "NOPE", "effective_date": "2026-04-01"}, 422, "unknown-product"),
        ({"product_code": "VAST-1JR", "effective_date": "2026-03-09"}, 422, "invalid-amendment"),
        ({"product_code": "VAST-3JR", "effective_date": "2026-04-01"}, 422, "invalid-amendment"),  # already
        ({"product_code": "VAST-1JR"}, 422, "validation"),
        ({"product_code": "", "effective_date": "2026-04-01"}, 422, "validation"),
    ],
)
async def test_bad_tariff_switches_are_refused_and_change_nothing(
    service: Harness,
    tokens: TokenFactory,
    make_contract: MakeContract,
    body: dict[str, Any],
    status: int,
    slug: str,
) -> None:
    contract_id = await make_contract(product_code="VAST-3JR")
    response = await service.client.post(
        f"/v1/contracts/{contract_id}/tariff-switch", json=body, headers=tokens.headers(CUSTOMER)
    )
    assert response.status_code == status, response.text
    assert response.json()["type"].endswith(slug)
    assert await stored(service, contract_id) == (0, 1, 0)


async def test_a_terminating_contract_keeps_its_terms(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract_id = await make_contract(product_code="VAST-3JR")
    headers = tokens.headers(CUSTOMER)
    ended = await service.client.post(
        f"/v1/contracts/{contract_id}/termination",
        json={"end_date": "2026-12-31", "reason": "move"},
        headers=headers,
    )
    assert ended.status_code == 201, ended.text
    refused = await service.client.patch(
        f"/v1/contracts/{contract_id}/options", json={"e_invoice": True}, headers=headers
    )
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("contract-not-active")


async def test_someone_elses_contract_is_not_found(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    theirs = await make_contract("999888777", product_code="VAST-3JR", meter_location="indoors")
    headers = tokens.headers(CUSTOMER)
    options = await service.client.patch(
        f"/v1/contracts/{theirs}/options", json={"e_invoice": True}, headers=headers
    )
    switch = await service.client.post(
        f"/v1/contracts/{theirs}/tariff-switch",
        json={"product_code": "VAST-1JR", "effective_date": "2026-04-01"},
        headers=headers,
    )
    assert (options.status_code, switch.status_code) == (404, 404)
    assert options.json()["type"].endswith("contract-not-found")
    assert await stored(service, theirs) == (0, 1, 0)
    unauthenticated = await service.client.patch(f"/v1/contracts/{theirs}/options", json={"e_invoice": True})
    assert unauthenticated.status_code == 401
