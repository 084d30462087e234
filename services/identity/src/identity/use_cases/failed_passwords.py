"""A wrong password, wherever it is typed (log-in, settings, linking a contract to an existing
account), counts towards the account's lock: otherwise each of those forms would be a way to
guess the password without ever being locked out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NoReturn

from identity.db.repositories import Accounts
from identity.db.tables import Account
from identity.domain.lockout import AccountLockedError, LockoutPolicy
from identity.settings import IdentitySettings
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountLocked

log = get_logger(__name__)


def lockout_policy(settings: IdentitySettings) -> LockoutPolicy:
    return LockoutPolicy(settings.max_failed_logins, settings.lockout_duration)


async def count_wrong_password(
    uow: UnitOfWork,
    policy: LockoutPolicy,
    account: Account,
    now: datetime,
    *,
    wrong: Callable[[], ProblemError],
) -> NoReturn:
    """Count the failure (committed, although the request fails) and raise ``wrong()``, or
    423 when this failure locks the account (AccountLocked tells its owner)."""
    counted = await Accounts(uow.session).count_failed_login(account.id, policy, now)
    if counted is None:
        await locked_meanwhile(uow, account.id, now)
    if counted.locked_until is None:
        await uow.commit()
        raise wrong()
    uow.emit(
        AccountLocked(
            account_id=account.id,
            email=account.email,
            language=account.language,
            locked_until=counted.locked_until,
            failed_attempts=counted.failed_logins,
        ),
        subject=account.id,
    )
    await uow.commit()
    log.warning("account locked after wrong passwords", account_id=account.id, failed=counted.failed_logins)
    raise AccountLockedError(counted.locked_until, now)


async def locked_meanwhile(uow: UnitOfWork, account_id: str, now: datetime) -> NoReturn:
    """A concurrent failed attempt locked the account between our read and our write."""
    locked_until = await Accounts(uow.session).locked_until(account_id)
    await uow.rollback()
    assert locked_until is not None, "only a lock makes the conditional updates match nothing"
    raise AccountLockedError(locked_until, now)
