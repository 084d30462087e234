"""Unilateral changes of prices or conditions (product conditions 6): announced at least 30
days ahead to every affected contract; until the change takes effect the customer may end
the contract free of charge (the fee rules read ``free_termination_before``).

A change is identified by its kind, effective date and scope (commodity and product codes, in
any order): announcing the same change again returns the first announcement and notifies no
one again; the same change with another description is refused (409), since the customers
already have the first text. Contracts on a product are those whose terms in force on the
effective date have it (a tariff switch or renewal before then counts).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.db.repositories import ContractEvents, Contracts
from contracts.db.tables import UnilateralChange
from contracts.domain.errors import InvalidEndDate
from contracts.domain.terms import in_force
from contracts.settings import ContractsSettings
from contracts.use_cases.terms_history import histories
from portal_chassis.calendar import calendar_day
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import UnilateralChangeAnnounced, UnilateralChangeKind


@dataclass(frozen=True)
class Announcement:
    change_id: str
    contracts_notified: int
    repeated: bool = False  # the same change was announced before: nothing new sent


def change_key(kind: str, effective_date: date, commodity: str | None, product_codes: list[str]) -> str:
    scope = ",".join(sorted(set(product_codes)))
    text = f"{kind}|{effective_date.isoformat()}|{commodity or '*'}|{scope}"
    return hashlib.sha256(text.encode()).hexdigest()


async def _announced(uow: UnitOfWork, key: str, description: str) -> Announcement | None:
    found = await uow.session.scalar(select(UnilateralChange).where(UnilateralChange.change_key == key))
    if found is None:
        return None
    if found.description != description:
        raise ProblemError(
            409,
            "change-already-announced",
            "This change was announced before with another description; customers have that one.",
            change_id=found.change_id,
        )
    return Announcement(found.change_id, found.contracts_notified, repeated=True)


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
    key = change_key(kind, effective_date, commodity, product_codes)
    if (earlier := await _announced(uow, key, description)) is not None:
        return earlier
    change_id = str(uuid.uuid4())
    current = await Contracts(uow.session).current(commodity=commodity, product_codes=())
    if product_codes:
        terms = await histories(uow, current)
        affected = [
            c
            for c in current
            if (in_force(terms[c.id], effective_date) or terms[c.id][0]).product_code in product_codes
        ]
    else:
        affected = list(current)
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
    uow.session.add(
        UnilateralChange(
            change_id=change_id,
            change_key=key,
            kind=kind,
            effective_date=effective_date,
            description=description,
            commodity=commodity,
            product_codes=sorted(set(product_codes)),
            contracts_notified=len(affected),
            announced_by=operator,
            announced_at=now,
        )
    )
    try:
        await uow.commit()
    except IntegrityError:
        # The same change announced at the same moment by another request: that one stands.
        await uow.rollback()
        earlier = await _announced(uow, key, description)
        if earlier is None:
            raise
        return earlier
    return Announcement(change_id, len(affected))
