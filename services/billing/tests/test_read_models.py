"""ContractCreated and MeterReadingReceived kept as read models, each applied once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select

from billing.db.tables import ContractView, ReadingView
from portal_chassis import tables
from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractCreated
from portal_schemas.metering import MeterReadingReceived

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
