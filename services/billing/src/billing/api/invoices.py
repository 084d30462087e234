"""/v1/invoices: the caller's invoices (by issue year and status) and one invoice with its lines."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from billing.api.deps import CustomerDep, UowDep
from billing.api.schemas import InvoiceDetail, InvoiceSummary
from billing.domain.invoice import InvoiceStatus
from billing.use_cases.invoices import get_invoice, list_invoices
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "No invoice with this id for the caller",
        "content": {"application/problem+json": {}},
    }
}


@router.get("", summary="My invoices, newest first")
async def my_invoices(
    customer: CustomerDep,
    page: PageDep,
    uow: UowDep,
    year: Annotated[int | None, Query(ge=1, le=9999, description="Only invoices issued in this year")] = None,
    status: Annotated[InvoiceStatus | None, Query(description="Only invoices with this status")] = None,
) -> Page[InvoiceSummary]:
    rows, total = await list_invoices(
        uow, customer.customer_number, limit=page.limit, offset=page.offset, year=year, status=status
    )
    return Page(
        items=[InvoiceSummary.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{invoice_id}", summary="One of my invoices, with its lines", responses=NOT_FOUND)
async def my_invoice(
    invoice_id: Annotated[str, Path(min_length=1, max_length=36)],
    customer: CustomerDep,
    uow: UowDep,
) -> InvoiceDetail:
    row = await get_invoice(uow, customer.customer_number, invoice_id)
    return InvoiceDetail.model_validate(row)
