"""Forgotten password: request a reset link, then set a new password with its token.

The request answers the same whether or not the account exists; only an existing account
gets a token (stored hashed) and a PasswordResetRequested event carrying it sealed, and at most
``max_reset_requests_per_hour`` of them per rolling hour, so the form cannot be used to flood
a customer's mailbox. Completing a reset unlocks the account and ends all its sessions.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from identity.db.repositories import Accounts, PasswordResets, Sessions
from identity.db.tables import PasswordReset
from identity.domain.hashing import off_loop
from identity.domain.password_policy import check_password
from identity.domain.registration import ACTIVE
from identity.domain.secrets import hash_password, new_token, token_digest
from identity.settings import IdentitySettings
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PasswordResetRequested

log = get_logger(__name__)


async def request_password_reset(
    uow: UnitOfWork, settings: IdentitySettings, sealer: Sealer, email: str, *, now: datetime
) -> None:
    # The token is made, digested and sealed before we know whether the address has an
    # account, and thrown away when it has none (or is throttled): every path does the same
    # cryptographic work, so the answer's timing says less about whether the account exists.
    token = new_token()
    digest = token_digest(token)
    sealed = sealer.seal(token)

    # Row lock on the account: two requests at the same moment count one after the other, so
    # both cannot see "2 this hour" and send a 4th email.
    account = await Accounts(uow.session).by_email_for_update(email)
    if account is None or account.status != ACTIVE:
        return  # a pending account confirms its address first (activation resend)
    resets = PasswordResets(uow.session)
    sent = await resets.count_created_since(account.id, now - timedelta(hours=1))
    if sent >= settings.max_reset_requests_per_hour:
        log.info("password reset throttled", account_id=account.id, sent_last_hour=sent)
        return
    reset = PasswordReset(
        id=str(uuid.uuid4()),
        account_id=account.id,
        token_hash=digest,
        created_at=now,
        expires_at=now + settings.reset_token_ttl,
        used_at=None,
    )
    resets.add(reset)
    uow.emit(
        PasswordResetRequested(
            account_id=account.id,
            email=account.email,
            language=account.language,
            sealed_token=sealed,
            expires_at=reset.expires_at,
        ),
        subject=account.id,
    )
    await uow.commit()


async def confirm_password_reset(uow: UnitOfWork, token: str, new_password: str, *, now: datetime) -> None:
    """Set the new password; the token and every other open token of the account die, the lock
    is lifted and every session ends (whoever knew the old password is logged out).

    A password that breaks the rules is refused (naming every rule, with the account's email
    and customer number when the token is valid) and the token keeps working for a better one.
    """
    resets = PasswordResets(uow.session)
    reset = await resets.by_digest_for_update(token_digest(token))
    account = None
    if reset is not None and reset.used_at is None and reset.expires_at > now:
        account = await Accounts(uow.session).get(reset.account_id)
    check_password(
        new_password,
        email=account.email if account else None,
        customer_number=account.customer_number if account else None,
        field="new_password",
    )
    if reset is None or account is None:
        raise ProblemError(
            400,
            "reset-token-invalid",
            "This reset link is invalid, already used or expired. Request a new one.",
        )
    account.password_hash = await off_loop(hash_password, new_password)
    account.password_changed_at = now
    Accounts.unlock(account)
    for other in await resets.open_for(account.id, now):
        other.used_at = now
    reset.used_at = now
    await Sessions(uow.session).revoke_all_of(account.id, now, "password-reset")
    await uow.commit()
