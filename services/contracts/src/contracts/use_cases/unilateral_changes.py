"""Unilateral changes of prices or conditions (product conditions 6): announced at least 30
days ahead to every affected contract; until the change takes effect the customer may end
the contract free of charge (the fee rules read ``free_termination_before``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from contracts.db.repositories import ContractEvents, Contracts
from contracts.domain.errors import InvalidEndDate
from contracts.settings import ContractsSettings
from portal_chassis.calendar import calendar_day
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import UnilateralChangeAnnounced, UnilateralChangeKind


@dataclass(frozen=True)
class Announcement:
    change_id: str
    contract_ids: list[str]


async def announce_change(
    uow: UnitOfWork,
    settings: ContractsSettings,
    *,
    kind: UnilateralChangeKind,
    effective_date: date,
    description: str,
    commodity: str | None,
    product_codes: list[str],
    operator: str,
    now: datetime,
) -> Announcement:
    today = calendar_day(now, settings.zone)
    earliest = today + timedelta(days=settings.unilateral_change_notice_days)
    if effective_date < earliest:
        raise InvalidEndDate(
            f"A change is announced at least {settings.unilateral_change_notice_days} days ahead: "
            f"effective {earliest.isoformat()} at the earliest.",
            field="effective_date",
        )
    change_id = str(uuid.uuid4())
    affected = await Contracts(uow.session).current(commodity=commodity, product_codes=product_codes)
    history = ContractEvents(uow.session)
    for contract in affected:
        # A later change extends the free window; an earlier one never shortens it.
        if contract.free_termination_before is None or contract.free_termination_before < effective_date:
            contract.free_termination_before = effective_date
        history.record(
            contract.id,
            "unilateral_change_announced",
            now,
            change_id=change_id,
            change_kind=kind,
            effective_date=effective_date.isoformat(),
            operator=operator,
        )
        uow.emit(
            UnilateralChangeAnnounced(
                change_id=change_id,
                contract_id=contract.id,
                customer_number=contract.customer_number,
                kind=kind,
                effective_date=effective_date,
                description=description,
            ),
            subject=contract.id,
        )
    await uow.commit()
    return Announcement(change_id, [c.id for c in affected])
