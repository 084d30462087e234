"""Re-authentication: settings that change how the customer logs in (password, email address)
ask for the current password again, even with a valid access token.

A wrong password counts as a failed log-in towards the lock, exactly as on the log-in form
(AccountLocked when it locks), so a stolen session cannot be used to guess the password; a
locked account answers 423 here too. A right password starts the count again.
"""

from __future__ import annotations

from datetime import datetime

from identity.db.repositories import Accounts
from identity.db.tables import Account
from identity.domain.hashing import off_loop
from identity.domain.lockout import AccountLockedError
from identity.domain.registration import ACTIVE
from identity.domain.secrets import verify_password
from identity.settings import IdentitySettings
from identity.use_cases.failed_passwords import count_wrong_password, locked_meanwhile, lockout_policy
from portal_chassis.auth import Principal
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)


def _wrong_password(field: str) -> ProblemError:
    return ProblemError(401, "wrong-password", "The current password is not right.", field=field)


async def signed_in_account(uow: UnitOfWork, principal: Principal) -> Account:
    """The caller's account; a token that outlived its account's access opens nothing."""
    account = await Accounts(uow.session).get(principal.account_id)
    if account is None or account.status != ACTIVE:
        raise ProblemError(401, "not-authenticated", "This account cannot be used. Log in again.")
    return account


async def confirm_password(
    uow: UnitOfWork,
    settings: IdentitySettings,
    account: Account,
    password: str,
    *,
    now: datetime,
    field: str = "current_password",
) -> None:
    """Return when ``password`` is the account's; otherwise count the failure (committed
    although the request fails) and answer 401 ``wrong-password`` or 423."""
    policy = lockout_policy(settings)
    accounts = Accounts(uow.session)
    if policy.is_locked(account.locked_until, now):
        assert account.locked_until is not None
        raise AccountLockedError(account.locked_until, now)
    if await off_loop(verify_password, account.password_hash, password):
        if not await accounts.clear_failed_logins(account.id, now):
            await locked_meanwhile(uow, account.id, now)
        return
    await count_wrong_password(uow, policy, account, now, wrong=lambda: _wrong_password(field))
