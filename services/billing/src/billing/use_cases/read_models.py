"""Keeping billing's copies of other services' data, fed by their events.

The chassis inbox already drops a redelivered event; the writes below are also idempotent
(insert-if-absent, or "the latest event wins" by the event's time), so the same fact announced
again under a new event id changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from billing.db.repositories import (
    BillingAccounts,
    ContractProducts,
    ContractViews,
    Customers,
    Invoices,
    ReadingViews,
    SupplyAddressChanges,
    Tariffs,
)
from billing.domain.tariffs import check_period_starts
from billing.settings import BillingSettings
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import (
    ContractAmended,
    ContractCreated,
    ContractMoved,
    ContractWithdrawn,
    CustomerDetailsChanged,
    CustomerRegistered,
    TariffsPublished,
)
from portal_schemas.metering import MeterReadingReceived


async def record_contract(uow: UnitOfWork, settings: BillingSettings, data: ContractCreated) -> bool:
    """The contract, its first product and its billing account (in the default mode)."""
    new = await ContractViews(uow.session).add_if_absent(
        {
            "contract_id": data.contract_id,
            "customer_number": data.customer_number,
            "contract_number": data.contract_number,
            "commodity": data.commodity,
            "product_code": data.product_code,
            "start_date": data.start_date,
            "end_date": None,
            "withdrawn": False,
            "ean": data.ean,
            "supply_street": data.supply_street,
            "supply_house_number": data.supply_house_number,
            "supply_house_number_addition": data.supply_house_number_addition,
            "supply_postcode": data.supply_postcode,
            "supply_city": data.supply_city,
            "expected_annual_consumption": {k: str(v) for k, v in data.expected_annual_consumption.items()},
        }
    )
    if not new:
        return False
    # A termination that came first (another topic) already gave the final invoice: the contract
    # ended then, so no advances are invoiced after it.
    final = await Invoices(uow.session).final_settlement_of(data.contract_id)
    if final is not None:
        contract = await ContractViews(uow.session).get(data.contract_id)
        assert contract is not None, "added above"
        contract.end_date = final.period_end
    products = ContractProducts(uow.session)
    # An amendment may have arrived first (another topic): it replaces the first product only
    # when it applies from the start; one from a later day leaves the start's product to add.
    history = await products.history(data.contract_id)
    if not any(change.effective_from <= data.start_date for change in history):
        await products.put(
            {
                "contract_id": data.contract_id,
                "effective_from": data.start_date,
                "product_code": data.product_code,
                "e_invoice": False,
                "self_reading": False,
            }
        )
    await BillingAccounts(uow.session).add_if_absent(
        {
            "contract_id": data.contract_id,
            "customer_number": data.customer_number,
            "mode": settings.default_billing_mode,
            "next_mode": None,
            "next_mode_from": None,
            "settled_through": None,
        }
    )
    await Customers(uow.session).get_or_create(data.customer_number)
    return True


async def record_amendment(uow: UnitOfWork, data: ContractAmended) -> None:
    await ContractProducts(uow.session).put(
        {
            "contract_id": data.contract_id,
            "effective_from": data.effective_from,
            "product_code": data.product_code,
            "e_invoice": data.options.e_invoice,
            "self_reading": data.options.self_reading,
        }
    )


async def record_tariffs(uow: UnitOfWork, data: TariffsPublished, occurred_at: datetime) -> bool:
    """All periods of the product, unless a later publication is already stored. Raises
    TariffError for two periods of one commodity from the same day."""
    check_period_starts(data.product_code, ((p.commodity, p.valid_from) for p in data.periods))
    tariffs = Tariffs(uow.session)
    stored = await tariffs.product(data.product_code)
    if stored is not None and stored.published_at > occurred_at:
        return False
    await tariffs.replace(
        {
            "product_code": data.product_code,
            "name": data.name,
            "kind": data.kind,
            "published_at": occurred_at,
        },
        [
            {
                "product_code": data.product_code,
                "commodity": period.commodity,
                "valid_from": period.valid_from,
                "valid_to": period.valid_to,
                "vat_rate": period.vat_rate,
                "unit_prices": {register: str(price) for register, price in period.unit_prices.items()},
                "fixed_costs_per_day": period.fixed_costs_per_day,
                "feed_in_compensation_per_kwh": period.feed_in_compensation_per_kwh,
                "feed_in_costs_per_kwh": period.feed_in_costs_per_kwh,
            }
            for period in data.periods
        ],
    )
    return True


async def record_customer(uow: UnitOfWork, data: CustomerRegistered) -> None:
    customer = await Customers(uow.session).get_or_create(data.customer_number)
    customer.language = data.language


async def record_details(uow: UnitOfWork, data: CustomerDetailsChanged, occurred_at: datetime) -> bool:
    """Name, billing address, payment method and IBAN; an older event than the one applied is
    ignored. Choosing direct debit with an IBAN gives a mandate dated that day."""
    customer = await Customers(uow.session).get_or_create(data.customer_number)
    if customer.details_as_of is not None and customer.details_as_of > occurred_at:
        return False
    customer.details_as_of = occurred_at
    if data.sealed_name is not None:
        customer.sealed_name = data.sealed_name
    customer.billing_street = data.billing_street
    customer.billing_house_number = data.billing_house_number
    customer.billing_house_number_addition = data.billing_house_number_addition
    customer.billing_postcode = data.billing_postcode
    customer.billing_city = data.billing_city
    mandate_changes = (
        data.payment_method != customer.payment_method or data.sealed_iban != customer.sealed_iban
    )
    customer.payment_method = data.payment_method
    customer.sealed_iban = data.sealed_iban
    if data.payment_method == "direct_debit" and data.sealed_iban is not None:
        if mandate_changes or customer.mandate_reference is None:
            # A new IBAN or a new choice of direct debit is a new mandate.
            customer.mandate_reference = f"{data.customer_number}-{occurred_at:%Y%m%d%H%M%S}"
            customer.mandate_signed_on = occurred_at.date()
    else:
        customer.mandate_reference = None
        customer.mandate_signed_on = None
    return True


async def record_move(uow: UnitOfWork, data: ContractMoved) -> None:
    """The new supply address from the move-in day on; invoices of earlier periods keep the
    old one. Kept whether or not ContractCreated has arrived yet (another topic)."""
    await SupplyAddressChanges(uow.session).put(
        {
            "contract_id": data.contract_id,
            "effective_from": data.move_in_date,
            "street": data.new_supply_street,
            "house_number": data.new_supply_house_number,
            "house_number_addition": data.new_supply_house_number_addition,
            "postcode": data.new_supply_postcode,
            "city": data.new_supply_city,
        }
    )


async def record_withdrawal(uow: UnitOfWork, data: ContractWithdrawn) -> None:
    """A withdrawn contract ends without a fee: on its last supply day, or before it started."""
    contract = await ContractViews(uow.session).get(data.contract_id)
    if contract is None:
        return
    contract.withdrawn = True
    contract.end_date = data.last_supply_day or contract.start_date - timedelta(days=1)


async def record_reading(uow: UnitOfWork, data: MeterReadingReceived) -> bool:
    return await ReadingViews(uow.session).add_if_absent(
        {
            "reading_id": data.reading_id,
            "meter_id": data.meter_id,
            "contract_id": data.contract_id,
            "customer_number": data.customer_number,
            "register_type": data.register_type,
            "value": data.value,
            "unit": data.unit,
            "read_at": data.read_at,
            "source": data.source,
            "quality": data.quality,
            "rollover_capacity": data.rollover_capacity,
            "final": data.final,
        }
    )
