"""Events produced by the contracts service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, Field, PlainSerializer

from portal_schemas.envelope import EventData
from portal_schemas.types import Language, Money, Quantity

Commodity = Literal["electricity", "gas", "heat"]
Segment = Literal["private", "business"]
# Dutch postcode as stored everywhere: four digits (no leading zero) and two capitals, no space.
Postcode = Annotated[str, Field(pattern=r"^[1-9][0-9]{3}[A-Z]{2}$")]
TerminationReason = Literal["switch", "move", "customer_request", "end_of_term", "other"]
# Registers a tariff prices, named as metering names them (portal_schemas.metering.Register).
TariffRegister = Literal[
    "electricity_single", "electricity_normal", "electricity_offpeak", "gas", "heat", "hot_water"
]


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
    # The connection supplied (18-digit EAN) and its postcode; absent when not known (contracts
    # created by operations without them, events written before they existed).
    ean: str | None = Field(default=None, pattern=r"^[0-9]{18}$")
    supply_postcode: Postcode | None = None
    # The rest of the supply address (invoices and the proof of address print it); absent when
    # operations created the contract with a postcode only.
    supply_street: str | None = Field(default=None, max_length=100)
    supply_house_number: int | None = Field(default=None, ge=1)
    supply_house_number_addition: str | None = Field(default=None, max_length=10)
    supply_city: str | None = Field(default=None, max_length=80)
    meter_location: Literal["indoors", "outdoors", "unknown"] = "unknown"
    # Expected consumption per year and register (kWh, m3 or GJ), as agreed in the contract:
    # metering checks readings against it, billing derives the advance from it. Its keys are
    # the registers the connection's meter has (single, or normal and off-peak).
    expected_annual_consumption: dict[TariffRegister, Quantity] = Field(default_factory=dict)


class ContractRequestRefused(EventData):
    """A contract requested in the portal was not confirmed (product no longer offered, start
    of supply too close, or refused by operations): no contract was concluded."""

    event_type: ClassVar[str] = "ContractRequestRefused"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A portal contract request was refused, with the reason."

    request_id: str
    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    commodity: Commodity
    product_code: str
    reason: str = Field(min_length=1, max_length=500)


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


PaymentMethod = Literal["direct_debit", "transfer"]


class CustomerDetailsChanged(EventData):
    """A customer's billing address, contact or payment details changed (the latest event wins).

    For billing: who the invoices are for, where they go and how they are paid. The name and the
    IBAN travel sealed (only services holding the event sealing key can read them); the phone
    number never travels. Contracts also sends one when it creates a customer.
    """

    event_type: ClassVar[str] = "CustomerDetailsChanged"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A customer's billing address and payment method (IBAN sealed)."

    customer_number: str = Field(min_length=1, max_length=20)
    billing_street: str | None = None
    billing_house_number: int | None = Field(default=None, ge=1)
    billing_house_number_addition: str | None = None
    billing_postcode: Postcode | None = None
    billing_city: str | None = None
    payment_method: PaymentMethod
    sealed_iban: str | None = Field(default=None, min_length=1)
    # The customer's name as invoices address it; absent in events written before it travelled.
    sealed_name: str | None = Field(default=None, min_length=1)
    # What this change was about; a contact change (the phone number) carries no contact data:
    # consumers that need it fetch it themselves. Empty in events written before it existed.
    changed: list[Literal["billing_address", "payment", "contact"]] = Field(default_factory=list)


class ContractMoved(EventData):
    """A contract goes along with its customer to a new supply address: supply stops at the old
    address after ``move_out_date`` and starts at the new one on ``move_in_date``. No fee."""

    event_type: ClassVar[str] = "ContractMoved"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A contract moved with its customer to a new supply address."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    move_out_date: dt.date
    move_in_date: dt.date
    old_supply_postcode: Postcode
    new_supply_postcode: Postcode
    # The rest of the new supply address; absent in events written before it travelled.
    new_supply_street: str | None = Field(default=None, max_length=100)
    new_supply_house_number: int | None = Field(default=None, ge=1)
    new_supply_house_number_addition: str | None = Field(default=None, max_length=10)
    new_supply_city: str | None = Field(default=None, max_length=80)


class ContractWithdrawn(EventData):
    """The customer used the right of withdrawal: the contract is void, free of charge.

    ``last_supply_day`` is null when supply never started (the usual case: a new contract starts
    at least 30 days after it is concluded and the withdrawal period is 14 days); otherwise the
    energy already supplied up to that day is settled at the contract's prices, with no fee.
    """

    event_type: ClassVar[str] = "ContractWithdrawn"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A contract was withdrawn within the withdrawal period (no fee)."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    withdrawn_on: dt.date
    last_supply_day: dt.date | None = None


class CoHolderAdded(EventData):
    """Operations added a co-holder (spouse, partner) to a contract. Names and contact details
    stay in contracts; the event carries only the ids."""

    event_type: ClassVar[str] = "CoHolderAdded"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A co-holder was added to a contract."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    co_holder_id: str


ProductKind = Literal["fixed", "variable"]
GasSource = Literal["grey", "green", "green_mix", "co2_compensated"]
# Unit prices need more than cents (euro per kWh with 5 decimals); they travel as strings.
UnitPrice = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=6),
    PlainSerializer(lambda v: str(v), return_type=str, when_used="json"),
]


class TariffPeriodData(BaseModel):
    """One commodity's prices of a product over [valid_from, valid_to), all excluding VAT."""

    commodity: Commodity
    valid_from: dt.date
    valid_to: dt.date | None = None  # null: until a later period is published
    vat_rate: Decimal = Field(ge=0, le=1)
    unit_prices: dict[TariffRegister, UnitPrice]  # euro per kWh, m3 or GJ
    fixed_costs_per_day: UnitPrice  # euro per day
    feed_in_compensation_per_kwh: UnitPrice | None = None
    feed_in_costs_per_kwh: UnitPrice | None = None


class TariffsPublished(EventData):
    """A product of the catalogue and every tariff period it has (the latest event per product
    wins; the topic is compacted, keyed by product code). Billing prices consumption with it."""

    event_type: ClassVar[str] = "TariffsPublished"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A product's name, kind and all its tariff periods (excl. VAT)."

    product_code: str = Field(min_length=1, max_length=50)
    name: str
    kind: ProductKind
    term_months: int | None = Field(default=None, ge=1)  # fixed products only
    commodities: list[Commodity]
    on_sale: bool
    gas_sources: list[GasSource] = Field(default_factory=list)
    periods: list[TariffPeriodData]


class ContractOptions(BaseModel):
    green_electricity: bool = False  # electricity only
    e_invoice: bool = False
    self_reading: bool = False  # metering stops estimating and asks the customer for readings
    gas_source: GasSource | None = None  # gas only


# options: the customer's option change; tariff_switch: another product; renewal: an accepted
# renewal starts a new fixed term; rollover: a fixed term ended unaccepted and the contract
# continues indefinitely at variable prices.
AmendmentKind = Literal["options", "tariff_switch", "renewal", "rollover"]


class ContractAmended(EventData):
    """A contract's product or options change from ``effective_from`` on (a tariff switch or an
    option the customer chose). Carries the complete terms in force from that day."""

    event_type: ClassVar[str] = "ContractAmended"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A contract's product and options from effective_from on."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    commodity: Commodity
    change: AmendmentKind
    effective_from: dt.date
    product_code: str
    options: ContractOptions


class RenewalProposed(EventData):
    """A fixed term ends soon: the customer gets a renewal proposal (notifications mails it).
    Not accepted by ``fixed_term_end``, the contract continues indefinitely at variable prices,
    terminable free of charge with 30 days' notice. One proposal per contract and term."""

    event_type: ClassVar[str] = "RenewalProposed"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A renewal proposal for a fixed term that ends soon."

    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    contract_number: str | None = Field(default=None, pattern=r"^[0-9]{9}$")
    commodity: Commodity
    product_code: str
    fixed_term_end: dt.date


UnilateralChangeKind = Literal["price", "conditions"]


class UnilateralChangeAnnounced(EventData):
    """Operations announced a change of prices or conditions for a contract, effective at
    least 30 days ahead; ending the contract before ``effective_date`` is free of charge."""

    event_type: ClassVar[str] = "UnilateralChangeAnnounced"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A price or conditions change of a contract was announced."

    change_id: str
    contract_id: str
    customer_number: str = Field(min_length=1, max_length=20)
    kind: UnilateralChangeKind
    effective_date: dt.date
    description: str = Field(min_length=1, max_length=2000)


DocumentKind = Literal["confirmation", "tariff_sheet", "technical_card"]


class DocumentAvailable(EventData):
    """A new document is in the customer's mailbox in the portal (a contract confirmation, a
    tariff sheet, a technical information card); notifications tells the customer. The PDF
    itself stays in contracts: the customer downloads it through the portal."""

    event_type: ClassVar[str] = "DocumentAvailable"
    domain: ClassVar[str] = "contracts"
    summary: ClassVar[str] = "A new document is in the customer's portal mailbox."

    customer_number: str = Field(min_length=1, max_length=20)
    contract_id: str
    document_id: str
    kind: DocumentKind
    title: str = Field(min_length=1, max_length=200)
