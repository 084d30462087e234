"""What a new meter reading settles, right after billing recorded it.

Metering sends one MeterReadingReceived per register, so a reading of a meter with two
counters (normal and off-peak) comes as two events: nothing is settled until every register
of the meters in place has been read (on or after the day concerned). Then, the first that
applies:

1. a final settlement waiting for the final reading is issued with it;
2. an actual reading on a day of the contract's latest settlement, issued with an estimate,
   corrects it: a credit note for it and the same period settled again (use_cases/
   settlements.py, correct_settlement);
3. a contract billed on readings (mode on_reading) gets a "periodic" invoice through the
   reading's calendar day (not for its very first index: nothing was measured up to it).

A settlement that cannot be made (no tariff for a day, say) is logged and skipped: the reading
is kept either way, and a later run or reading settles the period.
"""

from __future__ import annotations

from datetime import datetime

from billing.db.repositories import BillingAccounts, ContractViews, ReadingViews, Settlements
from billing.domain.errors import BillingError
from billing.domain.estimates import Profile
from billing.domain.invoice import Invoice
from billing.domain.settlement import read_through
from billing.domain.settlement_periods import period_start
from billing.settings import BillingSettings
from billing.use_cases.issue_final_invoice import settle_final
from billing.use_cases.settlements import apply_due_mode, correct_settlement, settle_contract
from portal_chassis.calendar import calendar_day
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import MeterReadingReceived

log = get_logger(__name__)


async def settle_on_reading(
    uow: UnitOfWork,
    settings: BillingSettings,
    reading: MeterReadingReceived,
    *,
    now: datetime,
    profile: Profile | None = None,
) -> list[Invoice]:
    """The invoices a newly recorded reading issues (inside the consumer's unit of work)."""
    if reading.contract_id is None:
        return []
    try:
        return await _settle(uow, settings, reading, reading.contract_id, now, profile)
    except BillingError as exc:
        # Every settlement plans before it writes, so nothing of it was stored.
        log.warning(
            "settlement on a reading failed; the reading is kept",
            contract_id=reading.contract_id,
            problem=exc.slug,
            reason=str(exc),
        )
        return []


async def _settle(
    uow: UnitOfWork,
    settings: BillingSettings,
    reading: MeterReadingReceived,
    contract_id: str,
    now: datetime,
    profile: Profile | None,
) -> list[Invoice]:
    account = await BillingAccounts(uow.session).get(contract_id)
    contract = await ContractViews(uow.session).get(contract_id)
    if account is None or contract is None:
        return []
    reads = await ReadingViews(uow.session).for_contract(contract_id, settings.zone)
    if account.final_due_on is not None:
        if contract.end_date is None or not read_through(reads, contract.end_date):
            return []
        final = await settle_final(uow, settings, contract_id, now, profile=profile)
        return [final] if final is not None else []
    if reading.quality != "actual":
        return []

    day = calendar_day(reading.read_at, settings.zone)
    latest = await Settlements(uow.session).latest(contract_id)
    if (
        latest is not None
        and latest.estimated
        and latest.period_start is not None
        and latest.period_end is not None
        and latest.period_end == account.settled_through
        and latest.period_start <= day <= latest.period_end
    ):
        if not read_through(reads, day):
            return []
        return await correct_settlement(uow, settings, latest.id, now, profile)

    first_day = period_start(account.settled_through, contract.start_date)
    if apply_due_mode(account, first_day) != "on_reading" or contract.withdrawn:
        return []
    if contract.end_date is not None and day >= contract.end_date:
        return []  # the final settlement takes the last days
    if day < first_day or not read_through(reads, day):
        return []
    if not any(r.actual and r.day < day for r in reads):
        return []  # the contract's first index: nothing measured up to it yet
    invoice = await settle_contract(uow, settings, contract_id, day, "periodic", now, profile=profile)
    return [invoice] if invoice is not None else []
