"""Forgotten password: request a reset link, then set a new password with its token.

The request answers the same whether or not the account exists; only an existing account
gets a token (stored hashed) and a PasswordResetRequested event carrying it sealed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from identity.db.repositories import Accounts, PasswordResets
from identity.db.tables import PasswordReset
from identity.domain.secrets import hash_password, new_token, token_digest
from identity.settings import IdentitySettings
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PasswordResetRequested


async def request_password_reset(
    uow: UnitOfWork, settings: IdentitySettings, sealer: Sealer, email: str
) -> None:
    account = await Accounts(uow.session).by_email(email)
    if account is None:
        return
    now = datetime.now(UTC)
    token = new_token()
    reset = PasswordReset(
        id=str(uuid.uuid4()),
        account_id=account.id,
        token_hash=token_digest(token),
        created_at=now,
        expires_at=now + settings.reset_token_ttl,
        used_at=None,
    )
    PasswordResets(uow.session).add(reset)
    uow.emit(
        PasswordResetRequested(
            account_id=account.id,
            email=account.email,
            language=account.language,
            sealed_token=sealer.seal(token),
            expires_at=reset.expires_at,
        ),
        subject=account.id,
    )
    await uow.commit()


async def confirm_password_reset(uow: UnitOfWork, token: str, new_password: str) -> None:
    """Set the new password; the token and every other open token of the account die."""
    now = datetime.now(UTC)
    resets = PasswordResets(uow.session)
    reset = await resets.by_digest_for_update(token_digest(token))
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise ProblemError(
            400,
            "reset-token-invalid",
            "This reset link is invalid, already used or expired. Request a new one.",
        )
    account = await Accounts(uow.session).get(reset.account_id)
    assert account is not None, "reset rows reference an account"
    account.password_hash = hash_password(new_password)
    account.password_changed_at = now
    for other in await resets.open_for(account.id, now):
        other.used_at = now
    reset.used_at = now
    await uow.commit()
