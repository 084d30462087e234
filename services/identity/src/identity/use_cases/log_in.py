"""Logging in: email (or the old portal's user name) and password in, an access token and a
refresh token out.

Failed attempts are counted per account; the one that reaches the maximum locks the account
for a while (AccountLocked tells the owner). While locked, even the right password is refused,
and a completed password reset lifts the lock. Unknown addresses answer exactly like wrong
passwords and are not counted. A registered account whose email address is not confirmed yet
answers the right password with 403 ``account-not-activated`` (a wrong one as usual, 401).

An account imported from the old portal (status ``legacy``) is checked against its old hash;
the right password does not sign in but answers 403 ``password-change-required`` with a
migration token (see use_cases.legacy). Failures count towards the lock as for any account.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from identity.db.repositories import Accounts
from identity.db.tables import Account
from identity.domain.hashing import off_loop
from identity.domain.legacy_hash import verify_legacy_password
from identity.domain.lockout import AccountLockedError, LockoutPolicy
from identity.domain.registration import ACTIVE, LEGACY
from identity.domain.secrets import hash_password, needs_rehash, verify_password
from identity.settings import IdentitySettings
from identity.use_cases.legacy import password_change_required
from identity.use_cases.sessions import IssuedTokens, open_session
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountLocked

log = get_logger(__name__)


def _invalid_credentials() -> ProblemError:
    return ProblemError(401, "invalid-credentials", "The email or the password is not right.")


async def log_in(
    uow: UnitOfWork,
    settings: IdentitySettings,
    email: str | None,
    password: str,
    *,
    stay_signed_in: bool,
    now: datetime,
    username: str | None = None,
) -> IssuedTokens:
    """Log in by ``email`` or, when it is None, by the old portal's ``username``."""
    policy = LockoutPolicy(settings.max_failed_logins, settings.lockout_duration)
    accounts = Accounts(uow.session)
    if email is not None:
        account = await accounts.by_email(email)
    else:
        account = await accounts.by_legacy_username(username or "")
    if account is None:
        await off_loop(verify_password, None, password)  # costs what a wrong password costs
        raise _invalid_credentials()
    if policy.is_locked(account.locked_until, now):
        assert account.locked_until is not None
        raise AccountLockedError(account.locked_until, now)  # not counted: the lock does not grow
    if account.status == LEGACY:
        if not await off_loop(verify_legacy_password, account.password_hash or "", password):
            await _count_failure(uow, account, policy, now)
        if not await accounts.clear_failed_logins(account.id, now):
            await _locked_meanwhile(uow, account.id, now)
        await password_change_required(uow, settings, account, now)
    if not await off_loop(verify_password, account.password_hash, password):
        await _count_failure(uow, account, policy, now)
    if account.status != ACTIVE:
        # Only someone who knows the password learns that the account waits for confirmation.
        raise ProblemError(
            403,
            "account-not-activated",
            "This account is not active yet: confirm your email address with the link or the "
            "code we sent, or ask for a new activation mail.",
        )
    if not await accounts.clear_failed_logins(account.id, now):
        await _locked_meanwhile(uow, account.id, now)
    if account.password_hash is None or needs_rehash(account.password_hash):
        account.password_hash = await off_loop(hash_password, password)
    tokens = await open_session(uow, settings, account, stay_signed_in=stay_signed_in, now=now)
    await uow.commit()
    return tokens


async def _count_failure(uow: UnitOfWork, account: Account, policy: LockoutPolicy, now: datetime) -> NoReturn:
    """Count the failure (committed, although the request fails) and answer 401 or 423."""
    counted = await Accounts(uow.session).count_failed_login(account.id, policy, now)
    if counted is None:
        await _locked_meanwhile(uow, account.id, now)
    if counted.locked_until is None:
        await uow.commit()
        raise _invalid_credentials()
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
    log.warning("account locked after failed log-ins", account_id=account.id, failed=counted.failed_logins)
    raise AccountLockedError(counted.locked_until, now)


async def _locked_meanwhile(uow: UnitOfWork, account_id: str, now: datetime) -> NoReturn:
    """A concurrent failed attempt locked the account between our read and our write."""
    locked_until = await Accounts(uow.session).locked_until(account_id)
    await uow.rollback()
    assert locked_until is not None, "only a lock makes the conditional updates match nothing"
    raise AccountLockedError(locked_until, now)
