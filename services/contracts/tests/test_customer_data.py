"""GET /v1/customer and changing contact, billing address and payment details."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from contracts.settings import ContractsSettings
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, TokenFactory

from .conftest import MakeContract

CUSTOMER = "100200300"
KEY = Sealer.new_key()
ADDRESS = {
    "street": "Kerkstraat",
    "house_number": 12,
    "house_number_addition": "bis",
    "postcode": "3511 ab",
    "city": "Utrecht",
}


@pytest.fixture
def settings(tmp_path: Path) -> ContractsSettings:
    return ContractsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/contracts.sqlite3",
        event_sealing_key=KEY,
    )


async def test_my_data_and_someone_without_customer_data(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract(billing_postcode="1234AB")
    mine = await service.client.get("/v1/customer", headers=tokens.headers(CUSTOMER))
    assert mine.status_code == 200
    body = mine.json()
    assert body["customer_number"] == CUSTOMER
    assert (body["billing_postcode"], body["billing_address"]) == ("1234AB", None)
    assert (body["payment_method"], body["iban"], body["phone"]) == ("transfer", None, None)
    unknown = await service.client.get("/v1/customer", headers=tokens.headers("555666777"))
    assert unknown.status_code == 404
    assert unknown.json()["type"] == "/problems/customer-not-found"
    assert (await service.client.get("/v1/customer")).status_code == 401


async def test_a_phone_number_change_is_announced_without_the_number(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract()
    await service.client.put(
        "/v1/customer/payment",
        json={"method": "direct_debit", "iban": "NL91ABNA0417164300"},
        headers=tokens.headers(CUSTOMER),
    )
    changed = await service.client.patch(
        "/v1/customer/contact", json={"phone": "06 1234 5678"}, headers=tokens.headers(CUSTOMER)
    )
    assert changed.status_code == 200
    assert changed.json()["phone"] == "0612345678"
    [_, _, contact] = await service.outbox("CustomerDetailsChanged")  # new customer, payment, contact
    assert contact.data["changed"] == ["contact"]
    assert "0612345678" not in contact.model_dump_json()
    # The latest event wins downstream, so it still carries the payment details.
    assert contact.data["payment_method"] == "direct_debit"
    assert Sealer(KEY).open(contact.data["sealed_iban"]) == "NL91ABNA0417164300"

    before = len(await service.outbox())
    bad = await service.client.patch(
        "/v1/customer/contact", json={"phone": "call me"}, headers=tokens.headers(CUSTOMER)
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "phone"
    assert len(await service.outbox()) == before
    assert (await service.client.get("/v1/customer", headers=tokens.headers(CUSTOMER))).json()[
        "phone"
    ] == "0612345678"
    removed = await service.client.patch(
        "/v1/customer/contact", json={"phone": None}, headers=tokens.headers(CUSTOMER)
    )
    assert removed.json()["phone"] is None
    assert [e.data["changed"] for e in await service.outbox("CustomerDetailsChanged")][-1] == ["contact"]
    assert len(await service.outbox()) == before + 1


async def test_a_new_customer_is_announced_to_billing_with_the_name_sealed(
    service: Harness, make_contract: MakeContract
) -> None:
    await make_contract(billing_postcode="1234AB")
    [details] = await service.outbox("CustomerDetailsChanged")
    assert details.subject == CUSTOMER
    assert "J. de Vries" not in details.model_dump_json()
    assert Sealer(KEY).open(details.data["sealed_name"]) == "J. de Vries"
    assert (details.data["payment_method"], details.data["sealed_iban"]) == ("transfer", None)
    assert details.data["billing_postcode"] == "1234AB"
    # A second contract of the same customer creates no customer: nothing more to announce.
    await make_contract(commodity="gas", product_code="FIX-1Y-GAS", supply_postcode="1234AB")
    assert len(await service.outbox("CustomerDetailsChanged")) == 1


async def test_without_a_sealing_key_a_new_customer_is_announced_without_the_name(
    app: FastAPI, service: Harness, make_contract: MakeContract
) -> None:
    app.state.sealer = None
    await make_contract()
    [details] = await service.outbox("CustomerDetailsChanged")
    assert details.data["sealed_name"] is None
    assert "J. de Vries" not in details.model_dump_json()


async def test_without_a_sealing_key_a_contact_change_that_would_carry_an_iban_is_refused(
    app: FastAPI, service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract()
    await service.client.put(
        "/v1/customer/payment",
        json={"method": "direct_debit", "iban": "NL91ABNA0417164300"},
        headers=tokens.headers(CUSTOMER),
    )
    app.state.sealer = None
    before = len(await service.outbox())
    refused = await service.client.patch(
        "/v1/customer/contact", json={"phone": "0612345678"}, headers=tokens.headers(CUSTOMER)
    )
    assert refused.status_code == 503
    assert refused.json()["type"] == "/problems/sealing-unavailable"
    assert len(await service.outbox()) == before
    assert (await service.client.get("/v1/customer", headers=tokens.headers(CUSTOMER))).json()[
        "phone"
    ] is None


async def test_billing_address_change_is_announced_to_identity_and_billing(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract(billing_postcode="1234AB")
    changed = await service.client.put(
        "/v1/customer/billing-address", json=ADDRESS, headers=tokens.headers(CUSTOMER)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["billing_address"] == {**ADDRESS, "postcode": "3511AB"}
    [_, registered] = await service.outbox("CustomerRegistered")
    assert registered.data["billing_postcode"] == "3511AB"
    [_, details] = await service.outbox("CustomerDetailsChanged")  # the first: the new customer
    assert details.subject == CUSTOMER
    assert details.data["billing_city"] == "Utrecht"
    assert details.data["billing_house_number_addition"] == "bis"
    assert details.data["payment_method"] == "transfer"
    assert details.data["sealed_iban"] is None
    assert details.data["changed"] == ["billing_address"]
    # The latest event wins downstream, so every one carries the name, sealed.
    assert "J. de Vries" not in details.model_dump_json()
    assert Sealer(KEY).open(details.data["sealed_name"]) == "J. de Vries"


@pytest.mark.parametrize(
    ("change", "field", "slug"),
    [
        ({"postcode": "0123AB"}, "billing_address.postcode", "invalid-postcode"),
        ({"house_number": 0}, "billing_address.house_number", "invalid-address"),
        ({"city": "  "}, "billing_address.city", "invalid-address"),
    ],
)
async def test_a_bad_billing_address_changes_nothing(
    service: Harness,
    tokens: TokenFactory,
    make_contract: MakeContract,
    change: dict[str, object],
    field: str,
    slug: str,
) -> None:
    await make_contract(billing_postcode="1234AB")
    before = len(await service.outbox())
    refused = await service.client.put(
        "/v1/customer/billing-address", json={**ADDRESS, **change}, headers=tokens.headers(CUSTOMER)
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"] == f"/problems/{slug}"
    assert refused.json()["errors"][0]["field"] == field
    assert len(await service.outbox()) == before
    assert (await service.client.get("/v1/customer", headers=tokens.headers(CUSTOMER))).json()[
        "billing_postcode"
    ] == "1234AB"


async def test_direct_debit_with_a_good_iban_travels_sealed(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract()
    changed = await service.client.put(
        "/v1/customer/payment",
        json={"method": "direct_debit", "iban": "nl91 abna 0417 1643 00"},
        headers=tokens.headers(CUSTOMER),
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["payment_method"], changed.json()["iban"]) == ("direct_debit", "NL91 **** 4300")
    [_, details] = await service.outbox("CustomerDetailsChanged")  # the first: the new customer
    assert (details.data["payment_method"], details.data["changed"]) == ("direct_debit", ["payment"])
    assert "NL91ABNA0417164300" not in details.model_dump_json()
    assert Sealer(KEY).open(details.data["sealed_iban"]) == "NL91ABNA0417164300"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"method": "direct_debit", "iban": "NL92ABNA0417164300"}, "check digits"),
        ({"method": "direct_debit", "iban": "NL91ABNA04171643"}, "not a valid IBAN"),
        ({"method": "direct_debit"}, "Direct debit needs an IBAN"),
    ],
)
async def test_bad_payment_details_change_nothing(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract, body: dict[str, str], detail: str
) -> None:
    await make_contract()
    await service.client.put(
        "/v1/customer/payment",
        json={"method": "transfer", "iban": "NL91ABNA0417164300"},
        headers=tokens.headers(CUSTOMER),
    )
    before = len(await service.outbox())
    refused = await service.client.put("/v1/customer/payment", json=body, headers=tokens.headers(CUSTOMER))
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == "/problems/invalid-payment-details"
    assert detail in problem["detail"]
    assert problem["errors"][0]["field"] == "iban"
    assert len(await service.outbox()) == before
    stored = (await service.client.get("/v1/customer", headers=tokens.headers(CUSTOMER))).json()
    assert (stored["payment_method"], stored["iban"]) == ("transfer", "NL91 **** 4300")


async def test_payment_method_must_be_known(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract()
    refused = await service.client.put(
        "/v1/customer/payment", json={"method": "cheque"}, headers=tokens.headers(CUSTOMER)
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "method"
