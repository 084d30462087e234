"""Events produced by the identity service."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import AwareDatetime, EmailStr, Field

from portal_schemas.envelope import EventData
from portal_schemas.types import Language


class AccountCreated(EventData):
    event_type: ClassVar[str] = "AccountCreated"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "A portal account exists for a customer; its email is the contact address."

    account_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    email: EmailStr
    language: Language = "nl"


class PasswordResetRequested(EventData):
    """The reset token travels sealed: only holders of the event sealing key can open it."""

    event_type: ClassVar[str] = "PasswordResetRequested"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "Someone asked to reset an existing account's password."

    account_id: str
    email: EmailStr
    language: Language = "nl"
    sealed_token: str = Field(min_length=1)
    expires_at: AwareDatetime
    # The short-lived 6-digit code for typing in the app, sealed like the token; absent in
    # events written before it existed.
    sealed_code: str | None = Field(default=None, min_length=1)
    code_expires_at: AwareDatetime | None = None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


class AccountLocked(EventData):
    """Too many failed log-ins: the account is locked until ``locked_until``.

    The owner is told by email; resetting the password unlocks it earlier.
    """

    event_type: ClassVar[str] = "AccountLocked"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "An account was locked after repeated failed log-ins."

    account_id: str
    email: EmailStr
    language: Language = "nl"
    locked_until: AwareDatetime
    failed_attempts: int = Field(ge=1)


class ActivationRequested(EventData):
    """A new account must confirm its email address: by the link or by the 6-digit code.

    Both travel sealed. A newer request for the same account replaces the older one.
    """

    event_type: ClassVar[str] = "ActivationRequested"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "A new account's email address needs confirming (link and code)."

    account_id: str
    email: EmailStr
    language: Language = "nl"
    sealed_token: str = Field(min_length=1)
    sealed_code: str = Field(min_length=1)
    expires_at: AwareDatetime


class PasswordChanged(EventData):
    """An account's password changed; the owner is told, in case it was not them."""

    event_type: ClassVar[str] = "PasswordChanged"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "An account's password was changed (after a reset or in settings)."

    account_id: str
    email: EmailStr
    language: Language = "nl"
    changed_at: AwareDatetime
    reason: Literal["reset", "settings", "legacy_migration"]
