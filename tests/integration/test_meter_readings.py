"""Meters and readings on the real stack: contracts' ContractCreated gives metering a contract
and a placeholder meter, the hub's MeterInstalled names it and later exchanges it, customers
submit readings through the gateway (unusual values confirmed, a rollover, the new meter's
lower index), operations record a technician's reading, the history shows the latest indexes,
bad readings are refused, the reminder job sends once, and a termination asks for the final
reading."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from portal_schemas.hub import RegisterSpec
from portal_schemas.metering import FinalReadingRequested, MeterReadingReceived, ReadingReminderDue


@pytest.fixture
def household(new_customer: Any, helpers: Any) -> Any:
    """A self-reading-ready electricity customer (meter indoors, 3650 kWh a year) with a portal
    account, and the connection's EAN."""
    return new_customer(ean=helpers.new_ean(), meter_location="indoors", annual_kwh="3650")


def test_readings_exchange_reminders_and_final_reading(
    gateway: httpx.Client, kafka: Any, cli: Any, helpers: Any, household: Any, customer: Any
) -> None:
    auth = helpers.log_in(gateway, household.email, household.password)
    contract_id, ean = household.contract_id, household.ean

    def meters() -> list[dict[str, Any]]:
        response = gateway.get("/metering/v1/meters", headers=auth)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def meters_if(condition: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]] | None:
        listed = meters()
        return listed if condition(listed) else None

    def submit(value: str, read_at: str, **extra: Any) -> httpx.Response:
        body = {
            "contract_id": contract_id,
            "register_type": "electricity_single",
            "value": value,
            "read_at": read_at,
        }
        return gateway.post("/metering/v1/readings", headers=auth, json={**body, **extra})

    # metering knows the contract (ContractCreated) before the hub names its meter.
    [placeholder] = helpers.eventually(meters)
    assert (placeholder["serial"], placeholder["location"]) == (None, "indoors")
    single = "electricity_single"
    placed = helpers.meter_installed(ean, "E-1", date(2026, 1, 1), {single: (5, "99000")}, smart=False)
    kafka.publish_event(placed, ean, "hub")
    [named] = helpers.eventually(lambda: [m for m in meters() if m["serial"] == "E-1"])
    assert named["meter_id"] == placeholder["meter_id"]
    assert named["registers"][0]["digits"] == 5

    # 10 kWh a day expected: 800 in 31 days is usual.
    first = submit("99800", "2026-02-01")
    assert first.status_code == 201, first.text
    # 10 kWh in 30 days is not (usual: 60 to 900): the customer is asked to confirm.
    unusual = submit("99810", "2026-03-03")
    assert unusual.status_code == 422
    assert unusual.headers["content-type"].startswith("application/problem+json")
    assert unusual.json()["type"] == "/problems/reading-unusual"
    assert (unusual.json()["expected_min"], unusual.json()["confirmation_required"]) == ("99860.000", True)
    confirmed = submit("99810", "2026-03-03", confirm_unusual=True)
    assert (confirmed.status_code, confirmed.json()["confirmed_unusual"]) == (201, True)
    # The 5-digit counter passes 99999.999: 100000 - 99810 + 150 = 340 kWh.
    assert submit("150", "2026-04-02").json()["type"] == "/problems/reading-not-monotonic"
    rolled = submit("150", "2026-04-02", rollover=True)
    assert (rolled.status_code, rolled.json()["rollover_capacity"]) == (201, "100000.000")

    # The grid operator exchanges the meter on 1 May: the new one starts at 3.
    exchange = helpers.meter_installed(
        ean, "E-2", date(2026, 5, 1), {single: (6, "3")}, smart=False, replaced_serial="E-1",
        final_indexes=[RegisterSpec.model_validate({"register_type": single, "digits": 5, "index": "400"})],
    )  # fmt: skip
    kafka.publish_event(exchange, ean, "hub")
    new, old = helpers.eventually(lambda: meters_if(lambda ms: len(ms) == 2))
    assert (new["serial"], old["serial"], old["removed_on"]) == ("E-2", "E-1", "2026-05-01")
    after = submit("50", "2026-05-15")  # below the old meter's 400: the new meter's index
    assert (after.status_code, after.json()["meter_id"]) == (201, new["meter_id"])

    # Operations record a technician's visit.
    ops = cli.operator_headers("ops-metering")
    technician = gateway.post(
        "/metering/v1/admin/readings",
        headers=ops,
        json={
            "contract_id": contract_id,
            "register_type": "electricity_single",
            "value": "200",
            "read_at": "2026-06-01T10:00:00+02:00",
            "source": "technician",
            "quality": "actual",
        },
    )
    assert technician.status_code == 201, technician.text
    assert technician.json()["plausibility"]["usual"] is True
    assert gateway.post("/metering/v1/admin/readings", headers=auth, json={}).status_code == 401

    # The history, newest first, and each meter's latest index.
    history = gateway.get(
        "/metering/v1/readings", headers=auth, params={"contract_id": contract_id, "limit": 100}
    )
    assert history.status_code == 200, history.text
    assert [(Decimal(r["value"]), r["source"]) for r in history.json()["items"][:2]] == [
        (Decimal(200), "technician"),
        (Decimal(50), "customer"),
    ]
    latest = {m["meter_id"]: m["registers"][0]["latest_reading"] for m in meters()}
    assert Decimal(latest[new["meter_id"]]["value"]) == 200
    assert Decimal(latest[old["meter_id"]]["value"]) == 400  # the final index of the exchange

    # Refused, and nothing emitted (the count below): a date to come, one before the contract,
    # a register the meter lacks, someone else's contract.
    future = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    for refused, slug in (
        (submit("300", future), "reading-in-future"),
        (submit("300", "2025-12-20"), "reading-before-contract-start"),
        (submit("300", "2026-06-15", register_type="gas"), "register-not-on-meter"),
        (submit("300", "2026-06-15", contract_id=customer.contract_id), "contract-not-found"),
    ):
        assert refused.status_code in (404, 422), refused.text
        assert refused.json()["type"] == f"/problems/{slug}"

    def mine(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e["data"] for e in events if e["data"].get("contract_id") == contract_id]

    # Two installation indexes, the old meter's final index, four customer readings, one technician's.
    events = kafka.envelopes(MeterReadingReceived.topic(), lambda es: len(mine(es)) >= 8)
    readings = mine(events)
    assert len(readings) == 8
    assert sorted({(r["source"], r["quality"]) for r in readings}) == [
        ("customer", "actual"),
        ("technician", "actual"),
    ]
    assert [r["value"] for r in readings if r["confirmed_unusual"]] == ["99810.000"]
    assert [r["value"] for r in readings if r["rollover_capacity"]] == ["150.000"]
    assert {r["meter_id"] for r in readings} == {old["meter_id"], new["meter_id"]}

    # Self-reading chosen in the portal: contracts announces it, and the reminder job finds it
    # due on 1 July (six months after the start; the technician came 34 days before the 5th).
    chosen = gateway.patch(
        f"/contracts/v1/contracts/{contract_id}/options", headers=auth, json={"self_reading": True}
    )
    assert chosen.status_code == 200, chosen.text
    kafka.wait_until_handled("contracts.contract-amended.v1", contract_id, "metering.contract-amended")
    assert int(cli("metering", "send-reading-reminders", "--today", "2026-07-05")) >= 1
    assert cli("metering", "send-reading-reminders", "--today", "2026-07-05") == "0"
    reminders = kafka.envelopes(ReadingReminderDue.topic(), lambda es: len(mine(es)) >= 1)
    [reminder] = mine(reminders)
    assert (reminder["due_on"], reminder["meter_id"]) == ("2026-07-01", new["meter_id"])

    # A termination asks for the final reading on the last supply day, once.
    terminated = gateway.post(
        f"/contracts/v1/contracts/{contract_id}/termination",
        headers=auth,
        json={"end_date": "2027-06-30", "reason": "switch"},
    )
    assert terminated.status_code in (200, 201), terminated.text
    requests = kafka.envelopes(FinalReadingRequested.topic(), lambda es: len(mine(es)) >= 1)
    [request] = mine(requests)
    assert (request["end_date"], request["meter_id"], request["registers"]) == (
        "2027-06-30",
        new["meter_id"],
        ["electricity_single"],
    )
    [meter, _] = helpers.eventually(lambda: meters_if(lambda ms: ms[0]["readings_expected"] is False))
    assert meter["contract_end_date"] == "2027-06-30"


def test_a_meter_on_an_unknown_connection_is_a_dead_letter(kafka: Any, helpers: Any) -> None:
    ean = helpers.new_ean()  # no contract supplies it
    serial = f"E-{uuid.uuid4().hex[:8]}"
    placed = helpers.meter_installed(
        ean, serial, date(2026, 1, 1), {"electricity_single": (5, "1")}, smart=False
    )
    kafka.publish_event(placed, ean, "hub")
    [dead] = kafka.keyed("metering.dead-letter.v1", ean)
    headers = {k: v.decode() for k, v in dead.headers}
    assert "unknown connection" in headers["dlt-error"]
    assert ean not in headers["dlt-error"]
    assert json.loads(dead.value)["data"]["ean"] == ean
