"""Settling a contract: its consumption since the last settlement, priced with its tariffs,
minus the advances invoiced for the period, as one invoice.

``settle_contract`` is the one way every settlement is made (``settle_locked`` when the caller
holds the lock already): the annual and quarterly runs (use_cases/settlement_runs.py), the
invoice on a reading and the correction of an estimate (use_cases/reading_settlements.py) and
the final settlement (use_cases/issue_final_invoice.py). It runs inside the caller's unit of
work (the caller commits):

1. lock the customer, then the billing account (two settlements of one contract at once: the
   second waits and then finds the period settled). Every billing writer that takes both
   takes them in this order, and invoice number sequences after them, so none waits for the
   other in a circle;
2. the period: from the day after ``settled_through`` (or the contract start) through the day
   asked; a change of billing mode due by its first day becomes the account's mode;
3. plan: readings, the previous settlement's closing indexes, products, tariffs and advances
   into lines (billing.domain.settlement), before anything is written, so a contract that
   cannot be settled (no tariff, a meter running backwards) changes nothing;
4. issue the invoice (InvoiceIssued), keep its closing indexes, move ``settled_through``, and
   set the customer's credit against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import cast

from billing.db.repositories import (
    AccountSnapshot,
    BillingAccounts,
    ContractProducts,
    ContractViews,
    Payments,
    ReadingViews,
    SettlementIndexes,
    Settlements,
    Tariffs,
)
from billing.db.tables import BillingAccount, ContractView, InvoiceRow
from billing.domain.billing_modes import mode_on
from billing.domain.estimates import Profile, standard_profile
from billing.domain.invoice import Invoice, InvoiceKind, InvoiceLine
from billing.domain.settlement import (
    Index,
    TerminationFee,
    fee_lines,
    register_uses,
    settlement_lines,
    tariff_spans,
)
from billing.domain.settlement_periods import period_start
from billing.domain.tariffs import ProductChange
from billing.settings import BillingSettings
from billing.use_cases.credit_notes import credit_invoice
from billing.use_cases.issuing import issue_invoice
from billing.use_cases.payments import allocate_credit
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import BillingMode

log = get_logger(__name__)

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SettlementPlan:
    """An invoice ready to issue. No period: nothing was left to settle but a fee."""

    kind: InvoiceKind
    period_start: date | None
    period_end: date | None
    lines: list[InvoiceLine]
    estimated: bool
    closing: list[tuple[str, str, Index]]  # (meter, register, closing index)


def mode_for_period(account: BillingAccount | AccountSnapshot, day: date) -> BillingMode:
    """The account's mode for a period starting on ``day`` (a change due by then included)."""
    return mode_on(
        cast(BillingMode, account.mode),
        cast(BillingMode | None, account.next_mode),
        account.next_mode_from,
        day,
    )


def apply_due_mode(account: BillingAccount, day: date) -> BillingMode:
    """The account's mode for a period starting on ``day``; a change due by then is applied."""
    mode = mode_for_period(account, day)
    if account.next_mode is not None and mode == account.next_mode:
        account.mode, account.next_mode, account.next_mode_from = mode, None, None
    return mode


async def lock_contract(uow: UnitOfWork, contract_id: str) -> tuple[BillingAccount, ContractView] | None:
    """The contract's billing account, locked after its customer (see the module's lock order)."""
    contract = await ContractViews(uow.session).get(contract_id)
    if contract is None:
        return None
    await Payments(uow.session).lock_customer(contract.customer_number)
    account = await BillingAccounts(uow.session).lock(contract_id)
    return None if account is None else (account, contract)


async def plan_settlement(
    uow: UnitOfWork,
    settings: BillingSettings,
    contract: ContractView,
    *,
    start: date,
    through: date,
    kind: InvoiceKind,
    fee: TerminationFee | None,
    profile: Profile,
) -> SettlementPlan:
    """The lines of [start, through] (reads only; raises SettlementError when impossible)."""
    if start > through:
        return SettlementPlan(kind, None, None, fee_lines(fee), False, [])
    session = uow.session
    contract_id = contract.contract_id
    history = await ContractProducts(session).history(contract_id) or [
        ProductChange(contract.start_date, contract.product_code)
    ]
    tariffs = Tariffs(session)
    periods = {
        code: await tariffs.periods(code, contract.commodity) for code in {c.product_code for c in history}
    }
    advances, count = await Settlements(session).advances(contract_id, start, through)
    uses = register_uses(
        await ReadingViews(session).for_contract(contract_id, settings.zone),
        commodity=contract.commodity,
        contract_start=contract.start_date,
        start=start,
        end=through,
        openings=await SettlementIndexes(session).closing_of(contract_id, start - ONE_DAY),
        expected={register: Decimal(v) for register, v in contract.expected_annual_consumption.items()},
        profile=profile,
    )
    spans = tariff_spans(start, through, commodity=contract.commodity, history=history, periods=periods)
    lines = settlement_lines(
        uses=uses,
        spans=spans,
        profile=profile,
        fee=fee,
        advances=advances,
        advance_count=count,
        start=start,
        end=through,
    )
    closing = [
        (use.meter_id, use.register_type, use.closing)
        for use in uses
        if use.meter_id is not None and use.closing is not None
    ]
    return SettlementPlan(kind, start, through, lines, any(use.estimated for use in uses), closing)


async def issue_settlement(
    uow: UnitOfWork, settings: BillingSettings, account: BillingAccount, plan: SettlementPlan, now: datetime
) -> Invoice:
    invoice = await issue_invoice(
        uow,
        settings,
        kind=plan.kind,
        customer_number=account.customer_number,
        contract_id=account.contract_id,
        lines=plan.lines,
        period_start=plan.period_start,
        period_end=plan.period_end,
        estimated=plan.estimated,
        now=now,
    )
    if plan.period_end is not None:
        SettlementIndexes(uow.session).add(invoice.id, account.contract_id, plan.period_end, plan.closing)
        account.settled_through = plan.period_end
    await allocate_credit(uow, account.customer_number, now)
    log.info(
        "settlement issued",
        contract_id=account.contract_id,
        invoice_number=invoice.number,
        kind=plan.kind,
        period_start=str(plan.period_start),
        period_end=str(plan.period_end),
        estimated=plan.estimated,
    )
    return invoice


async def settle_contract(
    uow: UnitOfWork,
    settings: BillingSettings,
    contract_id: str,
    through: date,
    kind: InvoiceKind,
    now: datetime,
    fee: TerminationFee | None = None,
    profile: Profile | None = None,
) -> Invoice | None:
    """Settle the contract from its next unsettled day through ``through``; None when there
    is nothing to settle (the period is already settled and there is no fee) or the contract
    is unknown."""
    locked = await lock_contract(uow, contract_id)
    if locked is None:
        return None
    account, contract = locked
    return await settle_locked(uow, settings, account, contract, through, kind, now, fee=fee, profile=profile)


async def settle_locked(
    uow: UnitOfWork,
    settings: BillingSettings,
    account: BillingAccount,
    contract: ContractView,
    through: date,
    kind: InvoiceKind,
    now: datetime,
    *,
    fee: TerminationFee | None = None,
    profile: Profile | None = None,
) -> Invoice | None:
    """``settle_contract`` for a contract its caller already locked (``lock_contract``)."""
    start = period_start(account.settled_through, contract.start_date)
    apply_due_mode(account, start)
    plan = await plan_settlement(
        uow,
        settings,
        contract,
        start=start,
        through=through,
        kind=kind,
        fee=fee,
        profile=profile or standard_profile(),
    )
    if not plan.lines:
        return None
    return await issue_settlement(uow, settings, account, plan, now)


async def correct_settlement(
    uow: UnitOfWork, settings: BillingSettings, invoice_id: str, now: datetime, profile: Profile | None = None
) -> list[Invoice]:
    """Credit an estimated settlement and settle its period again with the readings there are
    now: [credit note, new invoice]; [] when it is no longer the contract's latest settlement
    or no longer open to correction (a concurrent correction did it)."""
    invoice = await uow.session.get(InvoiceRow, invoice_id)
    if invoice is None or invoice.contract_id is None:
        return []
    locked = await lock_contract(uow, invoice.contract_id)
    if locked is None:
        return []
    account, contract = locked
    latest = await Settlements(uow.session).latest(invoice.contract_id)
    if latest is None or latest.id != invoice_id:
        return []
    if not latest.estimated or latest.period_start is None or latest.period_end is None:
        return []
    fee = None
    if latest.kind == "final_settlement" and account.final_fee_excl_vat is not None:
        fee = TerminationFee(account.final_fee_excl_vat, account.final_fee_vat_rate or Decimal(0))
    plan = await plan_settlement(
        uow,
        settings,
        contract,
        start=latest.period_start,
        through=latest.period_end,
        kind=cast(InvoiceKind, latest.kind),
        fee=fee,
        profile=profile or standard_profile(),
    )
    note = await credit_invoice(uow, settings, latest.id, now)
    account.settled_through = latest.period_start - ONE_DAY
    again = await issue_settlement(uow, settings, account, plan, now)
    log.info("estimated settlement corrected", contract_id=contract.contract_id, credit_note=note.number)
    return [note, again]
