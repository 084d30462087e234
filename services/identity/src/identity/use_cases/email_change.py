"""Changing the login address: asked for in settings (with the current password), confirmed
from the new mailbox by the link's token or by the 6-digit code.

A request makes a link token (stored as its SHA-256) and a code (salted argon2id) for the new
address and ends the account's older open requests ("replaced"); EmailChangeRequested carries
both encrypted for notifications (which mails the new address, and a notice to the old one).
Nothing changes until the new address is confirmed. The answer is the same whatever the new
address: when it already belongs to another account, nothing is sent, so the form cannot tell
which addresses have accounts.

Confirming by link needs no log-in (the link may be opened on another device); confirming by
code needs the account's own access token, and the 5th wrong code ends the request. If the new
address has meanwhile been taken by another account, the confirmation answers 409
``email-taken`` and nothing changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from identity.db.repositories import Accounts, EmailChanges
from identity.db.tables import Account, EmailChange
from identity.domain.hashing import off_loop
from identity.domain.registration import ACTIVE
from identity.domain.secrets import hash_code, new_code, new_token, token_digest, verify_code
from identity.settings import IdentitySettings
from identity.use_cases.reauthentication import confirm_password, signed_in_account
from portal_chassis.auth import Principal
from portal_chassis.logging import get_logger
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import EmailChanged, EmailChangeRequested

log = get_logger(__name__)


def _invalid(**extra: Any) -> ProblemError:
    return ProblemError(
        400,
        "email-change-invalid",
        "This confirmation link or code is not valid, was already used, was replaced by a newer "
        "request or has expired. Ask for the change again in your settings.",
        **extra,
    )


def _taken() -> ProblemError:
    return ProblemError(
        409,
        "email-taken",
        "This email address now belongs to another account, so it cannot become yours. Nothing was changed.",
    )


async def request_email_change(
    uow: UnitOfWork,
    settings: IdentitySettings,
    mail_secrets: MailSecretsEncrypter,
    principal: Principal,
    *,
    password: str,
    new_email: str,
    now: datetime,
) -> None:
    account = await signed_in_account(uow, principal)
    await confirm_password(uow, settings, account, password, now=now, field="password")
    address = new_email.strip().lower()
    if address == account.email:
        raise ProblemError(422, "email-unchanged", "This is already your login address.", field="new_email")
    # Made and encrypted whether or not anything is sent: the same work on every path.
    token, code = new_token(), new_code()
    code_hash = await off_loop(hash_code, code)
    sealed_token = mail_secrets.encrypt(token, SecretPurpose.EMAIL_CHANGE_TOKEN)
    sealed_code = mail_secrets.encrypt(code, SecretPurpose.EMAIL_CHANGE_CODE)
    if await Accounts(uow.session).by_email(address) is not None:
        await uow.commit()  # the right password reset the failure count
        log.info("email change to an address with an account; nothing sent", account_id=account.id)
        return
    changes = EmailChanges(uow.session)
    await changes.end_all_of(account.id, now, "replaced")  # only the newest mail works
    change = EmailChange(
        id=str(uuid.uuid4()),
        account_id=account.id,
        new_email=address,
        token_hash=token_digest(token),
        code_hash=code_hash,
        created_at=now,
        expires_at=now + settings.email_change_ttl,
        wrong_codes=0,
    )
    changes.add(change)
    uow.emit(
        EmailChangeRequested(
            account_id=account.id,
            old_email=account.email,
            new_email=address,
            language=account.language,
            sealed_token=sealed_token,
            sealed_code=sealed_code,
            expires_at=change.expires_at,
        ),
        subject=account.id,
    )
    await uow.commit()


async def confirm_email_change_with_token(uow: UnitOfWork, token: str, *, now: datetime) -> None:
    change = await EmailChanges(uow.session).by_token_digest_for_update(token_digest(token))
    if change is None or change.ended_at is not None or change.expires_at <= now:
        raise _invalid()
    await _switch(uow, change, now)


async def confirm_email_change_with_code(
    uow: UnitOfWork, settings: IdentitySettings, principal: Principal, code: str, *, now: datetime
) -> None:
    account = await signed_in_account(uow, principal)
    changes = EmailChanges(uow.session)
    change = await changes.open_for(account.id, now)
    if change is None:
        raise _invalid()
    if await off_loop(verify_code, change.code_hash, code):
        await _switch(uow, change, now)
        return
    wrong = await changes.count_wrong_code(change.id)
    if wrong is None:  # ended by a concurrent request
        await uow.rollback()
        raise _invalid()
    left = max(0, settings.max_wrong_email_change_codes - wrong)
    if left == 0:
        await changes.end(change.id, now, "wrong-codes")
        log.warning("email change ended after wrong codes", account_id=account.id, wrong=wrong)
    await uow.commit()  # the count stays although the request fails
    # The caller is the account's owner: telling them how many tries remain reveals nothing.
    raise _invalid(attempts_left=left)


async def _switch(uow: UnitOfWork, change: EmailChange, now: datetime) -> None:
    accounts = Accounts(uow.session)
    account = await accounts.get(change.account_id)
    assert account is not None, "email changes reference an account"
    if account.status != ACTIVE:
        raise _invalid()
    holder = await accounts.by_email(change.new_email)
    if holder is not None and holder.id != account.id:
        raise _taken()
    if not await EmailChanges(uow.session).end(change.id, now, "used"):
        await uow.rollback()
        raise _invalid()
    old_email = account.email
    account.email = change.new_email
    _announce(uow, account, old_email)
    try:
        await uow.commit()
    except IntegrityError:
        # The address was taken by a registration that committed at the same moment.
        await uow.rollback()
        raise _taken() from None
    log.info("login email changed", account_id=account.id)


def _announce(uow: UnitOfWork, account: Account, old_email: str) -> None:
    uow.emit(
        EmailChanged(
            account_id=account.id,
            old_email=old_email,
            new_email=account.email,
            language=account.language,
        ),
        subject=account.id,
    )
