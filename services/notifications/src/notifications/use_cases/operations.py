"""What operators do with the delivery log from the command line; the same log is searchable
and resendable over HTTP (use_cases/delivery_log.py, /v1/admin/deliveries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from notifications.db.repositories import Deliveries, ParkedEvents
from notifications.domain.delivery import DeliveryStatus
from portal_chassis.uow import UnitOfWork


@dataclass(frozen=True)
class FailedDelivery:
    """No address, subject or body: this is printed to terminals and pasted into tickets."""

    id: str
    kind: str
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class DeliveryReport:
    counts: dict[tuple[str, str], int]  # (kind, status) -> deliveries
    failed: list[FailedDelivery]
    parked: int = 0  # events waiting for their customer's first account (use_cases/parking.py)


async def delivery_report(uow: UnitOfWork, failed_limit: int = 50) -> DeliveryReport:
    deliveries = Deliveries(uow.session)
    failed = await deliveries.with_status(DeliveryStatus.FAILED, failed_limit)
    return DeliveryReport(
        counts=await deliveries.counts(),
        failed=[FailedDelivery(d.id, d.kind, d.attempts, d.last_error, d.created_at) for d in failed],
        parked=await ParkedEvents(uow.session).count(),
    )


async def requeue_failed(uow: UnitOfWork, delivery_id: str | None = None) -> int:
    """Give failed deliveries (one, or all) a fresh set of attempts, e.g. after the relay's
    configuration was fixed. Expired reset links stay unsent: the sender checks that."""
    count = await Deliveries(uow.session).requeue_failed(datetime.now(UTC), delivery_id)
    await uow.commit()
    return count
