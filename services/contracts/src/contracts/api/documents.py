"""/v1/documents: the caller's document mailbox (contract confirmations, tariff sheets,
technical information cards) and the PDFs themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from contracts.db.tables import Document
from contracts.use_cases.documents import document_pdf, list_documents, own_document
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/documents", tags=["documents"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such document for this customer"}}


class DocumentOut(BaseModel):
    id: str
    contract_id: str
    kind: Literal["confirmation", "tariff_sheet", "technical_card"]
    title: str
    created_at: datetime
    size: int  # bytes of the PDF
    content_sha256: str

    @classmethod
    def of(cls, document: Document) -> DocumentOut:
        return cls(
            id=document.id,
            contract_id=document.contract_id,
            kind=document.kind,
            title=document.title,
            created_at=document.created_at,
            size=document.size,
            content_sha256=document.content_sha256,
        )


@router.get("", summary="My documents, newest first")
async def my_documents(customer: CustomerDep, uow: UowDep, page: PageDep) -> Page[DocumentOut]:
    rows, total = await list_documents(uow, customer.customer_number, page)
    return Page(items=[DocumentOut.of(d) for d in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/{document_id}", summary="One of my documents", responses=NOT_FOUND)
async def my_document(document_id: str, customer: CustomerDep, uow: UowDep) -> DocumentOut:
    return DocumentOut.of(await own_document(uow, customer.customer_number, document_id))


@router.get(
    "/{document_id}/pdf",
    summary="Download one of my documents as PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **NOT_FOUND},
)
async def my_document_pdf(document_id: str, customer: CustomerDep, uow: UowDep) -> Response:
    document, content = await document_pdf(uow, customer.customer_number, document_id)
    return Response(
        content=content,
        media_type="application/pdf",
        headers={
            # The stored name is ASCII letters, digits, "-" and "." only (domain/documents.py).
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "Cache-Control": "private, no-store",  # personal data
            "X-Content-Type-Options": "nosniff",
        },
    )
