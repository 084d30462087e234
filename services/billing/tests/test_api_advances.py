"""GET/PUT /v1/contracts/{id}/advance, the operations variant, and the first plans that new
contracts and published tariffs bring (on SQLite, with the in-memory broker).

The tariff: FIXED-3Y electricity, single register 0.247934 euro/kWh, fixed 0.198347 euro/day,
21 % VAT. With 2500 kWh a year the recommended advance is
(2500 x 0.247934 + 365 x 0.198347) x 1.21 / 12 = 692.231655 x 1.21 / 12 = 69.80 -> 70.00,
so a customer may choose 35.00 (50 %) to 210.00 (300 %).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from billing.api.deps import get_now
from billing.app import create_app
from billing.db.tables import AdvancePlanRow, Base, BillingAccount
from billing.settings import BillingSettings
from billing.use_cases.advance_run import advance_run
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas.contracts import ContractWithdrawn, TariffPeriodData, TariffsPublished

ME, OTHER = "100200300", "999888777"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Amsterdam; next period 1 December


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(settings: BillingSettings, tokens: TokenFactory, clock: Clock) -> AsyncIterator[Harness]:
    app = create_app(settings)
    tokens.install(app)
    app.dependency_overrides[get_now] = clock
    async with service_under_test(app, Base.metadata) as harness:
        yield harness


def tariffs(product_code: str = "FIXED-3Y") -> TariffsPublished:
    return TariffsPublished(
        product_code=product_code,
        name="Fixed 3 years",
        kind="fixed",
        term_months=36,
        commodities=["electricity"],
        on_sale=True,
        periods=[
            TariffPeriodData(
                commodity="electricity",
                valid_from=date(2025, 1, 1),
                vat_rate=Decimal("0.21"),
                unit_prices={"electricity_single": Decimal("0.247934")},
                fixed_costs_per_day=Decimal("0.198347"),
            )
        ],
    )


async def contract(service: Harness, events: Any, contract_id: str = "C-1", **kw: Any) -> None:
    fields = {"customer": ME, "expected_annual_consumption": {"electricity_single": Decimal("2500")}, **kw}
    await service.deliver(events.contract(contract_id, **fields), subject=contract_id)


async def plans(service: Harness, contract_id: str = "C-1") -> list[tuple[date, str, str]]:
    async with service.runtime.sessions() as session:
        rows = await session.scalars(
            select(AdvancePlanRow)
            .where(AdvancePlanRow.contract_id == contract_id)
            .order_by(AdvancePlanRow.effective_from)
        )
        return [(r.effective_from, str(r.amount), r.set_by) for r in rows]


async def put(
    service: Harness, tokens: TokenFactory, amount: Any, contract_id: str = "C-1", who: str = ME
) -> Any:
    return await service.client.put(
        f"/v1/contracts/{contract_id}/advance", json={"amount": amount}, headers=tokens.headers(who)
    )


async def test_a_new_contract_gets_the_recommended_advance_from_its_start(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)

    assert await plans(service) == [(date(2026, 1, 1), "70.00", "billing")]
    [changed] = await service.outbox("AdvanceChanged")
    assert changed.subject == "C-1"
    assert changed.data == {
        "contract_id": "C-1",
        "customer_number": ME,
        "amount": "70.00",
        "previous_amount": None,
        "recommended_amount": "70.00",
        "effective_from": "2026-01-01",
        "changed_by": "billing",
    }

    response = await service.client.get("/v1/contracts/C-1/advance", headers=tokens.headers(ME))
    assert response.status_code == 200
    assert response.json() == {
        "contract_id": "C-1",
        "billing_mode": "monthly_advance",
        "current_amount": "70.00",
        "recommended_amount": "70.00",
        "minimum_amount": "35.00",
        "maximum_amount": "210.00",
        "next_period_start": "2026-12-01",
        "next_period_amount": None,
    }


async def test_tariffs_published_later_plan_the_contracts_without_one_once(
    service: Harness, events: Any
) -> None:
    await contract(service, events)  # no tariffs known yet: no recommendation, no plan
    await contract(service, events, "C-2", product_code="OTHER")
    assert await plans(service) == []
    assert await service.outbox("AdvanceChanged") == []

    await service.deliver(tariffs(), subject="FIXED-3Y")
    await service.deliver(tariffs(), subject="FIXED-3Y")  # published again: nothing more

    assert await plans(service) == [(date(2026, 1, 1), "70.00", "billing")]
    assert await plans(service, "C-2") == []  # another product
    assert [e.data["contract_id"] for e in await service.outbox("AdvanceChanged")] == ["C-1"]


async def test_a_contract_without_expected_consumption_has_no_plan_and_absolute_bounds(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events, expected_annual_consumption={})
    assert await plans(service) == []

    view = (await service.client.get("/v1/contracts/C-1/advance", headers=tokens.headers(ME))).json()
    assert (view["current_amount"], view["recommended_amount"]) == (None, None)
    assert (view["minimum_amount"], view["maximum_amount"]) == ("5.00", "2000.00")

    too_much = await put(service, tokens, "2000.01")
    assert too_much.status_code == 422
    assert (too_much.json()["minimum"], too_much.json()["maximum"]) == ("5.00", "2000.00")
    assert (await put(service, tokens, "1500")).status_code == 200
    assert await plans(service) == [(date(2026, 12, 1), "1500.00", "customer")]


async def test_a_change_applies_from_the_next_period_and_is_announced_once(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)

    response = await put(service, tokens, "85.00")
    assert response.status_code == 200
    body = response.json()
    assert (body["current_amount"], body["next_period_start"], body["next_period_amount"]) == (
        "70.00",
        "2026-12-01",
        "85.00",
    )
    assert await plans(service) == [
        (date(2026, 1, 1), "70.00", "billing"),
        (date(2026, 12, 1), "85.00", "customer"),
    ]
    changed = (await service.outbox("AdvanceChanged"))[-1]
    assert changed.data == {
        "contract_id": "C-1",
        "customer_number": ME,
        "amount": "85.00",
        "previous_amount": "70.00",
        "recommended_amount": "70.00",
        "effective_from": "2026-12-01",
        "changed_by": "customer",
    }

    # The same amount again (as a JSON number this time): nothing new, nothing announced.
    again = await put(service, tokens, 85)
    assert again.status_code == 200
    assert again.json() == body
    assert len(await service.outbox("AdvanceChanged")) == 2

    # Another amount for the same period replaces the pending one.
    assert (await put(service, tokens, "90.50")).status_code == 200
    assert await plans(service) == [
        (date(2026, 1, 1), "70.00", "billing"),
        (date(2026, 12, 1), "90.50", "customer"),
    ]
    assert (await service.outbox("AdvanceChanged"))[-1].data["previous_amount"] == "85.00"


@pytest.mark.parametrize("amount", ["34.99", "210.01", "0", "500.00"])
async def test_an_amount_out_of_bounds_names_them_and_changes_nothing(
    service: Harness, events: Any, tokens: TokenFactory, amount: str
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)
    before = await service.outbox()

    response = await put(service, tokens, amount)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/advance-out-of-bounds"
    assert (problem["minimum"], problem["maximum"]) == ("35.00", "210.00")
    assert "35.00" in problem["detail"] and "210.00" in problem["detail"]
    assert await plans(service) == [(date(2026, 1, 1), "70.00", "billing")]
    assert await service.outbox() == before


async def test_the_bounds_themselves_are_accepted(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)
    assert (await put(service, tokens, "35.00")).status_code == 200
    assert (await put(service, tokens, "210.00")).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "85.001"}, "amount"),  # a fraction of a cent
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "1000000.00"}, "amount"),
        ({}, "amount"),
        ({"amount": "85.00", "from": "2026-11-25"}, "from"),  # no choosing the date
    ],
)
async def test_invalid_input_is_a_validation_problem_and_changes_nothing(
    service: Harness, events: Any, tokens: TokenFactory, body: dict[str, Any], field: str
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)
    before = await service.outbox()

    response = await service.client.put("/v1/contracts/C-1/advance", json=body, headers=tokens.headers(ME))

    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation"
    assert field in {e["field"] for e in response.json()["errors"]}
    assert await plans(service) == [(date(2026, 1, 1), "70.00", "billing")]
    assert await service.outbox() == before


async def test_malformed_json_changes_nothing(service: Harness, events: Any, tokens: TokenFactory) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)
    response = await service.client.put(
        "/v1/contracts/C-1/advance",
        content=b'{"amount": 85',
        headers={**tokens.headers(ME), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation"
    assert await plans(service) == [(date(2026, 1, 1), "70.00", "billing")]


async def test_someone_elses_contract_is_not_found(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events, "C-2", customer=OTHER)
    before = await service.outbox()

    theirs = await service.client.get("/v1/contracts/C-2/advance", headers=tokens.headers(ME))
    missing = await service.client.get("/v1/contracts/C-404/advance", headers=tokens.headers(ME))
    changed = await put(service, tokens, "85.00", contract_id="C-2")

    assert theirs.status_code == missing.status_code == changed.status_code == 404
    assert theirs.json()["type"] == missing.json()["type"] == "/problems/contract-not-found"
    assert theirs.json()["detail"] == missing.json()["detail"] == changed.json()["detail"]
    assert await plans(service, "C-2") == [(date(2026, 1, 1), "70.00", "billing")]
    assert await service.outbox() == before


async def test_without_a_token_nothing_is_shown(service: Harness) -> None:
    response = await service.client.get("/v1/contracts/C-1/advance")
    assert response.status_code == 401


async def test_a_withdrawn_or_ending_contract_cannot_change(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)
    await contract(service, events, "C-2")
    await service.deliver(
        ContractWithdrawn(contract_id="C-1", customer_number=ME, withdrawn_on=date(2026, 11, 20)),
        subject="C-1",
    )
    async with service.runtime.sessions() as session, session.begin():  # supply ends 30 November
        await session.execute(
            update(Base.metadata.tables["contract_view"])
            .where(Base.metadata.tables["contract_view"].c.contract_id == "C-2")
            .values(end_date=date(2026, 11, 30))
        )
    before = await service.outbox()

    for contract_id in ("C-1", "C-2"):
        response = await put(service, tokens, "85.00", contract_id=contract_id)
        assert response.status_code == 409
        assert response.json()["type"] == "/problems/contract-ended"
    assert await service.outbox() == before


async def test_a_contract_not_billed_by_advances_refuses_a_change(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)
    switched = await service.client.put(
        "/v1/contracts/C-1/billing-mode", json={"mode": "quarterly"}, headers=tokens.headers(ME)
    )
    assert switched.status_code == 200

    response = await put(service, tokens, "85.00")

    assert response.status_code == 409
    assert response.json()["type"] == "/problems/not-billed-by-advance"


async def test_a_month_already_invoiced_moves_the_change_to_the_month_after(
    service: Harness, events: Any, tokens: TokenFactory, settings: BillingSettings
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)
    await advance_run(service.runtime.new_uow, settings, month=date(2026, 12, 1), now=NOW)

    response = await put(service, tokens, "85.00")

    assert response.json()["next_period_start"] == "2027-01-01"
    assert await plans(service) == [
        (date(2026, 1, 1), "70.00", "billing"),
        (date(2027, 1, 1), "85.00", "customer"),
    ]


async def test_before_the_start_a_change_replaces_the_first_plan(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events, start_date=date(2027, 3, 15))

    response = await put(service, tokens, "85.00")

    assert response.status_code == 200
    assert (response.json()["current_amount"], response.json()["next_period_start"]) == (
        "85.00",
        "2027-03-15",
    )
    assert response.json()["next_period_amount"] is None
    assert await plans(service) == [(date(2027, 3, 15), "85.00", "customer")]
    assert (await service.outbox("AdvanceChanged"))[-1].data["previous_amount"] == "70.00"


async def test_operations_may_set_any_amount_up_to_the_absolute_maximum(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)

    stopped = await service.client.put(
        "/v1/admin/contracts/C-1/advance", json={"amount": "0.00"}, headers=tokens.operator_headers()
    )
    too_much = await service.client.put(
        "/v1/admin/contracts/C-1/advance", json={"amount": "2000.01"}, headers=tokens.operator_headers()
    )
    unknown = await service.client.put(
        "/v1/admin/contracts/C-404/advance", json={"amount": "10.00"}, headers=tokens.operator_headers()
    )
    as_customer = await service.client.put(
        "/v1/admin/contracts/C-1/advance", json={"amount": "10.00"}, headers=tokens.headers(ME)
    )

    assert stopped.status_code == 200
    assert stopped.json()["next_period_amount"] == "0.00"
    assert (await service.outbox("AdvanceChanged"))[-1].data["changed_by"] == "operations"
    assert too_much.status_code == 422
    assert (too_much.json()["minimum"], too_much.json()["maximum"]) == ("0.00", "2000.00")
    assert unknown.status_code == 404
    assert as_customer.status_code == 401  # a customer's token is not for operations
    assert await plans(service) == [
        (date(2026, 1, 1), "70.00", "billing"),
        (date(2026, 12, 1), "0.00", "operations"),
    ]


async def test_minus_zero_is_zero(service: Harness, events: Any, tokens: TokenFactory) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)

    refused = await put(service, tokens, "-0")
    stopped = await service.client.put(
        "/v1/admin/contracts/C-1/advance", json={"amount": "-0.00"}, headers=tokens.operator_headers()
    )

    assert refused.status_code == 422
    assert refused.json()["detail"] == "The advance must be between 35.00 and 210.00 euro; 0.00 is not."
    assert stopped.status_code == 200
    assert stopped.json()["next_period_amount"] == "0.00"
    assert (await service.outbox("AdvanceChanged"))[-1].data["amount"] == "0.00"
    assert await plans(service) == [
        (date(2026, 1, 1), "70.00", "billing"),
        (date(2026, 12, 1), "0.00", "operations"),
    ]


async def test_coming_back_to_advances_without_a_plan_gets_the_recommended_one(
    service: Harness, events: Any, tokens: TokenFactory
) -> None:
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)
    async with service.runtime.sessions() as session, session.begin():
        await session.execute(delete(AdvancePlanRow))
        await session.execute(update(BillingAccount).values(mode="quarterly"))

    response = await service.client.put(
        "/v1/contracts/C-1/billing-mode", json={"mode": "monthly_advance"}, headers=tokens.headers(ME)
    )

    assert response.status_code == 200
    assert await plans(service) == [(date(2026, 12, 1), "70.00", "billing")]
    assert (await service.outbox("AdvanceChanged"))[-1].data["effective_from"] == "2026-12-01"


async def test_the_schedule_shows_the_contract_years_months_invoiced_and_planned(
    service: Harness, events: Any, tokens: TokenFactory, settings: BillingSettings, clock: Clock
) -> None:
    # Started 2026-01-01 at 70.00; on 24 November the customer asks 85.00 from December. The
    # contract year runs to 31 December 2026 (the anniversary is 1 January 2027): twelve
    # months, November invoiced by the advance run, December planned at the new amount.
    await service.deliver(tariffs(), subject="FIXED-3Y")
    await contract(service, events)
    assert (await put(service, tokens, "85.00")).status_code == 200
    await advance_run(service.runtime.new_uow, settings, month=date(2026, 11, 1), now=NOW)

    response = await service.client.get("/v1/contracts/C-1/advance-schedule", headers=tokens.headers(ME))
    assert response.status_code == 200
    schedule = response.json()
    assert (schedule["billing_mode"], schedule["year_begins"], schedule["settlement_after"]) == (
        "monthly_advance",
        "2026-01-01",
        "2026-12-31",
    )
    months = schedule["months"]
    assert [m["month"] for m in months] == [f"2026-{n:02d}-01" for n in range(1, 13)]
    assert [(m["amount"], m["status"]) for m in months[:10]] == [("70.00", "planned")] * 10
    november, december = months[10], months[11]
    assert (november["amount"], november["status"], november["due_date"]) == ("70.00", "open", "2026-12-08")
    assert november["invoice_number"].startswith("A2026-")
    assert (december["amount"], december["status"], december["invoice_number"]) == ("85.00", "planned", None)

    # Someone else's contract answers like an unknown one; quarterly billing has no advances.
    other = await service.client.get("/v1/contracts/C-1/advance-schedule", headers=tokens.headers(OTHER))
    assert (other.status_code, other.json()["type"]) == (404, "/problems/contract-not-found")
    async with service.runtime.sessions() as session:
        await session.execute(update(BillingAccount).values(mode="quarterly"))
        await session.commit()
    quarterly = await service.client.get("/v1/contracts/C-1/advance-schedule", headers=tokens.headers(ME))
    assert (quarterly.json()["billing_mode"], quarterly.json()["months"]) == ("quarterly", [])
