"""Which supply address a document prints, when the customer moved. Pure: no I/O.

A move gives the contract a new supply address from the move-in day on. An invoice prints the
address in force on the last day of its period (its issue date when it has no period): the
invoice after a move shows the new address, one issued before it keeps the old address, also
when it is downloaded again after the move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from billing.domain.invoice_document import ContractFacts


class AddressChange(Protocol):
    @property
    def effective_from(self) -> date: ...
    @property
    def street(self) -> str | None: ...
    @property
    def house_number(self) -> int | None: ...
    @property
    def house_number_addition(self) -> str | None: ...
    @property
    def postcode(self) -> str: ...
    @property
    def city(self) -> str | None: ...


class Dated(Protocol):
    @property
    def issue_date(self) -> date: ...
    @property
    def period_end(self) -> date | None: ...


@dataclass(frozen=True)
class SuppliedContract:
    """A contract's facts with the supply address of one day."""

    contract_number: str | None
    commodity: str
    start_date: date
    supply_street: str | None
    supply_house_number: int | None
    supply_house_number_addition: str | None
    supply_postcode: str | None
    supply_city: str | None


def document_day(invoice: Dated) -> date:
    """The day whose supply address an invoice prints."""
    return invoice.period_end or invoice.issue_date


def supplied_on(contract: ContractFacts, changes: Sequence[AddressChange], day: date) -> ContractFacts:
    """``contract`` with the supply address in force on ``day``: the latest change from that day
    or before, else the address the contract started with."""
    in_force = [change for change in changes if change.effective_from <= day]
    if not in_force:
        return contract
    latest = max(in_force, key=lambda change: change.effective_from)
    return SuppliedContract(
        contract_number=contract.contract_number,
        commodity=contract.commodity,
        start_date=contract.start_date,
        supply_street=latest.street,
        supply_house_number=latest.house_number,
        supply_house_number_addition=latest.house_number_addition,
        supply_postcode=latest.postcode,
        supply_city=latest.city,
    )
