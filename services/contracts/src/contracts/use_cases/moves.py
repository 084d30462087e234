"""Moves: the customer's contracts go along to the new address, or end on the move-out date.

With a new address, every contract taken along keeps its terms (no fee) and gets the new supply
address; the connection at the new address (EAN, capacity) is not known yet and is cleared until
it is. Identity learns the new postcode from a fresh CustomerRegistered. Without a new address
the contracts are terminated on the move-out date with reason "move" through the termination use
case, so its fee rules apply (the conditions allow a fee when the new address is not reported).

A contract that is confirmed but does not start until after the move-out day is not wanted
at an address the customer leaves: it is cancelled without any supply. Within the withdrawal
period that is a withdrawal (ContractWithdrawn, no last supply day, no fee); after it, it is a
termination with reason "move" whose last day of supply is the day before the start date
(ContractTerminated; nothing was supplied), so the fee rules apply to the whole fixed term
from the start date, provisional until that day passes like every other fee. A confirmed
contract that starts on or before the move-out day is supplied until then and terminated like
an active one.

Which contracts move: those named, or else all the customer's current ones (confirmed or active),
which must then be at one address. A customer who owns several homes reports moving into
another one with a new contract request for it; the contracts at the old one stay.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from contracts.db.repositories import ContractEvents
from contracts.db.tables import Contract, Move
from contracts.domain.address import Address
from contracts.domain.contract import check_termination
from contracts.domain.errors import ContractNotActive, InvalidMove
from contracts.domain.move import check_move
from contracts.domain.withdrawal import last_withdrawal_day
from contracts.settings import ContractsSettings
from contracts.use_cases.announcements import announce_registration, registration_of
from contracts.use_cases.customer_details import own_customer
from contracts.use_cases.terminate_contract import ENDABLE_AT_MOVE, record_termination, terminate_contract
from contracts.use_cases.withdraw_contract import record_withdrawal
from portal_chassis.calendar import calendar_day
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractMoved

MOVABLE = ("confirmed", "active")


@dataclass(frozen=True)
class MoveReport:
    move_out_date: date
    move_in_date: date | None = None
    new_address: Address | None = None
    contract_ids: tuple[str, ...] | None = None


async def _contracts_to_move(
    uow: UnitOfWork, customer_number: str, ids: tuple[str, ...] | None
) -> list[Contract]:
    query = select(Contract).where(Contract.customer_number == customer_number).order_by(Contract.id)
    if ids is not None:
        found = list((await uow.session.scalars(query.where(Contract.id.in_(ids)))).all())
        if len(found) != len(set(ids)):
            raise InvalidMove("One of the contracts named is not yours.", field="contract_ids")
        if any(c.status not in MOVABLE for c in found):
            raise ContractNotActive("Only current contracts can move or end with a move.")
        return found
    found = list((await uow.session.scalars(query.where(Contract.status.in_(MOVABLE)))).all())
    if not found:
        raise ContractNotActive("You have no current contract to move.")
    addresses = {(c.supply_postcode, c.supply_house_number, c.supply_house_number_addition) for c in found}
    if len(addresses) > 1:
        raise InvalidMove(
            "Your contracts are at more than one address: name the contracts that move.",
            field="contract_ids",
        )
    return found


def _starts_after(contract: Contract, day: date) -> bool:
    return contract.status == "confirmed" and contract.start_date > day


async def _cancel_before_supply(
    uow: UnitOfWork, settings: ContractsSettings, contract: Contract, *, today: date, now: datetime
) -> None:
    """A confirmed contract not started by the move-out day ends without supply."""
    if today <= last_withdrawal_day(contract.concluded_on, settings.withdrawal_days):
        record_withdrawal(uow, contract, today=today, now=now, reason="move")
        return
    await record_termination(
        uow,
        settings,
        contract,
        end_date=contract.start_date - timedelta(days=1),
        reason="move",
        now=now,
        supply="never_started",
    )


async def report_move(
    uow: UnitOfWork, settings: ContractsSettings, customer_number: str, report: MoveReport, *, now: datetime
) -> Move:
    today = calendar_day(now, settings.zone)
    check_move(
        today=today,
        move_out_date=report.move_out_date,
        move_in_date=report.move_in_date,
        has_new_address=report.new_address is not None,
    )
    customer = await own_customer(uow, customer_number, lock=True)
    contracts = await _contracts_to_move(uow, customer_number, report.contract_ids)
    move = Move(
        id=str(uuid.uuid4()),
        customer_number=customer_number,
        move_out_date=report.move_out_date,
        move_in_date=report.move_in_date,
        new_postcode=None if report.new_address is None else report.new_address.postcode,
        contract_ids=[c.id for c in contracts],
        created_at=now,
    )
    if report.new_address is None:
        # Every termination is checked before the first one is written.
        for contract in contracts:
            if not _starts_after(contract, report.move_out_date):
                check_termination(
                    status=contract.status,
                    start_date=contract.start_date,
                    end_date=report.move_out_date,
                    today=today,
                    allowed=ENDABLE_AT_MOVE,
                )
        for contract in contracts:
            if _starts_after(contract, report.move_out_date):
                await _cancel_before_supply(uow, settings, contract, today=today, now=now)
                continue
            await terminate_contract(
                uow,
                settings,
                customer_number=customer_number,
                contract_id=contract.id,
                end_date=report.move_out_date,
                reason="move",
                now=now,
                allowed=ENDABLE_AT_MOVE,
            )
        uow.session.add(move)
        await uow.commit()
        return move

    assert report.move_in_date is not None, "check_move requires it with a new address"
    before = await registration_of(uow, customer)
    new = report.new_address
    history = ContractEvents(uow.session)
    for contract in contracts:
        old_postcode = contract.supply_postcode
        contract.supply_street = new.street
        contract.supply_house_number = new.house_number
        contract.supply_house_number_addition = new.house_number_addition
        contract.supply_postcode = new.postcode
        contract.supply_city = new.city
        contract.ean = None
        contract.capacity = None
        history.record(
            contract.id,
            "moved",
            now,
            move_out_date=report.move_out_date.isoformat(),
            move_in_date=report.move_in_date.isoformat(),
        )
        uow.emit(
            ContractMoved(
                contract_id=contract.id,
                customer_number=customer_number,
                move_out_date=report.move_out_date,
                move_in_date=report.move_in_date,
                old_supply_postcode=old_postcode,
                new_supply_postcode=new.postcode,
                new_supply_street=new.street,
                new_supply_house_number=new.house_number,
                new_supply_house_number_addition=new.house_number_addition,
                new_supply_city=new.city,
            ),
            subject=contract.id,
        )
    uow.session.add(move)
    await uow.session.flush()
    announce_registration(uow, await registration_of(uow, customer), before, customer_number)
    await uow.commit()
    return move
