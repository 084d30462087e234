"""Contracts' HTTP request and response bodies (never the event models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.api.overview_schemas import MeterLocation, OverviewOut
from contracts.db.tables import Contract
from contracts.domain.contract import Status, shown_status
from contracts.domain.termination_fee import FeeBasis, FeeQuote
from contracts.use_cases.overview import Overview
from portal_schemas.contracts import Commodity, TerminationReason, UnilateralChangeKind
from portal_schemas.types import Money


class ContractOut(BaseModel):
    id: str
    contract_number: str = Field(description="The 9-digit number on letters and invoices.")
    supply_postcode: str = Field(description="Postcode of the connection supplied, e.g. 1234AB.")
    commodity: Commodity
    product_code: str
    start_date: date
    fixed_term_end: date | None = Field(
        description="Last day of the fixed term; null for an indefinite variable contract."
    )
    status: Status
    end_date: date | None = Field(description="Last day of supply once a termination exists.")
    termination_reason: TerminationReason | None
    termination_fee: Money | None = Field(description="Euro incl. VAT, once terminated.")
    termination_fee_is_final: bool | None
    meter_location: MeterLocation = Field(
        "unknown", description="Self-reading is offered only for a meter indoors."
    )
    overview: OverviewOut | None = Field(
        None, description="Today's prices, expected consumption, price guarantee and options."
    )

    @classmethod
    def of(cls, contract: Contract, today: date, overview: Overview | None = None) -> ContractOut:
        return cls(
            id=contract.id,
            contract_number=contract.contract_number,
            supply_postcode=contract.supply_postcode,
            commodity=contract.commodity,
            product_code=contract.product_code,
            start_date=contract.start_date,
            # The term in force today (a switch, renewal or rollover changes it).
            fixed_term_end=contract.fixed_term_end if overview is None else overview.terms.fixed_term_end,
            status=shown_status(contract.status, contract.end_date, today),
            end_date=contract.end_date,
            termination_reason=contract.termination_reason,
            termination_fee=contract.termination_fee,
            termination_fee_is_final=contract.termination_fee_final,
            meter_location=contract.meter_location,
            overview=None if overview is None else OverviewOut.of(overview),
        )


class TerminationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    end_date: date = Field(description="Last day of supply (Europe/Amsterdam calendar day).")
    reason: TerminationReason


class FeeOut(BaseModel):
    total_incl_vat: Money
    amount_excl_vat: Money
    vat: Money
    basis: FeeBasis = Field(description="Why the fee is what it is.")
    remaining_days: int = Field(description="Days of the fixed term left after the end date.")
    is_final: bool = Field(description="False while the fee depends on the actual last day of supply.")

    @classmethod
    def of(cls, quote: FeeQuote) -> FeeOut:
        return cls(
            total_incl_vat=quote.total,
            amount_excl_vat=quote.amount_excl_vat,
            vat=quote.vat,
            basis=quote.basis,
            remaining_days=quote.remaining_days,
            is_final=not quote.depends_on_end_date,
        )


class TerminationOut(BaseModel):
    contract_id: str
    status: Status
    end_date: date
    reason: TerminationReason
    fee: FeeOut


class FeeQuoteOut(BaseModel):
    contract_id: str
    end_date: date
    indicative: bool = True
    fee: FeeOut


# --- Customer data, contract requests, moves, withdrawals, co-holders -------------------------


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    street: str = Field(max_length=200)
    house_number: int
    house_number_addition: str | None = Field(None, max_length=20)
    postcode: str = Field(max_length=20, description="Dutch postcode, e.g. 1234AB or 1234 ab.")
    city: str = Field(max_length=200)


class AddressOut(BaseModel):
    street: str
    house_number: int
    house_number_addition: str | None
    postcode: str
    city: str


class CustomerOut(BaseModel):
    customer_number: str
    name: str
    segment: str
    language: str
    phone: str | None
    billing_address: AddressOut | None = Field(description="Null while only a postcode is known.")
    billing_postcode: str | None
    payment_method: str
    iban: str | None = Field(description="Masked: country, check digits and the last four characters.")


class ContactChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(max_length=40, description="Null or empty removes the phone number.")


class PaymentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["direct_debit", "transfer"]
    iban: str | None = Field(None, max_length=50, description="Required for direct debit.")


class ContractRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commodity: Literal["electricity", "gas"]
    product_code: str = Field(max_length=50)
    ean: str = Field(max_length=40, description="The connection's 18-digit EAN code.")
    capacity: str = Field(
        max_length=40, description='Electricity: phases x amperes, e.g. "3x25A"; gas: m3(n)/h, e.g. "6".'
    )
    supply_address: AddressIn
    desired_start_date: date | None = Field(
        None, description="Between 30 days and 6 months after today; default: see the start rules."
    )
    current_contract_end: date | None = Field(
        None, description="Last day of your current contract with another supplier, if known."
    )


class HistoryItem(BaseModel):
    kind: str
    occurred_at: datetime


class ContractRequestOut(BaseModel):
    id: str
    contract_id: str
    contract_number: str
    commodity: str
    product_code: str
    ean: str | None
    capacity: str | None
    supply_address: AddressOut | None
    requested_on: date
    desired_start_date: date | None
    current_contract_end: date | None
    start_date: date
    status: Status
    withdrawal_until: date | None = Field(
        description="Last day on which the contract can be withdrawn free of charge; "
        "null until the request is confirmed (and for a refused one)."
    )
    refusal_reason: str | None = Field(None, description="Why the request was refused.")
    history: list[HistoryItem]


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    move_out_date: date
    new_address: AddressIn | None = Field(
        None, description="Leave out: the contracts end on the move-out date."
    )
    move_in_date: date | None = None
    contract_ids: list[str] | None = Field(
        None, max_length=20, description="Default: all current contracts (at one address)."
    )


class MoveOut(BaseModel):
    id: str
    move_out_date: date
    move_in_date: date | None
    new_postcode: str | None
    contract_ids: list[str]
    outcome: Literal["moved", "terminated"]


class WithdrawalOut(BaseModel):
    contract_id: str
    status: Status
    last_supply_day: date | None
    fee: Money = Field(description="Always 0.00: withdrawal is free of charge.")


class CoHolderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=300)
    email: str | None = Field(None, max_length=300)
    phone: str | None = Field(None, max_length=40)


class CoHolderOut(BaseModel):
    id: str
    contract_id: str
    name: str
    email: str | None
    phone: str | None
    added_by: str
    added_at: datetime


class RenewalAcceptance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_code: str = Field(min_length=1, max_length=50, description="A fixed-term product on sale.")


class RenewalOut(BaseModel):
    contract_id: str
    product_code: str
    fixed_term_end: date = Field(description="Last day of the new fixed term.")
    effective_from: date = Field(description="First day of the new term: the day after the old one ends.")


class UnilateralChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: UnilateralChangeKind
    effective_date: date = Field(description="At least 30 days ahead.")
    description: str = Field(min_length=1, max_length=2000, description="What changes; goes into the mail.")
    commodity: Commodity | None = Field(default=None, description="Only contracts of this commodity.")
    product_codes: list[str] = Field(
        default_factory=list, max_length=100, description="Only contracts on these products; empty: all."
    )


class UnilateralChangeOut(BaseModel):
    change_id: str
    effective_date: date
    contracts_notified: int


class FeeAdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_excl_vat: Money | None = Field(
        default=None, ge=0, description="The lower fee, euro excluding VAT (VAT is added)."
    )
    waive: bool = False
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _one_of(self) -> FeeAdjustmentIn:
        if self.waive == (self.amount_excl_vat is not None):
            raise ValueError("give either amount_excl_vat or waive: true")
        return self


class FeeAdjustmentOut(BaseModel):
    contract_id: str
    termination_fee: Money = Field(description="The provisional fee now, euro incl. VAT.")
    amount_excl_vat: Money


class RefusalIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Told to the customer.")
