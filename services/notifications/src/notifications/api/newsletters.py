"""/v1/admin/campaigns (operations send a newsletter) and /v1/unsubscribe/{token} (the
one-click unsubscribe address of RFC 8058 that mail clients POST to, without any log-in)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from notifications.api.deps import MailRoomDep, NowDep, problem
from notifications.api.newsletter_schemas import (
    CampaignDeliveries,
    CampaignOut,
    CampaignQueued,
    CampaignRequest,
    SubscriptionOut,
)
from notifications.domain.unsubscribe import TOKEN_MAX_LENGTH
from notifications.use_cases.campaigns import campaign_report, send_campaign
from notifications.use_cases.unsubscribe import Subscription, look_at_link, unsubscribe
from portal_chassis.auth import OperatorDep
from portal_chassis.deps import UowDep

admin = APIRouter(prefix="/v1/admin/campaigns", tags=["operations"])
router = APIRouter(prefix="/v1/unsubscribe", tags=["newsletters"])


CampaignId = Annotated[str, Path(min_length=1, max_length=36, description="The campaign's id")]
Token = Annotated[
    str, Path(min_length=1, max_length=TOKEN_MAX_LENGTH, description="From the List-Unsubscribe header")
]


_OPERATOR: dict[int | str, dict[str, Any]] = {401: problem("`not-authenticated`: no valid operations token")}
_UNKNOWN_LINK: dict[int | str, dict[str, Any]] = {
    404: problem("`unsubscribe-link-unknown`: not a link we made (made up, altered or cut)")
}
# RFC 8058: the client POSTs "List-Unsubscribe=One-Click" as a form; the body is not needed.
_ONE_CLICK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}},
                }
            }
        },
    }
}


@admin.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a newsletter to every account opted in to it (each POST is a new campaign)",
    responses={**_OPERATOR, 422: problem("`validation`: the field is named; nothing is queued")},
)
async def post_campaign(
    body: CampaignRequest, operator: OperatorDep, uow: UowDep, room: MailRoomDep
) -> CampaignQueued:
    queued = await send_campaign(
        uow, room, newsletter=body.newsletter, content=body.content.texts(), operator=operator.name
    )
    return CampaignQueued(id=queued.id, newsletter=queued.newsletter, queued=queued.queued)


@admin.get(
    "/{campaign_id}",
    summary="A campaign and what became of its emails",
    responses={**_OPERATOR, 404: problem("`campaign-not-found`")},
)
async def get_campaign(campaign_id: CampaignId, operator: OperatorDep, uow: UowDep) -> CampaignOut:
    report = await campaign_report(uow, campaign_id)
    return CampaignOut(
        id=report.id,
        newsletter=report.newsletter,
        created_by=report.created_by,
        created_at=report.created_at,
        recipients=report.recipients,
        deliveries=CampaignDeliveries.model_validate({s.value: n for s, n in report.deliveries.items()}),
    )


@router.post(
    "/{token}",
    summary="Unsubscribe from the newsletter this link was sent with (one click, no log-in)",
    responses=_UNKNOWN_LINK,
    openapi_extra=_ONE_CLICK_BODY,
)
async def post_unsubscribe(token: Token, uow: UowDep, room: MailRoomDep, now: NowDep) -> SubscriptionOut:
    return _answer(await unsubscribe(uow, room, token, now=now), looked_only=False)


@router.get(
    "/{token}",
    summary="What this unsubscribe link does (changes nothing: a POST unsubscribes)",
    responses=_UNKNOWN_LINK,
)
async def get_unsubscribe(token: Token, uow: UowDep, room: MailRoomDep) -> SubscriptionOut:
    return _answer(await look_at_link(uow, room, token), looked_only=True)


def _answer(subscription: Subscription, *, looked_only: bool) -> SubscriptionOut:
    if not looked_only:
        detail = "Unsubscribed: no more of this newsletter. Service emails keep coming."
    elif subscription.subscribed:
        detail = "POST to this address to unsubscribe from this newsletter."
    else:
        detail = "Not subscribed to this newsletter."
    return SubscriptionOut(
        newsletter=subscription.newsletter, subscribed=subscription.subscribed, detail=detail
    )
