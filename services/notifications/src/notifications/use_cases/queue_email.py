"""Turning an event into a queued email (or a recorded reason for not sending one).

Consumers call these inside the unit of work that claims the event in the inbox, so the
delivery row exists exactly when the event counts as handled. No SMTP here: the sender
(delivery/sender.py) picks pending rows up after the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.orm import Session

from notifications.db.repositories import Deliveries
from notifications.db.tables import Delivery
from notifications.delivery.templates import EmailTemplates
from notifications.domain.delivery import DeliveryStatus, EmailKind, SkipReason, delivery_id
from notifications.settings import NotificationsSettings
from portal_chassis.mail_secrets import MailSecretsDecrypter
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork
from portal_schemas.types import Language


@dataclass(frozen=True)
class MailRoom:
    """What the use cases need to compose an email: links and time zone, the templates, the
    key that seals stored bodies, and a way to wake the sender once the row is committed."""

    settings: NotificationsSettings
    sealer: Sealer
    templates: EmailTemplates
    wake_sender: Callable[[], None]
    mail_secrets: MailSecretsDecrypter  # opens the tokens and codes identity sends (mailed_secrets)

    def zone(self, to: Addressee) -> ZoneInfo:
        """The zone the addressee reads dates and times in: theirs, else the supplier's."""
        return to.time_zone or self.settings.zone


@dataclass(frozen=True)
class Addressee:
    email: str
    language: Language
    customer_number: str | None = None
    name: str | None = None  # to greet them by; a neutral greeting when unknown
    time_zone: ZoneInfo | None = None  # the account's choice; None: the supplier's (MailRoom.zone)
    # The portal account written to, filed on the delivery so the account's messages can be
    # listed; None when the address belongs to no account (yet).
    account_id: str | None = None


@dataclass(frozen=True)
class AboutAccount:
    """The account an email concerns and when its event happened; kept on the delivery where a
    newer event of the same kind replaces an older one (see activation_email)."""

    account_id: str
    occurred_at: datetime


async def queue_email(
    uow: UnitOfWork,
    room: MailRoom,
    *,
    event_id: str,
    kind: EmailKind,
    to: Addressee,
    values: Mapping[str, Any],
    send_before: datetime | None = None,
    about: AboutAccount | None = None,
    list_unsubscribe: str | None = None,
) -> Delivery | None:
    """Render and store one pending email; None if this event already has one of this kind."""
    deliveries = Deliveries(uow.session)
    if await deliveries.exists(event_id, kind):  # the inbox guards too; this also holds
        return None  # when an operator resets the consumer group and the inbox is pruned
    delivery = compose_delivery(
        room,
        event_id=event_id,
        kind=kind,
        to=to,
        values=values,
        send_before=send_before,
        about=about,
        list_unsubscribe=list_unsubscribe,
    )
    deliveries.add(delivery)
    wake_sender_after_commit(uow, room)
    return delivery


def compose_delivery(
    room: MailRoom,
    *,
    event_id: str,
    kind: EmailKind,
    to: Addressee,
    values: Mapping[str, Any],
    send_before: datetime | None = None,
    about: AboutAccount | None = None,
    list_unsubscribe: str | None = None,
) -> Delivery:
    """One pending email, rendered and sealed, not stored yet (see queue_email)."""
    rendered = room.templates.render(kind, to.language, values, recipient_name=to.name)
    now = datetime.now(UTC)
    return Delivery(
        id=delivery_id(event_id, kind.value),
        event_id=event_id,
        kind=kind.value,
        customer_number=to.customer_number,
        account_id=about.account_id if about is not None else to.account_id,
        event_occurred_at=about.occurred_at if about is not None else None,
        recipient=to.email,
        language=to.language,
        subject=rendered.subject,
        sealed_text=room.sealer.seal(rendered.text),
        sealed_html=room.sealer.seal(rendered.html),
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        send_before=send_before,
        list_unsubscribe=list_unsubscribe,  # newsletters: the one-click unsubscribe address
    )


async def skip_email(
    uow: UnitOfWork,
    *,
    event_id: str,
    kind: EmailKind,
    reason: SkipReason,
    language: Language,
    recipient: str | None = None,
    customer_number: str | None = None,
    about: AboutAccount | None = None,
    account_id: str | None = None,
) -> None:
    """Record that an event deliberately produced no email, and why."""
    deliveries = Deliveries(uow.session)
    if await deliveries.exists(event_id, kind):
        return
    deliveries.add(
        Delivery(
            id=delivery_id(event_id, kind.value),
            event_id=event_id,
            kind=kind.value,
            customer_number=customer_number,
            account_id=about.account_id if about is not None else account_id,
            event_occurred_at=about.occurred_at if about is not None else None,
            recipient=recipient,
            language=language,
            status=DeliveryStatus.SKIPPED.value,
            skip_reason=reason.value,
            attempts=0,
            created_at=datetime.now(UTC),
        )
    )


def wake_sender_after_commit(uow: UnitOfWork, room: MailRoom) -> None:
    """The chassis wakes only the outbox relay after a commit; this session-level hook wakes
    the sender the moment the transaction that queued an email is durable."""

    def fire(_: Session) -> None:
        room.wake_sender()

    event.listen(uow.session.sync_session, "after_commit", fire, once=True)
