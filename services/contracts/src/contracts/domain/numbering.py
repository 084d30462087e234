"""Contract numbers: nine digits, printed on letters and invoices, never given out twice.

Numbers are handed out in order from 100000001 (so every number has nine digits without a
leading zero) by one counter row that the creating transaction locks (see
``db.repositories.ContractNumbers``). Why a counter row and not a database sequence or a
random number: SQLite (tests, local runs) has no sequences; a counter that rolls back with
its transaction leaves no gaps; and a random nine-digit number would need a retry loop on
collisions. The unique constraint on ``contracts.contract_number`` backs all of this up.
"""

from __future__ import annotations

from contracts.domain.errors import DomainError

FIRST = 100_000_001
LAST = 999_999_999
COUNTER = "contract"  # the one row of contract_number_counters


class ContractNumbersExhausted(DomainError):
    status = 503
    slug = "contract-numbers-exhausted"


def contract_number(value: int) -> str:
    """The printed form of the n-th number; refuses to go past nine digits."""
    if value > LAST:
        raise ContractNumbersExhausted("All nine-digit contract numbers are used up.")
    if value < FIRST:
        raise ValueError(f"contract numbers start at {FIRST}")
    return f"{value:09d}"
