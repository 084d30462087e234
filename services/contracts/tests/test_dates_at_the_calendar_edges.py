"""Dates near the calendar's ends: a request and a switch notice that once crashed (a date
overflow, an end of supply thousands of years ahead) get a clear answer or a dead letter.

Today is 2026-03-10 in Amsterdam (conftest)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from fastapi import FastAPI
from faststream.kafka import KafkaMessage

from contracts.db.repositories import Contracts
from contracts.db.tables import Base
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas.hub import SwitchNoticeReceived
from portal_schemas.topics import dead_letter_topic

from .conftest import MakeContract

CUSTOMER = "100200300"


@pytest.fixture
def dead_letters() -> list[KafkaMessage]:
    return []


@pytest.fixture
async def service(app: FastAPI, dead_letters: list[KafkaMessage]) -> AsyncIterator[Harness]:
    """The conftest harness, also reading the service's dead-letter topic."""
    runtime = app.state.runtime

    @runtime.broker.subscriber(dead_letter_topic("contracts"), group_id="dead-letter-reader")
    async def read_dead_letters(message: KafkaMessage) -> None:
        dead_letters.append(message)

    async with service_under_test(app, Base.metadata) as harness:
        yield harness


async def test_a_current_contract_ending_at_the_calendars_end_starts_supply_on_day_30(
    service: Harness, tokens: TokenFactory, make_contract: MakeContract
) -> None:
    await make_contract()  # the customer
    made = await service.client.post(
        "/v1/contract-requests",
        json={
            "commodity": "electricity",
            "product_code": "VAST-1JR",
            "ean": "871687140000000019",
            "capacity": "3x25A",
            "supply_address": {
                "street": "Kerkstraat",
                "house_number": 12,
                "postcode": "3511AB",
                "city": "Utrecht",
            },
            "current_contract_end": "9999-12-31",
        },
        headers=tokens.headers(CUSTOMER),
    )
    assert made.status_code == 201, made.text
    assert made.json()["start_date"] == "2026-04-09"


@pytest.mark.parametrize("switch", [date(9999, 12, 31), date(2031, 3, 15), date(1, 1, 1)])
async def test_a_switch_notice_more_than_five_years_off_is_a_dead_letter_and_changes_nothing(
    service: Harness, make_contract: MakeContract, dead_letters: list[KafkaMessage], switch: date
) -> None:
    contract_id = await make_contract()
    async with service.runtime.new_uow() as uow:
        contract = await Contracts(uow.session).get(contract_id)
        assert contract is not None
        number = contract.contract_number
    await service.deliver(
        SwitchNoticeReceived(
            notice_id="n-far",
            contract_number=number,
            new_supplier="Andere Energie BV",
            intended_switch_date=switch,
        ),
        subject=number,
        producer="hub",
    )
    [dead] = dead_letters
    assert "more than five years from today" in dead.headers["dlt-error"]
    assert await service.outbox("ContractTerminated") == []
    async with service.runtime.new_uow() as uow:
        contract = await Contracts(uow.session).get(contract_id)
        assert contract is not None
        assert (contract.status, contract.end_date) == ("active", None)
