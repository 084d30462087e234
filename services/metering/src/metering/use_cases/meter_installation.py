"""The grid operator placed a meter on a connection (hub MeterInstalled).

The contract supplying the connection (its EAN) on the installation day is found first. Then:

- placement: the contract's meter is still the placeholder made from ContractCreated (no
  serial) and no replaced meter is named. The placeholder becomes the real meter: serial,
  smart, location, installation day, and the registers with their digits.
- exchange: anything else. The meter in place is removed on the installation day, its final
  indexes are recorded at that moment, and the new meter (a new meter id: its indexes start
  afresh) takes over with its own registers.

Either way each register's index (and each final index) is a technician's actual reading at
the start of the installation day (customer zone), announced with MeterReadingReceived.

Called inside the consumer's unit of work (the chassis commits and claims the event in the
inbox). A meter already known under this serial makes the event a no-op (a republish by the
hub); an event that can never be applied raises PermanentError, so it goes to the dead-letter
topic with the reason (which never repeats the EAN or serial: they identify a household).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from metering.db.repositories import Contracts, Meters, Readings
from metering.db.tables import ContractView, Meter, MeterRegister
from metering.domain.meters import current
from metering.domain.readings import capacity_of, normalise_value
from metering.domain.registers import register_fits, unit_of
from metering.settings import MeteringSettings
from metering.use_cases.accepted_readings import accept_reading
from portal_chassis.calendar import start_of_day
from portal_chassis.dead_letter import PermanentError
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.hub import MeterInstalled, RegisterSpec

log = get_logger(__name__)


async def install_meter(uow: UnitOfWork, settings: MeteringSettings, data: MeterInstalled) -> None:
    contract = await Contracts(uow.session).supplying(data.ean, data.installed_on)
    if contract is None:
        raise PermanentError("unknown connection: no contract supplies this EAN on the installation day")
    _check_registers(contract.commodity, data.registers, "registers")
    _check_registers(contract.commodity, data.final_indexes, "final_indexes")

    meters = Meters(uow.session)
    placed = await meters.of_contract_for_update(contract.contract_id)
    if any(m.serial == data.meter_serial for m in placed):
        log.info("meter already known; MeterInstalled ignored", contract_id=contract.contract_id)
        return
    meter = current(placed)
    assert meter is not None, "every contract gets a meter with its ContractCreated"
    now = datetime.now(UTC)
    if meter.serial is None and data.replaced_serial is None:
        if data.final_indexes:
            raise PermanentError("final_indexes given for a first placement (no replaced meter)")
        await _name_placeholder(uow, meter, data)
        new = meter
    else:
        await _exchange(uow, settings, contract, meter, data, now)
        new = _new_meter(contract, data, now)
        meters.add(new, _registers(new.meter_id, data.registers))
        await uow.session.flush()
    await _record_indexes(uow, settings, contract, new, data.registers, data, now)
    log.info("meter installed", contract_id=contract.contract_id, meter_id=new.meter_id)


def _check_registers(commodity: str, specs: list[RegisterSpec], field: str) -> None:
    seen: set[str] = set()
    for spec in specs:
        if not register_fits(commodity, spec.register_type):
            raise PermanentError(f"{field}: a {commodity} meter has no {spec.register_type} register")
        if spec.register_type in seen:
            raise PermanentError(f"{field}: {spec.register_type} is named twice")
        seen.add(spec.register_type)
        capacity = capacity_of(spec.digits)
        if capacity is not None and spec.index >= capacity:
            raise PermanentError(f"{field}: the {spec.register_type} index has more digits than its counter")


async def _name_placeholder(uow: UnitOfWork, meter: Meter, data: MeterInstalled) -> None:
    meter.serial = data.meter_serial
    meter.smart = data.smart
    meter.location = data.location
    meter.installed_on = data.installed_on
    await Meters(uow.session).replace_registers(meter.meter_id, _registers(meter.meter_id, data.registers))
    await uow.session.flush()


async def _exchange(
    uow: UnitOfWork,
    settings: MeteringSettings,
    contract: ContractView,
    old: Meter,
    data: MeterInstalled,
    now: datetime,
) -> None:
    if data.replaced_serial is not None and old.serial is not None and data.replaced_serial != old.serial:
        raise PermanentError("replaced_serial is not the meter in place on this connection")
    if data.installed_on < old.installed_on:
        raise PermanentError("installed_on is before the meter in place was installed")
    meters = Meters(uow.session)
    if old.serial is None:
        # The placeholder is replaced before it was named: the hub now names it, and its final
        # indexes name its registers better than the commodity's guess did.
        old.serial = data.replaced_serial
        if data.final_indexes:
            await meters.replace_registers(old.meter_id, _registers(old.meter_id, data.final_indexes))
    else:
        registers = {r.register_type for r in await meters.registers([old.meter_id])}
        missing = sorted(s.register_type for s in data.final_indexes if s.register_type not in registers)
        if missing:
            raise PermanentError(f"final_indexes: the replaced meter has no {', '.join(missing)} register")
    old.removed_on = data.installed_on
    await uow.session.flush()
    await _record_indexes(uow, settings, contract, old, data.final_indexes, data, now)


def _new_meter(contract: ContractView, data: MeterInstalled, now: datetime) -> Meter:
    return Meter(
        meter_id=str(uuid.uuid4()),
        contract_id=contract.contract_id,
        customer_number=contract.customer_number,
        commodity=contract.commodity,
        ean=data.ean,
        serial=data.meter_serial,
        smart=data.smart,
        location=data.location,
        installed_on=data.installed_on,
        removed_on=None,
        created_at=now,
    )


def _registers(meter_id: str, specs: list[RegisterSpec]) -> list[MeterRegister]:
    return [
        MeterRegister(
            meter_id=meter_id,
            register_type=spec.register_type,
            unit=unit_of(spec.register_type),
            digits=spec.digits,
        )
        for spec in specs
    ]


async def _record_indexes(
    uow: UnitOfWork,
    settings: MeteringSettings,
    contract: ContractView,
    meter: Meter,
    specs: list[RegisterSpec],
    data: MeterInstalled,
    now: datetime,
) -> None:
    moment = start_of_day(data.installed_on, settings.zone)
    readings = Readings(uow.session)
    for spec in specs:
        known = await readings.at_or_before(meter.meter_id, spec.register_type, moment)
        if known is not None and known.read_at == moment:
            # Someone read the register at that very moment already; one index per instant.
            log.info("index at installation already known", meter_id=meter.meter_id)
            continue
        accept_reading(
            uow,
            contract,
            meter_id=meter.meter_id,
            register_type=spec.register_type,
            value=normalise_value(spec.index),
            read_at=moment,
            source="technician",
            quality="actual",
            received_at=now,
        )
