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
PaymentChannel = Literal["card", "direct_debit", "transfer", "energy_cheque"]
BillingMode = Literal["monthly_advance", "quarterly", "on_reading"]


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
    # A credit note names the invoice it corrects.
    credits_invoice_id: str | None = None
    # Part of the consumption was estimated (no reading in time); a real reading corrects it.
    estimated: bool = False


class AdvanceChanged(EventData):
    """A contract's monthly advance changes from ``effective_from`` (the next billing period)."""

    event_type: ClassVar[str] = "AdvanceChanged"
    domain: ClassVar[str] = "billing"
    summary: ClassVar[str] = "A contract's monthly advance amount changes from a date on."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    amount: Money = Field(ge=0)
    previous_amount: Money | None = Field(default=None, ge=0)
    recommended_amount: Money | None = Field(default=None, ge=0)
    effective_from: dt.date
    changed_by: Literal["customer", "operations", "billing"]


class BillingModeChanged(EventData):
    event_type: ClassVar[str] = "BillingModeChanged"
    domain: ClassVar[str] = "billing"
    summary: ClassVar[str] = "A contract is billed in another way from a date on."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    mode: BillingMode
    previous_mode: BillingMode
    effective_from: dt.date


class PaymentReceived(EventData):
    """Money came in for a customer; what it settled is in the InvoicePaid events beside it."""

    event_type: ClassVar[str] = "PaymentReceived"
    domain: ClassVar[str] = "billing"
    summary: ClassVar[str] = "A payment by card, direct debit, transfer or energy cheque was booked."

    payment_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    channel: PaymentChannel
    amount: Money = Field(gt=0)
    received_at: AwareDatetime
    # Left over after settling every open invoice: the customer's credit.
    unallocated: Money = Field(ge=0)


class PaymentReturned(EventData):
    """A direct debit came back (refused by the bank or reversed by the customer)."""

    event_type: ClassVar[str] = "PaymentReturned"
    domain: ClassVar[str] = "billing"
    summary: ClassVar[str] = "A collected direct debit was returned; its invoices are open again."

    payment_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    amount: Money = Field(gt=0)
    reason_code: str = Field(min_length=1, max_length=10)  # ISO 20022, e.g. AM04, MD06
    returned_at: AwareDatetime


class InvoicePaid(EventData):
    event_type: ClassVar[str] = "InvoicePaid"
    domain: ClassVar[str] = "billing"
    summary: ClassVar[str] = "An invoice is settled in full."

    invoice_id: str
    invoice_number: str
    customer_number: str = Field(min_length=1, max_length=20)
    contract_id: str | None = None
    paid_at: AwareDatetime


class PaymentReminderDue(EventData):
    """A dunning step for an overdue invoice; notifications writes the reminder."""

    event_type: ClassVar[str] = "PaymentReminderDue"
    domain: ClassVar[str] = "billing"
    summary: ClassVar[str] = "An invoice is overdue: reminder step 1, 2, ... with the open amount."

    invoice_id: str
    invoice_number: str
    customer_number: str = Field(min_length=1, max_length=20)
    contract_id: str | None = None
    step: int = Field(ge=1)
    due_date: dt.date
    days_overdue: int = Field(ge=1)
    open_amount: Money = Field(gt=0)
    pay_by: dt.date  # the new deadline this reminder names
