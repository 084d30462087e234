"""Events produced by the contracts service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from portal_schemas.envelope import EventData
from portal_schemas.types import Money

Commodity = Literal["electricity", "gas", "heat"]
TerminationReason = Literal["switch", "move", "customer_request", "end_of_term", "other"]


class ContractCreated(EventData):
    event_type: ClassVar[str] = "ContractCreated"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A supply contract was concluded for a customer's connection."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    commodity: Commodity
    product_code: str
    start_date: dt.date


class ContractTerminated(EventData):
    event_type: ClassVar[str] = "ContractTerminated"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A contract ends on end_date; the fee is what the conditions charge."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    end_date: dt.date
    reason: TerminationReason
    termination_fee: Money = Field(ge=0)  # what the customer pays, VAT included
    # The same fee split for the invoice; absent in events written before they existed.
    termination_fee_excl_vat: Money | None = Field(default=None, ge=0)
    termination_fee_vat_rate: Decimal | None = Field(default=None, ge=0, le=1)
    fee_is_final: bool = True
