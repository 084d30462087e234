"""Every query notifications makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.db.tables import Delivery, Recipient, TerminationNotice
from notifications.domain.delivery import DeliveryStatus


class Recipients:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_account(self, account_id: str) -> Recipient | None:
        return await self.session.get(Recipient, account_id)

    async def for_customer(self, customer_number: str) -> Recipient | None:
        """The most recently registered account of the customer receives their mail."""
        result: Recipient | None = await self.session.scalar(
            select(Recipient)
            .where(Recipient.customer_number == customer_number)
            .order_by(Recipient.updated_at.desc(), Recipient.account_id)
            .limit(1)
        )
        return result

    def add(self, recipient: Recipient) -> None:
        self.session.add(recipient)


class TerminationNotices:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_contract(self, contract_id: str) -> TerminationNotice | None:
        return await self.session.get(TerminationNotice, contract_id)

    def add(self, notice: TerminationNotice) -> None:
        self.session.add(notice)


class Deliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, delivery: Delivery) -> None:
        self.session.add(delivery)

    async def get(self, delivery_id: str) -> Delivery | None:
        return await self.session.get(Delivery, delivery_id)

    async def exists(self, event_id: str, kind: str) -> bool:
        found = await self.session.scalar(
            select(Delivery.id).where(Delivery.event_id == event_id, Delivery.kind == kind)
        )
        return found is not None

    async def newer_for_account(self, account_id: str, kind: str, than: datetime, event_id: str) -> bool:
        """Whether another event of this kind for the account happened after ``than``."""
        found = await self.session.scalar(
            select(Delivery.id)
            .where(
                Delivery.account_id == account_id,
                Delivery.kind == kind,
                Delivery.event_id != event_id,
                Delivery.event_occurred_at > than,
            )
            .limit(1)
        )
        return found is not None

    async def supersede_pending(
        self, account_id: str, kind: str, up_to: datetime, event_id: str, reason: str
    ) -> int:
        """Mark the account's still-pending deliveries of this kind from events that happened
        no later than ``up_to`` (other than ``event_id``'s) as skipped for ``reason``."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.account_id == account_id,
                Delivery.kind == kind,
                Delivery.event_id != event_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.event_occurred_at <= up_to,
            )
            .values(status=DeliveryStatus.SKIPPED.value, skip_reason=reason, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def due_ids(self, now: datetime, limit: int) -> list[str]:
        rows = await self.session.scalars(
            select(Delivery.id)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.created_at)
            .limit(limit)
        )
        return list(rows)

    async def claim(self, delivery_id: str, now: datetime, until: datetime) -> bool:
        """Take a due delivery for one send by pushing its next attempt to ``until``.

        A compare-and-set, so of two senders racing for the same row exactly one wins; no lock
        is held during the SMTP exchange.
        """
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def settle(self, delivery_id: str, claimed_until: datetime, **values: Any) -> bool:
        """Write what became of a claimed delivery, if the claim is still the caller's.

        It is while the row is pending with its next attempt at exactly the ``until`` of the
        caller's :meth:`claim`. A sender that claimed it after that lease expired moved the
        time on (to a later ``until``), so a late outcome matches no row and changes nothing.
        """
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at == claimed_until,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def with_status(self, status: DeliveryStatus, limit: int) -> Sequence[Delivery]:
        rows = await self.session.scalars(
            select(Delivery).where(Delivery.status == status).order_by(Delivery.created_at).limit(limit)
        )
        return list(rows)

    async def counts(self) -> dict[tuple[str, str], int]:
        """Deliveries per (kind, status)."""
        rows = await self.session.execute(
            select(Delivery.kind, Delivery.status, func.count()).group_by(Delivery.kind, Delivery.status)
        )
        return {(kind, status): count for kind, status, count in rows}

    async def requeue_failed(self, now: datetime, delivery_id: str | None = None) -> int:
        query = (
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.FAILED)
            .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        if delivery_id is not None:
            query = query.where(Delivery.id == delivery_id)
        result = await self.session.execute(query)
        return int(result.rowcount)  # type: ignore[attr-defined]
