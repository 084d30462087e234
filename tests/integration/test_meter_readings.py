"""Meters and readings on the real stack: contracts' ContractCreated gives metering a contract
and a placeholder meter, the hub's MeterInstalled names it and later exchanges it, customers
submit readings through the gateway (unusual values confirmed, a rollover, the new meter's
lower index), operations record a technician's reading, the reminder job sends once, and a
termination asks for the final reading."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from portal_schemas import Envelope
from portal_schemas.hub import MeterInstalled, RegisterSpec
from portal_schemas.metering import FinalReadingRequested, MeterReadingReceived, ReadingReminderDue

PASSWORD = "a sturdy passphrase"


def placement(ean: str, serial: str, day: date, digits: int, index: str, **extra: Any) -> MeterInstalled:
    return MeterInstalled(
        notice_id=f"N-{uuid.uuid4().hex[:12]}",
        ean=ean,
        meter_serial=serial,
        installed_on=day,
        smart=False,
        location="indoors",
        registers=[
            RegisterSpec.model_validate(
                {"register_type": "electricity_single", "digits": digits, "index": index}
            )
        ],
        **extra,
    )


def publish(kafka: Any, event: MeterInstalled) -> None:
    kafka.publish(
        MeterInstalled.topic(),
        Envelope.wrap(event, subject=event.ean, producer="hub").to_json(),
        key=event.ean,
    )


@pytest.fixture
def household(cli: Any, helpers: Any) -> dict[str, str]:
    """A self-reading-ready electricity customer (meter indoors, 3650 kWh a year) with a portal
    account, and the connection's EAN."""
    number = str(uuid.uuid4().int)[:9]
    ean = helpers.new_ean()
    contract_id = cli(
        "contracts", "create-contract", "--customer-number", number, "--name", "Test Klant",
        "--commodity", "electricity", "--product-code", "VAST-3JR", "--start-date", "2026-01-01",
        "--fixed-term-end", "2029-01-01", "--supply-postcode", "1234AB", "--ean", ean,
        "--meter-location", "indoors", "--annual-kwh", "3650",
    )  # fmt: skip
    email = f"meter{number}@example.nl"
    cli("identity", "create-account", "--email", email, "--customer-number", number, stdin=PASSWORD + "\n")
    return {"number": number, "ean": ean, "contract_id": contract_id, "email": email}


def test_readings_exchange_reminders_and_final_reading(
    gateway: httpx.Client, kafka: Any, cli: Any, helpers: Any, household: dict[str, str]
) -> None:
    auth = helpers.log_in(gateway, household["email"], PASSWORD)
    contract_id, ean = household["contract_id"], household["ean"]

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
    publish(kafka, placement(ean, "E-1", date(2026, 1, 1), 5, "99000"))
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
    publish(
        kafka,
        placement(
            ean, "E-2", date(2026, 5, 1), 6, "3",
            replaced_serial="E-1",
            final_indexes=[
                RegisterSpec.model_validate(
                    {"register_type": "electricity_single", "digits": 5, "index": "400"}
                )
            ],
        ),
    )  # fmt: skip
    new, old = helpers.eventually(lambda: meters_if(lambda ms: len(ms) == 2))
    assert (new["serial"], old["serial"], old["removed_on"]) == ("E-2", "E-1", "2026-05-01")
    after = submit("50", "2026-05-15")  # below the old meter's 400: the new meter's index
    assert (after.status_code, after.json()["meter_id"]) == (201, new["meter_id"])

    # Operations record a technician's visit.
    ops = {"Authorization": f"Bearer {cli('identity', 'operator-token', '--operator', 'ops-metering')}"}
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
    records = kafka.read(
        "contracts.contract-amended.v1", lambda rs: any(r.key == contract_id.encode() for r in rs)
    )
    kafka.wait_for_group(
        "metering.contract-amended", [r for r in records if r.key == contract_id.encode()][-1]
    )
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
    publish(kafka, placement(ean, f"E-{uuid.uuid4().hex[:8]}", date(2026, 1, 1), 5, "1"))

    def about_it(records: list[Any]) -> list[Any]:
        return [r for r in records if r.key == ean.encode()]

    records = kafka.read("metering.dead-letter.v1", lambda rs: len(about_it(rs)) >= 1)
    [dead] = about_it(records)
    headers = {k: v.decode() for k, v in dead.headers}
    assert "unknown connection" in headers["dlt-error"]
    assert ean not in headers["dlt-error"]
    assert json.loads(dead.value)["data"]["ean"] == ean
