"""An accepted reading is stored and announced (MeterReadingReceived) in one transaction,
whoever took it: the customer, a technician, an estimate or the grid operator's meter data."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from metering.db.repositories import Readings
from metering.db.tables import ContractView, Reading
from metering.domain.registers import unit_of
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import MeterReadingReceived, ReadingQuality, ReadingSource, Register


def accept_reading(
    uow: UnitOfWork,
    contract: ContractView,
    *,
    meter_id: str,
    register_type: Register,
    value: Decimal,
    read_at: datetime,
    source: ReadingSource,
    quality: ReadingQuality,
    received_at: datetime,
    rollover_capacity: Decimal | None = None,
    confirmed_unusual: bool = False,
    final: bool = False,
) -> Reading:
    reading = Reading(
        reading_id=str(uuid.uuid4()),
        meter_id=meter_id,
        register_type=register_type,
        contract_id=contract.contract_id,
        customer_number=contract.customer_number,
        value=value,
        unit=unit_of(register_type),
        read_at=read_at,
        source=source,
        quality=quality,
        rollover_capacity=rollover_capacity,
        confirmed_unusual=confirmed_unusual,
        final=final,
        received_at=received_at,
    )
    Readings(uow.session).add(reading)
    # Validated from the stored columns: a value the event does not allow fails here, before
    # anything is committed.
    event = MeterReadingReceived.model_validate(reading, from_attributes=True)
    uow.emit(event, subject=meter_id)  # the Kafka key: one meter's readings stay in order
    return reading
