"""Bodies of the balance, card-payment, provider-webhook and payment-registration endpoints.

Amounts are strings with two decimals ("12.34"), as on invoices.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from billing.use_cases.card_payments import WebhookOutcome
from billing.use_cases.registered_payments import RegisteredChannel
from portal_chassis.problems import MEDIA_TYPE
from portal_schemas.billing import PaymentChannel
from portal_schemas.types import Money

# No payment or returned debit of this suite is older: an earlier day is a typo.
EARLIEST_DAY = date(2000, 1, 1)


def problem(description: str) -> dict[str, Any]:
    """An error answer in the OpenAPI document: a problem document (RFC 9457)."""
    return {"description": description, "content": {MEDIA_TYPE: {}}}


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

    @field_validator("created")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        try:
            return value.astimezone(UTC)
        except OverflowError:  # the first or last hours of the calendar, with an offset
            raise ValueError("not a moment in UTC's range") from None


class WebhookAnswer(BaseModel):
    outcome: WebhookOutcome


class PaymentIn(BaseModel):
    customer_number: str = Field(min_length=1, max_length=20)
    channel: RegisteredChannel
    # A larger sum is a typo, and a customer's credit (the sum of their payments) must still be
    # an amount the balance can show.
    amount: Decimal = Field(
        gt=0, max_digits=10, decimal_places=2, description="At most 99999999.99", examples=["125.00"]
    )
    reference: str = Field(
        min_length=1, max_length=100, description="The bank's reference or the cheque number: booked once"
    )
    received_on: date = Field(ge=EARLIEST_DAY, description="Not before 2000-01-01, not after today")


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_number: str
    channel: PaymentChannel
    reference: str
    amount: Money
    received_at: datetime
    unallocated: Money = Field(description="Not used for an invoice: the customer's credit")
    status: Literal["booked", "returned"]
