"""Request and response bodies of the advance and billing-mode endpoints.

Amounts are euro incl. VAT as strings with two decimals ("85.00"); a request may send the
amount as a string or a JSON number, with at most two decimals.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from billing.use_cases.advances import AdvanceSchedule, AdvanceView
from billing.use_cases.billing_modes import ModeView
from portal_schemas.billing import BillingMode
from portal_schemas.types import Money


class AdvanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(
        ge=0,
        max_digits=8,
        decimal_places=2,
        description="The new monthly advance in euro, VAT included",
        examples=["85.00"],
    )

    @field_validator("amount")
    @classmethod
    def _no_negative_zero(cls, amount: Decimal) -> Decimal:
        # "-0" passes ge=0; kept as it is, it would be stored, shown and announced as "-0.00".
        return abs(amount)


class AdvanceOut(BaseModel):
    contract_id: str
    billing_mode: BillingMode = Field(description="How the contract is billed today")
    current_amount: Money | None = Field(
        description="The monthly advance in force today (before the start: the first one); "
        "null without an advance plan"
    )
    recommended_amount: Money | None = Field(
        description="Expected yearly consumption x the tariffs in force from next_period_start, "
        "plus fixed costs, incl. VAT, / 12, in whole euros; null when not known"
    )
    minimum_amount: Money = Field(description="The lowest advance the customer may choose")
    maximum_amount: Money = Field(description="The highest advance the customer may choose")
    next_period_start: date = Field(description="A change applies from this day: the next billing period")
    next_period_amount: Money | None = Field(
        description="The advance from next_period_start when a change is pending; null otherwise"
    )

    @classmethod
    def of(cls, view: AdvanceView) -> AdvanceOut:
        return cls(
            contract_id=view.contract_id,
            billing_mode=view.billing_mode,
            current_amount=view.current_amount,
            recommended_amount=view.recommended_amount,
            minimum_amount=view.bounds.minimum,
            maximum_amount=view.bounds.maximum,
            next_period_start=view.next_period_start,
            next_period_amount=view.next_period_amount,
        )


class BillingModeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: BillingMode = Field(
        description="monthly_advance: a monthly advance and an annual settlement; quarterly: an "
        "invoice per calendar quarter; on_reading: an invoice when a reading arrives"
    )


class BillingModeOut(BaseModel):
    contract_id: str
    mode: BillingMode = Field(description="How the contract is billed today")
    next_mode: BillingMode | None = Field(description="The mode from next_mode_from, when a change waits")
    next_mode_from: date | None

    @classmethod
    def of(cls, view: ModeView) -> BillingModeOut:
        return cls(
            contract_id=view.contract_id,
            mode=view.mode,
            next_mode=view.next_mode,
            next_mode_from=view.next_mode_from,
        )


class ScheduledMonthOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month: date = Field(description="The month's first day")
    amount: Money | None = Field(description="The advance for the month, VAT included; null without a plan")
    status: str = Field(
        description="planned (not invoiced yet), or the advance invoice's status: open, paid, credited",
        examples=["planned"],
    )
    invoice_id: str | None
    invoice_number: str | None
    due_date: date | None


class AdvanceScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    contract_id: str
    billing_mode: BillingMode = Field(description="How the contract is billed today")
    year_begins: date = Field(description="The contract year's first day: the start or the last anniversary")
    settlement_after: date = Field(description="The annual settlement covers the year up to this day")
    months: list[ScheduledMonthOut] = Field(
        description="The months the advance run invoices in this contract year; empty when the contract "
        "is not billed by monthly advances"
    )

    @classmethod
    def of(cls, schedule: AdvanceSchedule) -> AdvanceScheduleOut:
        return cls.model_validate(schedule)
