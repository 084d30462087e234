"""A contract's terms over time: its product and options, and the rules for changing them (pure).

Options: green electricity (electricity contracts), e-invoice, self-reading (only with the
meter indoors, where the customer can reach it) and the gas source (gas contracts, from the
sources the product offers). A change takes effect today or on a later day, never earlier,
and never after supply ends. A tariff switch moves the contract to another product of the
same commodity that is on sale; a fixed product starts a new price guarantee on the switch
day, a variable one has none.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

from contracts.domain.errors import ContractNotActive, DomainError

# Changes further ahead than this are refused: nobody plans options years ahead.
MAX_AHEAD = timedelta(days=366)
CHANGEABLE = ("confirmed", "active")  # a terminating or ended contract keeps its terms
METER_LOCATIONS = ("indoors", "outdoors", "unknown")


class InvalidAmendment(DomainError):
    status = 422
    slug = "invalid-amendment"


class SelfReadingUnavailable(DomainError):
    status = 422
    slug = "self-reading-unavailable"


class UnknownProduct(DomainError):
    status = 422
    slug = "unknown-product"


@dataclass(frozen=True)
class Terms:
    """What is in force from ``effective_from`` on."""

    effective_from: date
    product_code: str
    fixed_term_end: date | None
    green_electricity: bool = False
    e_invoice: bool = False
    self_reading: bool = False
    gas_source: str | None = None


@dataclass(frozen=True)
class OptionChange:
    """The options a customer asks to change; None leaves one as it is."""

    green_electricity: bool | None = None
    e_invoice: bool | None = None
    self_reading: bool | None = None
    gas_source: str | None = None

    def is_empty(self) -> bool:
        return all(
            v is None for v in (self.green_electricity, self.e_invoice, self.self_reading, self.gas_source)
        )


@dataclass(frozen=True)
class ContractFacts:
    commodity: str
    status: str
    start_date: date
    end_date: date | None
    meter_location: str


@dataclass(frozen=True)
class ProductFacts:
    code: str
    kind: str
    term_months: int | None
    commodities: tuple[str, ...]
    gas_sources: tuple[str, ...]
    on_sale: bool


def in_force(history: list[Terms], on: date) -> Terms | None:
    """The terms of ``history`` (oldest effective first, later records win ties) on a day."""
    current: Terms | None = None
    for terms in history:
        if terms.effective_from <= on:
            current = terms
    return current


def check_effective_date(contract: ContractFacts, effective: date, today: date) -> None:
    if contract.status not in CHANGEABLE:
        raise ContractNotActive(f"This contract is {contract.status}; its terms can no longer change.")
    if effective < today:
        raise InvalidAmendment("A change cannot take effect in the past.", field="effective_date")
    if effective > today + MAX_AHEAD:
        raise InvalidAmendment("A change can be planned at most a year ahead.", field="effective_date")
    if contract.end_date is not None and effective > contract.end_date:
        raise InvalidAmendment("Supply has ended by then.", field="effective_date")


def amend_options(
    contract: ContractFacts,
    product: ProductFacts | None,
    current: Terms,
    change: OptionChange,
    *,
    effective: date,
    today: date,
) -> Terms:
    """The terms from ``effective`` on after the customer's option change."""
    if change.is_empty():
        raise InvalidAmendment("Name at least one option to change.", field="body")
    check_effective_date(contract, effective, today)
    if change.green_electricity is not None and contract.commodity != "electricity":
        raise InvalidAmendment(
            "Green electricity is an option of electricity contracts.", field="green_electricity"
        )
    if change.gas_source is not None:
        if contract.commodity != "gas":
            raise InvalidAmendment("The gas source is an option of gas contracts.", field="gas_source")
        offered = product.gas_sources if product is not None else ()
        if offered and change.gas_source not in offered:
            raise InvalidAmendment(
                f"This product offers these gas sources: {', '.join(offered)}.", field="gas_source"
            )
    if change.self_reading and contract.meter_location != "indoors":
        raise SelfReadingUnavailable(
            "Self-reading is only possible with the meter indoors; we read a meter elsewhere ourselves."
        )
    return replace(
        current,
        effective_from=effective,
        green_electricity=_given(change.green_electricity, current.green_electricity),
        e_invoice=_given(change.e_invoice, current.e_invoice),
        self_reading=_given(change.self_reading, current.self_reading),
        gas_source=change.gas_source or current.gas_source,
    )


def switch_product(
    contract: ContractFacts,
    product: ProductFacts | None,
    current: Terms,
    *,
    effective: date,
    today: date,
) -> Terms:
    """The terms from ``effective`` on with the new product."""
    if product is None or not product.on_sale:
        raise UnknownProduct("No product with this code is on offer.", field="product_code")
    if contract.commodity not in product.commodities:
        raise UnknownProduct(
            f"This product does not supply {contract.commodity}; choose one of the same commodity.",
            field="product_code",
        )
    if product.code == current.product_code:
        raise InvalidAmendment("The contract already has this product then.", field="product_code")
    check_effective_date(contract, effective, today)
    gas_source = current.gas_source
    if gas_source is not None and product.gas_sources and gas_source not in product.gas_sources:
        gas_source = product.gas_sources[0]
    return replace(
        current,
        effective_from=effective,
        product_code=product.code,
        fixed_term_end=guarantee_end(effective, product.term_months),
        gas_source=gas_source,
    )


def guarantee_end(first_day: date, term_months: int | None) -> date | None:
    """Last day of a fixed term of ``term_months`` starting on ``first_day``."""
    if term_months is None:
        return None
    month = first_day.month - 1 + term_months
    year, month = first_day.year + month // 12, month % 12 + 1
    days_in_month = calendar.monthrange(year, month)[1]
    if first_day.day > days_in_month:  # 31 January + 1 month: the term ends on 28 February
        return date(year, month, days_in_month)
    return date(year, month, first_day.day) - timedelta(days=1)


def _given(value: bool | None, default: bool) -> bool:
    return default if value is None else value
