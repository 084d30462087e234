"""The delivery log as customers and operators see it: the status a customer reads, and which
deliveries an operator may send again and how."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from notifications.domain.delivery import DeliveryStatus, delivery_id


class MessageStatus(StrEnum):
    """A delivery's status in the customer's words."""

    QUEUED = "queued"  # on its way (also between retries)
    SENT = "sent"
    FAILED = "failed"
    NOT_SENT = "not_sent"  # deliberately not sent (no address then, expired, superseded)


_FOR_CUSTOMER = {
    DeliveryStatus.PENDING: MessageStatus.QUEUED,
    DeliveryStatus.SENT: MessageStatus.SENT,
    DeliveryStatus.FAILED: MessageStatus.FAILED,
    DeliveryStatus.SKIPPED: MessageStatus.NOT_SENT,
}


def message_status(status: str) -> MessageStatus:
    return _FOR_CUSTOMER[DeliveryStatus(status)]


class ResendRefusal(StrEnum):
    """Why a delivery cannot be sent again (problem slugs: stable, clients branch on them)."""

    PENDING = "delivery-still-queued"  # the sender has it; it goes out (or fails) by itself
    SKIPPED = "delivery-never-rendered"  # nothing was composed to send
    EXPIRED = "delivery-expired"  # its link or code no longer works (a reset link after 24 h)
    SUPERSEDED = "delivery-superseded"  # a newer request of the account replaced its link and code


class ResendPlan(StrEnum):
    REQUEUE = "requeue"  # a failed one: it reached nobody, so the same message is tried again
    COPY = "copy"  # a sent one: a new message, since the first one arrived somewhere


def resend_plan(status: str, send_before: datetime | None, now: datetime) -> ResendPlan | ResendRefusal:
    """What resending a delivery in ``status`` means at ``now``, or why it is refused."""
    current = DeliveryStatus(status)
    if current is DeliveryStatus.PENDING:
        return ResendRefusal.PENDING
    if current is DeliveryStatus.SKIPPED:
        return ResendRefusal.SKIPPED
    if send_before is not None and send_before <= now:
        return ResendRefusal.EXPIRED
    return ResendPlan.REQUEUE if current is DeliveryStatus.FAILED else ResendPlan.COPY


def resend_id(original_id: str, number: int) -> str:
    """The id (and Message-ID) of the ``number``-th copy of a delivery: derived, so two
    operators resending at the same moment collide on it instead of sending two copies."""
    return delivery_id(original_id, f"resend-{number}")
