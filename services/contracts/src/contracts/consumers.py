"""Events contracts consumes: switch notices from the switching hub, and identity's links of
accounts to contracts (who may see a contract besides its own customer).

Handlers go here as ``@handlers.on(Model, name="<stable-name>")`` when a flow needs one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from contracts.db.repositories import Access
from contracts.settings import ContractsSettings
from contracts.use_cases.terminate_contract import terminate_by_switch
from portal_chassis.consumers import EventHandlers
from portal_chassis.uow import UnitOfWork
from portal_schemas.envelope import Envelope
from portal_schemas.hub import SwitchNoticeReceived
from portal_schemas.identity import AccountsMerged, ContractLinked

Clock = Callable[[], datetime]


def build_handlers(settings: ContractsSettings, clock: Clock = lambda: datetime.now(UTC)) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(SwitchNoticeReceived, name="switch-notices")
    async def switch_notice(uow: UnitOfWork, event: Envelope, data: SwitchNoticeReceived) -> None:
        """A new supplier takes a connection over: the contract is terminating, with its
        provisional fee (the inbox stops a redelivered notice; the use case a repeated one)."""
        await terminate_by_switch(uow, settings, data, now=clock())

    @handlers.on(ContractLinked, name="contract-access")
    async def contract_linked(uow: UnitOfWork, event: Envelope, data: ContractLinked) -> None:
        """The account may now see the contract (a repeated link changes nothing)."""
        await Access(uow.session).link(data.account_id, data.contract_id, data.role, clock())
        await uow.commit()

    @handlers.on(AccountsMerged, name="contract-access-merges")
    async def accounts_merged(uow: UnitOfWork, event: Envelope, data: AccountsMerged) -> None:
        """The merged account is closed: what it could see, the kept one sees."""
        await Access(uow.session).merge(data.kept_account_id, data.merged_account_id)
        await uow.commit()

    return handlers
