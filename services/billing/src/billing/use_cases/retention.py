"""The retention purge (``python -m billing purge-documents``): invoices whose retention is over
are removed with everything that refers to them (lines, VAT, allocations, dunning steps,
debit items, card checkouts, settlement indexes).

Kept all the same: open invoices (something is still to be paid or set off), and an invoice
a kept one still refers to (the invoice a kept credit note credits; a credit note whose credit
settled a kept invoice), so nothing kept loses what it points to. A second run finds nothing
left to remove; nothing younger than the cutoff is ever touched.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from billing.db.repositories import DocumentRetention
from billing.domain.retention import cutoff
from billing.settings import BillingSettings
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)


async def purge_documents(uow: UnitOfWork, settings: BillingSettings, *, today: date) -> dict[str, Any]:
    """Removes what is due and commits; returns a summary."""
    before = cutoff(today, settings.document_retention_years)
    retention = DocumentRetention(uow.session)
    expired = await retention.expired(before)
    purged = set(expired)
    # Keeping one invoice can make another one needed (a kept credit note keeps the invoice it
    # credits): repeat until nothing more is kept. Every round keeps at least one more.
    while needed := await retention.still_needed(purged):
        purged -= needed
    rows = await retention.delete(purged)
    await uow.commit()
    summary = {
        "today": today.isoformat(),
        "retention_years": settings.document_retention_years,
        "issued_before": before.isoformat(),
        "invoices_purged": len(purged),
        "kept_still_referred_to": len(expired) - len(purged),
        "rows_deleted": rows,
    }
    log.info("documents purged", **summary)
    return summary
