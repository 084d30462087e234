"""Keeping the contract read model (and each contract's meter) from contracts' events.

Called by the event handlers in consumers.py, inside the unit of work that also claims the
event in the inbox; the chassis commits, so nothing here commits.

A contract's first meter is a placeholder until the grid operator names it (MeterInstalled,
use_cases/meter_installation.py): installed on the start date, with the registers the
contract's expected consumption names and digits not known yet.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from metering.db.repositories import (
    Contracts,
    EarlyAmendments,
    EarlyTerminations,
    ExpectedVolumes,
    FinalReadingRequests,
    Meters,
)
from metering.db.tables import (
    CONTRACT_ACTIVE,
    CONTRACT_ENDED,
    ContractView,
    EarlyAmendment,
    EarlyTermination,
    Meter,
    MeterRegister,
)
from metering.domain.meters import current
from metering.domain.registers import registers_for, unit_of
from portal_chassis.dead_letter import PermanentError
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractAmended, ContractCreated, ContractMoved, ContractTerminated
from portal_schemas.metering import FinalReadingRequested

log = get_logger(__name__)


async def open_contract(uow: UnitOfWork, data: ContractCreated) -> None:
    """Add the contract and give it a meter with the registers of its commodity.

    Idempotent by contract id as well: the inbox stops a redelivered event, and this check
    stops a second ContractCreated for the same contract (a republish by contracts).
    """
    contracts = Contracts(uow.session)
    if await contracts.get(data.contract_id) is not None:
        log.info("contract already known; ContractCreated ignored", contract_id=data.contract_id)
        return
    now = datetime.now(UTC)
    contract = ContractView(
        contract_id=data.contract_id,
        customer_number=data.customer_number,
        commodity=data.commodity,
        product_code=data.product_code,
        start_date=data.start_date,
        status=CONTRACT_ACTIVE,
        end_date=None,
        end_reason=None,
        readings_expected=True,
        ean=data.ean,
        updated_at=now,
    )
    amended = await EarlyAmendments(uow.session).get(data.contract_id)
    if amended is not None:  # an amendment that arrived first: what it says counts
        contract.self_reading = amended.self_reading
        await EarlyAmendments(uow.session).remove(amended)
        log.info("applied an amendment that arrived first", contract_id=data.contract_id)
    contracts.add(contract)
    # The contract row is flushed first so the meter's foreign key finds it on PostgreSQL.
    await uow.session.flush()
    ExpectedVolumes(uow.session).add(contract.contract_id, data.expected_annual_consumption.items())
    meter = Meter(
        meter_id=str(uuid.uuid4()),
        contract_id=contract.contract_id,
        customer_number=data.customer_number,
        commodity=data.commodity,
        ean=data.ean,
        location=data.meter_location,
        installed_on=data.start_date,
        created_at=now,
    )
    Meters(uow.session).add(
        meter,
        [
            MeterRegister(meter_id=meter.meter_id, register_type=r, unit=unit_of(r))
            for r in registers_for(data.commodity, data.expected_annual_consumption)
        ],
    )
    early = EarlyTerminations(uow.session)
    pending = await early.get(data.contract_id)
    if pending is not None:
        _end(contract, pending.end_date, pending.reason, now)
        await early.remove(pending)
        await uow.session.flush()
        await _request_final_reading(uow, contract, now)
        log.info("applied a termination that arrived first", contract_id=data.contract_id)


async def end_contract(uow: UnitOfWork, data: ContractTerminated) -> None:
    """Mark the contract ended: later readings are refused, reminders stop, and the customer
    is asked for the final reading (FinalReadingRequested, once per end date: a repeated
    termination with the same date, such as the one with the final fee, asks nothing more).

    A termination of a contract not known yet is kept in early_terminations and applied by
    open_contract (why: see consumers.py).
    """
    now = datetime.now(UTC)
    contract = await Contracts(uow.session).get(data.contract_id)
    if contract is not None:
        _end(contract, data.end_date, data.reason, now)
        await _request_final_reading(uow, contract, now)
        return
    early = EarlyTerminations(uow.session)
    pending = await early.get(data.contract_id)
    if pending is None:
        early.add(
            EarlyTermination(
                contract_id=data.contract_id,
                end_date=data.end_date,
                reason=data.reason,
                received_at=now,
            )
        )
    else:  # a corrected termination before the contract itself: the latest one counts
        pending.end_date, pending.reason, pending.received_at = data.end_date, data.reason, now
    log.info("termination kept until its contract arrives", contract_id=data.contract_id)


def _end(contract: ContractView, end_date: date, reason: str, now: datetime) -> None:
    # A later ContractTerminated for the same contract (a corrected end date) overwrites.
    contract.status = CONTRACT_ENDED
    contract.end_date = end_date
    contract.end_reason = reason
    contract.readings_expected = False
    contract.updated_at = now


async def _request_final_reading(uow: UnitOfWork, contract: ContractView, now: datetime) -> None:
    assert contract.end_date is not None
    if not await FinalReadingRequests(uow.session).claim(contract.contract_id, contract.end_date, now):
        return
    meters = Meters(uow.session)
    meter = current(await meters.of_contracts([contract.contract_id]))
    assert meter is not None, "every contract gets a meter with its ContractCreated"
    registers = [r.register_type for r in await meters.registers([meter.meter_id])]
    uow.emit(
        FinalReadingRequested.model_validate(
            {
                "contract_id": contract.contract_id,
                "customer_number": contract.customer_number,
                "meter_id": meter.meter_id,
                "end_date": contract.end_date,
                "registers": registers,
            }
        ),
        subject=contract.contract_id,
    )


async def move_contract(uow: UnitOfWork, data: ContractMoved) -> None:
    """The contract moves with its customer: the meter at the old address is removed the day
    after the move-out day (its placement ends there, so interval data the old connection sends
    later is no longer the customer's), and a placeholder meter with the commodity's registers
    is placed at the new address on the move-in day, until the grid operator names it. The
    contract's EAN is cleared: the connection at the new address is not known yet.

    One meter is in place at a time: when the move-in day is on or before the move-out day,
    readings from the move-in day on go to the new address's meter.

    The placeholder is never placed before the meter it follows (meter_at takes the one installed
    last): a contract that moves before its supply starts gets it on its start date.

    A move repeated under a new event id changes nothing (the new address's placeholder is
    there already). A move of a contract not known yet cannot be kept for later as a
    termination is (the meters it changes do not exist): it is a dead letter, redriven once
    ContractCreated is applied.
    """
    contract = await Contracts(uow.session).get(data.contract_id)
    if contract is None:
        raise PermanentError(
            "ContractMoved for a contract not known yet: redrive it after its ContractCreated"
        )
    meters = Meters(uow.session)
    placed = await meters.of_contract_for_update(contract.contract_id)
    old = current(placed)
    assert old is not None, "every contract gets a meter with its ContractCreated"
    if _moved_already(placed, old, data):
        log.info("move already applied; ContractMoved ignored", contract_id=contract.contract_id)
        return
    now = datetime.now(UTC)
    old.removed_on = _removed_on(old, data)
    contract.ean = None
    contract.updated_at = now
    new = Meter(
        meter_id=str(uuid.uuid4()),
        contract_id=contract.contract_id,
        customer_number=contract.customer_number,
        commodity=contract.commodity,
        ean=None,
        installed_on=_placed_on(old, data),
        created_at=now,
    )
    expected = await ExpectedVolumes(uow.session).of_contract(contract.contract_id)
    meters.add(
        new,
        [
            MeterRegister(meter_id=new.meter_id, register_type=r, unit=unit_of(r))
            for r in registers_for(contract.commodity, expected)  # type: ignore[arg-type]
        ],
    )
    await uow.session.flush()
    log.info("contract moved", contract_id=contract.contract_id, meter_id=new.meter_id)


def _removed_on(old: Meter, data: ContractMoved) -> date:
    return max(old.installed_on, data.move_out_date + timedelta(days=1))


def _placed_on(old: Meter, data: ContractMoved) -> date:
    return max(old.installed_on, data.move_in_date)


def _moved_already(placed: list[Meter], in_place: Meter, data: ContractMoved) -> bool:
    """Whether the meter in place is the placeholder this move put after the one it removed."""
    if in_place.serial is not None or in_place.ean is not None:
        return False
    return any(
        m.removed_on == _removed_on(m, data) and in_place.installed_on == _placed_on(m, data)
        for m in placed
        if m is not in_place
    )


async def amend_contract(uow: UnitOfWork, data: ContractAmended) -> None:
    """Keep whether the customer reads the meter themselves (reminders are due then).

    ContractAmended carries the complete options from ``effective_from`` on. What the latest
    event says is kept, also when it takes effect later: a planned change only says what the
    customer chose, and a reminder sent a few days early for it does no harm. An amendment of
    a contract not known yet is kept in early_amendments (the latest one) and applied by
    open_contract (why: see consumers.py).
    """
    now = datetime.now(UTC)
    contract = await Contracts(uow.session).get(data.contract_id)
    if contract is not None:
        if contract.self_reading != data.options.self_reading:
            contract.self_reading = data.options.self_reading
            contract.updated_at = now
        return
    early = EarlyAmendments(uow.session)
    pending = await early.get(data.contract_id)
    if pending is None:
        early.add(
            EarlyAmendment(
                contract_id=data.contract_id, self_reading=data.options.self_reading, received_at=now
            )
        )
    else:
        pending.self_reading, pending.received_at = data.options.self_reading, now
    log.info("amendment kept until its contract arrives", contract_id=data.contract_id)
