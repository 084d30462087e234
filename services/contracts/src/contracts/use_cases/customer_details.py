"""The customer's own data: view it, change the phone number, billing address and payment
details. Each change is checked before anything is written, recorded, and announced."""

from __future__ import annotations

from contracts.db.repositories import Customers
from contracts.db.tables import Customer
from contracts.domain.address import Address
from contracts.domain.contact import normalise_phone
from contracts.domain.payment import check_payment, normalise_iban
from contracts.use_cases.announcements import announce_details, announce_registration, registration_of
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork


async def own_customer(uow: UnitOfWork, customer_number: str, *, lock: bool = False) -> Customer:
    customers = Customers(uow.session)
    customer = await (customers.get_locked(customer_number) if lock else customers.get(customer_number))
    if customer is None:
        raise ProblemError(404, "customer-not-found", "No customer data is known for this account yet.")
    return customer


async def change_phone(
    uow: UnitOfWork, sealer: Sealer | None, customer_number: str, phone: str | None
) -> Customer:
    compact = None if phone is None or not phone.strip() else normalise_phone(phone)
    customer = await own_customer(uow, customer_number, lock=True)
    customer.phone = compact
    # Announced as a contact change; the phone number itself does not travel in events.
    announce_details(uow, sealer, customer, ["contact"])
    await uow.commit()
    return customer


async def change_billing_address(
    uow: UnitOfWork, sealer: Sealer | None, customer_number: str, address: Address
) -> Customer:
    customer = await own_customer(uow, customer_number, lock=True)
    before = await registration_of(uow, customer)
    customer.billing_street = address.street
    customer.billing_house_number = address.house_number
    customer.billing_house_number_addition = address.house_number_addition
    customer.billing_postcode = address.postcode
    customer.billing_city = address.city
    announce_registration(uow, await registration_of(uow, customer), before, customer_number)
    announce_details(uow, sealer, customer, ["billing_address"])
    await uow.commit()
    return customer


async def change_payment(
    uow: UnitOfWork, sealer: Sealer | None, customer_number: str, *, method: str, iban: str | None
) -> Customer:
    compact = None if iban is None else normalise_iban(iban)
    check_payment(method, compact)
    customer = await own_customer(uow, customer_number, lock=True)
    customer.payment_method = method
    customer.iban = compact
    announce_details(uow, sealer, customer, ["payment"])
    await uow.commit()
    return customer
