"""The daily settlement runs: annual settlements (monthly-advance contracts, on their
anniversary) and quarterly invoices (quarterly contracts, after each calendar quarter).

A run picks the due contracts from one unlocked read of the accounts, then settles each in its
own transaction: it locks the account, looks again (a run before it, or one running beside it,
may have settled the period already) and settles through the period's last day. So a run is
safe to repeat, two runs at once settle each period once, and a run stopped halfway keeps what
it committed. A contract behind by more than one period gets one invoice per period. A
contract that cannot be settled (no tariff for a day, say) is logged, counted and skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from billing.db.repositories import AccountSnapshot, Settlements
from billing.domain.errors import BillingError
from billing.domain.estimates import Profile
from billing.domain.invoice import Invoice, InvoiceKind
from billing.domain.settlement_periods import annual_through, period_start, quarter_through
from billing.settings import BillingSettings
from billing.use_cases.settlements import apply_due_mode, lock_contract, mode_for_period, settle_locked
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import BillingMode

log = get_logger(__name__)

# The last day of the period due on ``today`` for a period starting on ``first_day``, or None.
PeriodEnd = Callable[[date, date, date | None, date], date | None]


def _quarterly(contract_start: date, first_day: date, end_date: date | None, today: date) -> date | None:
    return quarter_through(first_day, end_date, today)


async def annual_settlements(
    uow: UnitOfWork, settings: BillingSettings, *, today: date, now: datetime, profile: Profile | None = None
) -> dict[str, int]:
    """Settle every monthly-advance contract whose anniversary has come, through the day before it."""
    return await _run(
        uow, settings, "monthly_advance", "annual_settlement", annual_through, today, now, profile
    )


async def quarterly_invoices(
    uow: UnitOfWork, settings: BillingSettings, *, today: date, now: datetime, profile: Profile | None = None
) -> dict[str, int]:
    """Invoice every ended calendar quarter not yet settled of the quarterly contracts."""
    return await _run(uow, settings, "quarterly", "quarterly", _quarterly, today, now, profile)


def _due(snapshot: AccountSnapshot, mode: BillingMode, period_end: PeriodEnd, today: date) -> bool:
    first_day = period_start(snapshot.settled_through, snapshot.start_date)
    return (
        mode_for_period(snapshot, first_day) == mode
        and period_end(snapshot.start_date, first_day, snapshot.end_date, today) is not None
    )


async def _run(
    uow: UnitOfWork,
    settings: BillingSettings,
    mode: BillingMode,
    kind: InvoiceKind,
    period_end: PeriodEnd,
    today: date,
    now: datetime,
    profile: Profile | None,
) -> dict[str, int]:
    snapshots = await Settlements(uow.session).accounts_in(mode)
    due = [s.contract_id for s in snapshots if _due(s, mode, period_end, today)]
    await uow.commit()
    issued = failed = 0
    for contract_id in due:
        while True:
            try:
                invoice = await _settle_next(
                    uow, settings, contract_id, mode, kind, period_end, today, now, profile
                )
                await uow.commit()
            except BillingError as exc:
                await uow.rollback()
                failed += 1
                log.warning(
                    "settlement failed", contract_id=contract_id, kind=kind, problem=exc.slug, reason=str(exc)
                )
                break
            if invoice is None:
                break
            issued += 1
    log.info("settlement run done", kind=kind, today=str(today), due=len(due), issued=issued, failed=failed)
    return {"due": len(due), "issued": issued, "failed": failed}


async def _settle_next(
    uow: UnitOfWork,
    settings: BillingSettings,
    contract_id: str,
    mode: BillingMode,
    kind: InvoiceKind,
    period_end: PeriodEnd,
    today: date,
    now: datetime,
    profile: Profile | None,
) -> Invoice | None:
    """The contract's next period if it is due, under the account's lock."""
    locked = await lock_contract(uow, contract_id)
    if locked is None:
        return None
    account, contract = locked
    first_day = period_start(account.settled_through, contract.start_date)
    if contract.withdrawn or apply_due_mode(account, first_day) != mode:
        return None
    through = period_end(contract.start_date, first_day, contract.end_date, today)
    if through is None:
        return None
    return await settle_locked(uow, settings, account, contract, through, kind, now, profile=profile)
