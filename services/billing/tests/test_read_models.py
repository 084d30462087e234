"""Other services' events kept as read models (contracts, products, tariffs, readings), each
applied once; an event billing cannot keep goes to the dead-letter topic with the reason."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from faststream.kafka import KafkaMessage
from sqlalchemy import func, select

from billing.app import create_app
from billing.db.tables import Base, ContractProduct, ContractView, ReadingView, TariffPeriodRow
from billing.settings import BillingSettings
from portal_chassis import tables
from portal_chassis.testing import Harness, service_under_test
from portal_schemas.contracts import ContractAmended, ContractCreated, ContractOptions
from portal_schemas.metering import MeterReadingReceived
from portal_schemas.topics import dead_letter_topic

CEST = timezone(timedelta(hours=2))


async def count(service: Harness, what: object) -> int:
    async with service.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


async def test_contract_created_fills_the_contract_view(service: Harness, events) -> None:
    await service.deliver(events.contract("C-1", start_date=date(2026, 2, 1)), subject="C-1")
    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
    assert contract is not None
    assert (contract.customer_number, contract.commodity, contract.product_code) == (
        "100200300",
        "electricity",
        "FIXED-3Y",
    )
    assert (contract.start_date, contract.end_date) == (date(2026, 2, 1), None)


async def test_reading_is_stored_exactly_and_in_utc(service: Harness, events) -> None:
    local = datetime(2026, 7, 1, 8, 15, tzinfo=CEST)
    await service.deliver(events.reading("R-1", "12345.678", local), subject="M-1")
    async with service.runtime.sessions() as session:
        reading = await session.get(ReadingView, "R-1")
    assert reading is not None
    assert reading.value == Decimal("12345.678")  # no float on the way through SQLite
    assert reading.read_at == datetime(2026, 7, 1, 6, 15, tzinfo=UTC)
    assert reading.read_at.tzinfo is not None
    assert (reading.meter_id, reading.contract_id, reading.register_type, reading.unit) == (
        "M-1",
        "C-1",
        "electricity_normal",
        "kWh",
    )


async def test_redelivered_events_are_applied_once(service: Harness, events) -> None:
    contract = await service.deliver(events.contract(), subject="C-1")
    reading = await service.deliver(
        events.reading("R-1", "10", datetime(2026, 7, 1, tzinfo=UTC)), subject="M-1"
    )
    await service.redeliver(contract, ContractCreated.topic())
    await service.redeliver(reading, MeterReadingReceived.topic())
    assert await count(service, ContractView) == 1
    assert await count(service, ReadingView) == 1
    assert await count(service, tables.inbox) == 2  # one claim per event and consumer


async def test_the_same_reading_under_a_new_event_id_is_kept_once(service: Harness, events) -> None:
    first = events.reading("R-1", "10", datetime(2026, 7, 1, tzinfo=UTC))
    await service.deliver(first, subject="M-1")
    await service.deliver(first.model_copy(update={"value": Decimal("11")}), subject="M-1")
    async with service.runtime.sessions() as session:
        values = list(await session.scalars(select(ReadingView.value)))
    assert values == [Decimal("10")]  # the reading id is the identity: the first copy stands


async def test_an_amendment_before_the_contract_keeps_the_first_product(service: Harness, events) -> None:
    # ContractAmended and ContractCreated travel on different topics: the amendment may come
    # first. One from a later day must not leave the first months without a product.
    def amended(contract_id: str, effective_from: date) -> ContractAmended:
        return ContractAmended(
            contract_id=contract_id,
            customer_number="100200300",
            commodity="electricity",
            change="tariff_switch",
            effective_from=effective_from,
            product_code="VARIABLE",
            options=ContractOptions(e_invoice=True),
        )

    await service.deliver(amended("C-1", date(2026, 6, 1)), subject="C-1")
    await service.deliver(events.contract("C-1", start_date=date(2026, 1, 1)), subject="C-1")
    # An amendment from the start day itself is the product from the start.
    await service.deliver(amended("C-2", date(2026, 1, 1)), subject="C-2")
    await service.deliver(events.contract("C-2", start_date=date(2026, 1, 1)), subject="C-2")
    async with service.runtime.sessions() as session:
        rows = await session.execute(
            select(
                ContractProduct.contract_id, ContractProduct.effective_from, ContractProduct.product_code
            ).order_by(ContractProduct.contract_id, ContractProduct.effective_from)
        )
        products = [tuple(row) for row in rows]
    assert products == [
        ("C-1", date(2026, 1, 1), "FIXED-3Y"),
        ("C-1", date(2026, 6, 1), "VARIABLE"),
        ("C-2", date(2026, 1, 1), "VARIABLE"),
    ]


async def test_tariffs_with_two_periods_from_one_day_go_to_dead_letter_at_once(
    settings: BillingSettings, events
) -> None:
    app = create_app(settings)
    dead: list[KafkaMessage] = []

    @app.state.runtime.broker.subscriber(dead_letter_topic("billing"), group_id="dlt-reader")
    async def read_dead_letters(message: KafkaMessage) -> None:
        dead.append(message)

    prices = {
        "vat_rate": "0.21",
        "unit_prices": {"electricity_single": "0.30"},
        "fixed_costs_per_day": "0.20",
    }
    async with service_under_test(app, Base.metadata) as service:
        await service.deliver(
            events.tariffs("FIXED-3Y", {**prices, "valid_from": "2026-01-01"}), subject="FIXED-3Y"
        )
        ambiguous = events.tariffs(
            "FIXED-3Y",
            {**prices, "valid_from": "2026-01-01"},
            {**prices, "valid_from": "2026-07-01"},
            {**prices, "valid_from": "2026-07-01", "unit_prices": {"electricity_single": "0.40"}},
        )
        await service.deliver(ambiguous, subject="FIXED-3Y")

        [letter] = dead
        assert json.loads(letter.body)["data"]["product_code"] == "FIXED-3Y"
        assert letter.headers["dlt-attempts"] == "1"  # refused, not retried
        assert letter.headers["dlt-error"] == (
            "PermanentError: tariffs-invalid: product FIXED-3Y has two electricity periods from 2026-07-01"
        )
        # The tariffs published before stand unchanged.
        async with service.runtime.sessions() as session:
            starts = list(await session.scalars(select(TariffPeriodRow.valid_from)))
        assert starts == [date(2026, 1, 1)]


async def test_a_contract_created_after_its_final_invoice_ends_on_that_invoice(
    service: Harness, events
) -> None:
    # The termination travels on another topic and came first: billing issued the fee-only final
    # invoice. The contract then arrives and must not look open (no advances after its end).
    await service.deliver(events.termination("C-1", end_date=date(2026, 10, 31)), subject="C-1")
    await service.deliver(events.contract("C-1", start_date=date(2026, 2, 1)), subject="C-1")
    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
    assert contract is not None
    assert (contract.start_date, contract.end_date) == (date(2026, 2, 1), date(2026, 10, 31))


async def test_a_negative_expected_consumption_still_records_the_contract(service: Harness, events) -> None:
    # Schema-valid but never sent by contracts: there is no recommended advance to announce, and
    # the contract is kept rather than lost to the dead-letter topic.
    period = {
        "valid_from": "2026-01-01",
        "vat_rate": "0.21",
        "unit_prices": {"electricity_single": "0.25"},
        "fixed_costs_per_day": "0.30",
    }
    await service.deliver(events.tariffs("FIXED-3Y", period), subject="FIXED-3Y")
    created = events.contract("C-1", expected_annual_consumption={"electricity_single": Decimal("-2500")})
    await service.deliver(created, subject="C-1")
    assert await count(service, ContractView) == 1
    assert await service.outbox("AdvanceChanged") == []
