"""Notifications' tables: who receives mail (a read model) and every email ever queued."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from portal_chassis.columns import ExactDecimal, UtcDateTime


class Base(DeclarativeBase):
    pass


class Recipient(Base):
    """A portal account's contact address, language and preferences, fed by identity's
    AccountActivated, EmailChanged and PreferencesChanged.

    Address and preferences each keep the time of the event that last set them, so events
    arriving out of order (separate topics, replays) never let an older value win.
    """

    __tablename__ = "recipients"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)  # of the event that set the address
    language: Mapped[str] = mapped_column(String(2))
    language_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)  # of the event that set it
    # What the account wants to hear about beyond service mails; None until it has said so.
    offers: Mapped[bool | None] = mapped_column(Boolean)
    news: Mapped[bool | None] = mapped_column(Boolean)
    energy_saving_advice: Mapped[bool | None] = mapped_column(Boolean)
    preferences_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # of those three


class Delivery(Base):
    """One email for one event, written in the same transaction as the inbox claim.

    The bodies are stored sealed (Fernet, the event sealing key): a reset link works like a
    password until it expires, and this table is read by backups and operators.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "kind", name="uq_deliveries_event_kind"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_account_kind", "account_id", "kind"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # also the Message-ID
    event_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(40))
    customer_number: Mapped[str | None] = mapped_column(String(20), index=True)
    # The portal account an email is about, where it matters: a newer activation or email
    # change request of an account supersedes its older unsent one. None for the other kinds.
    account_id: Mapped[str | None] = mapped_column(String(36))
    # When the event happened (its envelope's occurred_at), to tell newer from older requests
    # whatever order they arrive in. Only set alongside account_id.
    event_occurred_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    recipient: Mapped[str | None] = mapped_column(String(254))  # None when nobody is known
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str | None] = mapped_column(String(300))
    sealed_text: Mapped[str | None] = mapped_column(Text)
    sealed_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    skip_reason: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the sender may (next) try; also pushed ahead as a lease while a sender holds it.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # After this moment the email is useless (a reset link that has expired): never sent.
    send_before: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TerminationNotice(Base):
    """The end date and fee last mailed for a contract's termination, so a final fee equal to
    the provisional one already mailed is not mailed again."""

    __tablename__ = "termination_notices"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    end_date: Mapped[date] = mapped_column(Date)
    fee: Mapped[Decimal] = mapped_column(ExactDecimal(14, 2))  # incl. VAT
    is_final: Mapped[bool] = mapped_column(Boolean)
    event_id: Mapped[str] = mapped_column(String(36))  # of the event that was mailed
