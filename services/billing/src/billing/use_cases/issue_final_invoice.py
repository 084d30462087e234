"""Final settlement: when a contract ends, one final invoice for it.

ContractTerminated with the final fee (``fee_is_final``) starts it; a provisional one (a
switch notice naming the intended end date) only records the end date, and a second final
one changes nothing. The final invoice settles the contract through its end date with the
termination fee as its own line, minus the advances invoiced for the period:

- at once when billing already has the final reading: every register of the meter in place
  read on or after the end date (or a reading marked final);
- otherwise it waits for that reading: the billing account records the fee and the day the
  wait ends (end date + ``final_reading_wait_days``). The reading arriving in time settles it
  then (use_cases/reading_settlements.py); if it has not come, the daily ``settle-due-finals``
  job issues it with an estimated index, which a late real reading corrects (credit note and
  a new final invoice).

A withdrawn contract (ContractWithdrawn) is settled the same way without a fee through its
last supply day, or not at all when supply never started.

A contract billing never heard of (its ContractCreated was lost to a retention limit, or came
before billing existed) still gets a final invoice with the fee: the fee is owed whatever
billing knows (there is nothing to price energy with).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from billing.db.repositories import BillingAccounts, ContractViews, Invoices, ReadingViews, Settlements
from billing.domain.errors import BillingError
from billing.domain.estimates import Profile
from billing.domain.invoice import ZERO, Invoice, InvoiceKind
from billing.domain.settlement import TerminationFee, fee_lines, read_through, termination_fee_of
from billing.settings import BillingSettings
from billing.use_cases.issuing import issue_invoice
from billing.use_cases.settlements import lock_contract, settle_locked
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractTerminated, ContractWithdrawn

log = get_logger(__name__)

KIND: InvoiceKind = "final_settlement"


async def _already_final(uow: UnitOfWork, contract_id: str) -> bool:
    """A final invoice issued, or one waiting for the final reading."""
    if await Invoices(uow.session).final_settlement_of(contract_id) is not None:
        return True
    account = await BillingAccounts(uow.session).get(contract_id)
    return account is not None and account.final_due_on is not None


async def issue_final_invoice(
    uow: UnitOfWork,
    settings: BillingSettings,
    termination: ContractTerminated,
    *,
    now: datetime | None = None,
    profile: Profile | None = None,
) -> Invoice | None:
    """The final invoice when it can be issued now; None when it waits for the final reading,
    the fee is still provisional, or the contract already has one (a repeated event)."""
    now = now or datetime.now(UTC)
    contract_id = termination.contract_id
    if await _already_final(uow, contract_id):
        # The inbox stops the same event twice; this stops the same termination announced
        # again under a new event id (a replay by the producer), and a provisional one
        # arriving after the final one: the settled end date stands.
        log.info("final settlement already issued or waiting", contract_id=contract_id)
        return None

    contract = await ContractViews(uow.session).get(contract_id)
    if contract is not None:
        contract.end_date = termination.end_date
    if not termination.fee_is_final:
        log.info(
            "termination announced with a provisional fee; waiting for the final one", contract_id=contract_id
        )
        return None

    fee = termination_fee_of(
        termination.termination_fee,
        excl_vat=termination.termination_fee_excl_vat,
        vat_rate=termination.termination_fee_vat_rate,
        fallback_vat_rate=settings.termination_fee_vat_rate,
    )
    if contract is None or await BillingAccounts(uow.session).get(contract_id) is None:
        invoice = await issue_invoice(
            uow,
            settings,
            kind=KIND,
            customer_number=termination.customer_number,
            contract_id=contract_id,
            lines=fee_lines(fee),
            period_end=termination.end_date,  # also ends the contract should it arrive later
            now=now,
        )
        log.info(
            "final invoice of an unknown contract issued", contract_id=contract_id, invoice=invoice.number
        )
        return invoice
    if contract.withdrawn:
        fee = TerminationFee(excl_vat=ZERO, vat_rate=fee.vat_rate)
    return await await_final_reading(uow, settings, contract_id, fee, now, profile)


async def settle_withdrawal(
    uow: UnitOfWork,
    settings: BillingSettings,
    withdrawal: ContractWithdrawn,
    *,
    now: datetime | None = None,
    profile: Profile | None = None,
) -> Invoice | None:
    """A withdrawn contract that did supply is settled through its last supply day, no fee."""
    if withdrawal.last_supply_day is None or await _already_final(uow, withdrawal.contract_id):
        return None
    if await BillingAccounts(uow.session).get(withdrawal.contract_id) is None:
        return None
    no_fee = TerminationFee(excl_vat=ZERO, vat_rate=settings.termination_fee_vat_rate)
    return await await_final_reading(
        uow, settings, withdrawal.contract_id, no_fee, now or datetime.now(UTC), profile
    )


async def await_final_reading(
    uow: UnitOfWork,
    settings: BillingSettings,
    contract_id: str,
    fee: TerminationFee,
    now: datetime,
    profile: Profile | None = None,
) -> Invoice | None:
    """Record the final settlement; issue it at once when the final reading is already there."""
    locked = await lock_contract(uow, contract_id)
    if locked is None:
        return None
    account, contract = locked
    if contract.end_date is None:
        return None
    account.final_fee_excl_vat = fee.excl_vat
    account.final_fee_vat_rate = fee.vat_rate
    account.final_due_on = contract.end_date + timedelta(days=settings.final_reading_wait_days)
    if read_through(
        await ReadingViews(uow.session).for_contract(contract_id, settings.zone), contract.end_date
    ):
        return await settle_final(uow, settings, contract_id, now, profile=profile)
    log.info(
        "final settlement waits for the final reading",
        contract_id=contract_id,
        due_on=str(account.final_due_on),
    )
    return None


async def settle_final(
    uow: UnitOfWork,
    settings: BillingSettings,
    contract_id: str,
    now: datetime,
    *,
    due_by: date | None = None,
    profile: Profile | None = None,
) -> Invoice | None:
    """Issue the final settlement waiting on the account (due by ``due_by`` when given), with
    the readings there are; None when none is waiting (any more)."""
    locked = await lock_contract(uow, contract_id)
    if locked is None:
        return None
    account, contract = locked
    due = account.final_due_on
    if due is None or contract.end_date is None or (due_by is not None and due > due_by):
        return None
    fee = TerminationFee(account.final_fee_excl_vat or ZERO, account.final_fee_vat_rate or ZERO)
    invoice = await settle_locked(
        uow, settings, account, contract, contract.end_date, KIND, now, fee=fee, profile=profile
    )
    account.final_due_on = None
    return invoice


async def settle_due_finals(
    uow: UnitOfWork, settings: BillingSettings, *, today: date, now: datetime, profile: Profile | None = None
) -> dict[str, int]:
    """The daily job: final settlements whose wait for the final reading is over, issued with
    an estimate where the reading is missing. One transaction per contract; safe to run twice,
    and two runs at once issue each once (the account lock, then nothing waits any more)."""
    issued = failed = 0
    contract_ids = await Settlements(uow.session).finals_due(today)
    for contract_id in contract_ids:
        try:
            invoice = await settle_final(uow, settings, contract_id, now, due_by=today, profile=profile)
            await uow.commit()
        except BillingError as exc:
            await uow.rollback()
            failed += 1
            log.warning("final settlement failed", contract_id=contract_id, problem=exc.slug, reason=str(exc))
            continue
        issued += invoice is not None
    return {"due": len(contract_ids), "issued": issued, "failed": failed}
