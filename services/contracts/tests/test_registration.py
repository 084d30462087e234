"""Contract numbers and CustomerRegistered, emitted with the contract that changes them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from contracts.domain import numbering
from contracts.domain.errors import DomainError
from contracts.domain.numbering import contract_number
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.contracts import ContractCreated, CustomerRegistered

CUSTOMER = "100200300"
MakeContract = Callable[..., Awaitable[str]]  # the make_contract fixture (conftest)


async def registrations(service: Harness) -> list[CustomerRegistered]:
    events = await service.outbox("CustomerRegistered")
    return [CustomerRegistered.model_validate(e.data) for e in events]


async def test_contract_numbers_are_unique_increasing_and_in_the_event(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    ids = [
        await make_contract(),
        await make_contract(commodity="gas"),
        await make_contract("999888777"),
        await make_contract(supply_postcode="5678CD"),
    ]
    created = {
        e.subject: ContractCreated.model_validate(e.data) for e in await service.outbox("ContractCreated")
    }
    numbers = [created[i].contract_number for i in ids]
    assert numbers == ["100000001", "100000002", "100000003", "100000004"]

    mine = await service.client.get("/v1/contracts", headers=tokens.headers(CUSTOMER))
    shown = {c["id"]: (c["contract_number"], c["supply_postcode"]) for c in mine.json()["items"]}
    assert shown == {
        ids[0]: ("100000001", "1234AB"),
        ids[1]: ("100000002", "1234AB"),
        ids[3]: ("100000004", "5678CD"),
    }
    one = await service.client.get(f"/v1/contracts/{ids[3]}", headers=tokens.headers(CUSTOMER))
    assert one.json()["contract_number"] == "100000004"


async def test_a_refused_contract_takes_no_number(service: Harness, make_contract: MakeContract) -> None:
    await make_contract()
    with pytest.raises(DomainError):
        await make_contract(supply_postcode="0000AA")
    await make_contract(commodity="gas")
    numbers = [e.data["contract_number"] for e in await service.outbox("ContractCreated")]
    assert numbers == ["100000001", "100000002"]


def test_numbers_have_nine_digits_and_run_out_loudly() -> None:
    assert contract_number(numbering.FIRST) == "100000001"
    assert contract_number(numbering.LAST) == "999999999"
    with pytest.raises(numbering.ContractNumbersExhausted):
        contract_number(numbering.LAST + 1)


async def test_customer_registered_when_new_and_when_postcodes_change(
    service: Harness, make_contract: MakeContract
) -> None:
    await make_contract(supply_postcode="1234 ab", billing_postcode="5678cd")
    [first] = await service.outbox("CustomerRegistered")
    assert first.subject == CUSTOMER
    assert first.producer == "contracts"
    assert "J. de Vries" not in first.model_dump_json()  # the name stays in this service
    assert CustomerRegistered.model_validate(first.data) == CustomerRegistered(
        customer_number=CUSTOMER,
        segment="private",
        language="nl",
        supply_postcodes=["1234AB"],
        billing_postcode="5678CD",
    )

    # Same customer, same postcode, nothing else given: nothing changed, nothing announced.
    await make_contract(commodity="gas", supply_postcode="1234AB")
    assert len(await registrations(service)) == 1

    # A second connection elsewhere: announced again with both supply postcodes.
    await make_contract(commodity="gas", supply_postcode="1111ZZ")
    assert [(r.supply_postcodes, r.billing_postcode) for r in await registrations(service)] == [
        (["1234AB"], "5678CD"),
        (["1111ZZ", "1234AB"], "5678CD"),  # the billing postcode is kept when not given
    ]

    # Giving the same billing postcode again changes nothing either.
    await make_contract(commodity="heat", supply_postcode="1111 zz", billing_postcode="5678 CD")
    assert len(await registrations(service)) == 2
    assert len(await service.outbox("ContractCreated")) == 4


async def test_customer_registered_when_segment_language_or_billing_postcode_change(
    service: Harness, make_contract: MakeContract
) -> None:
    await make_contract()  # no billing postcode: announced without one
    await make_contract(billing_postcode="9999AA")
    await make_contract(segment="business")
    await make_contract(language="en")
    await make_contract(segment="business", language="en", billing_postcode="9999AA")  # as is
    assert [
        (r.segment, r.language, r.billing_postcode, r.supply_postcodes) for r in await registrations(service)
    ] == [
        ("private", "nl", None, ["1234AB"]),
        ("private", "nl", "9999AA", ["1234AB"]),
        ("business", "nl", "9999AA", ["1234AB"]),
        ("business", "en", "9999AA", ["1234AB"]),
    ]


async def test_each_customer_is_announced_under_their_own_number(
    service: Harness, make_contract: MakeContract
) -> None:
    await make_contract(supply_postcode="1234AB")
    await make_contract("999888777", supply_postcode="5678CD")
    events = await service.outbox("CustomerRegistered")
    assert [(e.subject, e.data["supply_postcodes"]) for e in events] == [
        (CUSTOMER, ["1234AB"]),
        ("999888777", ["5678CD"]),
    ]


async def test_contracts_created_at_once_get_different_numbers(
    service: Harness, make_contract: MakeContract
) -> None:
    customers = [f"50060070{i}" for i in range(5)]
    ids = await asyncio.gather(*(make_contract(c) for c in customers))
    created = {e.subject: e.data["contract_number"] for e in await service.outbox("ContractCreated")}
    assert sorted(created[i] for i in ids) == [f"10000000{n}" for n in range(1, 6)]
