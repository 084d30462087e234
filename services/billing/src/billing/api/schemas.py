"""Billing's HTTP response bodies (never the event models), read straight from the rows.

Amounts are strings with two decimals ("12.34"); quantities, prices and rates are strings
without trailing zeros ("1234.5", "0.21"), so no client has to parse a float.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from billing.domain.invoice import InvoiceKind, InvoiceStatus, LineKind
from portal_schemas.types import Money


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


Exact = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json")]


class _FromRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class InvoiceSummary(_FromRow):
    id: str
    number: str = Field(examples=["F2026-000001"])
    kind: InvoiceKind
    status: InvoiceStatus
    contract_id: str | None
    issued_at: datetime
    issue_date: date = Field(description="Calendar day of issue (Europe/Amsterdam)")
    due_date: date
    period_start: date | None
    period_end: date | None
    total_excl_vat: Money
    vat_total: Money
    total_incl_vat: Money
    currency: Literal["EUR"]
    open_amount: Money = Field(description="Still to be paid; below zero: credit in the customer's favour")
    estimated: bool = Field(description="Part of the consumption is estimated; a real reading corrects it")
    credits_invoice_id: str | None = Field(description="For a credit note: the invoice it corrects")


class InvoiceLineOut(_FromRow):
    position: int
    kind: LineKind
    description: str
    quantity: Exact
    unit: str | None = Field(description="kWh, m3 or GJ; empty for a one-off amount")
    unit_price: Exact = Field(description="Euro per unit, excluding VAT")
    vat_rate: Exact = Field(description="A fraction: 0.21 is 21 %")
    amount_excl_vat: Money
    meter_id: str | None
    register_type: str | None


class VatOut(_FromRow):
    rate: Exact
    base: Money = Field(description="Sum of the line amounts at this rate")
    vat: Money


class InvoiceDetail(InvoiceSummary):
    lines: list[InvoiceLineOut]
    vat: list[VatOut] = Field(description="VAT per rate")
