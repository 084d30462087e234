"""Identity's tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from portal_chassis.columns import UtcDateTime


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
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
    status: Mapped[str] = mapped_column(String(10), default="active")
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # The old portal's user name (lower-cased), for imported accounts; log-in accepts it too.
    legacy_username: Mapped[str | None] = mapped_column(String(150), unique=True, default=None)


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
