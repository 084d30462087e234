"""Every query notifications makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from notifications.db.tables import (
    Base,
    Campaign,
    CustomerContact,
    Delivery,
    ParkedEvent,
    Recipient,
    TerminationNotice,
)
from notifications.domain.delivery import DeliveryStatus


async def _insert_if_absent(session: AsyncSession, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row is new. On PostgreSQL a concurrent
    insert of the same key waits for the other transaction and then finds the row."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0))


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


class CustomerContacts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_number: str) -> CustomerContact | None:
        return await self.session.get(CustomerContact, customer_number)

    async def lock(self, customer_number: str) -> CustomerContact:
        """The customer's row (created empty when contracts has not spoken of them yet), locked
        until the transaction ends. Parking an event for want of a recipient and making a
        recipient known both take it first, so neither can miss what the other committed."""
        await _insert_if_absent(self.session, CustomerContact, {"customer_number": customer_number})
        contact: CustomerContact | None = await self.session.scalar(
            select(CustomerContact)
            .where(CustomerContact.customer_number == customer_number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert contact is not None, "inserted above or by a committed transaction"
        return contact


class ParkedEvents:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def park(self, values: dict[str, Any]) -> bool:
        """Keep an event for later; False when it is already parked for that handler."""
        return await _insert_if_absent(self.session, ParkedEvent, values)

    async def of_customer(self, customer_number: str) -> list[ParkedEvent]:
        rows = await self.session.scalars(
            select(ParkedEvent)
            .where(ParkedEvent.customer_number == customer_number)
            .order_by(ParkedEvent.parked_at, ParkedEvent.id)
        )
        return list(rows)

    async def remove(self, parked_id: str) -> None:
        await self.session.execute(delete(ParkedEvent).where(ParkedEvent.id == parked_id))

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(ParkedEvent)) or 0)


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

    async def of_customer(
        self, customer_number: str, account_id: str, *, limit: int, offset: int
    ) -> tuple[list[Delivery], int]:
        """A customer's messages (about the customer, or to their account), newest first, and
        how many there are."""
        mine = or_(Delivery.customer_number == customer_number, Delivery.account_id == account_id)
        return await self._page([mine], limit, offset)

    async def search(
        self,
        *,
        status: DeliveryStatus | None = None,
        kind: str | None = None,
        customer_number: str | None = None,
        event_id: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        limit: int,
        offset: int,
    ) -> tuple[list[Delivery], int]:
        """Deliveries matching every filter given, newest first, and how many match.

        An event id finds the event's deliveries and the copies operators resent of them."""
        conditions: list[ColumnElement[bool]] = []
        if status is not None:
            conditions.append(Delivery.status == status)
        if kind is not None:
            conditions.append(Delivery.kind == kind)
        if customer_number is not None:
            conditions.append(Delivery.customer_number == customer_number)
        if event_id is not None:
            original = aliased(Delivery)
            of_event = select(original.id).where(original.event_id == event_id)
            conditions.append(or_(Delivery.event_id == event_id, Delivery.resend_of.in_(of_event)))
        if created_from is not None:
            conditions.append(Delivery.created_at >= created_from)
        if created_to is not None:
            conditions.append(Delivery.created_at < created_to)
        return await self._page(conditions, limit, offset)

    async def _page(
        self, conditions: list[ColumnElement[bool]], limit: int, offset: int
    ) -> tuple[list[Delivery], int]:
        total = await self.session.scalar(select(func.count()).select_from(Delivery).where(*conditions))
        rows = await self.session.scalars(
            select(Delivery)
            .where(*conditions)
            .order_by(Delivery.created_at.desc(), Delivery.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(rows), int(total or 0)

    async def resend_count(self, delivery_id: str) -> int:
        """How many copies operators have resent of a delivery."""
        count = await self.session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.resend_of == delivery_id)
        )
        return int(count or 0)


class Campaigns:
    """Newsletters sent by operations, whom they go to, and what became of their copies."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, campaign: Campaign) -> None:
        self.session.add(campaign)

    async def get(self, campaign_id: str) -> Campaign | None:
        return await self.session.get(Campaign, campaign_id)

    async def opted_in(self, newsletter: str) -> list[tuple[Recipient, str | None]]:
        """The recipients who said yes to this newsletter (never those who did not answer),
        in a stable order, each with its customer's sealed name (None when none is known)."""
        chosen = {
            "offers": Recipient.offers,
            "news": Recipient.news,
            "energy_saving_advice": Recipient.energy_saving_advice,
        }[newsletter]
        rows = await self.session.execute(
            select(Recipient, CustomerContact.sealed_name)
            .outerjoin(CustomerContact, CustomerContact.customer_number == Recipient.customer_number)
            .where(chosen.is_(True))
            .order_by(Recipient.account_id)
        )
        return [(recipient, sealed_name) for recipient, sealed_name in rows.tuples()]

    async def delivery_counts(self, campaign_id: str) -> dict[str, int]:
        """The campaign's deliveries per status."""
        rows = await self.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.campaign_id == campaign_id)
            .group_by(Delivery.status)
        )
        return {status: count for status, count in rows}
