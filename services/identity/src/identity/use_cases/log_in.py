"""Logging in: email (or the old portal's user name) and password in, an access token and a
refresh token out.

Failed attempts are counted per account; the one that reaches the maximum locks the account
for a while (AccountLocked tells the owner). While locked, even the right password is refused,
and a completed password reset lifts the lock. Unknown addresses answer exactly like wrong
passwords and are not counted. A registered account whose email address is not confirmed yet
answers the right password with 403 ``account-not-activated`` (a wrong one as usual, 401), and
an account whose contracts have all ended (use_cases.access_end) with 403 ``portal-access-ended``.

An account imported from the old portal (status ``legacy``) is checked against its old hash;
the right password does not sign in but answers 403 ``password-change-required`` with a
migration token (see use_cases.legacy). Failures count towards the lock as for any account.
"""

from __future__ import annotations

from datetime import datetime

from identity.db.repositories import Accounts
from identity.domain.hashing import off_loop
from identity.domain.legacy_hash import verify_legacy_password
from identity.domain.lockout import AccountLockedError
from identity.domain.registration import ACTIVE, CLOSED, ENDED, LEGACY
from identity.domain.secrets import hash_password, needs_rehash, verify_password
from identity.settings import IdentitySettings
from identity.use_cases.failed_passwords import count_wrong_password, locked_meanwhile, lockout_policy
from identity.use_cases.legacy import password_change_required
from identity.use_cases.sessions import IssuedTokens, open_session
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

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
    policy = lockout_policy(settings)
    accounts = Accounts(uow.session)
    if email is not None:
        account = await accounts.by_email(email)
    else:
        account = await accounts.by_legacy_username(username or "")
    if account is None or account.status == CLOSED or account.password_hash is None:
        # A closed (merged) account, and an invited one that has no password yet, answer like
        # an unknown one and are not counted (nothing to guess; no lock mail to send).
        await off_loop(verify_password, None, password)  # costs what a wrong password costs
        raise _invalid_credentials()
    if policy.is_locked(account.locked_until, now):
        assert account.locked_until is not None
        raise AccountLockedError(account.locked_until, now)  # not counted: the lock does not grow
    if account.status == LEGACY:
        if not await off_loop(verify_legacy_password, account.password_hash or "", password):
            await count_wrong_password(uow, policy, account, now, wrong=_invalid_credentials)
        if not await accounts.clear_failed_logins(account.id, now):
            await locked_meanwhile(uow, account.id, now)
        await password_change_required(uow, settings, account, now)
    if not await off_loop(verify_password, account.password_hash, password):
        await count_wrong_password(uow, policy, account, now, wrong=_invalid_credentials)
    if account.status == ENDED:
        # Only the owner, who knows the password, learns why.
        raise ProblemError(
            403,
            "portal-access-ended",
            "Your contracts with us have ended, and with them your access to the customer "
            "portal. Contact customer service for a copy of a document.",
        )
    if account.status != ACTIVE:
        # Only someone who knows the password learns that the account waits for confirmation.
        raise ProblemError(
            403,
            "account-not-activated",
            "This account is not active yet: confirm your email address with the link or the "
            "code we sent, or ask for a new activation mail.",
        )
    if not await accounts.clear_failed_logins(account.id, now):
        await locked_meanwhile(uow, account.id, now)
    if account.password_hash is None or needs_rehash(account.password_hash):
        account.password_hash = await off_loop(hash_password, password)
    tokens = await open_session(uow, settings, account, stay_signed_in=stay_signed_in, now=now)
    await uow.commit()
    return tokens
