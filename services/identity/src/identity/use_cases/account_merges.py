"""Merging two accounts of one person (operations): one is kept, the other closed.

The merged account is closed for good (``merged_into`` names the kept one): it can no longer
log in or refresh, its sessions end, and its open activation, reset and migration links stop
working. Its contracts go to the kept account: its links move over, and the contracts of its
own customer number become holder links of the kept account. Every contract the kept account
gains is announced with ContractLinked (if the kept account is active), then AccountsMerged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from identity.db.repositories import (
    Accounts,
    Activations,
    ContractFactsRepository,
    ContractLinks,
    LegacyMigrations,
    PasswordResets,
    Sessions,
)
from identity.db.tables import Account, ContractLink
from identity.domain.registration import ACTIVE, CLOSED
from identity.use_cases.contract_links import ContractAccess, access_of, announce
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountsMerged

log = get_logger(__name__)

VIA = "merge"


@dataclass(frozen=True)
class Merged:
    kept_account_id: str
    merged_account_id: str
    gained: list[ContractAccess]


async def merge_accounts(
    uow: UnitOfWork, *, operator: str, keep_account_id: str, merge_account_id: str, now: datetime
) -> Merged:
    if keep_account_id == merge_account_id:
        raise ProblemError(
            422, "merge-same-account", "An account cannot be merged into itself.", field="merge_account_id"
        )
    accounts = Accounts(uow.session)
    kept = await accounts.get(keep_account_id)
    merged = await accounts.get(merge_account_id)
    for field, account in (("keep_account_id", kept), ("merge_account_id", merged)):
        if account is None:
            raise ProblemError(404, "account-unknown", "No account has this id.", field=field)
    assert kept is not None and merged is not None
    for field, account in (("keep_account_id", kept), ("merge_account_id", merged)):
        if account.status == CLOSED:
            raise ProblemError(
                409, "account-closed", "This account is closed (merged into another one).", field=field
            )

    links = ContractLinks(uow.session)
    have = {link.contract_id for link in await links.of_account(kept.id)}
    gained: list[ContractLink] = []
    for link in await links.of_account(merged.id):
        await uow.session.delete(link)
        if link.customer_number != kept.customer_number and link.contract_id not in have:
            gained.append(
                _link(kept, link.contract_id, link.contract_number, link.customer_number, link.role, now)
            )
            have.add(link.contract_id)
    if merged.customer_number != kept.customer_number:
        for facts in await ContractFactsRepository(uow.session).of_customer(merged.customer_number):
            if facts.contract_number is not None and facts.contract_id not in have:
                gained.append(
                    _link(
                        kept, facts.contract_id, facts.contract_number, facts.customer_number, "holder", now
                    )
                )
                have.add(facts.contract_id)
    await uow.session.flush()  # the deletes before the inserts (one link per account and contract)
    for link in gained:
        links.add(link)
        if kept.status == ACTIVE:
            announce(uow, kept, link)

    merged.status = CLOSED
    merged.merged_into = kept.id
    await Sessions(uow.session).revoke_all_of(merged.id, now, "merged")
    await Activations(uow.session).end_all_of(merged.id, now, "merged")
    await PasswordResets(uow.session).end_all_of(merged.id, now, "merged")
    await LegacyMigrations(uow.session).end_all_of(merged.id, now)
    uow.emit(AccountsMerged(kept_account_id=kept.id, merged_account_id=merged.id), subject=kept.id)
    await uow.commit()
    log.info("accounts merged", operator=operator, kept=kept.id, merged=merged.id, contracts=len(gained))
    return Merged(kept.id, merged.id, [access_of(link) for link in gained])


def _link(
    account: Account, contract_id: str, contract_number: str, customer_number: str, role: str, now: datetime
) -> ContractLink:
    return ContractLink(
        id=str(uuid.uuid4()),
        account_id=account.id,
        contract_id=contract_id,
        contract_number=contract_number,
        customer_number=customer_number,
        role=role,
        via=VIA,
        linked_at=now,
    )
