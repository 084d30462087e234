"""An accepted reading is stored and announced (MeterReadingReceived) in one transaction,
whoever took it: the customer, a technician, an estimate or the grid operator's meter data."""

from __future__ import annotations

from metering.db.repositories import Readings
from metering.db.tables import Reading
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import MeterReadingReceived


def accept_reading(uow: UnitOfWork, reading: Reading) -> None:
    Readings(uow.session).add(reading)
    # Validated from the stored columns (plain strings): a register, unit, source or quality
    # the event does not know would fail here, before anything is committed.
    event = MeterReadingReceived.model_validate(
        {
            "reading_id": reading.reading_id,
            "meter_id": reading.meter_id,
            "customer_number": reading.customer_number,
            "contract_id": reading.contract_id,
            "register_type": reading.register_type,
            "value": reading.value,
            "unit": reading.unit,
            "read_at": reading.read_at,
            "source": reading.source,
            "quality": reading.quality,
            "rollover_capacity": reading.rollover_capacity,
            "confirmed_unusual": reading.confirmed_unusual,
            "final": reading.final,
        }
    )
    uow.emit(event, subject=reading.meter_id)  # the Kafka key: one meter's readings stay in order
