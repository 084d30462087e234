"""Identity's tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from portal_chassis.columns import ExactDecimal, UtcDateTime


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    # None for an account opened by operations (portal access request) until its owner has
    # chosen a password through the link in the approval mail.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Failed log-ins since the last success (or since the last lock ran out); written only by
    # the atomic statements in repositories.Accounts, never read-modified-written.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # "pending" after self-registration until the email address is confirmed, then "active".
    # A pending account cannot log in; the operations CLI creates accounts active at once.
    # "legacy": imported from the old portal, password_hash still in the old format (see
    # domain.legacy_hash) until the customer chooses a new password, then "pending".
    # "invited": opened by operations on an access request, no password yet.
    # "closed": merged into another account (``merged_into``); it can no longer log in.
    # "ended": every contract ended a grace period ago (use_cases.access_end); a new contract
    # of the customer makes it "active" again.
    status: Mapped[str] = mapped_column(String(10), default="active")
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # The old portal's user name (lower-cased), for imported accounts; log-in accepts it too.
    legacy_username: Mapped[str | None] = mapped_column(String(150), unique=True, default=None)
    merged_into: Mapped[str | None] = mapped_column(String(36), default=None)
    # What the customer wants to hear about besides service mails (which always go out).
    offers: Mapped[bool] = mapped_column(Boolean, default=False)
    news: Mapped[bool] = mapped_column(Boolean, default=False)
    energy_saving_advice: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the customer last changed those three in the settings: a newsletter's unsubscribe
    # link clicked before that choice does not undo it.
    preferences_chosen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # The IANA zone the customer reads dates and times in (mails); None: the supplier's.
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)


class LegacyMigration(Base):
    """A migration token, handed out when a legacy account logs in with its old password: it
    lets the customer set a new password. Stored only as its SHA-256; short-lived, single use."""

    __tablename__ = "legacy_migrations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)  # or replaced


class Activation(Base):
    """One activation mail: a link token (SHA-256, looked up) and a 6-digit code (argon2id,
    salted, because a million possible codes would be trivial to reverse from a plain digest).

    Single use; a newer activation of the same account ends the older ones (``ended_at``).
    """

    __tablename__ = "activations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(20), default=None)  # used, replaced, wrong-codes


class RegistrationFacts(Base):
    """What contracts says about a customer, to check who may register (read model of
    CustomerRegistered; the latest event replaces the whole row)."""

    __tablename__ = "registration_facts"

    customer_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    segment: Mapped[str] = mapped_column(String(10))  # private, business
    language: Mapped[str] = mapped_column(String(2))
    # Supply postcodes and the billing postcode, normalised ("1234AB"), space-separated.
    postcodes: Mapped[str] = mapped_column(Text)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)  # occurred_at of the event that wrote it


class PasswordReset(Base):
    """One reset request: a link token (SHA-256, looked up) and a 6-digit code (argon2id,
    salted); the database never holds a usable token or code.

    The link lives ``reset_token_hours``, the code only ``reset_code_minutes`` and dies after
    ``max_wrong_reset_codes`` wrong tries (the link keeps working). Single use; a newer request
    of the same account ends the older ones (``used_at`` with ``end_reason`` "replaced").
    """

    __tablename__ = "password_resets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    code_expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # used or replaced
    end_reason: Mapped[str | None] = mapped_column(String(20), default=None)  # used, replaced


class SessionFamily(Base):
    """One log-in and every refresh token rotated from it; revoking it ends them all."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    stay_signed_in: Mapped[bool] = mapped_column(Boolean)  # which refresh-token lifetime applies
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(20))  # logout, reuse, password-reset


class RefreshToken(Base):
    """A refresh token of a session, stored only as its SHA-256; usable once (rotation)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SigningKey(Base):
    """Keys that sign access tokens; public halves are served as the JWKS."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ContractFacts(Base):
    """A contract's number and customer (read model of contracts' ContractCreated)."""

    __tablename__ = "contract_facts"

    contract_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_number: Mapped[str | None] = mapped_column(String(9), unique=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)


class ContractEnd(Base):
    """The last day of supply of a terminated or withdrawn contract (read model of contracts'
    ContractTerminated and ContractWithdrawn; the newest event wins): portal access ends a grace
    period after the last contract of an account has ended."""

    __tablename__ = "contract_ends"

    contract_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    end_date: Mapped[date] = mapped_column(Date)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)  # occurred_at of the event that wrote it


class RegistrationCode(Base):
    """The code of the latest registration letter of a contract (read model of contracts'
    RegistrationCodeIssued): argon2id of the 8-character code, single use, expiring.
    A newer letter replaces the row; ``issued_at`` keeps a late older event from winning."""

    __tablename__ = "registration_codes"

    contract_number: Mapped[str] = mapped_column(String(9), primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(36))
    customer_number: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    wrong_attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class LatestInvoice(Base):
    """The newest invoice of a contract (read model of billing's InvoiceIssued): its number and
    amount prove, with the contract number, that a registrant holds the customer's mail."""

    __tablename__ = "latest_invoices"

    contract_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(40))
    total_incl_vat: Mapped[Decimal] = mapped_column(ExactDecimal(12, 2))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ContractLink(Base):
    """An account's access to one contract beyond its own customer number's: added by a
    registration code, by invoice proof, by a merge, or by operations for a co-holder."""

    __tablename__ = "contract_links"
    __table_args__ = (UniqueConstraint("account_id", "contract_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    contract_id: Mapped[str] = mapped_column(String(36))
    contract_number: Mapped[str] = mapped_column(String(9))
    customer_number: Mapped[str] = mapped_column(String(20))  # the contract's customer
    role: Mapped[str] = mapped_column(String(10))  # holder, co_holder
    via: Mapped[str] = mapped_column(String(20))  # contract_code, invoice, merge, operations
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccessRequest(Base):
    """A request for portal access by someone without registration details, decided by
    operations (approved: an invited account; refused: a reason)."""

    __tablename__ = "access_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_number: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254), index=True)
    language: Mapped[str] = mapped_column(String(2))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decision: Mapped[str | None] = mapped_column(String(10), default=None)  # approved, refused
    reason: Mapped[str | None] = mapped_column(String(30), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(100), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    account_id: Mapped[str | None] = mapped_column(String(36), default=None)


class Invitation(Base):
    """The set-password link of an approved access request: SHA-256 only, single use."""

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class EmailChange(Base):
    """A requested change of login address: link token (SHA-256) and 6-digit code (argon2id)
    sent to the new address. Single use; a newer request ends the older ones."""

    __tablename__ = "email_changes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    new_email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    end_reason: Mapped[str | None] = mapped_column(String(20), default=None)  # used, replaced, wrong-codes


class ClientFailure(Base):
    """One failed log-in or registration proof from a client (keyed hash of its address, never
    the address): many of them across accounts from one client is password spraying."""

    __tablename__ = "client_failures"
    __table_args__ = (Index("ix_client_failures_client_at", "client_key", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_key: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime)
