"""The sender loop: pending deliveries → SMTP → sent, retried with backoff, at least once.

Consumers only write ``deliveries`` rows; this loop (one asyncio task per process, started
and stopped with the app) sends them. Each delivery is claimed with a short lease, sent
outside any transaction within that lease, then marked, but only if the claim is still this
sender's. A crash after the relay accepted a message but before the mark sends it again after
the lease, with the same Message-ID, so the copy is recognisable. Woken after each consumer
commit, and polling anyway.

Only the relay's answers about a message count as its attempts. An unreachable relay, a lost
connection or a timeout is an outage: the delivery in hand goes back uncounted and the whole
loop pauses (doubling, capped), so no email fails just because the relay was down for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiosmtplib

from notifications.db.repositories import Deliveries
from notifications.db.tables import Delivery
from notifications.delivery.message import Outgoing, build_message
from notifications.delivery.smtp import (
    SmtpRelay,
    about_the_message,
    disconnect,
    error_code,
    error_text,
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
    until: datetime  # next_attempt_at as this claim set it: while it is unchanged, the claim holds
    attempts: int  # before this one
    deadline: float  # event loop time by which the send must be over (the lease less a margin)
    mail: Outgoing | None = None
    skip_reason: SkipReason | None = None
    failure: str | None = None


@dataclass
class _Outage:
    """The relay has not answered since ``since``; the sender pauses ``pause`` seconds a try."""

    since: datetime
    pause: float


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
        self._outage: _Outage | None = None

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
            if self._outage is not None:
                await self._rest(self._outage.pause)
            elif handled < self._settings.send_batch_size:
                await self._sleep(pause)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()

    async def _rest(self, seconds: float) -> None:
        """The pause of an outage: stopping ends it, new emails do not (they need the relay too)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        self._wakeup.clear()

    async def send_due(self) -> int:
        """Send one batch of due deliveries over one SMTP connection; returns how many were
        handled (sent, failed, skipped or given back for a retry). Ends the batch when the
        relay is unavailable, giving the delivery in hand back without counting an attempt."""
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
                if claimed.mail is None:
                    await self._finish_unsendable(claimed)
                    handled += 1
                    continue
                try:
                    # Over before the lease ends, so no other sender can have claimed it meanwhile.
                    async with asyncio.timeout_at(claimed.deadline):
                        client = client or await self._relay.connect()
                        await client.send_message(build_message(claimed.mail))
                except (aiosmtplib.SMTPException, OSError) as exc:  # TimeoutError is an OSError
                    if not about_the_message(exc):
                        if client is not None:
                            client.close()  # lost or unanswered: no QUIT to wait for
                            client = None
                        await self._put_back(claimed, exc)
                        break  # the rest waits until the relay answers again
                    self._relay_answered()
                    await self._record_failure(claimed, exc)
                    handled += 1
                    if client is not None:
                        await disconnect(client)
                        client = None
                    continue
                self._relay_answered()
                await self._record_sent(claimed)
                handled += 1
        finally:
            if client is not None:
                await disconnect(client)
        return handled

    def _uow(self) -> UnitOfWork:
        if self._new_uow is None:
            raise RuntimeError("delivery sender used before start()")
        return self._new_uow()

    async def _claim(self, delivery_id: str) -> _Claimed | None:
        # Taken before the claim, so the send ends at least the margin before the lease does.
        deadline = asyncio.get_running_loop().time() + self._settings.send_time_limit.total_seconds()
        now = _now()
        until = now + self._settings.send_lease
        async with self._uow() as uow:
            deliveries = Deliveries(uow.session)
            if not await deliveries.claim(delivery_id, now, until):
                return None
            delivery = await deliveries.get(delivery_id)
            await uow.commit()
        assert delivery is not None, "a claimed delivery exists"
        claim = _Claimed(delivery.id, delivery.kind, until, delivery.attempts, deadline)
        if delivery.send_before is not None and delivery.send_before <= now:
            return replace(claim, skip_reason=SkipReason.EXPIRED)
        try:
            return replace(claim, mail=self._outgoing(delivery))
        except SealingError:  # the sealing key was replaced while this email waited
            failure = "stored bodies cannot be opened with the current sealing key"
            return replace(claim, failure=failure)

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
            list_unsubscribe=delivery.list_unsubscribe,
        )

    async def _settle(self, claimed: _Claimed, **values: Any) -> bool:
        """Record what became of a claimed delivery, if the claim is still this sender's."""
        async with self._uow() as uow:
            held = await Deliveries(uow.session).settle(claimed.id, claimed.until, **values)
            await uow.commit()
        if not held:
            log.warning(
                "delivery taken over by another sender; this outcome is not recorded",
                delivery_id=claimed.id,
                kind=claimed.kind,
                outcome=values.get("status", DeliveryStatus.PENDING.value),
            )
        return held

    async def _record_sent(self, claimed: _Claimed) -> None:
        sent = await self._settle(
            claimed,
            status=DeliveryStatus.SENT.value,
            attempts=claimed.attempts + 1,
            sent_at=_now(),
            next_attempt_at=None,
        )
        if sent:
            log.info("email sent", delivery_id=claimed.id, kind=claimed.kind)

    async def _record_failure(self, claimed: _Claimed, exc: BaseException) -> None:
        """The relay refused this message: one attempt more, and maybe the last."""
        attempts = claimed.attempts + 1
        final = refused_for_good(exc) or self._policy.gives_up(attempts)
        if final:
            outcome: dict[str, Any] = {"status": DeliveryStatus.FAILED.value, "next_attempt_at": None}
        else:
            outcome = {"next_attempt_at": _now() + self._policy.delay_after(attempts)}
        if not await self._settle(claimed, attempts=attempts, last_error=error_text(exc), **outcome):
            return
        log.warning(
            "email failed" if final else "email not sent yet; will retry",
            delivery_id=claimed.id,
            kind=claimed.kind,
            attempts=attempts,
            error_type=type(exc).__name__,  # the server's text may quote the address: not logged
            smtp_code=error_code(exc),
        )

    async def _put_back(self, claimed: _Claimed, exc: BaseException) -> None:
        """The relay is unavailable, which is not this message's fault: no attempt is counted,
        and the delivery is due again when the paused sender next tries."""
        pause = self._relay_unavailable(exc)
        await self._settle(
            claimed, last_error=error_text(exc), next_attempt_at=_now() + timedelta(seconds=pause)
        )

    def _relay_unavailable(self, exc: BaseException) -> float:
        """Start or prolong the outage; returns how long to pause. Logged once per outage."""
        cap = self._settings.relay_backoff_max_seconds
        if self._outage is None:
            self._outage = _Outage(since=_now(), pause=min(self._settings.send_poll_seconds, cap))
            log.warning(
                "SMTP relay unavailable; sending paused until it answers again",
                error_type=type(exc).__name__,
                smtp_code=error_code(exc),
                retry_in_seconds=self._outage.pause,
            )
        else:
            self._outage.pause = min(self._outage.pause * 2, cap)
        return self._outage.pause

    def _relay_answered(self) -> None:
        if self._outage is not None:
            down = (_now() - self._outage.since).total_seconds()
            self._outage = None
            log.info("SMTP relay answering again; sending resumed", outage_seconds=round(down, 1))

    async def _finish_unsendable(self, claimed: _Claimed) -> None:
        if claimed.skip_reason is not None:
            outcome: dict[str, Any] = {
                "status": DeliveryStatus.SKIPPED.value,
                "skip_reason": claimed.skip_reason.value,
            }
        else:
            outcome = {"status": DeliveryStatus.FAILED.value, "last_error": claimed.failure}
        if not await self._settle(claimed, next_attempt_at=None, **outcome):
            return
        log.warning(
            "email not sent",
            delivery_id=claimed.id,
            kind=claimed.kind,
            reason=claimed.skip_reason or claimed.failure,
        )


def _now() -> datetime:
    return datetime.now(UTC)
