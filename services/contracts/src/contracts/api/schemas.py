"""Contracts' HTTP request and response bodies (never the event models)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from contracts.db.tables import Contract
from contracts.domain.contract import Status, shown_status
from contracts.domain.termination_fee import FeeBasis, FeeQuote
from portal_schemas.contracts import Commodity, TerminationReason
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

    @classmethod
    def of(cls, contract: Contract, today: date) -> ContractOut:
        return cls(
            id=contract.id,
            contract_number=contract.contract_number,
            supply_postcode=contract.supply_postcode,
            commodity=contract.commodity,
            product_code=contract.product_code,
            start_date=contract.start_date,
            fixed_term_end=contract.fixed_term_end,
            status=shown_status(contract.status, contract.end_date, today),
            end_date=contract.end_date,
            termination_reason=contract.termination_reason,
            termination_fee=contract.termination_fee,
            termination_fee_is_final=contract.termination_fee_final,
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
