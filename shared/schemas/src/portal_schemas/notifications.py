"""Events produced by the notifications service."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime

from portal_schemas.envelope import EventData

# What an account may hear about beyond its service mails (identity's PreferencesChanged).
MarketingTopic = Literal["offers", "news", "energy_saving_advice"]


class MarketingUnsubscribed(EventData):
    """The recipient used a newsletter's one-click unsubscribe (RFC 8058): identity turns the
    topic off in the account's preferences, which then announce it as PreferencesChanged."""

    event_type: ClassVar[str] = "MarketingUnsubscribed"
    domain: ClassVar[str] = "notifications"
    summary: ClassVar[str] = "An account unsubscribed from one kind of newsletter by its one-click link."

    account_id: str
    newsletter: MarketingTopic
    unsubscribed_at: AwareDatetime
