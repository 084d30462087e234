"""Events that announce a customer's current data, emitted whenever it changes.

CustomerRegistered is the snapshot identity keeps for registration (postcodes, segment,
language); CustomerDetailsChanged is what billing needs (billing address, payment method, the
name and the IBAN sealed with the event sealing key) and what changed, also for a change of the
phone number, which itself never travels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from contracts.db.repositories import Contracts
from contracts.db.tables import Customer
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import CustomerDetailsChanged, CustomerRegistered


@dataclass(frozen=True)
class Registration:
    """What CustomerRegistered tells about a customer; compared before and after a change."""

    segment: str
    language: str
    billing_postcode: str | None
    supply_postcodes: tuple[str, ...]

    @classmethod
    def of(cls, customer: Customer, supply_postcodes: list[str] | set[str]) -> Registration:
        return cls(
            segment=customer.segment,
            language=customer.language,
            billing_postcode=customer.billing_postcode,
            supply_postcodes=tuple(sorted(supply_postcodes)),
        )


async def registration_of(uow: UnitOfWork, customer: Customer) -> Registration:
    return Registration.of(customer, await Contracts(uow.session).supply_postcodes(customer.customer_number))


def announce_registration(
    uow: UnitOfWork, after: Registration, before: Registration | None, customer_number: str
) -> None:
    """CustomerRegistered when what identity knows about the customer changed."""
    if after == before:
        return
    uow.emit(
        CustomerRegistered(
            customer_number=customer_number,
            segment=after.segment,  # checked by the table constraint
            language=after.language,
            supply_postcodes=list(after.supply_postcodes),
            billing_postcode=after.billing_postcode,
        ),
        subject=customer_number,
    )


Changed = Literal["billing_address", "payment", "contact"]


def announce_details(
    uow: UnitOfWork, sealer: Sealer | None, customer: Customer, changed: Sequence[Changed]
) -> None:
    if customer.iban is not None and sealer is None:
        # Refused before anything is committed: the IBAN never travels in the clear.
        raise ProblemError(
            503, "sealing-unavailable", "Payment details cannot be changed right now; please try again later."
        )
    uow.emit(
        CustomerDetailsChanged(
            customer_number=customer.customer_number,
            billing_street=customer.billing_street,
            billing_house_number=customer.billing_house_number,
            billing_house_number_addition=customer.billing_house_number_addition,
            billing_postcode=customer.billing_postcode,
            billing_city=customer.billing_city,
            payment_method=customer.payment_method,  # table constraint
            sealed_iban=None if customer.iban is None or sealer is None else sealer.seal(customer.iban),
            # Without a sealer the name stays home: billing then addresses the customer number.
            sealed_name=None if sealer is None else sealer.seal(customer.name),
            changed=list(changed),
        ),
        subject=customer.customer_number,
    )
