"""Registration letters: a code that lets the holder of a contract open a portal account (or
add the contract to theirs) without an invoice at hand.

The code goes on a letter sent by post to the supply address, so it proves that whoever types
it in receives that address's mail. It is 8 characters, case-sensitive, from an alphabet without
characters that look alike on paper (0/O/o, 1/l/I/i). Contracts keeps no copy: the code travels
sealed in RegistrationCodeIssued to identity, which stores only its hash. A newer letter for the
same contract replaces the older code there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from contracts.db.tables import Contract
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import RegistrationCodeIssued

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 8
MAX_VALID_DAYS = 365


def new_registration_code() -> str:
    """55 symbols over 8 places: about 8 x 10^13 codes, and identity allows 5 wrong tries."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class IssuedCode:
    code: str  # for the letter only: never logged, never stored here
    contract_id: str
    expires_at: datetime


async def issue_registration_code(
    uow: UnitOfWork, sealer: Sealer, *, contract_number: str, valid_days: int, now: datetime
) -> IssuedCode:
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise ProblemError(
            422, "invalid-valid-days", f"A code is valid for 1 to {MAX_VALID_DAYS} days.", field="valid_days"
        )
    number = contract_number.strip()
    contract: Contract | None = None
    if len(number) == 9 and number.isascii() and number.isdigit():
        contract = await uow.session.scalar(select(Contract).where(Contract.contract_number == number))
    if contract is None:
        raise ProblemError(404, "contract-unknown", "No contract has this contract number (9 digits).")
    code = new_registration_code()
    expires_at = now + timedelta(days=valid_days)
    uow.emit(
        RegistrationCodeIssued(
            contract_id=contract.id,
            contract_number=contract.contract_number,
            customer_number=contract.customer_number,
            sealed_code=sealer.seal(code),
            expires_at=expires_at,
        ),
        subject=contract.id,
    )
    await uow.commit()
    return IssuedCode(code=code, contract_id=contract.id, expires_at=expires_at)
