"""The sender loop: pending deliveries → SMTP → sent, retried with backoff, at least once.

Consumers only write ``deliveries`` rows; this loop (one asyncio task per process, started
and stopped with the app) sends them. Each delivery is claimed with a short lease, sent
outside any transaction, then marked. A crash after the relay accepted a message but before
the mark sends it again after the lease, with the same Message-ID, so the copy is
recognisable. Woken after each consumer commit, and polling anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosmtplib

from notifications.db.repositories import Deliveries
from notifications.db.tables import Delivery
from notifications.delivery.message import Outgoing, build_message
from notifications.delivery.smtp import (
    SmtpRelay,
    disconnect,
    error_code,
    error_text,
    lost_connection,
    refused_for_good,
)
from notifications.domain.delivery import DeliveryStatus, SkipReason
from notifications.settings import NotificationsSettings
from portal_chassis.logging import get_logger
from portal_chassis.sealing import Sealer, SealingError
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class _Claimed:
    """A delivery this sender holds the lease on: what to send, or why not to."""

    id: str
    kind: str
    mail: Outgoing | None = None
    skip_reason: SkipReason | None = None
    failure: str | None = None


class DeliverySender:
    def __init__(
        self, settings: NotificationsSettings, sealer: Sealer, relay: SmtpRelay | None = None
    ) -> None:
        self._settings = settings
        self._sealer = sealer
        self._relay = relay or SmtpRelay(settings)
        self._policy = settings.retry_policy
        self._new_uow: Callable[[], UnitOfWork] | None = None
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self, new_uow: Callable[[], UnitOfWork]) -> None:
        self._new_uow = new_uow
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="delivery-sender")

    def wake(self) -> None:
        self._wakeup.set()

    async def stop(self) -> None:
        """Let the email in flight finish (bounded by the SMTP timeout), then stop."""
        self._stopping.set()
        self._wakeup.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, timeout=self._settings.smtp_timeout_seconds + 5)
        except TimeoutError:
            log.warning("delivery sender did not stop in time; its lease expires by itself")

    async def _run(self) -> None:
        pause = self._settings.send_poll_seconds
        while not self._stopping.is_set():
            try:
                handled = await self.send_due()
                pause = self._settings.send_poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception:
                # Our own database, most likely; the rows wait safely until it is back.
                log.exception("delivery sender failed; retrying", retry_in_seconds=pause)
                handled = 0
                pause = min(pause * 2, 30.0)
            if handled < self._settings.send_batch_size:
                await self._sleep(pause)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()

    async def send_due(self) -> int:
        """Send one batch of due deliveries over one SMTP connection; returns how many were
        handled (sent, failed, skipped or given back for a retry)."""
        async with self._uow() as uow:
            due = await Deliveries(uow.session).due_ids(_now(), self._settings.send_batch_size)
        client: aiosmtplib.SMTP | None = None
        handled = 0
        try:
            for delivery_id in due:
                if self._stopping.is_set():
                    break
                claimed = await self._claim(delivery_id)
                if claimed is None:
                    continue  # another sender got it first
                handled += 1
                if claimed.mail is None:
                    await self._finish_unsendable(claimed)
                    continue
                try:
                    client = client or await self._relay.connect()
                    await client.send_message(build_message(claimed.mail))
                except (aiosmtplib.SMTPException, OSError) as exc:
                    await self._record_failure(claimed, exc)
                    if client is not None:
                        await disconnect(client)
                        client = None
                    if lost_connection(exc):
                        break  # the relay is down: the rest waits for its own retry time
                    continue
                await self._record_sent(claimed)
        finally:
            if client is not None:
                await disconnect(client)
        return handled

    def _uow(self) -> UnitOfWork:
        if self._new_uow is None:
            raise RuntimeError("delivery sender used before start()")
        return self._new_uow()

    async def _claim(self, delivery_id: str) -> _Claimed | None:
        now = _now()
        async with self._uow() as uow:
            deliveries = Deliveries(uow.session)
            if not await deliveries.claim(delivery_id, now, now + self._settings.send_lease):
                return None
            delivery = await deliveries.get(delivery_id)
            await uow.commit()
        assert delivery is not None, "a claimed delivery exists"
        if delivery.send_before is not None and delivery.send_before <= now:
            return _Claimed(delivery.id, delivery.kind, skip_reason=SkipReason.EXPIRED)
        try:
            return _Claimed(delivery.id, delivery.kind, mail=self._outgoing(delivery))
        except SealingError:  # the sealing key was replaced while this email waited
            failure = "stored bodies cannot be opened with the current sealing key"
            return _Claimed(delivery.id, delivery.kind, failure=failure)

    def _outgoing(self, delivery: Delivery) -> Outgoing:
        assert delivery.recipient and delivery.subject, "pending deliveries are rendered"
        assert delivery.sealed_text and delivery.sealed_html, "pending deliveries are rendered"
        return Outgoing(
            delivery_id=delivery.id,
            sender=self._settings.smtp_from,
            recipient=delivery.recipient,
            subject=delivery.subject,
            language=delivery.language,
            text=self._sealer.open(delivery.sealed_text),
            html=self._sealer.open(delivery.sealed_html),
            composed_at=delivery.created_at,
        )

    async def _record_sent(self, claimed: _Claimed) -> None:
        async with self._uow() as uow:
            delivery = await _load(uow, claimed.id)
            delivery.status = DeliveryStatus.SENT.value
            delivery.attempts += 1
            delivery.sent_at = _now()
            delivery.next_attempt_at = None
            await uow.commit()
        log.info("email sent", delivery_id=claimed.id, kind=claimed.kind)

    async def _record_failure(self, claimed: _Claimed, exc: BaseException) -> None:
        async with self._uow() as uow:
            delivery = await _load(uow, claimed.id)
            delivery.attempts += 1
            delivery.last_error = error_text(exc)
            final = refused_for_good(exc) or self._policy.gives_up(delivery.attempts)
            if final:
                delivery.status = DeliveryStatus.FAILED.value
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = _now() + self._policy.delay_after(delivery.attempts)
            attempts = delivery.attempts
            await uow.commit()
        log.warning(
            "email failed" if final else "email not sent yet; will retry",
            delivery_id=claimed.id,
            kind=claimed.kind,
            attempts=attempts,
            error_type=type(exc).__name__,  # the server's text may quote the address: not logged
            smtp_code=error_code(exc),
        )

    async def _finish_unsendable(self, claimed: _Claimed) -> None:
        async with self._uow() as uow:
            delivery = await _load(uow, claimed.id)
            delivery.next_attempt_at = None
            if claimed.skip_reason is not None:
                delivery.status = DeliveryStatus.SKIPPED.value
                delivery.skip_reason = claimed.skip_reason.value
            else:
                delivery.status = DeliveryStatus.FAILED.value
                delivery.last_error = claimed.failure
            await uow.commit()
        log.warning(
            "email not sent",
            delivery_id=claimed.id,
            kind=claimed.kind,
            reason=claimed.skip_reason or claimed.failure,
        )


async def _load(uow: UnitOfWork, delivery_id: str) -> Delivery:
    delivery = await Deliveries(uow.session).get(delivery_id)
    assert delivery is not None, "deliveries are never deleted while being sent"
    return delivery


def _now() -> datetime:
    return datetime.now(UTC)
