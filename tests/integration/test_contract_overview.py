"""The contract overview through the gateway: today's prices from the default catalogue,
an option and a tariff switch, and the events billing and metering follow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx


def test_overview_options_and_tariff_switch(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    contract_id = cli.create_contract(
        customer.customer_number, fixed_term_end="2028-12-31", annual_kwh_normal="1900",
        annual_kwh_off_peak="1600", meter_location="indoors",
    )  # fmt: skip
    auth = helpers.log_in(gateway, customer.email, customer.password)

    products = gateway.get("/contracts/v1/products")
    assert products.status_code == 200
    codes = [p["code"] for p in products.json()["items"]]
    assert {"VAST-1JR", "VAST-3JR", "VARIABEL", "WARMTE"} <= set(codes)  # loaded at start

    response = gateway.get(f"/contracts/v1/contracts/{contract_id}", headers=auth)
    assert response.status_code == 200, response.text
    overview = response.json()["overview"]
    assert overview["product_name"] == "Vast 3 jaar"
    assert overview["price_guarantee_end"] == "2028-12-31"
    prices = {p["register_type"]: p for p in overview["prices"]}
    assert prices["electricity_normal"]["unit_price_excl_vat"] == "0.259504"
    assert prices["electricity_normal"]["expected_annual_volume"] == "1900.000"
    assert prices["electricity_offpeak"]["expected_annual_volume"] == "1600.000"
    assert overview["fixed_costs_per_day_incl_vat"] == "0.240000"

    options = gateway.patch(
        f"/contracts/v1/contracts/{contract_id}/options",
        headers=auth,
        json={"self_reading": True, "green_electricity": True},
    )
    assert options.status_code == 200, options.text
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    switch_day = (today + timedelta(days=7)).isoformat()
    back_dated = gateway.post(
        f"/contracts/v1/contracts/{contract_id}/tariff-switch",
        headers=auth,
        json={"product_code": "VARIABEL", "effective_date": "2026-01-01"},
    )
    assert back_dated.status_code == 422
    assert back_dated.headers["content-type"].startswith("application/problem+json")
    switch = gateway.post(
        f"/contracts/v1/contracts/{contract_id}/tariff-switch",
        headers=auth,
        json={"product_code": "VARIABEL", "effective_date": switch_day},
    )
    assert switch.status_code == 201, switch.text
    assert switch.json()["price_guarantee_end"] is None

    shown = gateway.get(f"/contracts/v1/contracts/{contract_id}", headers=auth).json()["overview"]
    assert shown["options"]["self_reading"] is True
    assert [c["product_code"] for c in shown["planned_changes"]] == ["VARIABEL"]

    # Someone else's contract looks unknown.
    theirs = gateway.patch(
        f"/contracts/v1/contracts/{customer.contract_id}x/options", headers=auth, json={"e_invoice": True}
    )
    assert theirs.status_code == 404

    mine = [e["data"] for e in kafka.about("contracts.contract-amended.v1", contract_id, count=2)]
    assert [(d["change"], d["product_code"]) for d in mine] == [
        ("options", "VAST-3JR"),
        ("tariff_switch", "VARIABEL"),
    ]
    assert mine[0]["options"]["self_reading"] is True
    assert mine[1]["effective_from"] == switch_day

    [vast] = kafka.about("contracts.tariffs-published.v1", "VAST-3JR")[:1]
    assert vast["data"]["term_months"] == 36
