"""POST/GET /v1/contract-requests, confirmation and refusal, activation, withdrawal, moves and
co-holders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from contracts.__main__ import main
from contracts.db.tables import Contract, Document, ExpectedConsumption, Product
from contracts.settings import ContractsSettings
from contracts.use_cases.contract_requests import activate_due_contracts, confirm_requests
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, TokenFactory
from portal_chassis.uow import UnitOfWork

from .conftest import NOW, TODAY, MakeContract

CUSTOMER = "100200300"
EAN = "871687140000000019"
GAS_EAN = "871687140000000026"
HOME = {"street": "Kerkstraat", "house_number": 12, "postcode": "3511AB", "city": "Utrecht"}
NEW_HOME = {
    "street": "Dorpsweg",
    "house_number": 3,
    "house_number_addition": "A",
    "postcode": "9711 cd",
    "city": "Groningen",
}


@pytest.fixture
def settings(tmp_path: Path) -> ContractsSettings:
    return ContractsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/contracts.sqlite3",
        event_sealing_key=Sealer.new_key(),
    )


async def process(service: Harness, settings: ContractsSettings, today: date = TODAY) -> tuple[int, int]:
    """The confirmation job on ``today``: (confirmed, refused)."""
    async with service.runtime.new_uow() as uow:
        return await confirm_requests(uow, settings, today=today, now=NOW)


async def documents_of(uow: UnitOfWork, contract_id: str) -> int:
    count = await uow.session.scalar(
        select(func.count()).select_from(Document).where(Document.contract_id == contract_id)
    )
    return int(count or 0)


def request_body(**change: Any) -> dict[str, Any]:
    return {
        "commodity": "electricity",
        "product_code": "VAST-1JR",
        "ean": EAN,
        "capacity": "3x25A",
        "supply_address": HOME,
        **change,
    }


async def test_a_request_waits_for_confirmation_and_is_then_concluded(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract, settings: ContractsSettings
) -> None:
    await make_contract(supply_postcode="1234AB")
    before = len(await service.outbox())
    made = await service.client.post(
        "/v1/contract-requests",
        json=request_body(current_contract_end="2026-06-30"),
        headers=tokens.headers(CUSTOMER),
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "requested"
    assert body["start_date"] == "2026-07-01"  # the day after the current contract ends
    assert body["requested_on"] == TODAY.isoformat()
    assert (body["withdrawal_until"], body["refusal_reason"]) == (None, None)
    assert body["capacity"] == "3x25A"
    assert body["supply_address"]["postcode"] == "3511AB"
    assert [h["kind"] for h in body["history"]] == ["requested"]
    assert len(await service.outbox()) == before  # nothing concluded, nothing announced
    async with service.runtime.new_uow() as uow:
        assert not await documents_of(uow, body["contract_id"])
    shown = await service.client.get(f"/v1/contracts/{body['contract_id']}", headers=tokens.headers(CUSTOMER))
    assert shown.json()["status"] == "requested"

    assert await process(service, settings, TODAY + timedelta(days=1)) == (1, 0)
    assert await process(service, settings, TODAY + timedelta(days=1)) == (0, 0)  # safe to rerun
    [created] = [e for e in await service.outbox("ContractCreated") if e.subject == body["contract_id"]]
    assert created.data["start_date"] == "2026-07-01"
    assert (created.data["ean"], created.data["supply_postcode"]) == (EAN, "3511AB")
    # The whole supply address travels: billing prints it on invoices and the proof of address.
    supply = ("supply_street", "supply_house_number", "supply_house_number_addition", "supply_city")
    assert tuple(created.data[field] for field in supply) == ("Kerkstraat", 12, None, "Utrecht")
    # A portal request names neither: metering learns them when the grid operator places a meter.
    assert (created.data["meter_location"], created.data["expected_annual_consumption"]) == ("unknown", {})
    registered = await service.outbox("CustomerRegistered")
    assert registered[-1].data["supply_postcodes"] == ["1234AB", "3511AB"]  # identity learns the new postcode
    async with service.runtime.new_uow() as uow:
        assert await documents_of(uow, body["contract_id"]) == 3

    contract = (
        await service.client.get(f"/v1/contracts/{body['contract_id']}", headers=tokens.headers(CUSTOMER))
    ).json()
    assert contract["fixed_term_end"] == "2027-06-30"  # VAST-1JR: twelve months
    assert contract["status"] == "confirmed"
    listed = (await service.client.get("/v1/contract-requests", headers=tokens.headers(CUSTOMER))).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert (item["id"], item["status"]) == (body["id"], "confirmed")
    assert item["withdrawal_until"] == "2026-03-25"  # 14 days from the confirmation, not the request
    assert [h["kind"] for h in item["history"]] == ["requested", "confirmed"]
    other = (await service.client.get("/v1/contract-requests", headers=tokens.headers("999888777"))).json()
    assert other["total"] == 0


async def test_the_confirmation_announces_what_is_recorded_about_the_meter_by_then(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract, settings: ContractsSettings
) -> None:
    await make_contract()
    made = await service.client.post(
        "/v1/contract-requests", json=request_body(), headers=tokens.headers(CUSTOMER)
    )
    contract_id = made.json()["contract_id"]
    async with service.runtime.new_uow() as uow:  # as operations record them before confirming
        contract = await uow.session.get(Contract, contract_id)
        assert contract is not None
        contract.meter_location = "indoors"
        uow.session.add(
            ExpectedConsumption(
                contract_id=contract_id, register="electricity_single", annual_volume=Decimal("2750")
            )
        )
        await uow.commit()
    assert await process(service, settings, TODAY + timedelta(days=1)) == (1, 0)
    [created] = [e for e in await service.outbox("ContractCreated") if e.subject == contract_id]
    assert (created.data["ean"], created.data["meter_location"]) == (EAN, "indoors")
    assert created.data["expected_annual_consumption"] == {"electricity_single": "2750.000"}


async def test_the_job_refuses_what_the_supplier_can_no_longer_honour(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract, settings: ContractsSettings
) -> None:
    await make_contract()
    headers = tokens.headers(CUSTOMER)
    soon = await service.client.post(
        "/v1/contract-requests",
        json=request_body(product_code="VARIABEL", desired_start_date="2026-04-09"),
        headers=headers,
    )
    off_sale = await service.client.post(
        "/v1/contract-requests",
        json=request_body(commodity="gas", ean=GAS_EAN, capacity="6"),
        headers=headers,
    )
    async with service.runtime.new_uow() as uow:
        product = await uow.session.get(Product, "VAST-1JR")
        assert product is not None
        product.on_sale = False
        await uow.commit()
    # 2026-03-26: the start on 2026-04-09 is 14 days away, less than the 15-day lead time.
    assert await process(service, settings, date(2026, 3, 26)) == (0, 2)
    created = {e.subject for e in await service.outbox("ContractCreated")}
    assert not created & {soon.json()["contract_id"], off_sale.json()["contract_id"]}
    refusals = {e.subject: e.data for e in await service.outbox("ContractRequestRefused")}
    assert refusals[soon.json()["contract_id"]]["request_id"] == soon.json()["id"]
    assert "2026-04-09" in refusals[soon.json()["contract_id"]]["reason"]
    assert "VAST-1JR" in refusals[off_sale.json()["contract_id"]]["reason"]
    listed = (await service.client.get("/v1/contract-requests", headers=headers)).json()["items"]
    assert {i["status"] for i in listed} == {"refused"}
    assert all(i["refusal_reason"] and i["withdrawal_until"] is None for i in listed)
    assert [h["kind"] for h in listed[0]["history"]] == ["requested", "refused"]
    assert await process(service, settings, date(2026, 3, 26)) == (0, 0)
    # A refused request frees its connection for a new request.
    again = await service.client.post(
        "/v1/contract-requests", json=request_body(product_code="VARIABEL"), headers=headers
    )
    assert again.status_code == 201, again.text


async def test_operations_confirm_or_refuse_a_request_by_hand(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract()
    headers = tokens.headers(CUSTOMER)
    first = (await service.client.post("/v1/contract-requests", json=request_body(), headers=headers)).json()
    second = (
        await service.client.post(
            "/v1/contract-requests",
            json=request_body(commodity="gas", ean=GAS_EAN, capacity="6"),
            headers=headers,
        )
    ).json()
    base = "/v1/admin/contract-requests"
    as_customer = await service.client.post(f"{base}/{first['id']}/confirmation", headers=headers)
    assert as_customer.status_code in (401, 403)

    confirmed = await service.client.post(
        f"{base}/{first['id']}/confirmation", headers=tokens.operator_headers()
    )
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["withdrawal_until"]) == ("confirmed", "2026-03-24")
    assert [e.subject for e in await service.outbox("ContractCreated")][-1] == first["contract_id"]
    twice = await service.client.post(f"{base}/{first['id']}/confirmation", headers=tokens.operator_headers())
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/contract-request-decided"

    before = len(await service.outbox())
    blank = await service.client.post(
        f"{base}/{second['id']}/refusal", json={"reason": ""}, headers=tokens.operator_headers()
    )
    assert blank.status_code == 422
    unknown = await service.client.post(
        f"{base}/nope/refusal", json={"reason": "x"}, headers=tokens.operator_headers()
    )
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "/problems/contract-request-not-found"
    assert len(await service.outbox()) == before
    refused = await service.client.post(
        f"{base}/{second['id']}/refusal",
        json={"reason": "The grid operator knows no gas connection at this EAN."},
        headers=tokens.operator_headers(),
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "refused"
    [event] = await service.outbox("ContractRequestRefused")
    assert event.data["reason"] == "The grid operator knows no gas connection at this EAN."
    assert event.data["customer_number"] == CUSTOMER
    assert len(await service.outbox("ContractCreated")) == 2  # make_contract's and the confirmed one
    late = await service.client.post(f"{base}/{second['id']}/confirmation", headers=tokens.operator_headers())
    assert late.status_code == 409


async def test_operations_cannot_confirm_once_the_start_date_has_passed(
    app: FastAPI, service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract()
    made = (
        await service.client.post(
            "/v1/contract-requests", json=request_body(), headers=tokens.headers(CUSTOMER)
        )
    ).json()
    app.state.clock = lambda: datetime(2026, 4, 10, 12, tzinfo=UTC)  # the start was 2026-04-09
    before = len(await service.outbox())
    late = await service.client.post(
        f"/v1/admin/contract-requests/{made['id']}/confirmation", headers=tokens.operator_headers()
    )
    assert late.status_code == 409
    assert late.json()["type"] == "/problems/start-date-passed"
    assert len(await service.outbox()) == before
    listed = (await service.client.get("/v1/contract-requests", headers=tokens.headers(CUSTOMER))).json()
    assert listed["items"][0]["status"] == "requested"


@pytest.mark.parametrize(
    ("change", "slug", "field", "words"),
    [
        ({"capacity": "3x100A"}, "large-consumer-connection", "capacity", "large-consumer"),
        (
            {"commodity": "gas", "ean": GAS_EAN, "capacity": "65"},
            "large-consumer-connection",
            "capacity",
            "40",
        ),
        ({"ean": "871687140000000018"}, "invalid-connection", "ean", "check digit"),
        ({"desired_start_date": "2026-04-08"}, "invalid-start-date", "desired_start_date", "2026-04-09"),
        ({"desired_start_date": "2026-09-11"}, "invalid-start-date", "desired_start_date", "2026-09-10"),
        ({"product_code": "NOPE"}, "invalid-contract-terms", "product_code", "product"),
        ({"product_code": "WARMTE"}, "invalid-contract-terms", "product_code", "electricity"),
        (
            {"supply_address": {**HOME, "postcode": "12345"}},
            "invalid-postcode",
            "supply_address.postcode",
            "postcode",
        ),
    ],
)
async def test_bad_requests_record_nothing(
    service: Harness,
    tokens: TokenFactory,
    make_contract: MakeContract,
    change: dict[str, Any],
    slug: str,
    field: str,
    words: str,
) -> None:
    await make_contract()
    before = len(await service.outbox())
    refused = await service.client.post(
        "/v1/contract-requests", json=request_body(**change), headers=tokens.headers(CUSTOMER)
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == f"/problems/{slug}"
    assert problem["errors"][0]["field"] == field
    assert words in problem["detail"]
    assert len(await service.outbox()) == before
    assert (await service.client.get("/v1/contract-requests", headers=tokens.headers(CUSTOMER))).json()[
        "total"
    ] == 0


async def test_one_current_contract_per_connection(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract()
    first = await service.client.post(
        "/v1/contract-requests", json=request_body(), headers=tokens.headers(CUSTOMER)
    )
    assert first.status_code == 201
    again = await service.client.post(
        "/v1/contract-requests", json=request_body(), headers=tokens.headers(CUSTOMER)
    )
    assert again.status_code == 409


async def test_a_business_customer_may_request_within_the_small_consumer_limits(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract(segment="business")
    made = await service.client.post(
        "/v1/contract-requests",
        json=request_body(commodity="gas", ean=GAS_EAN, capacity="40 m3(n)/h"),
        headers=tokens.headers(CUSTOMER),
    )
    assert made.status_code == 201, made.text
    assert made.json()["capacity"] == "40 m3(n)/h"


async def test_contracts_become_active_on_their_start_date_once(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract, settings: ContractsSettings
) -> None:
    await make_contract()
    made = (
        await service.client.post(
            "/v1/contract-requests",
            json=request_body(desired_start_date="2026-04-20"),
            headers=tokens.headers(CUSTOMER),
        )
    ).json()
    async with service.runtime.new_uow() as uow:
        assert await activate_due_contracts(uow, today=date(2026, 4, 20), now=NOW) == 0  # not confirmed yet
    await process(service, settings)
    async with service.runtime.new_uow() as uow:
        assert await activate_due_contracts(uow, today=date(2026, 4, 19), now=NOW) == 0
    async with service.runtime.new_uow() as uow:
        assert await activate_due_contracts(uow, today=date(2026, 4, 20), now=NOW) == 1
    async with service.runtime.new_uow() as uow:
        assert await activate_due_contracts(uow, today=date(2026, 4, 21), now=NOW) == 0  # safe to rerun
    [item] = (await service.client.get("/v1/contract-requests", headers=tokens.headers(CUSTOMER))).json()[
        "items"
    ]
    assert item["id"] == made["id"]
    assert item["status"] == "active"
    assert [h["kind"] for h in item["history"]] == ["requested", "confirmed", "activated"]


def test_the_activation_command_runs(
    settings: ContractsSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", settings.database_url)
    assert main(["migrate"]) == 0
    assert main(["activate-due-contracts"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "0"
    assert main(["confirm-contract-requests", "--today", "2026-03-10"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "0"


async def test_withdrawal_within_14_days_is_free(
    app: FastAPI,
    service: Harness,
    tokens: TokenFactory,
    make_contract: MakeContract,
    settings: ContractsSettings,
) -> None:
    await make_contract()
    made = (
        await service.client.post(
            "/v1/contract-requests", json=request_body(), headers=tokens.headers(CUSTOMER)
        )
    ).json()
    await process(service, settings)
    url = f"/v1/contracts/{made['contract_id']}/withdrawal"
    app.state.clock = lambda: datetime(2026, 3, 24, 12, tzinfo=UTC)  # the 14th day
    done = await service.client.post(url, headers=tokens.headers(CUSTOMER))
    assert done.status_code == 201, done.text
    assert done.json() == {
        "contract_id": made["contract_id"],
        "status": "withdrawn",
        "last_supply_day": None,
        "fee": "0.00",
    }
    [withdrawn] = await service.outbox("ContractWithdrawn")
    assert withdrawn.data == {
        "contract_id": made["contract_id"],
        "customer_number": CUSTOMER,
        "withdrawn_on": "2026-03-24",
        "last_supply_day": None,
    }
    assert await service.outbox("ContractTerminated") == []
    again = await service.client.post(url, headers=tokens.headers(CUSTOMER))
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/contract-not-active"
    listed = (await service.client.get("/v1/contract-requests", headers=tokens.headers(CUSTOMER))).json()
    assert listed["items"][0]["status"] == "withdrawn"
    assert listed["items"][0]["history"][-1]["kind"] == "withdrawn"


async def test_withdrawal_after_14_days_is_refused(
    app: FastAPI,
    service: Harness,
    tokens: TokenFactory,
    make_contract: MakeContract,
    settings: ContractsSettings,
) -> None:
    old = await make_contract()  # concluded 2025-06-01
    refused = await service.client.post(f"/v1/contracts/{old}/withdrawal", headers=tokens.headers(CUSTOMER))
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/withdrawal-period-over"
    assert "2025-06-15" in refused.json()["detail"]
    made = (
        await service.client.post(
            "/v1/contract-requests", json=request_body(), headers=tokens.headers(CUSTOMER)
        )
    ).json()
    await process(service, settings)
    app.state.clock = lambda: datetime(2026, 3, 25, 12, tzinfo=UTC)  # the 15th day
    late = await service.client.post(
        f"/v1/contracts/{made['contract_id']}/withdrawal", headers=tokens.headers(CUSTOMER)
    )
    assert late.status_code == 409
    assert await service.outbox("ContractWithdrawn") == []
    other = await service.client.post(
        f"/v1/contracts/{made['contract_id']}/withdrawal", headers=tokens.headers("999888777")
    )
    assert other.status_code == 404


async def test_a_contract_moves_with_the_customer(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    electricity = await make_contract(supply_postcode="1234AB")
    gas = await make_contract(commodity="gas", supply_postcode="1234AB")
    moved = await service.client.post(
        "/v1/moves",
        json={"move_out_date": "2026-03-15", "move_in_date": "2026-03-16", "new_address": NEW_HOME},
        headers=tokens.headers(CUSTOMER),
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["outcome"] == "moved"
    assert sorted(moved.json()["contract_ids"]) == sorted([electricity, gas])
    events = {e.subject: e.data for e in await service.outbox("ContractMoved")}
    assert events[electricity]["old_supply_postcode"] == "1234AB"
    assert events[electricity]["new_supply_postcode"] == "9711CD"
    new_supply = ("new_supply_street", "new_supply_house_number", "new_supply_house_number_addition")
    assert tuple(events[gas][field] for field in new_supply) == ("Dorpsweg", 3, "A")
    assert events[gas]["new_supply_city"] == "Groningen"
    assert (events[gas]["move_out_date"], events[gas]["move_in_date"]) == ("2026-03-15", "2026-03-16")
    registered = await service.outbox("CustomerRegistered")
    assert registered[-1].data["supply_postcodes"] == ["9711CD"]
    contract = (
        await service.client.get(f"/v1/contracts/{electricity}", headers=tokens.headers(CUSTOMER))
    ).json()
    assert (contract["supply_postcode"], contract["status"], contract["termination_fee"]) == (
        "9711CD",
        "active",
        None,
    )
    assert await service.outbox("ContractTerminated") == []


async def test_moving_out_without_a_new_address_ends_the_contracts(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract = await make_contract()
    ended = await service.client.post(
        "/v1/moves", json={"move_out_date": "2026-04-01"}, headers=tokens.headers(CUSTOMER)
    )
    assert ended.status_code == 201, ended.text
    assert ended.json()["outcome"] == "terminated"
    [terminated] = await service.outbox("ContractTerminated")
    assert terminated.subject == contract
    assert (terminated.data["reason"], terminated.data["end_date"]) == ("move", "2026-04-01")
    assert terminated.data["termination_fee"] != "0.00"  # early termination: the fee rules apply


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"move_out_date": "2026-03-14"}, "move_out_date"),  # 4 days' notice
        ({"move_out_date": "2026-03-01"}, "move_out_date"),  # in the past
        ({"move_out_date": "2026-04-01", "new_address": NEW_HOME}, "move_in_date"),
        (
            {
                "move_out_date": "2026-04-01",
                "move_in_date": "2026-04-01",
                "new_address": {**NEW_HOME, "postcode": "x"},
            },
            "new_address.postcode",
        ),
    ],
)
async def test_bad_moves_change_nothing(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract, body: dict[str, Any], field: str
) -> None:
    contract = await make_contract()
    before = len(await service.outbox())
    refused = await service.client.post("/v1/moves", json=body, headers=tokens.headers(CUSTOMER))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == field
    assert len(await service.outbox()) == before
    stored = (await service.client.get(f"/v1/contracts/{contract}", headers=tokens.headers(CUSTOMER))).json()
    assert (stored["supply_postcode"], stored["status"]) == ("1234AB", "active")


async def test_contracts_at_several_addresses_must_be_named(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    home = await make_contract(supply_postcode="1234AB")
    await make_contract(supply_postcode="5678CD")
    body = {"move_out_date": "2026-04-01", "move_in_date": "2026-04-02", "new_address": NEW_HOME}
    refused = await service.client.post("/v1/moves", json=body, headers=tokens.headers(CUSTOMER))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "contract_ids"
    named = await service.client.post(
        "/v1/moves", json={**body, "contract_ids": [home]}, headers=tokens.headers(CUSTOMER)
    )
    assert named.status_code == 201
    assert (await service.outbox("CustomerRegistered"))[-1].data["supply_postcodes"] == ["5678CD", "9711CD"]


async def test_operations_add_a_co_holder(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    contract = await make_contract()
    url = f"/v1/admin/contracts/{contract}/co-holders"
    body = {"name": "A. de Vries", "email": "a.devries@example.nl", "phone": "06 1234 5678"}
    assert (await service.client.post(url, json=body, headers=tokens.headers(CUSTOMER))).status_code in (
        401,
        403,
    )
    added = await service.client.post(url, json=body, headers=tokens.operator_headers())
    assert added.status_code == 201, added.text
    assert (added.json()["name"], added.json()["added_by"]) == ("A. de Vries", "ops-tester")
    [event] = await service.outbox("CoHolderAdded")
    assert event.data == {
        "contract_id": contract,
        "customer_number": CUSTOMER,
        "co_holder_id": added.json()["id"],
    }
    bad = await service.client.post(url, json={**body, "email": "nope"}, headers=tokens.operator_headers())
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "email"
    listed = await service.client.get(url, headers=tokens.operator_headers())
    assert [h["id"] for h in listed.json()] == [added.json()["id"]]
    missing = await service.client.post(
        "/v1/admin/contracts/nope/co-holders", json=body, headers=tokens.operator_headers()
    )
    assert missing.status_code == 404
