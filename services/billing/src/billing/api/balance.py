"""/v1/balance: what the caller has open, overdue and in credit."""

from __future__ import annotations

from fastapi import APIRouter

from billing.api.deps import CustomerDep, NowDep, SettingsDep, UowDep
from billing.api.payments_schemas import BalanceOut
from billing.use_cases.balance import customer_balance
from portal_chassis.calendar import calendar_day

router = APIRouter(prefix="/v1/balance", tags=["payments"])


@router.get("", summary="My balance: open, overdue (with a warning flag) and credit")
async def my_balance(customer: CustomerDep, settings: SettingsDep, uow: UowDep, now: NowDep) -> BalanceOut:
    today = calendar_day(now, settings.zone)
    balance = await customer_balance(uow, customer.customer_number, today)
    return BalanceOut(
        as_of=today,
        open_total=balance.open_total,
        overdue_total=balance.overdue_total,
        overdue=balance.overdue,
        oldest_overdue_due_date=balance.oldest_overdue_due_date,
        credit=balance.credit,
    )
