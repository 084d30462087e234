"""/v1/access-requests and /v1/invitations: portal access for someone without the registration
details, decided by operations (/v1/admin/access-requests)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status

from identity.api.deps import MailSecretsDep, NowDep, SettingsDep
from identity.api.schemas import (
    Accepted,
    AccessRefusal,
    AccessRequestBody,
    AccessRequestOut,
    InvitationAcceptance,
    SessionTokens,
)
from identity.api.sessions import session_body
from identity.use_cases.access_requests import (
    accept_invitation,
    approve_access_request,
    list_access_requests,
    refuse_access_request,
    request_access,
)
from portal_chassis.auth import OperatorDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(tags=["portal access"])
admin = APIRouter(prefix="/v1/admin/access-requests", tags=["operations"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "`not-authenticated`: no valid operations token.", **_PROBLEM},
    404: {"description": "`access-request-not-found`.", **_PROBLEM},
    409: {"description": "`access-request-decided` (already approved or refused).", **_PROBLEM},
}

REQUESTED = Accepted(
    detail="Thank you. Customer service checks your details and emails you within a few working "
    "days: a link to choose your password, or why we could not give you access."
)

RequestId = Annotated[str, Path(min_length=1, max_length=36)]


@router.post(
    "/v1/access-requests",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask customer service for a portal account (without registration details)",
)
async def ask_for_access(body: AccessRequestBody, uow: UowDep, now: NowDep) -> Accepted:
    await request_access(
        uow,
        name=body.name,
        customer_number=body.customer_number,
        email=str(body.email),
        language=body.language,
        now=now,
    )
    return REQUESTED  # the same answer whatever was sent


@router.post(
    "/v1/invitations/accept",
    summary="Choose the first password with the invitation link's token; answers a session",
    responses={
        400: {"description": "`invitation-invalid`: unknown, used or expired link.", **_PROBLEM},
        422: {
            "description": "`password-rejected` (`rules` lists every rule the password fails; the "
            "link still works) or `validation`.",
            **_PROBLEM,
        },
    },
)
async def accept(
    body: InvitationAcceptance, uow: UowDep, settings: SettingsDep, now: NowDep
) -> SessionTokens:
    tokens = await accept_invitation(
        uow, settings, body.token, body.password, now=now, stay_signed_in=body.stay_signed_in
    )
    return session_body(tokens)


@admin.get(
    "",
    summary="Access requests: open ones oldest first, or decided ones newest first",
    responses={401: _DECISION_ERRORS[401]},
)
async def access_requests(
    operator: OperatorDep,
    uow: UowDep,
    page: PageDep,
    state: Annotated[Literal["open", "decided"], Query()] = "open",
) -> Page[AccessRequestOut]:
    rows, total = await list_access_requests(
        uow, decided=state == "decided", limit=page.limit, offset=page.offset
    )
    return Page(
        items=[AccessRequestOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@admin.post(
    "/{request_id}/approval",
    summary="Approve: open an invited account and mail its set-password link",
    responses={
        **_DECISION_ERRORS,
        409: {
            "description": "`access-request-decided` or `account-exists` (the address has an account).",
            **_PROBLEM,
        },
        422: {"description": "`business-customer`: refuse it with reason business_customer.", **_PROBLEM},
    },
)
async def approve(
    request_id: RequestId,
    operator: OperatorDep,
    uow: UowDep,
    settings: SettingsDep,
    mail_secrets: MailSecretsDep,
    now: NowDep,
) -> AccessRequestOut:
    request = await approve_access_request(uow, settings, mail_secrets, operator, request_id, now=now)
    return AccessRequestOut.model_validate(request)


@admin.post(
    "/{request_id}/refusal",
    summary="Refuse, with the reason the requester is told",
    responses=_DECISION_ERRORS,
)
async def refuse(
    request_id: RequestId, body: AccessRefusal, operator: OperatorDep, uow: UowDep, now: NowDep
) -> AccessRequestOut:
    request = await refuse_access_request(uow, operator, request_id, body.reason, now=now)
    return AccessRequestOut.model_validate(request)
