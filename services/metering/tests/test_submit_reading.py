"""POST /v1/readings: a customer's reading is checked, stored and announced exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from metering.db.tables import Reading
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.metering import MeterReadingReceived

CUSTOMER = "100001"
OTHER = "200002"


async def post_reading(
    service: Harness, tokens: TokenFactory, customer: str = CUSTOMER, **fields: Any
) -> httpx.Response:
    body = {"contract_id": "C-1", "register_type": "electricity_single", **fields}
    return await service.client.post("/v1/readings", json=body, headers=tokens.headers(customer))


async def meter_of(service: Harness, tokens: TokenFactory, customer: str = CUSTOMER) -> str:
    meters = (await service.client.get("/v1/meters", headers=tokens.headers(customer))).json()
    meter_id: str = meters["items"][0]["meter_id"]
    return meter_id


async def test_reading_is_stored_and_emitted_once(service: Harness, tokens, contracts) -> None:
    await contracts.created()
    response = await post_reading(service, tokens, value="1234.5", read_at="2026-03-01T09:30:00+01:00")
    assert response.status_code == 201, response.text
    body = response.json()
    meter_id = await meter_of(service, tokens)
    assert body["meter_id"] == meter_id
    assert body["value"] == "1234.500"  # always three decimals
    assert body["unit"] == "kWh"
    assert body["read_at"] == "2026-03-01T08:30:00Z"  # 09:30 at +01:00 is 08:30 UTC
    assert (body["source"], body["quality"]) == ("customer", "actual")

    [event] = await service.outbox("MeterReadingReceived")
    assert event.subject == meter_id  # the Kafka key: one meter's readings stay in order
    assert event.producer == "metering"
    data = MeterReadingReceived.model_validate(event.data)
    assert data.reading_id == body["reading_id"]
    assert (data.customer_number, data.contract_id) == (CUSTOMER, "C-1")
    assert data.register_type == "electricity_single"
    assert str(data.value) == "1234.500"
    assert data.unit == "kWh"
    assert data.read_at == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert event.data["value"] == "1234.500"  # a string on the wire, never a float


async def test_a_plain_date_is_the_start_of_that_day_in_amsterdam(
    service: Harness, tokens, contracts
) -> None:
    await contracts.created(commodity="gas")
    # 29 March 2026 is the spring-forward day, but the clocks move at 02:00: midnight is
    # still CET (+01:00), so the day starts at 23:00 UTC on the 28th.
    spring = await post_reading(service, tokens, register_type="gas", value=100, read_at="2026-03-29")
    # In summer (CEST, +02:00) the day starts at 22:00 UTC the day before.
    summer = await post_reading(service, tokens, register_type="gas", value=250, read_at="2026-07-01")
    assert spring.status_code == summer.status_code == 201, (spring.text, summer.text)
    assert spring.json()["read_at"] == "2026-03-28T23:00:00Z"
    assert summer.json()["read_at"] == "2026-06-30T22:00:00Z"
    assert spring.json()["unit"] == "m3"


async def test_a_lower_value_is_refused_with_the_previous_one(
    service: Harness, tokens, contracts, rows
) -> None:
    await contracts.created()
    first = await post_reading(service, tokens, value="1000", read_at="2026-02-01")
    assert first.status_code == 201
    lower = await post_reading(service, tokens, value="999.999", read_at="2026-03-01")
    assert lower.status_code == 422
    assert lower.headers["content-type"] == "application/problem+json"
    problem = lower.json()
    assert problem["type"] == "/problems/reading-not-monotonic"
    assert problem["previous_value"] == "1000.000"
    assert problem["previous_read_at"] == "2026-01-31T23:00:00Z"  # 1 Feb 00:00 CET
    assert len(await service.outbox("MeterReadingReceived")) == 1  # only the first one
    assert await rows(Reading) == 1

    same = await post_reading(service, tokens, value="1000", read_at="2026-03-01")
    assert same.status_code == 201  # an unchanged index is fine (an empty holiday home)


async def test_a_value_above_a_later_reading_is_refused(service: Harness, tokens, contracts, rows) -> None:
    await contracts.created()
    await post_reading(service, tokens, value="500", read_at="2026-02-01")
    await post_reading(service, tokens, value="900", read_at="2026-04-01")
    between = await post_reading(service, tokens, value="901", read_at="2026-03-01")
    assert between.status_code == 422
    assert between.json()["type"] == "/problems/reading-not-monotonic"
    assert between.json()["next_value"] == "900.000"
    fits = await post_reading(service, tokens, value="700", read_at="2026-03-01")
    assert fits.status_code == 201
    assert await rows(Reading) == 3


async def test_a_future_reading_is_refused(service: Harness, tokens, contracts, rows) -> None:
    await contracts.created()
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for read_at in (tomorrow, in_an_hour):
        response = await post_reading(service, tokens, value="10", read_at=read_at)
        assert response.status_code == 422, read_at
        assert response.json()["type"] == "/problems/reading-in-future"
    assert await service.outbox() == []
    assert await rows(Reading) == 0


async def test_a_reading_before_the_contract_start_is_refused(service: Harness, tokens, contracts) -> None:
    await contracts.created(start_date=date(2026, 2, 1))
    # 31 January 23:30 in Amsterdam is 22:30 UTC: still before 1 February 00:00 CET.
    early = await post_reading(service, tokens, value="1", read_at="2026-01-31T22:30:00Z")
    assert early.status_code == 422
    assert early.json()["type"] == "/problems/reading-before-contract-start"
    assert early.json()["start_date"] == "2026-02-01"
    # 23:00 UTC on 31 January is 00:00 CET on 1 February: the start reading itself.
    start = await post_reading(service, tokens, value="1", read_at="2026-01-31T23:00:00Z")
    assert start.status_code == 201
    assert len(await service.outbox("MeterReadingReceived")) == 1


async def test_another_customers_contract_is_not_found(service: Harness, tokens, contracts, rows) -> None:
    await contracts.created("C-1", customer_number=OTHER)
    foreign = await post_reading(service, tokens, CUSTOMER, value="10", read_at="2026-02-01")
    unknown = await post_reading(
        service, tokens, CUSTOMER, contract_id="C-404", value="10", read_at="2026-02-01"
    )
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["type"] == unknown.json()["type"] == "/problems/contract-not-found"
    assert foreign.json()["detail"] == unknown.json()["detail"]  # nothing to tell them apart
    assert await service.outbox() == []
    assert await rows(Reading) == 0


async def test_a_register_the_meter_lacks_is_refused(service: Harness, tokens, contracts) -> None:
    await contracts.created(commodity="heat")
    response = await post_reading(
        service, tokens, register_type="electricity_single", value="1", read_at="2026-02-01"
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/register-not-on-meter"
    assert problem["registers"] == ["heat", "hot_water"]
    assert await service.outbox() == []


async def test_a_second_reading_at_the_same_moment_conflicts(service: Harness, tokens, contracts) -> None:
    await contracts.created()
    assert (await post_reading(service, tokens, value="5", read_at="2026-02-01")).status_code == 201
    again = await post_reading(service, tokens, value="6", read_at="2026-02-01")
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/reading-exists"
    assert len(await service.outbox("MeterReadingReceived")) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "-1", "read_at": "2026-02-01"}, "value"),
        ({"value": "1.2345", "read_at": "2026-02-01"}, "value"),  # four decimals
        ({"value": "NaN", "read_at": "2026-02-01"}, "value"),
        ({"value": "12", "read_at": "2026-02-01T10:00:00"}, "read_at"),  # no offset
        ({"value": "12", "read_at": "1 Feb 2026"}, "read_at"),
        ({"value": "12", "read_at": 1769900000}, "read_at"),  # epoch seconds are ambiguous
        ({"value": "12", "read_at": "2026-02-01", "register_type": "water"}, "register_type"),
    ],
)
async def test_bad_input_is_a_validation_problem_and_changes_nothing(
    service: Harness, tokens, contracts, rows, fields: dict[str, Any], field: str
) -> None:
    await contracts.created()
    response = await post_reading(service, tokens, **fields)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/validation"
    assert [e["field"] for e in problem["errors"]] == [field]
    assert await service.outbox() == []
    assert await rows(Reading) == 0


async def test_a_reading_needs_an_access_token(service: Harness, contracts) -> None:
    await contracts.created()
    response = await service.client.post(
        "/v1/readings",
        json={"contract_id": "C-1", "register_type": "gas", "value": 1, "read_at": "2026-02-01"},
    )
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/not-authenticated"


async def test_dates_outside_any_meters_life_are_refused(service: Harness, tokens, contracts, rows) -> None:
    await contracts.created()
    for read_at in ("0001-01-01", "9999-12-31T23:00:00-05:00"):
        response = await post_reading(service, tokens, value="10", read_at=read_at)
        assert response.status_code == 422, read_at
        assert response.json()["errors"][0]["field"] == "read_at"
    assert await rows(Reading) == 0


EAN = "871234567890123456"


async def test_an_unusual_value_is_refused_until_confirmed(service: Harness, tokens, contracts, rows) -> None:
    # 3650 kWh a year is 10 a day: from 1000 on 1 February, 30 days later an index between
    # 1000 + 0.2 x 300 = 1060 and 1000 + 3 x 300 = 1900 is usual.
    await contracts.created(expected={"electricity_single": "3650"})
    assert (await post_reading(service, tokens, value="1000", read_at="2026-02-01")).status_code == 201
    unusual = await post_reading(service, tokens, value="5000", read_at="2026-03-03")
    assert unusual.status_code == 422
    problem = unusual.json()
    assert problem["type"] == "/problems/reading-unusual"
    assert (problem["expected_min"], problem["expected_max"]) == ("1060.000", "1900.000")
    assert problem["confirmation_required"] is True
    assert await rows(Reading) == 1
    assert len(await service.outbox("MeterReadingReceived")) == 1

    confirmed = await post_reading(service, tokens, value="5000", read_at="2026-03-03", confirm_unusual=True)
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["confirmed_unusual"] is True
    event = (await service.outbox("MeterReadingReceived"))[-1]
    assert event.data["confirmed_unusual"] is True
    assert (event.data["source"], event.data["quality"]) == ("customer", "actual")


async def test_a_usual_value_needs_no_confirmation_and_is_not_marked(
    service: Harness, tokens, contracts
) -> None:
    await contracts.created(expected={"electricity_single": "3650"})
    await post_reading(service, tokens, value="1000", read_at="2026-02-01")
    usual = await post_reading(service, tokens, value="1300", read_at="2026-03-03", confirm_unusual=True)
    assert usual.status_code == 201
    assert usual.json()["confirmed_unusual"] is False
    # Without any expectation nothing is judged: a first reading, or a contract without volume.
    await contracts.created("C-2", commodity="gas")
    assert (
        await post_reading(
            service, tokens, contract_id="C-2", register_type="gas", value="1", read_at="2026-02-01"
        )
    ).status_code == 201
    huge = await post_reading(
        service, tokens, contract_id="C-2", register_type="gas", value="90000", read_at="2026-06-01"
    )
    assert huge.status_code == 201


async def install(hub, serial: str = "E0001", digits: int = 5, index: str = "99000") -> None:
    await hub.installed(EAN, serial, date(2026, 1, 1), {"electricity_single": (digits, index)})


async def test_a_rollover_is_accepted_with_the_counters_capacity(
    service: Harness, tokens, contracts, hub
) -> None:
    await contracts.created(ean=EAN)
    await install(hub)  # 5 digits, 99000 on 1 January
    await post_reading(service, tokens, value="99800", read_at="2026-02-01")
    plain = await post_reading(service, tokens, value="150", read_at="2026-03-01")
    assert plain.status_code == 422
    assert plain.json()["type"] == "/problems/reading-not-monotonic"

    rolled = await post_reading(service, tokens, value="150", read_at="2026-03-01", rollover=True)
    assert rolled.status_code == 201, rolled.text
    assert rolled.json()["rollover_capacity"] == "100000.000"
    event = (await service.outbox("MeterReadingReceived"))[-1]
    assert MeterReadingReceived.model_validate(event.data).rollover_capacity == 100000
    # After the rollover the index goes up from the new value again.
    assert (await post_reading(service, tokens, value="149", read_at="2026-04-01")).status_code == 422
    assert (await post_reading(service, tokens, value="400", read_at="2026-04-01")).status_code == 201


async def test_a_rollover_is_refused_when_it_cannot_be_one(
    service: Harness, tokens, contracts, hub, rows
) -> None:
    await contracts.created()  # the placeholder meter: digits unknown
    await post_reading(service, tokens, value="99800", read_at="2026-02-01")
    unknown = await post_reading(service, tokens, value="150", read_at="2026-03-01", rollover=True)
    assert unknown.status_code == 422
    assert unknown.json()["type"] == "/problems/rollover-not-possible"

    await contracts.created("C-2", ean=EAN)
    await install(hub)
    await post_reading(service, tokens, contract_id="C-2", value="99800", read_at="2026-02-01")
    await post_reading(service, tokens, contract_id="C-2", value="99900", read_at="2026-04-01")
    for value, read_at in (
        ("99850", "2026-03-01"),  # between two readings: a later one exists
        ("99950", "2026-05-01"),  # not below the previous one
        ("60000", "2026-05-01"),  # 100000 - 99900 + 60000 = 60100: more than half a turn
    ):
        response = await post_reading(
            service, tokens, contract_id="C-2", value=value, read_at=read_at, rollover=True
        )
        assert response.status_code == 422, (value, response.text)
        assert response.json()["type"] == "/problems/rollover-not-possible"
    assert await rows(Reading) == 1 + 1 + 2  # the placeholder's, the installation index, two of C-2


async def test_a_value_beyond_the_counters_digits_is_refused(
    service: Harness, tokens, contracts, hub
) -> None:
    await contracts.created(ean=EAN)
    await install(hub, digits=5, index="1000")
    response = await post_reading(service, tokens, value="100000", read_at="2026-02-01")
    assert response.status_code == 422
    assert (response.json()["type"], response.json()["digits"]) == ("/problems/value-exceeds-register", 5)


async def test_a_reading_on_the_end_date_is_the_final_one(service: Harness, tokens, contracts) -> None:
    await contracts.created()
    await contracts.terminated(end_date=date(2026, 3, 31))
    before = await post_reading(service, tokens, value="100", read_at="2026-03-30T18:00:00+02:00")
    final = await post_reading(service, tokens, value="110", read_at="2026-03-31")
    assert (before.json()["final"], final.json()["final"]) == (False, True)
    assert [e.data["final"] for e in await service.outbox("MeterReadingReceived")] == [False, True]
    readings = (await service.client.get("/v1/readings", headers=tokens.headers(CUSTOMER))).json()["items"]
    assert [(r["value"], r["final"]) for r in readings] == [("110.000", True), ("100.000", False)]
    later = await post_reading(service, tokens, value="120", read_at="2026-04-01")
    assert later.json()["type"] == "/problems/reading-after-contract-end"


async def test_readings_list_the_new_fields(service: Harness, tokens, contracts) -> None:
    await contracts.created()
    await post_reading(service, tokens, value="100", read_at="2026-02-01")
    [item] = (await service.client.get("/v1/readings", headers=tokens.headers(CUSTOMER))).json()["items"]
    assert {k: item[k] for k in ("source", "quality", "final", "confirmed_unusual", "rollover_capacity")} == {
        "source": "customer",
        "quality": "actual",
        "final": False,
        "confirmed_unusual": False,
        "rollover_capacity": None,
    }
