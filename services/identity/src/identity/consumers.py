"""Identity's event handlers. Handler names are part of the inbox key and the consumer group:
never rename one that ran.

The registration-code handler opens sealed codes, so the set is built per app around its
Sealer (``event_handlers``)."""

# No `from __future__ import annotations`: FastStream reads the handlers' annotations at runtime.

from identity.use_cases.access_end import record_contract_end, reopen_access
from identity.use_cases.newsletter_unsubscribe import unsubscribe_from_newsletter
from identity.use_cases.read_models import (
    record_contract,
    record_customer,
    record_invoice,
    record_registration_code,
)
from portal_chassis.consumers import EventHandlers
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import (
    ContractCreated,
    ContractTerminated,
    ContractWithdrawn,
    CustomerRegistered,
    RegistrationCodeIssued,
)
from portal_schemas.notifications import MarketingUnsubscribed


def event_handlers(sealer: Sealer) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(CustomerRegistered, name="registration-facts")
    async def keep_registration_facts(uow: UnitOfWork, event: Envelope, data: CustomerRegistered) -> None:
        await record_customer(uow, data, event.occurred_at)

    @handlers.on(ContractCreated, name="contract-facts")
    async def keep_contract_facts(uow: UnitOfWork, event: Envelope, data: ContractCreated) -> None:
        await record_contract(uow, data, event.occurred_at)
        await reopen_access(uow, contract_id=data.contract_id, customer_number=data.customer_number)

    @handlers.on(ContractTerminated, name="contract-ends")
    async def keep_contract_end(uow: UnitOfWork, event: Envelope, data: ContractTerminated) -> None:
        await record_contract_end(
            uow,
            contract_id=data.contract_id,
            customer_number=data.customer_number,
            end_date=data.end_date,
            occurred_at=event.occurred_at,
        )

    @handlers.on(ContractWithdrawn, name="contract-withdrawals")
    async def keep_withdrawal(uow: UnitOfWork, event: Envelope, data: ContractWithdrawn) -> None:
        await record_contract_end(
            uow,
            contract_id=data.contract_id,
            customer_number=data.customer_number,
            end_date=data.last_supply_day or data.withdrawn_on,
            occurred_at=event.occurred_at,
        )

    @handlers.on(RegistrationCodeIssued, name="registration-codes")
    async def keep_registration_code(uow: UnitOfWork, event: Envelope, data: RegistrationCodeIssued) -> None:
        await record_registration_code(uow, sealer, data, event.occurred_at)

    @handlers.on(InvoiceIssued, name="latest-invoices")
    async def keep_latest_invoice(uow: UnitOfWork, event: Envelope, data: InvoiceIssued) -> None:
        await record_invoice(uow, data)

    @handlers.on(MarketingUnsubscribed, name="marketing-unsubscribed")
    async def unsubscribe(uow: UnitOfWork, event: Envelope, data: MarketingUnsubscribed) -> None:
        await unsubscribe_from_newsletter(uow, data)

    return handlers
