"""A newsletter's one-click unsubscribe, as notifications reports it (MarketingUnsubscribed):
the account's preference for that newsletter goes off, announced like a change in the settings
(PreferencesChanged, the whole set), so every read model follows.

The customer's own later choice wins: when the newsletter preferences were set in the settings
after the click (subscribed again, say), the unsubscribe changes nothing. Already off, or an
account that no longer exists: nothing to do, nothing announced.
"""

from __future__ import annotations

from identity.db.repositories import Accounts
from identity.use_cases.account_settings import announce_preferences
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.notifications import MarketingUnsubscribed

log = get_logger(__name__)


async def unsubscribe_from_newsletter(uow: UnitOfWork, data: MarketingUnsubscribed) -> None:
    account = await Accounts(uow.session).get(data.account_id)
    if account is None:
        log.info("unsubscribe for an account not known here", account_id=data.account_id)
        return
    chosen_at = account.preferences_chosen_at
    if chosen_at is not None and chosen_at > data.unsubscribed_at:
        log.info(
            "unsubscribe older than the account's own choice; kept the choice",
            account_id=account.id,
            newsletter=data.newsletter,
        )
        return
    if not getattr(account, data.newsletter):
        return
    # Not a choice in the settings (preferences_chosen_at stays): unsubscribes from two
    # newsletters apply both, in whatever order they arrive.
    setattr(account, data.newsletter, False)
    announce_preferences(uow, account)
    log.info("unsubscribed from a newsletter", account_id=account.id, newsletter=data.newsletter)
