"""Events produced by the identity service."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import AwareDatetime, EmailStr, Field

from portal_schemas.envelope import EventData
from portal_schemas.types import Language

RegistrationMethod = Literal[
    "customer_number_postcode", "contract_code", "invoice", "access_request", "legacy_import", "operations"
]
ContractRole = Literal["holder", "co_holder"]
AccessRefusalReason = Literal["not_a_customer", "details_do_not_match", "business_customer", "other"]


class AccountRegistered(EventData):
    """Someone proved to be a customer and opened an account; it works once the address is
    confirmed (AccountActivated). The mail that asks for it is ActivationRequested."""

    event_type: ClassVar[str] = "AccountRegistered"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "An account was opened and waits for its email address to be confirmed."

    account_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    email: EmailStr
    language: Language = "nl"
    method: RegistrationMethod


class AccountActivated(EventData):
    """The account works: its email address is confirmed and is the customer's contact address."""

    event_type: ClassVar[str] = "AccountActivated"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "A portal account exists for a customer; its email is the contact address."

    account_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    email: EmailStr
    language: Language = "nl"


class PasswordResetRequested(EventData):
    """The reset token travels sealed: encrypted for notifications alone (a compact JWE to its
    public key, see portal_chassis.mail_secrets), so no other reader of the topic can use it."""

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

    Both travel sealed for notifications alone, like PasswordResetRequested's. A newer request
    for the same account replaces the older one.
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
    # Why the address needs confirming: a new registration, or an account of the old portal
    # moving to this one (its mail explains the move). Absent in events written before it.
    purpose: Literal["registration", "legacy_migration"] = "registration"


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


class AccountUnlocked(EventData):
    """A locked account was unlocked before its lock ran out."""

    event_type: ClassVar[str] = "AccountUnlocked"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "A locked account was unlocked (by a password reset or by operations)."

    account_id: str
    by: Literal["password_reset", "operations"]


class EmailChangeRequested(EventData):
    """The owner asked to log in with another address. The new address gets the link and code
    to confirm it (sealed for notifications alone, like PasswordResetRequested's); the old one
    gets a notice. Nothing changes until it is confirmed."""

    event_type: ClassVar[str] = "EmailChangeRequested"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "An account's login email is to change once the new address is confirmed."

    account_id: str
    old_email: EmailStr
    new_email: EmailStr
    language: Language = "nl"
    sealed_token: str = Field(min_length=1)
    sealed_code: str = Field(min_length=1)
    expires_at: AwareDatetime


class EmailChanged(EventData):
    """The new address was confirmed: it is now the login and contact address."""

    event_type: ClassVar[str] = "EmailChanged"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "An account's login and contact email changed."

    account_id: str
    old_email: EmailStr
    new_email: EmailStr
    language: Language = "nl"


class PreferencesChanged(EventData):
    """The account's language and what it wants to hear about beyond its service mails
    (which it always gets). The whole set each time: the latest event wins."""

    event_type: ClassVar[str] = "PreferencesChanged"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "An account's language or contact and marketing preferences changed."

    account_id: str
    language: Language
    offers: bool
    news: bool
    energy_saving_advice: bool
    # The IANA time zone the account reads dates and times in; absent: the supplier's own.
    time_zone: str | None = Field(default=None, min_length=1, max_length=64)


class ContractLinked(EventData):
    """An account may now see and manage a contract: as its holder or as a co-holder."""

    event_type: ClassVar[str] = "ContractLinked"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "A contract was added to a portal account (holder or co-holder)."

    account_id: str
    contract_number: str = Field(pattern=r"^[0-9]{9}$")
    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)  # the contract's customer
    role: ContractRole
    email: EmailStr
    language: Language = "nl"


class AccountsMerged(EventData):
    """Operations merged two accounts of one person: the merged one is closed and its contracts
    belong to the kept one (each also announced by ContractLinked)."""

    event_type: ClassVar[str] = "AccountsMerged"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "Two accounts became one; the merged account is closed."

    kept_account_id: str
    merged_account_id: str


class PortalAccessRequested(EventData):
    """Someone without the registration details asked operations for an account."""

    event_type: ClassVar[str] = "PortalAccessRequested"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "A person asked for portal access; operations will approve or refuse it."

    request_id: str
    name: str = Field(min_length=1, max_length=200)
    customer_number: str = Field(min_length=1, max_length=20)
    email: EmailStr
    language: Language = "nl"


class PortalAccessApproved(EventData):
    """Operations approved a request: an account exists and the link (its token sealed for
    notifications alone, like PasswordResetRequested's) lets its owner choose a password, which
    also confirms the address."""

    event_type: ClassVar[str] = "PortalAccessApproved"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "A portal access request was approved; the mail carries a set-password link."

    request_id: str
    account_id: str
    email: EmailStr
    language: Language = "nl"
    sealed_token: str = Field(min_length=1)
    expires_at: AwareDatetime


class PortalAccessRefused(EventData):
    event_type: ClassVar[str] = "PortalAccessRefused"
    domain: ClassVar[str] = "identity"
    summary: ClassVar[str] = "A portal access request was refused; the requester is told why."

    request_id: str
    email: EmailStr
    language: Language = "nl"
    reason: AccessRefusalReason
