"""Problems the use cases answer with, where more than one use case needs them, and the
customer's-contract lookup that answers the most common one."""

from __future__ import annotations

from metering.db.repositories import Contracts
from metering.db.tables import ContractView
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork


def contract_not_found() -> ProblemError:
    # The same answer for an unknown contract and another customer's: ids cannot be probed.
    return ProblemError(404, "contract-not-found", "No such contract for this customer.")


async def customers_contract(uow: UnitOfWork, customer_number: str, contract_id: str) -> ContractView:
    """The customer's contract, else 404 contract-not-found."""
    contract = await Contracts(uow.session).of_customer(contract_id, customer_number)
    if contract is None:
        raise contract_not_found()
    return contract
