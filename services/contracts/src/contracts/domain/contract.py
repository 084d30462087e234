"""Contract rules: the terms a new contract must satisfy, when it may be terminated, and
which status a customer sees."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from contracts.domain.errors import ContractNotActive, InvalidContractTerms, InvalidEndDate

# Notice further ahead than this is refused: no fixed term runs longer, and dates near the
# calendar's end would break every consumer's date arithmetic.
MAX_NOTICE = timedelta(days=5 * 366)

# Stored status; "ended" is also what a terminating contract shows once its last day passed.
# "requested": a portal request awaiting confirmation; "refused": not confirmed (never concluded);
# "confirmed": concluded, supply not started yet; "withdrawn": the customer withdrew in time.
Status = Literal["requested", "refused", "confirmed", "active", "terminating", "ended", "withdrawn"]
# A connection (EAN and commodity) has one current contract at a time; a pending request holds
# it too, since a second request for it would race the first.
HOLDS_CONNECTION: tuple[Status, ...] = ("requested", "confirmed", "active", "terminating")


def check_new_terms(
    *,
    customer_number: str,
    product_code: str,
    start_date: date,
    fixed_term_end: date | None,
    concluded_on: date,
) -> None:
    if not customer_number.isalnum() or len(customer_number) > 20:
        raise InvalidContractTerms(
            "A customer number has 1 to 20 letters or digits.", field="customer_number"
        )
    if not product_code.strip() or len(product_code) > 50:
        raise InvalidContractTerms("A product code has 1 to 50 characters.", field="product_code")
    if fixed_term_end is not None and fixed_term_end < start_date:
        raise InvalidContractTerms(
            "The fixed term cannot end before the contract starts.", field="fixed_term_end"
        )
    if concluded_on > start_date:
        raise InvalidContractTerms(
            "A contract is concluded on or before its start date.", field="concluded_on"
        )


def check_termination(
    *, status: str, start_date: date, end_date: date, today: date, allowed: tuple[str, ...] = ("active",)
) -> None:
    """Only an active contract can be terminated (a move also ends a confirmed one that starts
    by the move-out day), on a day that is neither past nor before supply starts.
    ``end_date`` is the last day of supply."""
    if status not in allowed:
        raise ContractNotActive(f"This contract is {status}; only an active one can be ended.")
    if end_date < today:
        raise InvalidEndDate("The end date cannot be in the past.", field="end_date")
    if end_date < start_date:
        raise InvalidEndDate("The end date cannot be before the contract starts.", field="end_date")
    if end_date > today + MAX_NOTICE:
        raise InvalidEndDate(
            "The end date can be at most five years ahead; give notice closer to it.",
            field="end_date",
        )


def shown_status(status: str, end_date: date | None, today: date) -> str:
    """A terminating contract whose last day of supply has passed has ended, whether or
    not a job has stored that yet."""
    if status == "terminating" and end_date is not None and end_date < today:
        return "ended"
    return status
