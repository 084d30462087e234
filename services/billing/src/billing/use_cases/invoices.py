"""What a customer may see of their invoices."""

from __future__ import annotations

from billing.db.repositories import Invoices
from billing.db.tables import InvoiceRow
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork


async def list_invoices(
    uow: UnitOfWork,
    customer_number: str,
    *,
    limit: int,
    offset: int,
    year: int | None = None,
    status: str | None = None,
) -> tuple[list[InvoiceRow], int]:
    return await Invoices(uow.session).page_for_customer(
        customer_number, limit=limit, offset=offset, year=year, status=status
    )


async def get_invoice(uow: UnitOfWork, customer_number: str, invoice_id: str) -> InvoiceRow:
    row = await Invoices(uow.session).for_customer(invoice_id, customer_number)
    if row is None:
        # Someone else's invoice answers exactly like a missing one, so ids cannot be probed.
        raise ProblemError(404, "invoice-not-found", "There is no invoice with this id.")
    return row
