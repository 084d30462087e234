"""Forgotten password: request a reset mail, then set a new password with its link or code.

The request comes from the web (``email``) or from the app (``username`` and ``email``, which
must both belong to the same account; the user name is the old portal's one or, for accounts
without one, the email address). It answers the same whether or not the account exists; only
an existing account with a password gets a reset and a PasswordResetRequested event, and at most
``max_reset_requests_per_hour`` of them per rolling hour, so the form cannot be used to flood a
customer's mailbox. A new reset ends the account's older ones.

A reset has a link token (random, stored as its SHA-256, valid ``reset_token_hours``) and a
6-digit code (stored as a salted argon2id digest, valid ``reset_code_minutes``, dead after
``max_wrong_reset_codes`` wrong tries). Both are single use: completing a reset with either
ends the reset, unlocks the account (AccountUnlocked when it was locked), ends all its
sessions, emits PasswordChanged and signs the customer in with a new session.

An account that still waits for its address to be confirmed (registered, or imported from the
old portal) can reset too: the link or code proves the mailbox, which is all an activation
proves, so completing the reset also activates it (AccountActivated). That is what a customer
who forgot the password of the old portal, or the one typed at registration, needs; and the
password that counts is the one chosen by the owner of the mailbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from identity.db.repositories import (
    Accounts,
    Activations,
    LegacyMigrations,
    PasswordResets,
    Sessions,
    normalise_username,
)
from identity.db.tables import Account, PasswordReset
from identity.domain.hashing import off_loop
from identity.domain.password_policy import check_password
from identity.domain.registration import ACTIVE, LEGACY, PENDING
from identity.domain.secrets import hash_code, hash_password, new_code, new_token, token_digest, verify_code
from identity.settings import IdentitySettings
from identity.use_cases.accounts import check_new_password
from identity.use_cases.registration import activate_account
from identity.use_cases.sessions import IssuedTokens, open_session
from portal_chassis.logging import get_logger
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountUnlocked, PasswordChanged, PasswordResetRequested

log = get_logger(__name__)


@dataclass(frozen=True)
class IssuedReset:
    """What a request issued (for tests and future callers; the HTTP answer never shows it)."""

    reset_id: str
    token: str
    code: str
    sealed_token: str
    sealed_code: str


_RESETTABLE = frozenset({ACTIVE, PENDING, LEGACY})


def _invalid_token() -> ProblemError:
    return ProblemError(
        400,
        "reset-token-invalid",
        "This reset link is invalid, already used or expired. Request a new one.",
    )


def _invalid_code() -> ProblemError:
    # One answer for an unknown address, no open reset, a wrong code and a dead code: anything
    # more (attempts left) would tell a stranger that the address has an account.
    return ProblemError(
        400,
        "reset-code-invalid",
        "This code is not right, has expired or was tried wrongly too often. Use the link in the "
        "mail or request a new reset.",
    )


def _matches_username(account: Account, username: str) -> bool:
    given = normalise_username(username)
    return given in {account.legacy_username, account.email}


async def request_password_reset(
    uow: UnitOfWork,
    settings: IdentitySettings,
    mail_secrets: MailSecretsEncrypter,
    email: str,
    *,
    now: datetime,
    username: str | None = None,
) -> IssuedReset | None:
    """Issue a reset for the account of ``email`` (and ``username``, when given); None when
    nothing was issued (unknown, not active, user name of another account, or throttled)."""
    # The secrets are made, digested and encrypted before we know whether the address has an
    # account, and thrown away when it has none (or is throttled): every path does the same
    # cryptographic work, so the answer's timing says less about whether the account exists.
    token, code = new_token(), new_code()
    digest = token_digest(token)
    code_hash = await off_loop(hash_code, code)
    sealed_token = mail_secrets.encrypt(token, SecretPurpose.PASSWORD_RESET_TOKEN)
    sealed_code = mail_secrets.encrypt(code, SecretPurpose.PASSWORD_RESET_CODE)

    # Row lock on the account: two requests at the same moment count one after the other, so
    # both cannot see "2 this hour" and send a 4th email.
    account = await Accounts(uow.session).by_email_for_update(email)
    if account is None or account.status not in _RESETTABLE:
        return None  # invited accounts set a password by their invitation; closed ones never
    if username is not None and not _matches_username(account, username):
        return None  # answered like an unknown address
    resets = PasswordResets(uow.session)
    sent = await resets.count_created_since(account.id, now - timedelta(hours=1))
    if sent >= settings.max_reset_requests_per_hour:
        log.info("password reset throttled", account_id=account.id, sent_last_hour=sent)
        return None
    await resets.end_all_of(account.id, now, "replaced")  # only the newest mail works
    reset = PasswordReset(
        id=str(uuid.uuid4()),
        account_id=account.id,
        token_hash=digest,
        code_hash=code_hash,
        created_at=now,
        expires_at=now + settings.reset_token_ttl,
        code_expires_at=now + settings.reset_code_ttl,
        wrong_codes=0,
        used_at=None,
    )
    resets.add(reset)
    uow.emit(
        PasswordResetRequested(
            account_id=account.id,
            email=account.email,
            language=account.language,
            sealed_token=sealed_token,
            expires_at=reset.expires_at,
            sealed_code=sealed_code,
            code_expires_at=reset.code_expires_at,
        ),
        subject=account.id,
    )
    await uow.commit()
    return IssuedReset(
        reset_id=reset.id, token=token, code=code, sealed_token=sealed_token, sealed_code=sealed_code
    )


async def confirm_password_reset(
    uow: UnitOfWork,
    settings: IdentitySettings,
    token: str,
    new_password: str,
    *,
    now: datetime,
    stay_signed_in: bool = False,
) -> IssuedTokens:
    """Set the new password with the link's token and sign the customer in.

    A password that breaks the rules is refused (naming every rule, with the account's email
    and customer number when the token is valid) and the token keeps working for a better one.
    """
    resets = PasswordResets(uow.session)
    reset = await resets.by_digest_for_update(token_digest(token))
    account = None
    if reset is not None and reset.used_at is None and reset.expires_at > now:
        account = await Accounts(uow.session).get(reset.account_id)
    check_new_password(new_password, account)
    if reset is None or account is None:
        raise _invalid_token()
    return await _complete(
        uow,
        settings,
        reset,
        account,
        new_password,
        now=now,
        stay_signed_in=stay_signed_in,
        invalid=_invalid_token,
    )


async def confirm_password_reset_with_code(
    uow: UnitOfWork,
    settings: IdentitySettings,
    email: str,
    code: str,
    new_password: str,
    *,
    now: datetime,
    stay_signed_in: bool = False,
) -> IssuedTokens:
    """Set the new password with the mail's 6-digit code and sign the customer in.

    The rules that need no account (length, common passwords, the given address) are checked
    first, so such a refusal costs no try; the customer number is checked only after the right
    code, so a stranger cannot probe it. A wrong code counts (committed although the request
    fails); the try that reaches the limit kills the code. A right code with a refused password
    keeps working for a better one.
    """
    check_password(new_password, email=email, customer_number=None, field="new_password")
    account = await Accounts(uow.session).by_email(email)
    resets = PasswordResets(uow.session)
    reset = None
    if account is not None:
        reset = await resets.open_code_for(account.id, now, settings.max_wrong_reset_codes)
    if account is None or reset is None:
        await off_loop(verify_code, None, code)  # costs what a wrong code costs
        raise _invalid_code()
    if not await off_loop(verify_code, reset.code_hash, code):
        wrong = await resets.count_wrong_code(reset.id, settings.max_wrong_reset_codes)
        if wrong is None:  # ended or killed by a concurrent request
            await uow.rollback()
            raise _invalid_code()
        await uow.commit()  # the count stays although the request fails
        if wrong >= settings.max_wrong_reset_codes:
            log.warning("reset code dead after wrong tries", account_id=account.id, wrong=wrong)
        raise _invalid_code()
    check_new_password(new_password, account)
    return await _complete(
        uow,
        settings,
        reset,
        account,
        new_password,
        now=now,
        stay_signed_in=stay_signed_in,
        invalid=_invalid_code,
    )


async def _complete(
    uow: UnitOfWork,
    settings: IdentitySettings,
    reset: PasswordReset,
    account: Account,
    new_password: str,
    *,
    now: datetime,
    stay_signed_in: bool,
    invalid: Callable[[], ProblemError],
) -> IssuedTokens:
    """The reset and every other open one end, the lock is lifted, every session ends (whoever
    knew the old password is logged out), the owner is told and a new session starts."""
    resets = PasswordResets(uow.session)
    if account.status not in _RESETTABLE:  # closed (merged) since the mail went out
        await uow.rollback()
        raise invalid()
    if not await resets.use(reset.id, now):  # a concurrent request used it first
        await uow.rollback()
        raise invalid()
    await resets.end_all_of(account.id, now, "replaced")
    account.password_hash = await off_loop(hash_password, new_password)
    account.password_changed_at = now
    if account.locked_until is not None and account.locked_until > now:
        uow.emit(AccountUnlocked(account_id=account.id, by="password_reset"), subject=account.id)
    Accounts.unlock(account)
    if account.status != ACTIVE:
        await _activate_by_reset(uow, account, now)
    await Sessions(uow.session).revoke_all_of(account.id, now, "password-reset")
    uow.emit(
        PasswordChanged(
            account_id=account.id,
            email=account.email,
            language=account.language,
            changed_at=now,
            reason="reset",
        ),
        subject=account.id,
    )
    tokens = await open_session(uow, settings, account, stay_signed_in=stay_signed_in, now=now)
    await uow.commit()
    return tokens


async def _activate_by_reset(uow: UnitOfWork, account: Account, now: datetime) -> None:
    """The reset proved the mailbox: the account works now, and its open activation or legacy
    migration (which would ask for the same proof, or for the forgotten password) ends."""
    await Activations(uow.session).end_all_of(account.id, now, "replaced")
    await LegacyMigrations(uow.session).end_all_of(account.id, now)
    await activate_account(uow, account, now)
