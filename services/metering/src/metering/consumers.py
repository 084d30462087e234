"""Events metering consumes: contracts' lifecycle feeds the contract read model and meters;
the grid operators' hub names the meters (placements and exchanges).

Each handler is inbox-guarded by the chassis (a redelivered event is applied once) and runs
in the unit of work the chassis commits. Handler names are part of the consumer group and
the inbox key: never rename them. The handlers are built per app because some need the
service's settings (the customer zone).

The smart-meter feed (hub IntervalReadingsPublished) is no per-event handler: a batch handler
(portal_chassis.batch_consumers, group ``metering.interval-feed``) stores a whole Kafka poll
of interval data in one transaction, idempotent by the intervals' slots instead of the inbox.
"""

from __future__ import annotations

from collections.abc import Sequence

from metering.settings import MeteringSettings
from metering.use_cases.contract_view import amend_contract, end_contract, move_contract, open_contract
from metering.use_cases.feed import store_interval_batches
from metering.use_cases.meter_installation import install_meter
from portal_chassis.batch_consumers import BatchHandlers, BatchItem, Rejection
from portal_chassis.consumers import EventHandlers
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.contracts import ContractAmended, ContractCreated, ContractMoved, ContractTerminated
from portal_schemas.hub import IntervalReadingsPublished, MeterInstalled


def build_handlers(settings: MeteringSettings) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(ContractCreated, name="contract-created")
    async def on_contract_created(uow: UnitOfWork, event: Envelope, data: ContractCreated) -> None:
        await open_contract(uow, data)

    @handlers.on(ContractTerminated, name="contract-terminated")
    async def on_contract_terminated(uow: UnitOfWork, event: Envelope, data: ContractTerminated) -> None:
        # Out of order on purpose: ContractCreated and ContractTerminated travel on two topics,
        # each read by its own consumer group, so a new instance or a replay from the start can
        # see the termination of a contract before its creation. Such a termination is kept
        # (early_terminations) and applied when ContractCreated arrives, instead of raising
        # PermanentError: the event is valid, only early, and a dead letter would need an
        # operator to replay it by hand.
        await end_contract(uow, data)

    @handlers.on(ContractAmended, name="contract-amended")
    async def on_contract_amended(uow: UnitOfWork, event: Envelope, data: ContractAmended) -> None:
        # The same race as above (an amendment travels on a topic of its own; a replay from the
        # start can bring it before the creation): an early amendment is kept
        # (early_amendments) and applied when ContractCreated arrives.
        await amend_contract(uow, data)

    @handlers.on(ContractMoved, name="contract-moved")
    async def on_contract_moved(uow: UnitOfWork, event: Envelope, data: ContractMoved) -> None:
        # The same race as above, but a move cannot wait in a table of its own: it changes the
        # meters ContractCreated makes, so an early one is a dead letter to redrive (see
        # move_contract).
        await move_contract(uow, data)

    @handlers.on(MeterInstalled, name="meter-installed")
    async def on_meter_installed(uow: UnitOfWork, event: Envelope, data: MeterInstalled) -> None:
        await install_meter(uow, settings, data)

    return handlers


def build_batch_handlers(settings: MeteringSettings) -> BatchHandlers:
    batches = BatchHandlers()

    @batches.on(
        IntervalReadingsPublished,
        name="interval-feed",
        max_records=settings.feed_batch_records,
        batch_timeout_ms=settings.feed_batch_timeout_ms,
        parallel=settings.feed_parallel_batches,
    )
    async def on_interval_readings(
        uow: UnitOfWork, items: Sequence[BatchItem[IntervalReadingsPublished]]
    ) -> list[Rejection]:
        return await store_interval_batches(uow, settings, items)

    return batches
