"""Bodies of the balance, card-payment, provider-webhook and payment-registration endpoints.

Amounts are strings with two decimals ("12.34"), as on invoices.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from portal_schemas.types import Money


class BalanceOut(BaseModel):
    as_of: date = Field(description="The calendar day (Europe/Amsterdam) the balance is worked out for")
    open_total: Money = Field(description="Still to pay on open invoices")
    overdue_total: Money = Field(description="Of the open total, what is past its due date")
    overdue: bool = Field(description="True while any invoice is past its due date: show a warning")
    oldest_overdue_due_date: date | None = Field(description="The due date of the oldest overdue invoice")
    credit: Money = Field(description="Payments not yet used and credit notes not yet set off")
    currency: Literal["EUR"] = "EUR"


class CardCheckoutOut(BaseModel):
    checkout_id: str
    redirect_url: str = Field(description="The provider's hosted payment page: send the customer there")


class ProviderPaymentData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    checkout_id: str = Field(min_length=1, max_length=100, description="The provider's checkout id")
    reference: str | None = Field(None, max_length=100, description="Ours: billing's checkout id")
    payment_id: str | None = Field(None, min_length=1, max_length=100)
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)


class ProviderEventIn(BaseModel):
    """A webhook as the provider sends it, after its signature was checked."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=50, examples=["payment.succeeded", "payment.failed"])
    created: AwareDatetime
    data: ProviderPaymentData


class WebhookAnswer(BaseModel):
    outcome: Literal["booked", "already_booked", "declined", "ignored"]


class PaymentIn(BaseModel):
    customer_number: str = Field(min_length=1, max_length=20)
    channel: Literal["transfer", "energy_cheque"]
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2, examples=["125.00"])
    reference: str = Field(
        min_length=1, max_length=100, description="The bank's reference or the cheque number: booked once"
    )
    received_on: date


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_number: str
    channel: Literal["card", "direct_debit", "transfer", "energy_cheque"]
    reference: str
    amount: Money
    received_at: datetime
    unallocated: Money = Field(description="Not used for an invoice: the customer's credit")
    status: Literal["booked", "returned"]
