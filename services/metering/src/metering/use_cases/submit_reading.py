"""A customer submits a meter reading: checked, stored and announced in one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from metering.db.repositories import Contracts, Meters, Readings
from metering.db.tables import Reading
from metering.domain.calendar import as_instant
from metering.domain.errors import ReadingRejected
from metering.domain.readings import (
    KnownReading,
    SupplyPeriod,
    check_monotonic,
    check_read_at,
    normalise_value,
)
from metering.domain.registers import unit_of
from metering.settings import MeteringSettings
from metering.use_cases.problems import contract_not_found
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import MeterReadingReceived, Register

READING_EXISTS = "reading-exists"
ALREADY_READ = "This register already has a reading at that moment."


async def submit_reading(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    customer_number: str,
    contract_id: str,
    register_type: Register,
    value: Decimal,
    read_at: datetime | date,
    now: datetime | None = None,
) -> Reading:
    now = now or datetime.now(UTC)
    meters = Meters(uow.session)
    contract = await Contracts(uow.session).of_customer(contract_id, customer_number)
    meter = await meters.of_contract_for_update(contract_id) if contract else None
    if contract is None or meter is None:
        raise contract_not_found()
    registers = sorted(r.register_type for r in await meters.registers([meter.meter_id]))
    if register_type not in registers:
        raise ProblemError(
            422,
            "register-not-on-meter",
            f"The meter of this contract has no {register_type} register.",
            registers=registers,
        )

    unit = unit_of(register_type)
    moment = as_instant(read_at, settings.zone)
    value = normalise_value(value)
    readings = Readings(uow.session)
    try:
        check_read_at(
            moment,
            now=now,
            clock_skew=settings.reading_clock_skew,
            period=SupplyPeriod(contract.start_date, contract.end_date),
            zone=settings.zone,
        )
        before = await readings.at_or_before(meter.meter_id, register_type, moment)
        if before is not None and before.read_at == moment:
            raise ProblemError(409, READING_EXISTS, ALREADY_READ)
        after = await readings.after(meter.meter_id, register_type, moment)
        check_monotonic(value, previous=_known(before), following=_known(after))
    except ReadingRejected as rejected:
        raise ProblemError(422, rejected.slug, rejected.detail, **rejected.extra) from None

    reading = Reading(
        reading_id=str(uuid.uuid4()),
        meter_id=meter.meter_id,
        register_type=register_type,
        contract_id=contract.contract_id,
        customer_number=contract.customer_number,
        value=value,
        unit=unit,
        read_at=moment,
        source="customer",
        quality="actual",
        received_at=now,
    )
    readings.add(reading)
    uow.emit(
        MeterReadingReceived(
            reading_id=reading.reading_id,
            meter_id=meter.meter_id,
            customer_number=contract.customer_number,
            contract_id=contract.contract_id,
            register_type=register_type,
            value=value,
            unit=unit,
            read_at=moment,
            source="customer",
            quality="actual",
        ),
        subject=meter.meter_id,
    )
    try:
        await uow.commit()
    except IntegrityError:
        # Two submissions for the same register and moment raced; the first one won.
        raise ProblemError(409, READING_EXISTS, ALREADY_READ) from None
    return reading


def _known(reading: Reading | None) -> KnownReading | None:
    return None if reading is None else KnownReading(reading.value, reading.read_at)
