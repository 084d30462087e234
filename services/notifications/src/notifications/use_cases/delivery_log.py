"""The delivery log read back: a customer's own messages, operators' search, and resending.

A failed delivery reached nobody: resending puts the same message (same Message-ID) back in
the queue with fresh attempts. A sent one did arrive somewhere, so a resend is a new delivery
with the same sealed bodies and its own id and Message-ID, pointing at the original.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from notifications.db.repositories import Deliveries
from notifications.db.tables import Delivery
from notifications.domain.delivery import DeliveryStatus, EmailKind
from notifications.domain.delivery_log import ResendPlan, ResendRefusal, resend_id, resend_plan
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

# Kinds whose link and code a newer request of the same account replaces (identity keeps only
# the newest): an older one resent would carry a dead link.
REPLACED_BY_NEWER_REQUEST = frozenset({EmailKind.ACTIVATION, EmailKind.EMAIL_CHANGE_CONFIRMATION})

_REFUSALS = {
    ResendRefusal.PENDING: "This email is still queued: the sender delivers it, or records why not.",
    ResendRefusal.SKIPPED: "This email was never composed (see skip_reason): there is nothing to resend.",
    ResendRefusal.EXPIRED: (
        "This email was only useful until its send_before: its link or code has expired, or what "
        "it announced is over. The customer can ask for a new one."
    ),
    ResendRefusal.SUPERSEDED: (
        "A newer request of the account replaced this email's link and code; resending it would "
        "send a link that no longer works."
    ),
}


@dataclass(frozen=True)
class DeliveryFilters:
    status: DeliveryStatus | None = None
    kind: EmailKind | None = None
    customer_number: str | None = None
    event_id: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Resent:
    delivery: Delivery  # what goes out now: the original requeued, or its new copy
    plan: ResendPlan


async def customer_messages(
    uow: UnitOfWork, *, customer_number: str, account_id: str, limit: int, offset: int
) -> tuple[list[Delivery], int]:
    return await Deliveries(uow.session).of_customer(customer_number, account_id, limit=limit, offset=offset)


async def find_deliveries(
    uow: UnitOfWork, filters: DeliveryFilters, *, limit: int, offset: int
) -> tuple[list[Delivery], int]:
    if filters.created_from and filters.created_to and filters.created_from >= filters.created_to:
        raise ProblemError(
            422,
            "validation",
            "created_from must be before created_to.",
            errors=[{"field": "created_to", "location": "query", "message": "must be after created_from"}],
        )
    return await Deliveries(uow.session).search(
        status=filters.status,
        kind=filters.kind.value if filters.kind else None,
        customer_number=filters.customer_number,
        event_id=filters.event_id,
        created_from=filters.created_from,
        created_to=filters.created_to,
        limit=limit,
        offset=offset,
    )


async def get_delivery(uow: UnitOfWork, delivery_id: str) -> Delivery:
    delivery = await Deliveries(uow.session).get(delivery_id)
    if delivery is None:
        raise ProblemError(404, "delivery-not-found", "No delivery with this id.")
    return delivery


async def resend(
    uow: UnitOfWork, delivery_id: str, *, now: datetime, wake_sender: Callable[[], None]
) -> Resent:
    """Send a delivery again (see the module's docstring), or refuse with 409 changing nothing."""
    deliveries = Deliveries(uow.session)
    original = await get_delivery(uow, delivery_id)
    plan = resend_plan(original.status, original.send_before, now)
    if isinstance(plan, ResendPlan) and await _superseded(deliveries, original):
        plan = ResendRefusal.SUPERSEDED
    if isinstance(plan, ResendRefusal):
        extra: dict[str, Any] = {"delivery_status": original.status}
        if plan is ResendRefusal.EXPIRED and original.send_before is not None:
            extra["send_before"] = original.send_before.isoformat()
        raise ProblemError(409, plan.value, _REFUSALS[plan], **extra)

    if plan is ResendPlan.REQUEUE:
        if not await deliveries.requeue_failed(now, original.id):
            raise _changed_meanwhile()
        await uow.session.refresh(original)
        queued = original
    else:
        queued = await _copy(deliveries, original, now)
        try:
            await uow.session.flush()
        except IntegrityError:  # another resend of the same original took this copy's number
            raise _changed_meanwhile() from None
    await uow.commit()
    wake_sender()
    return Resent(queued, plan)


async def _superseded(deliveries: Deliveries, delivery: Delivery) -> bool:
    if delivery.kind not in REPLACED_BY_NEWER_REQUEST:
        return False
    if delivery.account_id is None or delivery.event_occurred_at is None:
        return False
    return await deliveries.newer_for_account(
        delivery.account_id, delivery.kind, delivery.event_occurred_at, delivery.event_id
    )


async def _copy(deliveries: Deliveries, original: Delivery, now: datetime) -> Delivery:
    # Copies of a copy count as copies of the first message, which they all repeat.
    first = original.resend_of or original.id
    number = await deliveries.resend_count(first) + 1
    copy_id = resend_id(first, number)
    copy = Delivery(
        id=copy_id,
        # No event caused it; its own id keeps (event_id, kind) unique, resend_of says what it repeats.
        event_id=copy_id,
        kind=original.kind,
        customer_number=original.customer_number,
        account_id=original.account_id,
        # The original's, so a newer request of the account supersedes this copy too.
        event_occurred_at=original.event_occurred_at,
        recipient=original.recipient,
        language=original.language,
        subject=original.subject,
        sealed_text=original.sealed_text,
        sealed_html=original.sealed_html,
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        send_before=original.send_before,
        resend_of=first,
        list_unsubscribe=original.list_unsubscribe,
    )
    deliveries.add(copy)
    return copy


def _changed_meanwhile() -> ProblemError:
    return ProblemError(
        409, "delivery-changed", "The delivery changed meanwhile; look at it again and retry."
    )
