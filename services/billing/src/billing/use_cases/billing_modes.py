"""A contract's billing mode: what the customer sees and a change from next month on.

A change waits on the billing account (next_mode, next_mode_from) until the first day of the
next calendar month and is announced at once with BillingModeChanged. A contract that comes to
monthly advances without an advance plan gets the recommended one from that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from billing.db.repositories import BillingAccounts
from billing.db.tables import BillingAccount
from billing.domain.advances import first_of_next_month
from billing.domain.billing_modes import change_mode
from billing.settings import BillingSettings
from billing.use_cases.advances import contract_not_found, owned_contract, plan_first_advance
from billing.use_cases.settlements import apply_due_mode, mode_for_period
from portal_chassis.calendar import calendar_day
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import BillingMode, BillingModeChanged

log = get_logger(__name__)


@dataclass(frozen=True)
class ModeView:
    contract_id: str
    mode: BillingMode  # in force today
    next_mode: BillingMode | None  # waiting for next_mode_from
    next_mode_from: date | None


def _view(account: BillingAccount, today: date) -> ModeView:
    current = mode_for_period(account, today)
    # A change that is due is the mode in force: nothing waits any more.
    pending = cast(BillingMode | None, account.next_mode) if current == account.mode else None
    return ModeView(
        account.contract_id, current, pending, account.next_mode_from if pending is not None else None
    )


async def view_mode(
    uow: UnitOfWork, settings: BillingSettings, contract_id: str, customer_number: str, now: datetime
) -> ModeView:
    await owned_contract(uow, contract_id, customer_number)
    account = await BillingAccounts(uow.session).get(contract_id)
    if account is None:
        raise contract_not_found()
    return _view(account, calendar_day(now, settings.zone))


async def request_mode(
    uow: UnitOfWork,
    settings: BillingSettings,
    contract_id: str,
    requested: BillingMode,
    *,
    customer_number: str,
    now: datetime,
) -> ModeView:
    """Bill the contract in ``requested`` from the first day of next month. Commits."""
    contract = await owned_contract(uow, contract_id, customer_number)
    account = await BillingAccounts(uow.session).lock(contract_id)
    if account is None:
        raise contract_not_found()
    today = calendar_day(now, settings.zone)
    effective_from = first_of_next_month(today)
    if contract.withdrawn or (contract.end_date is not None and contract.end_date < effective_from):
        raise ProblemError(
            409, "contract-ended", "The contract ends before next month: its billing mode cannot change."
        )
    # A change that fell due is the account's mode from now on (whoever reads it applies it).
    current = apply_due_mode(account, today)
    change = change_mode(current, cast(BillingMode | None, account.next_mode), requested, effective_from)
    if change is not None:
        account.next_mode = change.next_mode
        account.next_mode_from = effective_from if change.next_mode is not None else None
        uow.emit(
            BillingModeChanged(
                contract_id=contract_id,
                customer_number=contract.customer_number,
                mode=change.mode,
                previous_mode=change.previous_mode,
                effective_from=effective_from,
            ),
            subject=contract_id,
        )
        if change.mode == "monthly_advance":
            await plan_first_advance(uow, settings, contract, max(effective_from, contract.start_date), now)
        log.info(
            "billing mode changed",
            contract_id=contract_id,
            mode=change.mode,
            effective_from=str(effective_from),
        )
    await uow.commit()
    return _view(account, today)
