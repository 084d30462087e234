"""hub MeterInstalled: the grid operator names a contract's meter, or exchanges it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaMessage

from metering.db.tables import Meter, MeterRegister, Reading
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas import Envelope
from portal_schemas.hub import MeterInstalled

CUSTOMER = "100001"
EAN = "871234567890123456"
OTHER_EAN = "871234567890999999"


async def my_meters(service: Harness, tokens: TokenFactory) -> list[dict[str, Any]]:
    response = await service.client.get("/v1/meters", headers=tokens.headers(CUSTOMER))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def post_reading(service: Harness, tokens: TokenFactory, value: str, read_at: str) -> httpx.Response:
    body = {"contract_id": "C-1", "register_type": "electricity_single", "value": value, "read_at": read_at}
    return await service.client.post("/v1/readings", json=body, headers=tokens.headers(CUSTOMER))


async def test_a_first_placement_names_the_placeholder_meter(
    service: Harness, tokens, contracts, hub
) -> None:
    await contracts.created(ean=EAN, expected={"electricity_single": "3000"})
    [placeholder] = await my_meters(service, tokens)
    assert (placeholder["serial"], placeholder["smart"], placeholder["location"]) == (None, False, "unknown")
    assert placeholder["installed_on"] == "2026-01-01"
    assert [(r["register_type"], r["digits"]) for r in placeholder["registers"]] == [
        ("electricity_single", None)
    ]

    await hub.installed(
        EAN,
        "E-100",
        date(2026, 1, 15),
        {"electricity_normal": (6, "1200.5"), "electricity_offpeak": (6, "800")},
        smart=True,
        location="indoors",
    )
    [meter] = await my_meters(service, tokens)
    assert meter["meter_id"] == placeholder["meter_id"]  # the same meter, now named
    assert (meter["serial"], meter["smart"], meter["location"]) == ("E-100", True, "indoors")
    assert (meter["installed_on"], meter["removed_on"]) == ("2026-01-15", None)
    registers = {r["register_type"]: r for r in meter["registers"]}
    assert {k: r["digits"] for k, r in registers.items()} == {
        "electricity_normal": 6,
        "electricity_offpeak": 6,
    }
    normal = registers["electricity_normal"]["latest_reading"]
    assert (normal["value"], normal["source"], normal["quality"]) == ("1200.500", "technician", "actual")
    assert normal["read_at"] == "2026-01-14T23:00:00Z"  # 15 January 00:00 CET

    events = await service.outbox("MeterReadingReceived")
    assert sorted(e.data["register_type"] for e in events) == ["electricity_normal", "electricity_offpeak"]
    assert all(e.subject == meter["meter_id"] and e.data["source"] == "technician" for e in events)
    assert {e.data["value"] for e in events} == {"1200.500", "800.000"}


async def test_the_same_installation_twice_changes_nothing(service: Harness, contracts, hub, rows) -> None:
    await contracts.created(ean=EAN)
    envelope = await hub.installed(EAN, "E-100", date(2026, 1, 1), {"electricity_single": (5, "10")})
    await service.redeliver(envelope, MeterInstalled.topic())  # the inbox stops it
    await hub.installed(EAN, "E-100", date(2026, 1, 1), {"electricity_single": (5, "10")})  # republished
    assert (await rows(Meter), await rows(MeterRegister), await rows(Reading)) == (1, 1, 1)
    assert len(await service.outbox("MeterReadingReceived")) == 1


async def test_an_exchange_starts_a_new_meter_with_its_own_indexes(
    service: Harness, tokens, contracts, hub
) -> None:
    await contracts.created(ean=EAN)
    await hub.installed(EAN, "E-100", date(2026, 1, 1), {"electricity_single": (5, "1000")})
    assert (await post_reading(service, tokens, "1500", "2026-03-01")).status_code == 201

    await hub.installed(
        EAN,
        "E-200",
        date(2026, 4, 1),
        {"electricity_single": (6, "0"), "feed_in_normal": (6, "0")},
        smart=True,
        replaced_serial="E-100",
        final_indexes={"electricity_single": (5, "1800")},
    )
    new, old = await my_meters(service, tokens)  # the meter in place first
    assert (new["serial"], new["installed_on"], new["removed_on"]) == ("E-200", "2026-04-01", None)
    assert (old["serial"], old["removed_on"]) == ("E-100", "2026-04-01")
    [old_register] = old["registers"]
    assert old_register["latest_reading"]["value"] == "1800.000"  # the final index
    assert old_register["latest_reading"]["read_at"] == "2026-03-31T22:00:00Z"  # 1 April 00:00 CEST
    assert [r["register_type"] for r in new["registers"]] == ["electricity_single", "feed_in_normal"]

    # After the exchange a lower index is the new meter's, not a step back.
    after = await post_reading(service, tokens, "25", "2026-04-15")
    assert after.status_code == 201, after.text
    assert after.json()["meter_id"] == new["meter_id"]
    # A reading dated before the exchange is the old meter's, between its known indexes.
    late = await post_reading(service, tokens, "1700", "2026-03-20")
    assert (late.status_code, late.json()["meter_id"]) == (201, old["meter_id"])
    too_high = await post_reading(service, tokens, "1900", "2026-03-21")
    assert too_high.json()["type"] == "/problems/reading-not-monotonic"
    assert too_high.json()["next_value"] == "1800.000"

    events = await service.outbox("MeterReadingReceived")
    by_meter = [(e.subject, e.data["value"], e.data["source"]) for e in events]
    assert (old["meter_id"], "1800.000", "technician") in by_meter
    assert (new["meter_id"], "0.000", "technician") in by_meter


async def test_an_exchange_before_the_meter_was_named_names_the_old_one(
    service: Harness, tokens, contracts, hub
) -> None:
    await contracts.created(ean=EAN)  # placeholder with electricity_single
    await hub.installed(
        EAN,
        "E-200",
        date(2026, 2, 1),
        {"electricity_single": (6, "5")},
        replaced_serial="E-OLD",
        final_indexes={"electricity_normal": (5, "300"), "electricity_offpeak": (5, "200")},
    )
    new, old = await my_meters(service, tokens)
    assert (old["serial"], old["removed_on"], new["serial"]) == ("E-OLD", "2026-02-01", "E-200")
    assert {r["register_type"]: r["digits"] for r in old["registers"]} == {
        "electricity_normal": 5,
        "electricity_offpeak": 5,
    }


def hub_message(**changes: Any) -> dict[str, Any]:
    data = {**hub_message_defaults(), **changes}
    valid = MeterInstalled.model_validate(hub_message_defaults())
    envelope = Envelope.wrap(valid, subject=EAN, producer="hub").model_dump(mode="json")
    return {**envelope, "data": data}  # as the hub adapter wrote it, valid or not


def hub_message_defaults() -> dict[str, Any]:
    return {
        "notice_id": "N-1",
        "ean": EAN,
        "meter_serial": "E-100",
        "installed_on": "2026-02-01",
        "smart": False,
        "registers": [{"register_type": "electricity_single", "digits": 5, "index": "10"}],
    }


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"ean": OTHER_EAN}, "unknown connection"),
        ({"installed_on": "2025-12-31"}, "unknown connection"),  # before the contract started
        ({"ean": "12345"}, "validation failed: body.data.ean"),
        ({"registers": []}, "validation failed: body.data.registers"),
        ({"registers": [{"register_type": "gas", "digits": 5, "index": "1"}]}, "no gas register"),
        (
            {
                "registers": [
                    {"register_type": "electricity_single", "digits": 5, "index": "1"},
                    {"register_type": "electricity_single", "digits": 5, "index": "2"},
                ]
            },
            "named twice",
        ),
        (
            {"registers": [{"register_type": "electricity_single", "digits": 4, "index": "10000"}]},
            "more digits than its counter",
        ),
        (
            {"final_indexes": [{"register_type": "electricity_single", "digits": 5, "index": "1"}]},
            "final_indexes given for a first placement",
        ),
    ],
)
async def test_a_bad_installation_goes_to_the_dead_letters_and_changes_nothing(
    service: Harness,
    tokens,
    contracts,
    rows,
    dead_letters: list[KafkaMessage],
    changes: dict[str, Any],
    reason: str,
) -> None:
    await contracts.created(ean=EAN)
    before = await my_meters(service, tokens)
    await service.broker.publish(hub_message(**changes), MeterInstalled.topic(), key=EAN.encode())
    [dead] = dead_letters
    assert reason in dead.headers["dlt-error"]
    assert EAN not in dead.headers["dlt-error"]  # the reason never repeats the connection
    assert json.loads(dead.body)["data"]["meter_serial"] == "E-100"  # the message itself is kept
    assert await my_meters(service, tokens) == before
    assert await rows(Reading) == 0
    assert await service.outbox() == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"replaced_serial": "E-999"}, "not the meter in place"),
        ({"installed_on": "2026-01-15"}, "before the meter in place was installed"),
        (
            {"final_indexes": [{"register_type": "feed_in_normal", "digits": 5, "index": "1"}]},
            "the replaced meter has no feed_in_normal register",
        ),
    ],
)
async def test_a_bad_exchange_goes_to_the_dead_letters_and_changes_nothing(
    service: Harness,
    tokens,
    contracts,
    hub,
    rows,
    dead_letters: list[KafkaMessage],
    changes: dict[str, Any],
    reason: str,
) -> None:
    await contracts.created(ean=EAN)
    await hub.installed(EAN, "E-100", date(2026, 2, 1), {"electricity_single": (5, "10")})
    before = await my_meters(service, tokens)
    exchange = {"meter_serial": "E-200", "installed_on": "2026-03-01", "replaced_serial": "E-100", **changes}
    await service.broker.publish(hub_message(**exchange), MeterInstalled.topic(), key=EAN.encode())
    [dead] = dead_letters
    assert reason in dead.headers["dlt-error"]
    assert await my_meters(service, tokens) == before
    assert await rows(Reading) == 1  # the first placement's index only
    assert len(await service.outbox("MeterReadingReceived")) == 1
