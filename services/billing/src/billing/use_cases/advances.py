"""A contract's monthly advance: what the customer sees, a change by the customer or by
operations, and the first plan a new contract gets.

Every change is a plan row from the next billing period on (see billing.domain.advances) and an
AdvanceChanged event, which notifications turns into the confirmation email. Asking for the
amount that applies from then anyway changes nothing and announces nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from billing.db.repositories import AdvancePlans, BillingAccounts, ContractProducts, ContractViews, Tariffs
from billing.db.tables import ContractView, InvoiceRow
from billing.domain.advances import (
    AdvanceBounds,
    AdvanceOutOfBounds,
    PlannedAdvance,
    advance_on,
    bounds_around,
    contract_year,
    first_of_next_month,
    next_period_start,
    recommended_advance,
    schedule_months,
)
from billing.domain.tariffs import product_on, tariff_on
from billing.settings import BillingSettings
from billing.use_cases.settlements import mode_for_period
from portal_chassis.calendar import calendar_day
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import AdvanceChanged, BillingMode

log = get_logger(__name__)

ChangedBy = Literal["customer", "operations", "billing"]


def contract_not_found() -> ProblemError:
    # Someone else's contract answers exactly like a missing one, so ids cannot be probed.
    return ProblemError(404, "contract-not-found", "There is no contract with this id.")


@dataclass(frozen=True)
class AdvanceView:
    contract_id: str
    billing_mode: BillingMode  # in force today
    current_amount: Decimal | None  # in force today (or at the start, before it)
    recommended_amount: Decimal | None
    bounds: AdvanceBounds  # what the customer may choose
    next_period_start: date  # where a change would apply from
    next_period_amount: Decimal | None  # what applies from then, when a change is pending


async def owned_contract(uow: UnitOfWork, contract_id: str, customer_number: str | None) -> ContractView:
    """The contract; a 404 problem when unknown or (``customer_number`` given) not theirs."""
    contract = await ContractViews(uow.session).get(contract_id)
    if contract is None or (customer_number is not None and contract.customer_number != customer_number):
        raise contract_not_found()
    return contract


async def recommendation_on(uow: UnitOfWork, contract: ContractView, day: date) -> Decimal | None:
    """The recommended advance with the product and tariff in force on ``day``."""
    product = product_on(await ContractProducts(uow.session).history(contract.contract_id), day)
    product_code = product.product_code if product is not None else contract.product_code
    tariff = tariff_on(await Tariffs(uow.session).periods(product_code, contract.commodity), day)
    expected = {register: Decimal(q) for register, q in contract.expected_annual_consumption.items()}
    return recommended_advance(expected, tariff)


def customer_bounds(settings: BillingSettings, recommended: Decimal | None) -> AdvanceBounds:
    if recommended is None:
        return AdvanceBounds(settings.advance_absolute_min, settings.advance_absolute_max)
    return bounds_around(recommended, settings.advance_min_percent, settings.advance_max_percent)


def operations_bounds(settings: BillingSettings) -> AdvanceBounds:
    return AdvanceBounds(Decimal("0.00"), settings.advance_absolute_max)


async def _next_period(uow: UnitOfWork, contract: ContractView, today: date) -> date:
    """The first day a change applies from: the next month without an advance invoice, and
    not before the contract starts (a plan before the start would be hidden by the first one)."""
    invoiced = await AdvancePlans(uow.session).invoiced_months(contract.contract_id, today)
    return max(next_period_start(today, invoiced), contract.start_date)


async def view_advance(
    uow: UnitOfWork, settings: BillingSettings, contract_id: str, customer_number: str, now: datetime
) -> AdvanceView:
    contract = await owned_contract(uow, contract_id, customer_number)
    return await _view(uow, settings, contract, calendar_day(now, settings.zone))


async def _view(
    uow: UnitOfWork, settings: BillingSettings, contract: ContractView, today: date
) -> AdvanceView:
    plans = await AdvancePlans(uow.session).for_contract(contract.contract_id)
    next_from = await _next_period(uow, contract, today)
    current = advance_on(plans, max(today, contract.start_date))
    upcoming = advance_on(plans, next_from)
    recommended = await recommendation_on(uow, contract, next_from)
    account = await BillingAccounts(uow.session).get(contract.contract_id)
    return AdvanceView(
        contract_id=contract.contract_id,
        billing_mode=(settings.default_billing_mode if account is None else mode_for_period(account, today)),
        current_amount=current.amount if current is not None else None,
        recommended_amount=recommended,
        bounds=customer_bounds(settings, recommended),
        next_period_start=next_from,
        next_period_amount=(
            upcoming.amount
            if upcoming is not None and (current is None or upcoming.amount != current.amount)
            else None
        ),
    )


@dataclass(frozen=True)
class ScheduledMonth:
    month: date  # its first day
    amount: Decimal | None  # the advance in force for it; None without a plan
    invoice_id: str | None  # once the advance run has invoiced it
    invoice_number: str | None
    status: str  # planned, or the invoice's status: open, paid, credited
    due_date: date | None


@dataclass(frozen=True)
class AdvanceSchedule:
    contract_id: str
    billing_mode: BillingMode
    year_begins: date
    settlement_after: date  # the last day the annual settlement covers
    months: list[ScheduledMonth]  # empty when the contract is not billed by advances


async def view_schedule(
    uow: UnitOfWork, settings: BillingSettings, contract_id: str, customer_number: str, now: datetime
) -> AdvanceSchedule:
    """The payment schedule of a monthly payer: each month of the current contract year with its
    advance (invoiced, or planned at the amount in force), and the annual settlement after it."""
    contract = await owned_contract(uow, contract_id, customer_number)
    today = calendar_day(now, settings.zone)
    begins, through = contract_year(contract.start_date, today)
    account = await BillingAccounts(uow.session).get(contract.contract_id)
    mode = settings.default_billing_mode if account is None else mode_for_period(account, today)
    months = schedule_months(begins, through, contract.end_date) if mode == "monthly_advance" else []
    plans = AdvancePlans(uow.session)
    known = await plans.for_contract(contract.contract_id)
    invoiced: dict[date, InvoiceRow] = {}
    if months:
        rows = await plans.advance_invoices(contract.contract_id, months[0], first_of_next_month(months[-1]))
        invoiced = {row.period_start.replace(day=1): row for row in rows if row.period_start is not None}
    scheduled = []
    for month in months:
        invoice = invoiced.get(month)
        planned = advance_on(known, max(month, contract.start_date))
        scheduled.append(
            ScheduledMonth(
                month=month,
                amount=invoice.total_incl_vat if invoice is not None else planned.amount if planned else None,
                invoice_id=invoice.id if invoice is not None else None,
                invoice_number=invoice.number if invoice is not None else None,
                status=invoice.status if invoice is not None else "planned",
                due_date=invoice.due_date if invoice is not None else None,
            )
        )
    return AdvanceSchedule(contract.contract_id, mode, begins, through, scheduled)


async def change_advance(
    uow: UnitOfWork,
    settings: BillingSettings,
    contract_id: str,
    amount: Decimal,
    *,
    changed_by: ChangedBy,
    customer_number: str | None,
    now: datetime,
) -> AdvanceView:
    """Set the advance from the next billing period; ``customer_number`` None is operations
    (any contract, the operations bounds). Commits."""
    contract = await owned_contract(uow, contract_id, customer_number)
    today = calendar_day(now, settings.zone)
    account = await BillingAccounts(uow.session).lock(contract_id)
    next_from = await _next_period(uow, contract, today)
    if contract.withdrawn or (contract.end_date is not None and contract.end_date < next_from):
        raise ProblemError(
            409, "contract-ended", "The contract ends before the next billing period: no advance to change."
        )
    if account is None or mode_for_period(account, next_from) != "monthly_advance":
        raise ProblemError(
            409,
            "not-billed-by-advance",
            "From the next billing period the contract is not billed by monthly advances.",
        )
    recommended = await recommendation_on(uow, contract, next_from)
    bounds = (
        operations_bounds(settings) if customer_number is None else customer_bounds(settings, recommended)
    )
    try:
        bounds.check(amount)
    except AdvanceOutOfBounds as exc:
        raise ProblemError(
            422,
            exc.slug,
            str(exc),
            minimum=f"{bounds.minimum:.2f}",
            maximum=f"{bounds.maximum:.2f}",
        ) from None
    plans = AdvancePlans(uow.session)
    upcoming = advance_on(await plans.for_contract(contract_id), next_from)
    if upcoming is None or upcoming.amount != amount:
        await plans.put(
            {
                "contract_id": contract_id,
                "effective_from": next_from,
                "amount": amount,
                "set_by": changed_by,
                "set_at": now,
            }
        )
        uow.emit(
            AdvanceChanged(
                contract_id=contract_id,
                customer_number=contract.customer_number,
                amount=amount,
                previous_amount=upcoming.amount if upcoming is not None else None,
                recommended_amount=recommended,
                effective_from=next_from,
                changed_by=changed_by,
            ),
            subject=contract_id,
        )
        log.info("advance changed", contract_id=contract_id, effective_from=str(next_from), by=changed_by)
    await uow.commit()
    return await _view(uow, settings, contract, today)


async def plan_first_advance(
    uow: UnitOfWork, settings: BillingSettings, contract: ContractView, effective_from: date, now: datetime
) -> PlannedAdvance | None:
    """The recommended advance from ``effective_from`` for a contract without a plan; None
    when there is no recommendation (no tariff for that day, no expected consumption) or a
    plan exists. Does not commit."""
    plans = AdvancePlans(uow.session)
    if await plans.for_contract(contract.contract_id):
        return None
    recommended = await recommendation_on(uow, contract, effective_from)
    if recommended is None:
        return None
    await plans.add_if_absent(
        {
            "contract_id": contract.contract_id,
            "effective_from": effective_from,
            "amount": recommended,
            "set_by": "billing",
            "set_at": now,
        }
    )
    uow.emit(
        AdvanceChanged(
            contract_id=contract.contract_id,
            customer_number=contract.customer_number,
            amount=recommended,
            previous_amount=None,
            recommended_amount=recommended,
            effective_from=effective_from,
            changed_by="billing",
        ),
        subject=contract.contract_id,
    )
    return PlannedAdvance(effective_from, recommended)


async def plan_new_contract(
    uow: UnitOfWork, settings: BillingSettings, contract_id: str, now: datetime
) -> None:
    """ContractCreated: a contract billed by advances gets the recommended one from its start,
    when the product's tariffs for that day are known (else TariffsPublished brings it)."""
    contract = await ContractViews(uow.session).get(contract_id)
    account = await BillingAccounts(uow.session).get(contract_id)
    if contract is None or account is None or account.mode != "monthly_advance":
        return
    at_start = product_on(await ContractProducts(uow.session).history(contract_id), contract.start_date)
    await AdvancePlans(uow.session).lock_product(at_start.product_code if at_start else contract.product_code)
    await plan_first_advance(uow, settings, contract, contract.start_date, now)


async def plan_product_contracts(
    uow: UnitOfWork, settings: BillingSettings, product_code: str, now: datetime
) -> int:
    """TariffsPublished: contracts that started on ``product_code`` and have no plan yet (their
    tariffs were not known when they were created) get the recommended one from their start.
    Returns how many; a repeated publication finds none left."""
    plans = AdvancePlans(uow.session)
    await plans.lock_product(product_code)
    today = calendar_day(now, settings.zone)
    planned = 0
    for contract in await plans.contracts_without_plan(product_code, today):
        history = await ContractProducts(uow.session).history(contract.contract_id)
        at_start = product_on(history, contract.start_date)
        if (at_start.product_code if at_start is not None else contract.product_code) != product_code:
            continue
        if await plan_first_advance(uow, settings, contract, contract.start_date, now) is not None:
            planned += 1
    return planned
