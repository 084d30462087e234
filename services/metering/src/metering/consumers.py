"""Events metering consumes: contracts' lifecycle feeds the contract read model and meters.

Each handler is inbox-guarded by the chassis (a redelivered event is applied once) and runs
in the unit of work the chassis commits. Handler names are part of the consumer group and
the inbox key: never rename them.
"""

from __future__ import annotations

from metering.use_cases.contract_view import end_contract, open_contract
from portal_chassis.consumers import EventHandlers
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.contracts import ContractCreated, ContractTerminated

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
