"""Downloads: an invoice as PDF (/v1/invoices/{id}/pdf; a Factur-X PDF/A-3 for an e-invoice)
and a proof of address (/v1/proof-of-address)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from billing.api.deps import CustomerDep, NowDep, SettingsDep, UowDep
from billing.use_cases.documents import invoice_pdf, proof_of_address_pdf

router = APIRouter(prefix="/v1", tags=["documents"])

PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


def _problem(description: str) -> dict[int | str, dict[str, Any]]:
    return {404: {"description": description, "content": {"application/problem+json": {}}}}


def _download(filename: str, content: bytes) -> Response:
    return Response(
        content=content,
        media_type="application/pdf",
        headers={
            # The name is ASCII letters, digits, "-" and "." only (domain/invoice_document.py).
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",  # personal data
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/invoices/{invoice_id}/pdf",
    summary="Download one of my invoices as PDF (Factur-X when it is an e-invoice)",
    response_class=Response,
    responses={**PDF, **_problem("No invoice with this id for the caller")},
)
async def my_invoice_pdf(
    invoice_id: Annotated[str, Path(min_length=1, max_length=36)],
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
) -> Response:
    return _download(*await invoice_pdf(uow, settings, customer.customer_number, invoice_id))


@router.get(
    "/proof-of-address",
    summary="Download a proof of address: the supply address of my latest invoice's contract",
    response_class=Response,
    responses={**PDF, **_problem("No invoice yet (of this contract), or its supply address is unknown")},
)
async def my_proof_of_address(
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
    contract_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="One of my contracts; default: the contract of my latest invoice",
        ),
    ] = None,
) -> Response:
    return _download(
        *await proof_of_address_pdf(uow, settings, customer.customer_number, contract_id=contract_id, now=now)
    )
