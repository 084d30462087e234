"""/v1/customer: the caller's own personal data, billing address and payment details."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from contracts.api.deps import SealerDep
from contracts.api.schemas import AddressIn, AddressOut, ContactChange, CustomerOut, PaymentChange
from contracts.db.tables import Customer
from contracts.domain.address import make_address
from contracts.domain.payment import masked_iban
from contracts.use_cases.customer_details import (
    change_billing_address,
    change_payment,
    change_phone,
    own_customer,
)
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/customer", tags=["customer"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No customer data for this account (problem type customer-not-found)"},
    422: {"description": "Invalid input; the problem names the field. Nothing was changed."},
}


def customer_out(customer: Customer) -> CustomerOut:
    address = None
    if (
        customer.billing_street is not None
        and customer.billing_house_number is not None
        and customer.billing_postcode is not None
        and customer.billing_city is not None
    ):
        address = AddressOut(
            street=customer.billing_street,
            house_number=customer.billing_house_number,
            house_number_addition=customer.billing_house_number_addition,
            postcode=customer.billing_postcode,
            city=customer.billing_city,
        )
    return CustomerOut(
        customer_number=customer.customer_number,
        name=customer.name,
        segment=customer.segment,
        language=customer.language,
        phone=customer.phone,
        billing_address=address,
        billing_postcode=customer.billing_postcode,
        payment_method=customer.payment_method,
        iban=None if customer.iban is None else masked_iban(customer.iban),
    )


@router.get("", summary="My personal data", responses=ERRORS)
async def my_data(customer: CustomerDep, uow: UowDep) -> CustomerOut:
    return customer_out(await own_customer(uow, customer.customer_number))


@router.patch("/contact", summary="Change my phone number", responses=ERRORS)
async def change_contact(
    body: ContactChange, customer: CustomerDep, uow: UowDep, sealer: SealerDep
) -> CustomerOut:
    return customer_out(await change_phone(uow, sealer, customer.customer_number, body.phone))


@router.put("/billing-address", summary="Change where my invoices go", responses=ERRORS)
async def put_billing_address(
    body: AddressIn, customer: CustomerDep, uow: UowDep, sealer: SealerDep
) -> CustomerOut:
    address = make_address(**body.model_dump(), field="billing_address")
    return customer_out(await change_billing_address(uow, sealer, customer.customer_number, address))


@router.put("/payment", summary="Change my IBAN and payment method", responses=ERRORS)
async def put_payment(
    body: PaymentChange, customer: CustomerDep, uow: UowDep, sealer: SealerDep
) -> CustomerOut:
    changed = await change_payment(uow, sealer, customer.customer_number, method=body.method, iban=body.iban)
    return customer_out(changed)
