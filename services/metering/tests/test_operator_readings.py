"""POST /v1/admin/readings: operations record technicians' readings and estimates."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from metering.app import create_app
from metering.db.tables import Base, Reading
from metering.settings import MeteringSettings
from portal_chassis.api_fuzzing import fuzz_openapi
from portal_chassis.testing import Harness, TokenFactory

CUSTOMER = "100001"


async def record(service: Harness, tokens: TokenFactory, **fields: Any) -> httpx.Response:
    body = {
        "contract_id": "C-1",
        "register_type": "electricity_single",
        "source": "technician",
        "quality": "actual",
        **fields,
    }
    return await service.client.post("/v1/admin/readings", json=body, headers=tokens.operator_headers())


async def test_a_technicians_reading_is_stored_and_announced(service: Harness, tokens, contracts) -> None:
    await contracts.created(customer_number=CUSTOMER)
    response = await record(service, tokens, value="1234.5", read_at="2026-02-01T10:00:00+01:00")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["source"], body["quality"], body["value"]) == ("technician", "actual", "1234.500")
    assert body["plausibility"] is None  # a first index: nothing to judge
    [event] = await service.outbox("MeterReadingReceived")
    assert (event.data["source"], event.data["quality"]) == ("technician", "actual")
    assert event.data["customer_number"] == CUSTOMER
    # The customer sees it in their history.
    mine = (await service.client.get("/v1/readings", headers=tokens.headers(CUSTOMER))).json()
    assert [r["source"] for r in mine["items"]] == ["technician"]


async def test_an_unusual_value_is_recorded_with_the_check_shown(service: Harness, tokens, contracts) -> None:
    # 3650 a year: after 30 days an index from 1060 to 1900 is usual (see test_plausibility).
    await contracts.created(expected={"electricity_single": "3650"})
    await record(service, tokens, value="1000", read_at="2026-02-01")
    response = await record(
        service, tokens, value="5000", read_at="2026-03-03", source="estimated", quality="estimated"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["plausibility"] == {"usual": False, "expected_min": "1060.000", "expected_max": "1900.000"}
    assert body["confirmed_unusual"] is False  # nobody confirmed it; operations only saw it
    event = (await service.outbox("MeterReadingReceived"))[-1]
    assert (event.data["source"], event.data["quality"]) == ("estimated", "estimated")


async def test_operator_readings_follow_the_reading_rules(service: Harness, tokens, contracts, rows) -> None:
    await contracts.created()
    await contracts.terminated(end_date=date(2026, 6, 30))
    assert (await record(service, tokens, value="500", read_at="2026-03-01")).status_code == 201
    problems = {
        "reading-not-monotonic": await record(service, tokens, value="400", read_at="2026-04-01"),
        "reading-after-contract-end": await record(service, tokens, value="600", read_at="2026-07-01"),
        "reading-before-contract-start": await record(service, tokens, value="1", read_at="2025-12-01"),
        "register-not-on-meter": await record(
            service, tokens, register_type="gas", value="600", read_at="2026-04-01"
        ),
        "rollover-not-possible": await record(
            service, tokens, value="5", read_at="2026-04-01", rollover=True
        ),
        "contract-not-found": await record(
            service, tokens, contract_id="C-404", value="1", read_at="2026-04-01"
        ),
        "reading-exists": await record(service, tokens, value="500", read_at="2026-03-01"),
    }
    for slug, response in problems.items():
        assert response.json()["type"] == f"/problems/{slug}", (slug, response.text)
    assert await rows(Reading) == 1
    final = await record(
        service, tokens, value="700", read_at="2026-06-30T12:00:00+02:00", quality="corrected"
    )
    assert (final.status_code, final.json()["final"], final.json()["quality"]) == (201, True, "corrected")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"source": "customer"}, "source"),  # customers use POST /v1/readings
        ({"source": "smart_meter"}, "source"),
        ({"source": "estimated", "quality": "actual"}, "quality"),  # an estimate is not read
        ({"quality": "guessed"}, "quality"),
        ({"confirm_unusual": True}, "confirm_unusual"),  # nothing to confirm here
    ],
)
async def test_bad_operator_input_is_a_validation_problem(
    service: Harness, tokens, contracts, rows, fields: dict[str, Any], field: str
) -> None:
    await contracts.created()
    response = await record(service, tokens, value="1", read_at="2026-02-01", **fields)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await rows(Reading) == 0


async def test_only_operations_may_record(service: Harness, tokens, contracts) -> None:
    await contracts.created()
    body = {
        "contract_id": "C-1",
        "register_type": "electricity_single",
        "value": "1",
        "read_at": "2026-02-01",
        "source": "technician",
        "quality": "actual",
    }
    customer = await service.client.post("/v1/admin/readings", json=body, headers=tokens.headers(CUSTOMER))
    anonymous = await service.client.post("/v1/admin/readings", json=body)
    assert customer.status_code == anonymous.status_code == 401
    assert await service.outbox() == []


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_the_admin_api_answers_no_5xx_and_as_documented(
    settings: MeteringSettings, tokens: TokenFactory
) -> None:
    """The fuzzing of test_openapi_fuzzing.py with an operator's token, which reaches past the
    401s of /v1/admin/readings (the customer endpoints answer 401 to it, as documented)."""
    app = create_app(settings)
    tokens.install(app)
    operations, failures = fuzz_openapi(app, Base.metadata, headers=tokens.operator_headers())
    assert operations >= 3
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
