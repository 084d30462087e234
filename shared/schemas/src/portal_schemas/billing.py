"""Events produced by the billing service."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from portal_schemas.envelope import EventData
from portal_schemas.types import Money

InvoiceKind = Literal[
    "advance", "periodic", "quarterly", "annual_settlement", "final_settlement", "credit_note"
]


class InvoiceIssued(EventData):
    event_type: ClassVar[str] = "InvoiceIssued"
    domain: ClassVar[str] = "billing"
    summary: ClassVar[str] = "A finalized invoice or credit note is in the customer's mailbox."

    invoice_id: str
    invoice_number: str
    customer_number: str = Field(min_length=1, max_length=20)
    contract_id: str | None = None
    kind: InvoiceKind
    issued_at: AwareDatetime
    due_date: dt.date
    total_incl_vat: Money
    currency: Literal["EUR"] = "EUR"
