"""/v1/admin/deliveries: operations read the delivery log and send an email again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime

from notifications.api.deps import NowDep, WakeSenderDep, problem
from notifications.api.schemas import DeliveryOut
from notifications.domain.delivery import DeliveryStatus, EmailKind
from notifications.use_cases.delivery_log import DeliveryFilters, find_deliveries, get_delivery, resend
from portal_chassis.auth import OperatorDep
from portal_chassis.deps import UowDep
from portal_chassis.logging import get_logger
from portal_chassis.pagination import Page, PageDep

log = get_logger(__name__)

router = APIRouter(prefix="/v1/admin/deliveries", tags=["operations"])

DeliveryId = Annotated[str, Path(min_length=1, max_length=36, description="The delivery's id")]


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: problem("No delivery with this id")}
RESEND_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: problem(
        "Not resendable: still queued (delivery-still-queued), never composed "
        "(delivery-never-rendered), past its send_before (delivery-expired), replaced by a newer "
        "request (delivery-superseded), or changed meanwhile (delivery-changed)"
    ),
}


@router.get("", summary="The delivery log, newest first, filtered")
async def list_deliveries(
    operator: OperatorDep,
    page: PageDep,
    uow: UowDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only deliveries in this state")] = None,
    kind: Annotated[EmailKind | None, Query(description="Only this kind of email")] = None,
    customer_number: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    event_id: Annotated[
        str | None,
        Query(min_length=1, max_length=36, description="The event's deliveries and their resent copies"),
    ] = None,
    created_from: Annotated[
        AwareDatetime | None, Query(description="Created at or after this moment (with its offset)")
    ] = None,
    created_to: Annotated[
        AwareDatetime | None, Query(description="Created before this moment (with its offset)")
    ] = None,
) -> Page[DeliveryOut]:
    filters = DeliveryFilters(status, kind, customer_number, event_id, created_from, created_to)
    rows, total = await find_deliveries(uow, filters, limit=page.limit, offset=page.offset)
    return Page(items=[DeliveryOut.of(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/{delivery_id}", summary="One delivery", responses=NOT_FOUND)
async def one_delivery(delivery_id: DeliveryId, operator: OperatorDep, uow: UowDep) -> DeliveryOut:
    return DeliveryOut.of(await get_delivery(uow, delivery_id))


@router.post(
    "/{delivery_id}/resend",
    status_code=202,
    summary="Send an email again: a failed one is retried as it was, a sent one goes out as a new copy",
    responses=RESEND_ERRORS,
)
async def resend_delivery(
    delivery_id: DeliveryId, operator: OperatorDep, uow: UowDep, now: NowDep, wake_sender: WakeSenderDep
) -> DeliveryOut:
    """Answers with the delivery that is now queued: the failed one itself (same id and
    Message-ID, fresh attempts), or the sent one's new copy (its own id, ``resend_of`` the
    original)."""
    resent = await resend(uow, delivery_id, now=now, wake_sender=wake_sender)
    log.info(
        "delivery resent",
        operator=operator.name,
        delivery_id=delivery_id,
        queued_id=resent.delivery.id,
        how=resent.plan.value,
    )
    return DeliveryOut.of(resent.delivery)
