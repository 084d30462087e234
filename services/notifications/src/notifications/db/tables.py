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
    # IANA zone dates and times are written in (PreferencesChanged); None: the supplier's own.
    time_zone: Mapped[str | None] = mapped_column(String(64))


class CustomerContact(Base):
    """What contracts says about a customer: the name to greet them by (sealed, as it travels).
    Also the row a parking and an activation for the customer lock, so they never miss each other."""

    __tablename__ = "customer_contacts"

    customer_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    sealed_name: Mapped[str | None] = mapped_column(Text)
    name_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # of the event that set it


class ParkedEvent(Base):
    """An event about a customer nobody can be written to yet (no activated account): kept,
    sealed, until an account is activated for the customer, then handled as if just arrived."""

    __tablename__ = "parked_events"
    __table_args__ = (UniqueConstraint("event_id", "handler", name="uq_parked_events_event_handler"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    handler: Mapped[str] = mapped_column(String(80))  # the consumer's name, to handle it again
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    sealed_envelope: Mapped[str] = mapped_column(Text)  # the whole envelope as it arrived
    parked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Campaign(Base):
    """A newsletter operations sent to the accounts opted in to its topic; the text per language
    is kept sealed like every delivery body."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    newsletter: Mapped[str] = mapped_column(String(30))  # offers | news | energy_saving_advice
    sealed_content: Mapped[str] = mapped_column(Text)  # JSON: language -> subject and body
    created_by: Mapped[str] = mapped_column(String(100))  # the operator
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


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

    # Derived from event id and kind (domain/delivery.py), hence the Message-ID too: the same
    # event can never queue, nor a crash re-send, a message with another Message-ID.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
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
    # An operator's resend of a sent message is a delivery of its own, pointing at the original.
    resend_of: Mapped[str | None] = mapped_column(String(36), index=True)
    # Newsletters only: the one-click unsubscribe URL (RFC 8058) for the List-Unsubscribe header.
    list_unsubscribe: Mapped[str | None] = mapped_column(String(500))
    # Newsletters only: the campaign this is one recipient's copy of.
    campaign_id: Mapped[str | None] = mapped_column(String(36), index=True)


class TerminationNotice(Base):
    """The end date and fee last mailed for a contract's termination, so a final fee equal to
    the provisional one already mailed is not mailed again."""

    __tablename__ = "termination_notices"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    end_date: Mapped[date] = mapped_column(Date)
    fee: Mapped[Decimal] = mapped_column(ExactDecimal(14, 2))  # incl. VAT
    is_final: Mapped[bool] = mapped_column(Boolean)
    event_id: Mapped[str] = mapped_column(String(36))  # of the event that was mailed
