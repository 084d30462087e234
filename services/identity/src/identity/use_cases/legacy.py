"""Customers of the old portal: from their old password to an active account.

An imported account (status ``legacy``, see use_cases.legacy_import) cannot be signed in to
directly. Logging in with the right old password answers 403 ``password-change-required``
with a migration token (random, stored only as its SHA-256, valid for
``legacy_migration_minutes`` and once; a newer one replaces it). With that token the customer
chooses a new password (the password rules apply): it is stored as argon2id, the account
becomes ``pending`` (PasswordChanged, reason ``legacy_migration``, tells the owner) and gets
an activation mail exactly like a registration, so the email
address from the old system is confirmed (link or code at /v1/activations) before the account
is active.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NoReturn

from identity.db.repositories import Accounts, LegacyMigrations
from identity.db.tables import Account, LegacyMigration
from identity.domain.hashing import off_loop
from identity.domain.registration import LEGACY, PENDING
from identity.domain.secrets import hash_password, new_token, token_digest
from identity.settings import IdentitySettings
from identity.use_cases.accounts import check_new_password
from identity.use_cases.registration import start_activation
from portal_chassis.mail_secrets import MailSecretsEncrypter
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PasswordChanged


async def password_change_required(
    uow: UnitOfWork, settings: IdentitySettings, account: Account, now: datetime
) -> NoReturn:
    """After the right old password: hand out a migration token (committed) and answer 403."""
    migrations = LegacyMigrations(uow.session)
    await migrations.end_all_of(account.id, now)
    token = new_token()
    migrations.add(
        LegacyMigration(
            id=str(uuid.uuid4()),
            account_id=account.id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + settings.legacy_migration_ttl,
            used_at=None,
        )
    )
    await uow.commit()
    raise ProblemError(
        403,
        "password-change-required",
        "Welcome to the new customer portal. Choose a new password with migration_token; "
        "then confirm your email address with the mail we send.",
        migration_token=token,
        expires_in=int(settings.legacy_migration_ttl.total_seconds()),
    )


def _invalid() -> ProblemError:
    return ProblemError(
        400,
        "migration-token-invalid",
        "This migration token is invalid, already used or expired. Log in with your old "
        "password again to get a new one.",
    )


async def set_legacy_password(
    uow: UnitOfWork,
    settings: IdentitySettings,
    mail_secrets: MailSecretsEncrypter,
    token: str,
    new_password: str,
    *,
    now: datetime,
) -> None:
    """A refused password changes nothing: the token keeps working for a better one."""
    migrations = LegacyMigrations(uow.session)
    migration = await migrations.by_digest(token_digest(token))
    account = None
    if migration is not None and migration.used_at is None and migration.expires_at > now:
        account = await Accounts(uow.session).get(migration.account_id)
    check_new_password(new_password, account)
    if migration is None or account is None or account.status != LEGACY:
        raise _invalid()
    if not await migrations.use(migration.id, now):  # a concurrent request used it first
        await uow.rollback()
        raise _invalid()
    await migrations.end_all_of(account.id, now)
    account.password_hash = await off_loop(hash_password, new_password)
    account.password_changed_at = now
    account.status = PENDING
    Accounts.unlock(account)
    uow.emit(
        PasswordChanged(
            account_id=account.id,
            email=account.email,
            language=account.language,
            changed_at=now,
            reason="legacy_migration",
        ),
        subject=account.id,
    )
    await start_activation(uow, settings, mail_secrets, account, now)
    await uow.commit()
