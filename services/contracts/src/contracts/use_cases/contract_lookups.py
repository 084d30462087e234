"""The contract a request names, or 404 ``contract-not-found``: a contract the caller may not
reach looks the same as one that does not exist."""

from __future__ import annotations

from contracts.db.repositories import Contracts
from contracts.db.tables import Contract
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork


def found(contract: Contract | None) -> Contract:
    if contract is None:
        raise ProblemError(404, "contract-not-found", "There is no such contract.")
    return contract


async def owned_contract(uow: UnitOfWork, customer_number: str, contract_id: str) -> Contract:
    """The customer's own contract: decisions about it are theirs alone."""
    return found(await Contracts(uow.session).of_customer(customer_number, contract_id))


async def any_contract(uow: UnitOfWork, contract_id: str) -> Contract:
    """Any contract, for operations."""
    return found(await Contracts(uow.session).get(contract_id))
