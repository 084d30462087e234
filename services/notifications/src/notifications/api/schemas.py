"""Notifications' HTTP response bodies, read straight from the delivery rows.

Never a body: a code or link shown in the portal (or to an operator's screen) would defeat the
email that carries it. Customers do not see the address either: only what they were sent.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from notifications.db.tables import Delivery
from notifications.delivery.message import message_id
from notifications.domain.delivery import DeliveryStatus, EmailKind
from notifications.domain.delivery_log import MessageStatus, message_status


class MessageOut(BaseModel):
    """One email to the customer, as the portal lists it."""

    id: str = Field(description="The email's Message-ID without <> and domain")
    kind: EmailKind
    subject: str | None = Field(description="Empty when nothing was composed (not sent)")
    status: MessageStatus = Field(
        description="queued: on its way; sent: accepted by our mail server; failed: could not be "
        "delivered; not_sent: deliberately not sent (no address known then, expired, replaced)"
    )
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> MessageOut:
        return cls(
            id=delivery.id,
            kind=EmailKind(delivery.kind),
            subject=delivery.subject,
            status=message_status(delivery.status),
            created_at=delivery.created_at,
            sent_at=delivery.sent_at,
        )


class DeliveryOut(BaseModel):
    """One delivery with everything operations need to answer "did the customer get it?"."""

    id: str
    message_id: str = Field(description="The Message-ID header it is (or was) sent with")
    event_id: str = Field(description="The event it was made for; a resent copy's own id")
    kind: EmailKind
    customer_number: str | None
    account_id: str | None
    recipient: str | None = Field(description="The address; empty when nobody was known")
    language: str
    subject: str | None
    status: DeliveryStatus
    skip_reason: str | None
    attempts: int
    last_error: str | None = Field(description="The mail server's last refusal or the sender's last problem")
    created_at: datetime
    sent_at: datetime | None
    send_before: datetime | None = Field(description="Never sent (nor resent) after this moment")
    resend_of: str | None = Field(description="For a resent copy: the delivery it repeats")

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls.model_validate({**_columns(delivery), "message_id": message_id(delivery.id)})


def _columns(delivery: Delivery) -> dict[str, object]:
    return {name: getattr(delivery, name) for name in DeliveryOut.model_fields if name != "message_id"}
