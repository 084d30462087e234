"""Events produced by the contracts service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field

from portal_schemas.envelope import EventData
from portal_schemas.types import Language, Money

Commodity = Literal["electricity", "gas", "heat"]
Segment = Literal["private", "business"]
# Dutch postcode as stored everywhere: four digits (no leading zero) and two capitals, no space.
Postcode = Annotated[str, Field(pattern=r"^[1-9][0-9]{3}[A-Z]{2}$")]
TerminationReason = Literal["switch", "move", "customer_request", "end_of_term", "other"]


class CustomerRegistered(EventData):
    """A customer exists (or their registration data changed: the latest event wins).

    Identity keeps these facts to check who may open a portal account.
    """

    event_type: ClassVar[str] = "CustomerRegistered"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A customer's number, segment, language and postcodes."

    customer_number: str = Field(min_length=1, max_length=20)
    segment: Segment
    language: Language = "nl"
    supply_postcodes: list[Postcode] = Field(default_factory=list)
    billing_postcode: Postcode | None = None


class ContractCreated(EventData):
    event_type: ClassVar[str] = "ContractCreated"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A supply contract was concluded for a customer's connection."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    commodity: Commodity
    product_code: str
    start_date: dt.date
    # The 9-digit number printed on letters and invoices; absent in events written before it.
    contract_number: str | None = Field(default=None, pattern=r"^[0-9]{9}$")


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


class RegistrationCodeIssued(EventData):
    """A letter with a registration code for a contract goes out by post. The code (8
    characters, case-sensitive) travels sealed; identity keeps only its hash. A newer code for
    the same contract replaces the older one."""

    event_type: ClassVar[str] = "RegistrationCodeIssued"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A registration code for a contract was sent by post (code sealed)."

    contract_id: str
    contract_number: str = Field(pattern=r"^[0-9]{9}$")
    customer_number: str = Field(min_length=1, max_length=20)
    sealed_code: str = Field(min_length=1)
    expires_at: AwareDatetime
