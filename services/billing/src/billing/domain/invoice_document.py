"""What an invoice's PDF and a proof of address say, worked out from the stored rows (no I/O).

The invoice document shows the supplier, whom it is addressed to (the name, or the customer
number alone when billing does not know the name), the billing address (the supply address
when no other is known), the supply address, the contract and invoice numbers, the kind, the
issue and due dates, the period, every line as issued, VAT per rate, the totals and how to pay:

- a total of zero: nothing to pay; below zero: a credit, set off against later invoices or paid
  back;
- a credited invoice: cancelled by its credit note; a paid one: paid;
- otherwise direct debit (collected from the customer's account, shown masked, under the
  mandate) when the customer pays by direct debit, else a transfer of the total to the
  supplier's account quoting the invoice number, before the due date.

The payment method is the customer's current one: a copy downloaded later says how the open
amount is paid now. Amounts are as issued; nothing is recomputed.

Rows come in through the protocols below (the ORM rows satisfy them), secrets already opened
by the caller: this module neither reads the database nor holds a key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

ZERO = Decimal("0.00")


class LineRow(Protocol):
    @property
    def position(self) -> int: ...
    @property
    def description(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit(self) -> str | None: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def vat_rate(self) -> Decimal: ...
    @property
    def amount_excl_vat(self) -> Decimal: ...


class VatRow(Protocol):
    @property
    def rate(self) -> Decimal: ...
    @property
    def base(self) -> Decimal: ...
    @property
    def vat(self) -> Decimal: ...


class InvoiceFacts(Protocol):
    @property
    def number(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def customer_number(self) -> str: ...
    @property
    def issue_date(self) -> date: ...
    @property
    def due_date(self) -> date: ...
    @property
    def period_start(self) -> date | None: ...
    @property
    def period_end(self) -> date | None: ...
    @property
    def total_excl_vat(self) -> Decimal: ...
    @property
    def vat_total(self) -> Decimal: ...
    @property
    def total_incl_vat(self) -> Decimal: ...
    @property
    def open_amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def estimated(self) -> bool: ...
    @property
    def e_invoice(self) -> bool: ...
    @property
    def lines(self) -> Sequence[LineRow]: ...
    @property
    def vat(self) -> Sequence[VatRow]: ...


class CustomerFacts(Protocol):
    @property
    def language(self) -> str: ...
    @property
    def billing_street(self) -> str | None: ...
    @property
    def billing_house_number(self) -> int | None: ...
    @property
    def billing_house_number_addition(self) -> str | None: ...
    @property
    def billing_postcode(self) -> str | None: ...
    @property
    def billing_city(self) -> str | None: ...
    @property
    def payment_method(self) -> str: ...
    @property
    def mandate_reference(self) -> str | None: ...


class ContractFacts(Protocol):
    @property
    def contract_number(self) -> str | None: ...
    @property
    def commodity(self) -> str: ...
    @property
    def start_date(self) -> date: ...
    @property
    def supply_street(self) -> str | None: ...
    @property
    def supply_house_number(self) -> int | None: ...
    @property
    def supply_house_number_addition(self) -> str | None: ...
    @property
    def supply_postcode(self) -> str | None: ...
    @property
    def supply_city(self) -> str | None: ...


@dataclass(frozen=True)
class Supplier:
    """The supplier as its invoices name it (settings)."""

    name: str
    street: str
    postcode: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    vat_number: str
    coc_number: str  # Chamber of Commerce (KvK)
    iban: str
    bic: str
    creditor_id: str  # SEPA creditor identifier, for direct debits


@dataclass(frozen=True)
class PostalAddress:
    street_line: str | None  # "Kerkstraat 12 bis"
    postcode: str | None  # as printed: "3511 AB"
    city: str | None
    country: str = "NL"

    @property
    def lines(self) -> tuple[str, ...]:
        place = " ".join(part for part in (self.postcode, self.city) if part)
        return tuple(line for line in (self.street_line, place) if line)


def postal_address(
    street: str | None,
    house_number: int | None,
    addition: str | None,
    postcode: str | None,
    city: str | None,
) -> PostalAddress | None:
    """An address from its stored parts, as many as are known; None when none is."""
    street_line = " ".join(str(part) for part in (street, house_number, addition) if part) or None
    printed = _printed_postcode(postcode)
    if street_line is None and printed is None and not city:
        return None
    return PostalAddress(street_line=street_line, postcode=printed, city=city or None)


def _printed_postcode(postcode: str | None) -> str | None:
    """Dutch postcodes are stored "3511AB" and printed "3511 AB"."""
    if not postcode:
        return None
    return f"{postcode[:4]} {postcode[4:]}" if re.fullmatch(r"[1-9][0-9]{3}[A-Z]{2}", postcode) else postcode


def masked_iban(iban: str) -> str:
    """Country, check digits and the last four, as the portal shows it: ``NL91 **** 4300``."""
    return f"{iban[:4]} **** {iban[-4:]}"


PaymentKind = Literal["direct_debit", "transfer", "nothing_to_pay", "credit", "paid", "credited"]


@dataclass(frozen=True)
class PaymentInstruction:
    kind: PaymentKind
    amount: Decimal  # the total incl. VAT (a credit: its absolute value)
    due_date: date
    reference: str  # the invoice number, to quote with a transfer
    masked_iban: str | None = None  # the customer's account, for a direct debit
    mandate_reference: str | None = None


def payment_instruction(
    *,
    total: Decimal,
    status: str,
    due_date: date,
    number: str,
    payment_method: str,
    iban: str | None,
    mandate_reference: str | None,
) -> PaymentInstruction:
    def make(kind: PaymentKind, **extra: str | None) -> PaymentInstruction:
        return PaymentInstruction(kind, abs(total), due_date, number, **extra)

    if total == 0:
        return make("nothing_to_pay")
    if total < 0:
        return make("credit")
    if status == "credited":
        return make("credited")
    if status == "paid":
        return make("paid")
    if payment_method == "direct_debit" and iban is not None:
        return make("direct_debit", masked_iban=masked_iban(iban), mandate_reference=mandate_reference)
    return make("transfer")


@dataclass(frozen=True)
class DocumentLine:
    position: int
    description: str
    quantity: Decimal
    unit: str | None
    unit_price: Decimal  # excl. VAT
    vat_rate: Decimal  # a fraction: 0.21 is 21 %
    amount: Decimal  # excl. VAT


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    language: str
    supplier: Supplier
    customer_number: str
    customer_name: str | None  # None: the name is not known to billing
    address: PostalAddress | None  # where the invoice is addressed: billing, else supply address
    supply_address: PostalAddress | None
    contract_number: str | None
    number: str
    kind: str  # an InvoiceKind
    status: str  # an InvoiceStatus
    issue_date: date
    due_date: date
    period_start: date | None
    period_end: date | None
    estimated: bool
    credits_number: str | None  # a credit note: the number of the invoice it credits
    lines: tuple[DocumentLine, ...]
    vat: tuple[VatLine, ...]
    total_excl_vat: Decimal
    vat_total: Decimal
    total_incl_vat: Decimal
    open_amount: Decimal
    currency: str
    payment: PaymentInstruction
    e_invoice: bool
    # The customer's full IBAN, for the e-invoice's XML (the debited account of a direct
    # debit); the printed page shows it masked only.
    debtor_iban: str | None


def invoice_document(
    invoice: InvoiceFacts,
    customer: CustomerFacts | None,
    contract: ContractFacts | None,
    supplier: Supplier,
    *,
    customer_name: str | None,
    iban: str | None,
    credits_number: str | None = None,
) -> InvoiceDocument:
    """The document of an issued invoice. ``customer_name`` and ``iban`` are the opened values
    of the customer's sealed ones (None where unknown or not openable)."""
    supply = None if contract is None else supply_address_of(contract)
    billing = None if customer is None else billing_address_of(customer)
    method = "transfer" if customer is None else customer.payment_method
    mandate = None if customer is None else customer.mandate_reference
    payment = payment_instruction(
        total=invoice.total_incl_vat,
        status=invoice.status,
        due_date=invoice.due_date,
        number=invoice.number,
        payment_method=method,
        iban=iban,
        mandate_reference=mandate,
    )
    return InvoiceDocument(
        language=customer.language if customer is not None else "nl",
        supplier=supplier,
        customer_number=invoice.customer_number,
        customer_name=customer_name,
        address=billing or supply,
        supply_address=supply,
        contract_number=None if contract is None else contract.contract_number,
        number=invoice.number,
        kind=invoice.kind,
        status=invoice.status,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        estimated=invoice.estimated,
        credits_number=credits_number,
        lines=tuple(
            DocumentLine(
                position=line.position,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                amount=line.amount_excl_vat,
            )
            for line in sorted(invoice.lines, key=lambda line: line.position)
        ),
        vat=tuple(VatLine(v.rate, v.base, v.vat) for v in sorted(invoice.vat, key=lambda v: v.rate)),
        total_excl_vat=invoice.total_excl_vat,
        vat_total=invoice.vat_total,
        total_incl_vat=invoice.total_incl_vat,
        open_amount=invoice.open_amount,
        currency=invoice.currency,
        payment=payment,
        e_invoice=invoice.e_invoice,
        debtor_iban=iban if payment.kind == "direct_debit" else None,
    )


def supply_address_of(contract: ContractFacts) -> PostalAddress | None:
    return postal_address(
        contract.supply_street,
        contract.supply_house_number,
        contract.supply_house_number_addition,
        contract.supply_postcode,
        contract.supply_city,
    )


def billing_address_of(customer: CustomerFacts) -> PostalAddress | None:
    """The billing address, when the customer gave one with at least a street or a city (a
    billing postcode alone does not make an address to send to)."""
    if not customer.billing_street and not customer.billing_city:
        return None
    return postal_address(
        customer.billing_street,
        customer.billing_house_number,
        customer.billing_house_number_addition,
        customer.billing_postcode,
        customer.billing_city,
    )


@dataclass(frozen=True)
class ProofOfAddress:
    """A statement that the supplier supplies energy to the customer at the supply address, as
    on the latest invoice of the contract (002: a copy of an invoice serves as proof)."""

    language: str
    supplier: Supplier
    customer_number: str
    customer_name: str | None
    supply_address: PostalAddress
    contract_number: str | None
    commodity: str
    supplied_since: date
    invoice_number: str  # the latest invoice of the contract
    invoice_date: date
    issued_on: date  # the day the statement was made


def proof_of_address(
    invoice: InvoiceFacts,
    customer: CustomerFacts | None,
    contract: ContractFacts,
    supplier: Supplier,
    *,
    customer_name: str | None,
    today: date,
) -> ProofOfAddress | None:
    """None when the contract's supply address is not known at all."""
    supply = supply_address_of(contract)
    if supply is None:
        return None
    return ProofOfAddress(
        language=customer.language if customer is not None else "nl",
        supplier=supplier,
        customer_number=invoice.customer_number,
        customer_name=customer_name,
        supply_address=supply,
        contract_number=contract.contract_number,
        commodity=contract.commodity,
        supplied_since=contract.start_date,
        invoice_number=invoice.number,
        invoice_date=invoice.issue_date,
        issued_on=today,
    )


def _safe(text: str) -> str:
    """ASCII letters, digits, "-" and "." only: safe in a header and any file system."""
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")[:80]


def invoice_filename(number: str) -> str:
    return f"{_safe(f'invoice-{number}')}.pdf"


def proof_of_address_filename(day: date) -> str:
    return f"{_safe(f'proof-of-address-{day.isoformat()}')}.pdf"
