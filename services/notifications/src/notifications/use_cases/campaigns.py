"""Newsletters: operations write one (a subject and a text per language), notifications queues
a copy for every account opted in to its topic, each with its own one-click unsubscribe.

Only an explicit yes counts: an account that never answered (None) gets nothing, and so does
one that said no. Every copy is an ordinary delivery, sent by the sender like any other email.
Each POST is a campaign of its own (its id is new), so sending the same text twice sends it
twice; within one campaign an account, and an address, gets one copy.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from notifications.db.repositories import Campaigns
from notifications.db.tables import Campaign
from notifications.domain.delivery import DeliveryStatus, EmailKind
from notifications.domain.links import one_click_unsubscribe_url, preferences_link, unsubscribe_page_link
from notifications.domain.newsletters import paragraphs, recipient_event_id, text_for
from notifications.domain.unsubscribe import unsubscribe_token
from notifications.use_cases.addressees import addressee_of
from notifications.use_cases.queue_email import MailRoom, compose_delivery, wake_sender_after_commit
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.notifications import MarketingTopic
from portal_schemas.types import Language

log = get_logger(__name__)


@dataclass(frozen=True)
class CampaignText:
    subject: str  # one line
    body: str  # plain text; a blank line between paragraphs


@dataclass(frozen=True)
class QueuedCampaign:
    id: str
    newsletter: MarketingTopic
    queued: int


@dataclass(frozen=True)
class CampaignReport:
    id: str
    newsletter: str
    created_by: str
    created_at: datetime
    recipients: int
    deliveries: dict[DeliveryStatus, int]


async def send_campaign(
    uow: UnitOfWork,
    room: MailRoom,
    *,
    newsletter: MarketingTopic,
    content: Mapping[Language, CampaignText],
    operator: str,
) -> QueuedCampaign:
    """Store the campaign and queue one copy per opted-in account, in its language when the
    campaign has that text, in Dutch otherwise."""
    campaigns = Campaigns(uow.session)
    campaign = Campaign(
        id=str(uuid.uuid4()),
        newsletter=newsletter,
        # Sealed like every delivery body: the text may announce offers before they are public.
        sealed_content=room.sealer.seal(
            json.dumps({lang: {"subject": t.subject, "body": t.body} for lang, t in content.items()})
        ),
        created_by=operator[:100],
        created_at=datetime.now(UTC),
        recipients=0,
    )
    campaigns.add(campaign)
    key = room.settings.unsubscribe_key
    addresses: set[str] = set()
    # A new campaign's copies cannot exist yet: composed and added without a lookup each.
    for recipient, sealed_name in await campaigns.opted_in(newsletter):
        address = recipient.email.lower()
        if address in addresses:  # two accounts' read models with one address: one copy
            continue
        addresses.add(address)
        to = addressee_of(room, recipient, sealed_name)
        language, text = text_for(content, to.language)
        token = unsubscribe_token(key, recipient.account_id, newsletter)
        delivery = compose_delivery(
            room,
            event_id=recipient_event_id(campaign.id, recipient.account_id),
            kind=EmailKind.NEWSLETTER,
            to=replace(to, language=language),
            values={
                "newsletter": newsletter,
                "subject_line": text.subject,
                "paragraphs": paragraphs(text.body),
                "unsubscribe_link": unsubscribe_page_link(room.settings.public_url, token),
                "preferences_link": preferences_link(room.settings.public_url),
            },
            list_unsubscribe=one_click_unsubscribe_url(room.settings.api_url, token),
        )
        delivery.campaign_id = campaign.id
        uow.session.add(delivery)
        campaign.recipients += 1
    wake_sender_after_commit(uow, room)
    await uow.commit()
    log.info(
        "newsletter campaign queued",
        campaign_id=campaign.id,
        newsletter=newsletter,
        recipients=campaign.recipients,
        operator=operator,
    )
    return QueuedCampaign(id=campaign.id, newsletter=newsletter, queued=campaign.recipients)


async def campaign_report(uow: UnitOfWork, campaign_id: str) -> CampaignReport:
    campaigns = Campaigns(uow.session)
    campaign = await campaigns.get(campaign_id)
    if campaign is None:
        raise ProblemError(404, "campaign-not-found", "There is no campaign with this id.")
    counts = await campaigns.delivery_counts(campaign_id)
    return CampaignReport(
        id=campaign.id,
        newsletter=campaign.newsletter,
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        recipients=campaign.recipients,
        deliveries={status: counts.get(status.value, 0) for status in DeliveryStatus},
    )
