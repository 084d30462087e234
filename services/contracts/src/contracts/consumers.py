"""Events contracts consumes: switch notices from the switching hub.

Handlers go here as ``@handlers.on(Model, name="<stable-name>")`` when a flow needs one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from contracts.settings import ContractsSettings
from contracts.use_cases.terminate_contract import terminate_by_switch
from portal_chassis.consumers import EventHandlers
from portal_chassis.uow import UnitOfWork
from portal_schemas.envelope import Envelope
from portal_schemas.hub import SwitchNoticeReceived

Clock = Callable[[], datetime]


def build_handlers(settings: ContractsSettings, clock: Clock = lambda: datetime.now(UTC)) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(SwitchNoticeReceived, name="switch-notices")
    async def switch_notice(uow: UnitOfWork, event: Envelope, data: SwitchNoticeReceived) -> None:
        """A new supplier takes a connection over: the contract is terminating, with its
        provisional fee (the inbox stops a redelivered notice; the use case a repeated one)."""
        await terminate_by_switch(uow, settings, data, now=clock())

    return handlers
