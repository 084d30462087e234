"""Billing's event handlers: read models from contracts and metering, and the final settlement.

Handler names are part of the inbox key and the consumer group: never rename one that ran.
The handlers are built per app because the final settlement needs the service's settings
(tariff, time zone, payment term); the chassis hands a handler only the unit of work and event.
"""

# No `from __future__ import annotations`: FastStream reads the handlers' annotations at runtime.

from billing.domain.errors import BillingError
from billing.settings import BillingSettings
from billing.use_cases.issue_final_invoice import issue_final_invoice
from billing.use_cases.read_models import record_contract, record_reading
from portal_chassis.consumers import EventHandlers
from portal_chassis.dead_letter import PermanentError
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.contracts import ContractCreated, ContractTerminated
from portal_schemas.metering import MeterReadingReceived


def build_handlers(settings: BillingSettings) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(ContractCreated, name="contract-view")
    async def keep_contract(uow: UnitOfWork, event: Envelope, data: ContractCreated) -> None:
        await record_contract(uow, data)

    @handlers.on(MeterReadingReceived, name="reading-view")
    async def keep_reading(uow: UnitOfWork, event: Envelope, data: MeterReadingReceived) -> None:
        await record_reading(uow, data)

    @handlers.on(ContractTerminated, name="final-settlement")
    async def settle(uow: UnitOfWork, event: Envelope, data: ContractTerminated) -> None:
        try:
            await issue_final_invoice(uow, settings, data)
        except BillingError as exc:
            # Retrying cannot fix the data (e.g. a meter running backwards): dead-letter it at
            # once with the reason, for an operator to correct and replay.
            raise PermanentError(f"{exc.slug}: {exc}") from exc

    return handlers
