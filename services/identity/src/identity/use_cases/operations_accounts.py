"""What operations do with an account: find it by its address, unlock it early.

Unlocking clears the lock and the failed count (AccountUnlocked, by "operations") for a
customer who called in; an account that is not locked answers 409 ``not-locked``. The log names
the operator, never the address.
"""

from __future__ import annotations

from datetime import datetime

from identity.db.repositories import Accounts
from identity.db.tables import Account
from portal_chassis.auth import Operator
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountUnlocked

log = get_logger(__name__)


async def find_accounts(
    uow: UnitOfWork, operator: Operator, *, email: str, limit: int, offset: int
) -> tuple[list[Account], int]:
    rows, total = await Accounts(uow.session).page(email=email, limit=limit, offset=offset)
    log.info("operations looked up an account by email", operator=operator.name, found=total)
    return rows, total


async def unlock_account(uow: UnitOfWork, operator: Operator, account_id: str, *, now: datetime) -> None:
    account = await Accounts(uow.session).get(account_id)
    if account is None:
        raise ProblemError(404, "account-not-found", "There is no account with this id.")
    if account.locked_until is None or account.locked_until <= now:
        raise ProblemError(409, "not-locked", "This account is not locked.")
    Accounts.unlock(account)
    uow.emit(AccountUnlocked(account_id=account.id, by="operations"), subject=account.id)
    await uow.commit()
    log.info("account unlocked by operations", account_id=account.id, operator=operator.name)
