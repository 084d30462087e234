"""Portal access ends when the customer's contracts have: a grace period after the last one's
last day of supply, so the final settlement can still be read, downloaded and paid.

- ContractTerminated (a provisional end date too: the contract ends then unless a newer event
  moves it) and ContractWithdrawn (its last supply day, or the withdrawal day when supply never
  started) -> contract_ends, the newest event per contract winning;
- ``python -m identity end-portal-access [--today]``, daily: every active account with an ended
  contract and none running, whose contracts all ended more than ``IDENTITY_ACCESS_GRACE_DAYS``
  before today, becomes ``ended``: its sessions and open mailed links end, log-in answers 403
  ``portal-access-ended`` (to the right password only), a reset mail is not sent;
- a new contract of the customer (ContractCreated without an end) makes the account active again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from identity.db.repositories import (
    Accounts,
    Activations,
    ContractEnds,
    EmailChanges,
    PasswordResets,
    Sessions,
)
from identity.db.tables import ContractEnd
from identity.domain.registration import ACTIVE, ENDED
from identity.settings import IdentitySettings
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)

# Accounts ended per transaction: a long catch-up run holds no lock for long.
BATCH = 500


async def record_contract_end(
    uow: UnitOfWork, *, contract_id: str, customer_number: str, end_date: date, occurred_at: datetime
) -> bool:
    """Returns whether the row changed (False for an event older than the stored one)."""
    ends = ContractEnds(uow.session)
    row = await ends.get(contract_id)
    if row is None:
        ends.add(
            ContractEnd(
                contract_id=contract_id,
                customer_number=customer_number,
                end_date=end_date,
                as_of=occurred_at,
            )
        )
        return True
    if occurred_at < row.as_of:
        return False
    row.customer_number = customer_number
    row.end_date = end_date
    row.as_of = occurred_at
    return True


async def reopen_access(uow: UnitOfWork, *, contract_id: str, customer_number: str) -> int:
    """A contract without a known end gives the customer's ended accounts their access back."""
    if await ContractEnds(uow.session).get(contract_id) is not None:
        return 0
    accounts = Accounts(uow.session)
    reopened = 0
    for account_id in await accounts.ids_of_customer(customer_number, ENDED):
        if await accounts.change_status(account_id, old=ENDED, new=ACTIVE):
            reopened += 1
            log.info("portal access reopened", account_id=account_id)
    return reopened


async def end_portal_access(
    uow: UnitOfWork, settings: IdentitySettings, *, today: date, now: datetime
) -> int:
    """Ends the access of every account past its grace period; returns how many. Safe to run
    twice, or twice at once: an account ends once."""
    cutoff = today - timedelta(days=settings.access_grace_days)
    ended = 0
    while True:
        due = await ContractEnds(uow.session).accounts_past(cutoff, status=ACTIVE, limit=BATCH)
        for account in due:
            if not await Accounts(uow.session).change_status(account.id, old=ACTIVE, new=ENDED):
                continue  # another run ended it meanwhile
            await Sessions(uow.session).revoke_all_of(account.id, now, "access-ended")
            await Activations(uow.session).end_all_of(account.id, now, "access-ended")
            await EmailChanges(uow.session).end_all_of(account.id, now, "access-ended")
            await PasswordResets(uow.session).end_all_of(account.id, now, "access-ended")
            ended += 1
            log.info("portal access ended", account_id=account.id)
        await uow.commit()
        if len(due) < BATCH:
            return ended
