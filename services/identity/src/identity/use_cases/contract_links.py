"""Which contracts an account reaches: those of its own customer number (contract_facts) and
those linked to it (contract_links: by a letter code, an invoice, a merge or operations).

A link is announced with ContractLinked once the account is active: a link made for a pending
account is announced on activation (use_cases.registration), so the mail about it goes to a
confirmed address only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from identity.db.repositories import Accounts, ContractFactsRepository, ContractLinks
from identity.db.tables import Account, ContractLink
from identity.domain.registration import ACTIVE, CLOSED
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import ContractLinked, ContractRole

log = get_logger(__name__)

OWN = "customer_number"  # ``via`` of the contracts an account reaches by its own customer number


@dataclass(frozen=True)
class ContractAccess:
    contract_number: str | None  # None only for contracts from before numbers existed
    contract_id: str
    customer_number: str
    role: str
    via: str
    linked_at: datetime


def already_linked() -> ProblemError:
    return ProblemError(409, "contract-already-linked", "This account already has this contract.")


async def reaches(uow: UnitOfWork, account: Account, contract_id: str, customer_number: str) -> bool:
    if account.customer_number == customer_number:
        return True
    return await ContractLinks(uow.session).find(account.id, contract_id) is not None


def announce(uow: UnitOfWork, account: Account, link: ContractLink) -> None:
    uow.emit(
        ContractLinked(
            account_id=account.id,
            contract_number=link.contract_number,
            contract_id=link.contract_id,
            customer_number=link.customer_number,
            role=link.role,
            email=account.email,
            language=account.language,
        ),
        subject=account.id,
    )


def link_contract(
    uow: UnitOfWork,
    account: Account,
    *,
    contract_id: str,
    contract_number: str,
    customer_number: str,
    role: ContractRole,
    via: str,
    now: datetime,
) -> ContractLink:
    """Add the link (the caller has checked it is new) and announce it if the account is
    active; the caller commits."""
    link = ContractLink(
        id=str(uuid.uuid4()),
        account_id=account.id,
        contract_id=contract_id,
        contract_number=contract_number,
        customer_number=customer_number,
        role=role,
        via=via,
        linked_at=now,
    )
    ContractLinks(uow.session).add(link)
    if account.status == ACTIVE:
        announce(uow, account, link)
    return link


def access_of(link: ContractLink) -> ContractAccess:
    return ContractAccess(
        contract_number=link.contract_number,
        contract_id=link.contract_id,
        customer_number=link.customer_number,
        role=link.role,
        via=link.via,
        linked_at=link.linked_at,
    )


async def contracts_of(uow: UnitOfWork, account_id: str) -> list[ContractAccess]:
    """The account's own customer's contracts first (as holder), then its links."""
    account = await Accounts(uow.session).get(account_id)
    if account is None or account.status != ACTIVE:
        raise ProblemError(401, "not-authenticated", "This account cannot be used any more. Log in again.")
    since = account.activated_at or account.created_at
    own = [
        ContractAccess(
            contract_number=facts.contract_number,
            contract_id=facts.contract_id,
            customer_number=facts.customer_number,
            role="holder",
            via=OWN,
            linked_at=max(since, facts.as_of),
        )
        for facts in await ContractFactsRepository(uow.session).of_customer(account.customer_number)
    ]
    seen = {access.contract_id for access in own}
    linked = [access_of(link) for link in await ContractLinks(uow.session).of_account(account.id)]
    return own + [access for access in linked if access.contract_id not in seen]


async def link_by_operations(
    uow: UnitOfWork,
    *,
    operator: str,
    account_id: str,
    contract_number: str,
    role: ContractRole,
    now: datetime,
) -> ContractAccess:
    """Operations gives an account access to a contract, e.g. a co-holder's."""
    facts = await ContractFactsRepository(uow.session).by_number(contract_number)
    if facts is None or facts.contract_number is None:
        raise ProblemError(404, "contract-unknown", "No contract has this contract number.")
    account = await Accounts(uow.session).get(account_id)
    if account is None:
        raise ProblemError(404, "account-unknown", "No account has this id.")
    if account.status == CLOSED:
        raise ProblemError(409, "account-closed", "This account is closed (merged into another one).")
    if await reaches(uow, account, facts.contract_id, facts.customer_number):
        raise already_linked()
    link = link_contract(
        uow,
        account,
        contract_id=facts.contract_id,
        contract_number=facts.contract_number,
        customer_number=facts.customer_number,
        role=role,
        via="operations",
        now=now,
    )
    await uow.commit()
    log.info("contract linked by operations", operator=operator, account_id=account.id, role=role)
    return access_of(link)
