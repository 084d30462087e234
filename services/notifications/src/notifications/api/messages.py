"""/v1/messages: the emails sent to the signed-in customer (the portal's "messages" page)."""

from __future__ import annotations

from fastapi import APIRouter

from notifications.api.schemas import MessageOut
from notifications.use_cases.delivery_log import customer_messages
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/messages", tags=["messages"])


@router.get("", summary="The emails we sent me (or tried to), newest first; no contents")
async def my_messages(customer: CustomerDep, page: PageDep, uow: UowDep) -> Page[MessageOut]:
    # The customer's and their account's: mails about their contracts and invoices go by
    # customer number, some about the account (activation, email change) by account alone.
    rows, total = await customer_messages(
        uow,
        customer_number=customer.customer_number,
        account_id=customer.account_id,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=[MessageOut.of(r) for r in rows], total=total, limit=page.limit, offset=page.offset)
