"""The contracts service: customers, their contracts and terminations."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from contracts.api import contracts, terminations
from contracts.api.errors import install_domain_errors
from contracts.consumers import handlers
from contracts.settings import ContractsSettings
from portal_chassis.app import build_service


def create_app(settings: ContractsSettings | None = None) -> FastAPI:
    settings = settings or ContractsSettings()
    app: FastAPI = build_service(
        settings,
        title="Contracts",
        description="Customers' supply contracts, terminations and termination fees.",
        routers=[contracts.router, terminations.router],
        handlers=handlers,
        produces=["CustomerRegistered", "ContractCreated", "ContractTerminated", "RegistrationCodeIssued"],
    )
    install_domain_errors(app)
    app.state.clock = lambda: datetime.now(UTC)
    return app
