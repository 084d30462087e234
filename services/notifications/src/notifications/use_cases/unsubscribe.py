"""One-click unsubscribe (RFC 8058): the newsletter's link turns that newsletter off.

Notifications stops sending it at once (its own read model), and tells identity, which owns the
preferences, with MarketingUnsubscribed; identity's PreferencesChanged then brings every read
model, this one included, to the same answer. Looking at the link (GET) changes nothing: mail
scanners and previews follow links, and only a deliberate POST may unsubscribe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from notifications.db.repositories import Recipients
from notifications.db.tables import Recipient
from notifications.domain.unsubscribe import Unsubscription, read_unsubscribe_token
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.notifications import MarketingTopic, MarketingUnsubscribed

log = get_logger(__name__)


@dataclass(frozen=True)
class Subscription:
    newsletter: MarketingTopic
    subscribed: bool  # whether the account gets this newsletter (after the request)


async def look_at_link(uow: UnitOfWork, room: MailRoom, token: str) -> Subscription:
    """What the link is for and where the account stands; changes nothing."""
    wanted = _read(room, token)
    recipient = await Recipients(uow.session).for_account(wanted.account_id)
    return Subscription(wanted.newsletter, _subscribed(recipient, wanted.newsletter))


async def unsubscribe(uow: UnitOfWork, room: MailRoom, token: str, *, now: datetime) -> Subscription:
    """Turn the link's newsletter off for its account; again (or for an account that is not
    subscribed) changes and announces nothing."""
    wanted = _read(room, token)
    recipient = await Recipients(uow.session).for_account(wanted.account_id)
    if recipient is not None and _subscribed(recipient, wanted.newsletter):
        setattr(recipient, wanted.newsletter, False)
        recipient.preferences_updated_at = now
        uow.emit(
            MarketingUnsubscribed(
                account_id=wanted.account_id, newsletter=wanted.newsletter, unsubscribed_at=now
            ),
            subject=wanted.account_id,
        )
        await uow.commit()
        log.info("unsubscribed from a newsletter", account_id=wanted.account_id, newsletter=wanted.newsletter)
    return Subscription(wanted.newsletter, subscribed=False)


def _read(room: MailRoom, token: str) -> Unsubscription:
    found = read_unsubscribe_token(room.settings.unsubscribe_key, token)
    if found is None:
        # The same answer for a made-up, altered or cut link: nothing to learn from trying.
        raise ProblemError(404, "unsubscribe-link-unknown", "This unsubscribe link is not one of ours.")
    return found


def _subscribed(recipient: Recipient | None, newsletter: MarketingTopic) -> bool:
    return recipient is not None and getattr(recipient, newsletter) is True
