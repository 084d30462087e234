"""Creating an active account directly (the operations CLI and tests); customers register
through use_cases.registration instead."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from identity.db.repositories import Accounts
from identity.db.tables import Account
from identity.domain.hashing import off_loop
from identity.domain.password_policy import check_password
from identity.domain.registration import ACTIVE
from identity.domain.secrets import hash_password
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountActivated, AccountRegistered
from portal_schemas.types import Language


async def create_account(
    uow: UnitOfWork, *, email: str, password: str, customer_number: str, language: Language
) -> Account:
    check_password(password, email=email, customer_number=customer_number)
    accounts = Accounts(uow.session)
    if await accounts.by_email(email) is not None:
        raise ProblemError(409, "account-exists", "An account with this email already exists.")
    now = datetime.now(UTC)
    account = Account(
        id=str(uuid.uuid4()),
        email=email.strip().lower(),
        customer_number=customer_number,
        password_hash=await off_loop(hash_password, password),
        language=language,
        created_at=now,
        password_changed_at=now,
        failed_logins=0,
        status=ACTIVE,
        activated_at=now,
    )
    accounts.add(account)
    uow.emit(
        AccountRegistered(
            account_id=account.id,
            customer_number=customer_number,
            email=account.email,
            language=language,
            method="operations",
        ),
        subject=account.id,
    )
    uow.emit(
        AccountActivated(
            account_id=account.id,
            customer_number=customer_number,
            email=account.email,
            language=language,
        ),
        subject=account.id,
    )
    await uow.commit()
    return account


def check_new_password(new_password: str, account: Account | None) -> None:
    """The password rules for a new password of ``account`` (unknown: only the general rules)."""
    check_password(
        new_password,
        email=account.email if account else None,
        customer_number=account.customer_number if account else None,
        field="new_password",
    )
