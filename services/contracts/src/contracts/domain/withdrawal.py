"""The right of withdrawal: within 14 calendar days after the written confirmation of the
contract (``concluded_on``) the customer may withdraw, free of charge.

The period is ``withdrawal_days`` (setting, 14) days counted from the day after the
confirmation: confirmed on 1 March, the last day to withdraw is 15 March. A contract already
terminating, ended or withdrawn cannot be withdrawn.
"""

from __future__ import annotations

from datetime import date, timedelta

from contracts.domain.errors import ContractNotActive, WithdrawalPeriodOver

WITHDRAWABLE = ("confirmed", "active")


def last_withdrawal_day(concluded_on: date, withdrawal_days: int) -> date:
    return concluded_on + timedelta(days=withdrawal_days)


def check_withdrawal(*, status: str, concluded_on: date, today: date, withdrawal_days: int) -> None:
    if status not in WITHDRAWABLE:
        raise ContractNotActive(f"This contract is {status}; it can no longer be withdrawn.")
    last = last_withdrawal_day(concluded_on, withdrawal_days)
    if today > last:
        raise WithdrawalPeriodOver(
            f"The withdrawal period ended on {last.isoformat()} ({withdrawal_days} days after the "
            "written confirmation). You can still terminate the contract; a termination fee may apply."
        )
