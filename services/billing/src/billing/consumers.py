"""Billing's event handlers: read models from contracts and metering, and the final settlement.

Handler names are part of the inbox key and the consumer group: never rename one that ran.
The handlers are built per app because settlements need the service's settings (time zone,
payment term, the wait for a final reading); the chassis hands a handler only the unit of work
and event.
"""

# No `from __future__ import annotations`: FastStream reads the handlers' annotations at runtime.

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from billing.domain.errors import BillingError
from billing.settings import BillingSettings
from billing.use_cases.advances import plan_new_contract, plan_product_contracts
from billing.use_cases.issue_final_invoice import issue_final_invoice, settle_withdrawal
from billing.use_cases.read_models import (
    record_amendment,
    record_contract,
    record_customer,
    record_details,
    record_move,
    record_reading,
    record_tariffs,
    record_withdrawal,
)
from billing.use_cases.reading_settlements import settle_on_reading
from portal_chassis.consumers import EventHandlers
from portal_chassis.dead_letter import PermanentError
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.contracts import (
    ContractAmended,
    ContractCreated,
    ContractMoved,
    ContractTerminated,
    ContractWithdrawn,
    CustomerDetailsChanged,
    CustomerRegistered,
    TariffsPublished,
)
from portal_schemas.metering import MeterReadingReceived


@contextmanager
def _dead_letter_on_billing_error() -> Iterator[None]:
    """Retrying cannot fix an event billing refuses (a meter running backwards, ambiguous
    tariffs): dead-letter it at once with the reason, for an operator to correct and replay."""
    try:
        yield
    except BillingError as exc:
        raise PermanentError(f"{exc.slug}: {exc}") from exc


def build_handlers(settings: BillingSettings) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(ContractCreated, name="contract-view")
    async def keep_contract(uow: UnitOfWork, event: Envelope, data: ContractCreated) -> None:
        if await record_contract(uow, settings, data):
            await plan_new_contract(uow, settings, data.contract_id, datetime.now(UTC))

    @handlers.on(ContractAmended, name="contract-products")
    async def keep_product(uow: UnitOfWork, event: Envelope, data: ContractAmended) -> None:
        await record_amendment(uow, data)

    @handlers.on(ContractMoved, name="contract-moves")
    async def keep_move(uow: UnitOfWork, event: Envelope, data: ContractMoved) -> None:
        await record_move(uow, data)

    @handlers.on(ContractWithdrawn, name="contract-withdrawals")
    async def keep_withdrawal(uow: UnitOfWork, event: Envelope, data: ContractWithdrawn) -> None:
        await record_withdrawal(uow, data)
        with _dead_letter_on_billing_error():
            await settle_withdrawal(uow, settings, data)

    @handlers.on(TariffsPublished, name="tariffs")
    async def keep_tariffs(uow: UnitOfWork, event: Envelope, data: TariffsPublished) -> None:
        with _dead_letter_on_billing_error():
            recorded = await record_tariffs(uow, data, event.occurred_at)
        if recorded:
            await plan_product_contracts(uow, settings, data.product_code, datetime.now(UTC))

    @handlers.on(CustomerRegistered, name="customer-view")
    async def keep_customer(uow: UnitOfWork, event: Envelope, data: CustomerRegistered) -> None:
        await record_customer(uow, data)

    @handlers.on(CustomerDetailsChanged, name="customer-details")
    async def keep_details(uow: UnitOfWork, event: Envelope, data: CustomerDetailsChanged) -> None:
        await record_details(uow, data, event.occurred_at)

    @handlers.on(MeterReadingReceived, name="reading-view")
    async def keep_reading(uow: UnitOfWork, event: Envelope, data: MeterReadingReceived) -> None:
        if await record_reading(uow, data):
            # A final settlement waiting for it, a correction of an estimate, or an invoice in
            # on-reading mode (use_cases/reading_settlements.py).
            await settle_on_reading(uow, settings, data, now=datetime.now(UTC))

    @handlers.on(ContractTerminated, name="final-settlement")
    async def settle(uow: UnitOfWork, event: Envelope, data: ContractTerminated) -> None:
        with _dead_letter_on_billing_error():
            await issue_final_invoice(uow, settings, data)

    return handlers
