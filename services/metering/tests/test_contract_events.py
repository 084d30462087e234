"""Contracts' events keep metering's contracts and meters: once each, in any order."""

from __future__ import annotations

from datetime import date

import pytest
from faststream.kafka import KafkaMessage
from sqlalchemy import select

from metering.db.tables import (
    ContractView,
    EarlyAmendment,
    EarlyTermination,
    ExpectedConsumption,
    FinalReadingRequest,
    Meter,
    MeterRegister,
)
from portal_chassis import tables
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.contracts import Commodity, ContractCreated, ContractTerminated

CUSTOMER = "100001"


async def my_meters(service: Harness, tokens: TokenFactory) -> list[dict]:
    response = await service.client.get("/v1/meters", headers=tokens.headers(CUSTOMER))
    assert response.status_code == 200, response.text
    items: list[dict] = response.json()["items"]
    return items


@pytest.mark.parametrize(
    ("commodity", "registers"),
    [
        ("electricity", [("electricity_single", "kWh")]),
        ("gas", [("gas", "m3")]),
        ("heat", [("heat", "GJ"), ("hot_water", "m3")]),
    ],
)
async def test_a_new_contract_gets_a_meter_with_its_registers(
    service: Harness, tokens, contracts, commodity: Commodity, registers: list[tuple[str, str]]
) -> None:
    await contracts.created(commodity=commodity)
    [meter] = await my_meters(service, tokens)
    assert meter["contract_id"] == "C-1"
    assert meter["commodity"] == commodity
    assert (meter["contract_status"], meter["readings_expected"]) == ("active", True)
    assert [(r["register_type"], r["unit"]) for r in meter["registers"]] == registers
    assert all(r["latest_reading"] is None for r in meter["registers"])


async def test_contract_created_delivered_twice_makes_one_meter(
    service: Harness, tokens, contracts, rows
) -> None:
    envelope = await contracts.created(commodity="heat")
    await service.redeliver(envelope, ContractCreated.topic())
    assert await rows(Meter) == 1
    assert await rows(MeterRegister) == 2  # heat and hot water, not four
    async with service.runtime.sessions() as session:
        claims = (await session.execute(select(tables.inbox))).all()
    assert [c.consumer for c in claims] == ["metering.contract-created"]


async def test_contract_created_republished_under_a_new_event_id_makes_one_meter(
    service: Harness, contracts, rows
) -> None:
    first = await contracts.created()
    second = await contracts.created()  # same contract, a different envelope
    assert first.event_id != second.event_id
    assert await rows(Meter) == 1
    # Both were applied (claimed in the inbox), the second as a no-op: not retried into the
    # dead-letter topic by a duplicate-key error.
    async with service.runtime.sessions() as session:
        claimed = set((await session.scalars(select(tables.inbox.c.event_id))).all())
    assert claimed == {str(first.event_id), str(second.event_id)}


async def test_termination_stops_reminders_and_later_readings(service: Harness, tokens, contracts) -> None:
    await contracts.created(start_date=date(2026, 1, 1))
    envelope = await contracts.terminated(end_date=date(2026, 3, 31))
    await service.redeliver(envelope, ContractTerminated.topic())  # changes nothing more

    [meter] = await my_meters(service, tokens)
    assert meter["contract_status"] == "ended"
    assert meter["contract_end_date"] == "2026-03-31"
    assert meter["readings_expected"] is False

    async def reading(value: str, read_at: str) -> dict:
        response = await service.client.post(
            "/v1/readings",
            json={
                "contract_id": "C-1",
                "register_type": "electricity_single",
                "value": value,
                "read_at": read_at,
            },
            headers=tokens.headers(CUSTOMER),
        )
        return {"status": response.status_code, **response.json()}

    # The final reading on the last day is still welcome: 31 March 23:59 CEST is 21:59 UTC.
    final = await reading("800", "2026-03-31T21:59:00Z")
    assert final["status"] == 201
    # 1 April 00:00 CEST (22:00 UTC on 31 March) is the first moment after the end date.
    after = await reading("810", "2026-03-31T22:00:00Z")
    assert after["status"] == 422
    assert after["type"] == "/problems/reading-after-contract-end"
    assert after["end_date"] == "2026-03-31"
    assert len(await service.outbox("MeterReadingReceived")) == 1


async def test_a_termination_that_arrives_first_is_applied_on_creation(
    service: Harness, tokens, contracts, rows
) -> None:
    await contracts.terminated(end_date=date(2026, 6, 30))
    assert await rows(EarlyTermination) == 1
    assert await my_meters(service, tokens) == []  # no contract, so no meter yet

    await contracts.created(start_date=date(2026, 1, 1))
    [meter] = await my_meters(service, tokens)
    assert (meter["contract_status"], meter["contract_end_date"]) == ("ended", "2026-06-30")
    assert meter["readings_expected"] is False
    assert await rows(EarlyTermination) == 0


async def test_a_later_termination_corrects_the_end_date(service: Harness, tokens, contracts) -> None:
    await contracts.created()
    await contracts.terminated(end_date=date(2026, 3, 31))
    await contracts.terminated(end_date=date(2026, 4, 30))
    [meter] = await my_meters(service, tokens)
    assert meter["contract_end_date"] == "2026-04-30"


async def test_expected_consumption_per_tariff_gives_a_dual_tariff_meter(
    service: Harness, tokens, contracts
) -> None:
    await contracts.created(
        meter_location="indoors",
        ean="871234567890123456",
        expected={"electricity_normal": "1800", "electricity_offpeak": "1200.5"},
    )
    [meter] = await my_meters(service, tokens)
    assert [r["register_type"] for r in meter["registers"]] == ["electricity_normal", "electricity_offpeak"]
    assert all(r["digits"] is None for r in meter["registers"])
    assert (meter["location"], meter["installed_on"], meter["serial"]) == ("indoors", "2026-01-01", None)
    async with service.runtime.sessions() as session:
        volumes = {
            r.register_type: str(r.annual_volume) for r in await session.scalars(select(ExpectedConsumption))
        }
        contract = await session.get(ContractView, "C-1")
    assert volumes == {"electricity_normal": "1800.000", "electricity_offpeak": "1200.500"}
    assert contract is not None and contract.ean == "871234567890123456"


async def test_a_termination_asks_for_the_final_reading_once_per_end_date(
    service: Harness, tokens, contracts, rows
) -> None:
    await contracts.created(commodity="heat")
    await contracts.terminated(end_date=date(2026, 6, 30))
    await contracts.terminated(end_date=date(2026, 6, 30))  # e.g. the final fee: same date
    [meter] = await my_meters(service, tokens)
    [asked] = await service.outbox("FinalReadingRequested")
    assert asked.subject == "C-1"
    assert asked.data == {
        "contract_id": "C-1",
        "customer_number": CUSTOMER,
        "meter_id": meter["meter_id"],
        "end_date": "2026-06-30",
        "registers": ["heat", "hot_water"],
    }
    await contracts.terminated(end_date=date(2026, 7, 31))  # a corrected end date asks again
    assert [e.data["end_date"] for e in await service.outbox("FinalReadingRequested")] == [
        "2026-06-30",
        "2026-07-31",
    ]
    assert await rows(FinalReadingRequest) == 2


async def test_a_termination_that_arrives_first_asks_on_creation(service: Harness, contracts) -> None:
    await contracts.terminated(end_date=date(2026, 6, 30))
    assert await service.outbox("FinalReadingRequested") == []
    await contracts.created()
    [asked] = await service.outbox("FinalReadingRequested")
    assert asked.data["end_date"] == "2026-06-30"


async def self_reading(service: Harness) -> bool:
    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
    assert contract is not None
    return contract.self_reading


async def test_an_amendment_keeps_the_self_reading_option(service: Harness, contracts) -> None:
    await contracts.created()
    assert await self_reading(service) is False
    await contracts.amended(self_reading=True)
    assert await self_reading(service) is True
    # Taking effect later is kept as well (the latest event says what the customer chose).
    await contracts.amended(self_reading=False, effective_from=date(2026, 12, 1))
    assert await self_reading(service) is False


async def test_an_amendment_before_its_contract_is_kept_and_applied_on_creation(
    service: Harness, contracts, rows, dead_letters: list[KafkaMessage]
) -> None:
    await contracts.amended(self_reading=False)
    await contracts.amended(self_reading=True)  # a later one before the creation: it counts
    assert dead_letters == []
    assert await rows(ContractView) == 0
    assert await rows(EarlyAmendment) == 1
    await contracts.created()
    assert await self_reading(service) is True
    assert await rows(EarlyAmendment) == 0


async def test_an_amendment_after_its_contract_is_applied_at_once(
    service: Harness, contracts, rows, dead_letters: list[KafkaMessage]
) -> None:
    await contracts.created()
    await contracts.amended(self_reading=True)
    assert await self_reading(service) is True
    assert await rows(EarlyAmendment) == 0
    assert dead_letters == []
