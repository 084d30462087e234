"""The contracts service: customers, their contracts and terminations."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from contracts.api import (
    co_holders,
    contract_requests,
    contract_terms,
    contracts,
    customer,
    documents,
    moves,
    products,
    renewals,
    terminations,
    unilateral_changes,
    withdrawals,
)
from contracts.api.errors import install_domain_errors
from contracts.consumers import build_handlers
from contracts.settings import ContractsSettings
from contracts.use_cases.catalogue import load_default_if_empty
from portal_chassis.app import Hook, build_service
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.sealing import Sealer


def load_catalogue(settings: ContractsSettings) -> Hook:
    """At start, an empty catalogue gets the configured file, so a fresh stack has products."""

    async def hook(runtime: ServiceRuntime) -> None:
        if settings.catalogue_file is not None:
            async with runtime.new_uow() as uow:
                await load_default_if_empty(uow, settings.catalogue_file)

    return hook


def create_app(settings: ContractsSettings | None = None) -> FastAPI:
    settings = settings or ContractsSettings()
    app: FastAPI = build_service(
        settings,
        title="Contracts",
        description="Customers' supply contracts, terminations and termination fees.",
        routers=[
            contracts.router,
            terminations.router,
            terminations.admin_router,
            renewals.router,
            unilateral_changes.router,
            customer.router,
            contract_requests.router,
            contract_requests.admin_router,
            withdrawals.router,
            moves.router,
            co_holders.router,
            products.router,
            contract_terms.router,
            documents.router,
        ],
        # The consumers read the app's clock (tests replace it) when an event arrives.
        handlers=build_handlers(settings, clock=lambda: app.state.clock()),
        produces=[
            "CustomerRegistered",
            "ContractCreated",
            "ContractTerminated",
            "RegistrationCodeIssued",
            "CustomerDetailsChanged",
            "ContractMoved",
            "ContractWithdrawn",
            "CoHolderAdded",
            "TariffsPublished",
            "ContractAmended",
            "RenewalProposed",
            "UnilateralChangeAnnounced",
            "DocumentAvailable",
        ],
        on_startup=[load_catalogue(settings)],
    )
    install_domain_errors(app)
    app.state.clock = lambda: datetime.now(UTC)
    # IBANs travel sealed in CustomerDetailsChanged; without a key, payment changes are refused.
    key = settings.event_sealing_key
    app.state.sealer = None if key is None else Sealer(key.get_secret_value())
    return app
