"""Events about a customer nobody can be written to yet: parked, then handled once an account
is activated for the customer.

A contract is often concluded (by phone, by operations) before its customer has a portal
account, and a reading or an invoice may follow before they register. Such an email is not
dropped: the consumer parks the whole event (sealed: it holds personal data) under its own
name, and the AccountActivated that makes the customer's address known handles every parked
event of that customer again, in the same transaction, through the same use case as if it had
just arrived (in the account's language, to its address), then deletes it.

An event parked longer than ``parking_window_days`` is recorded as skipped
(``parked-too-long-before-an-account``) instead of sent: a contract confirmation or a reading
reminder from months ago would mislead more than inform, and the portal the new account opens
shows those contracts, invoices and documents anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from notifications.db.repositories import ParkedEvents
from portal_chassis.dead_letter import is_transient
from portal_chassis.logging import get_logger
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope

log = get_logger(__name__)

# Handles an event again by its consumer's name, as that consumer would have.
Replay = Callable[[UnitOfWork, str, Envelope], Awaitable[None]]


class RecipientNotKnown(Exception):
    """Raised by an email use case, before it writes anything, when no account is known for the
    customer the email is about; the consumer parks the event."""

    def __init__(self, customer_number: str) -> None:
        super().__init__("no recipient known for the customer")
        self.customer_number = customer_number


# Set while a parked event older than the window is handled again: the customer's addressee
# lookup then records the skip instead of handing out the address (customer_recipient.py).
# A context variable, because the replay goes through the unchanged use case.
_too_long: ContextVar[bool] = ContextVar("parked_too_long", default=False)


def parked_too_long() -> bool:
    return _too_long.get()


@contextmanager
def _replaying(too_long: bool) -> Iterator[None]:
    token = _too_long.set(too_long)
    try:
        yield
    finally:
        _too_long.reset(token)


@dataclass(frozen=True)
class Parking:
    sealer: Sealer  # the envelope holds names, amounts, addresses: stored sealed
    window: timedelta
    replay: Replay

    async def park(self, uow: UnitOfWork, *, handler: str, event: Envelope, customer_number: str) -> None:
        """Keep the event for ``handler`` until the customer has an account; an event already
        parked for it (a redelivery) stays parked once."""
        parked = await ParkedEvents(uow.session).park(
            {
                "id": str(uuid.uuid4()),
                "event_id": str(event.event_id),
                "handler": handler,
                "customer_number": customer_number,
                "sealed_envelope": self.sealer.seal(event.model_dump_json()),
                "parked_at": datetime.now(UTC),
            }
        )
        if parked:
            log.info(
                "event parked until the customer has an account",
                event_id=str(event.event_id),
                handler=handler,
            )

    async def release(self, uow: UnitOfWork, customer_number: str) -> int:
        """Handle the customer's parked events again (their recipient is known in ``uow`` by
        now) and delete them; how many were handled. Idempotent: a handled event is gone, and
        the use cases queue nothing twice for an event."""
        parked_events = ParkedEvents(uow.session)
        now = datetime.now(UTC)
        handled = 0
        for parked in await parked_events.of_customer(customer_number):
            try:
                event = Envelope.model_validate_json(self.sealer.open(parked.sealed_envelope))
                with _replaying(now - parked.parked_at > self.window):
                    await self.replay(uow, parked.handler, event)
                # Written out before the next one, which must see it as if it came later
                # (a final termination fee compared with the provisional one just mailed).
                await uow.session.flush()
            except Exception as exc:
                if isinstance(exc, SQLAlchemyError) or is_transient(exc):
                    raise  # the whole activation is retried
                # One event that cannot be handled (a key rotated since, a handler retired)
                # must not keep the account's address from being known: it stays parked.
                log.warning(
                    "parked event not handled; it stays parked",
                    event_id=parked.event_id,
                    handler=parked.handler,
                    error=type(exc).__name__,
                )
                continue
            await parked_events.remove(parked.id)
            handled += 1
        if handled:
            log.info("parked events handled", count=handled)
        return handled
