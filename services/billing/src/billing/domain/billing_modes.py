"""How a contract is billed, and when a change of mode takes effect.

- monthly_advance: an advance invoice each calendar month, an annual settlement;
- quarterly: an invoice on consumption per calendar quarter;
- on_reading: an invoice whenever an actual reading arrives.

A change takes effect on the first day of the next calendar month (customer's zone): until
then it waits as the account's next mode. Whoever reads the mode for a day applies a change
that is due by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal_schemas.billing import BillingMode


@dataclass(frozen=True)
class ModeChange:
    """What a request for ``mode`` does: from ``effective_from`` the contract is billed in
    ``mode`` instead of ``previous_mode``; ``next_mode`` is what the account then waits for
    (None: nothing pending)."""

    mode: BillingMode
    previous_mode: BillingMode
    effective_from: date
    next_mode: BillingMode | None


def mode_on(
    mode: BillingMode, next_mode: BillingMode | None, next_mode_from: date | None, day: date
) -> BillingMode:
    """The mode in force on ``day``."""
    if next_mode is not None and next_mode_from is not None and next_mode_from <= day:
        return next_mode
    return mode


def change_mode(
    current: BillingMode, pending: BillingMode | None, requested: BillingMode, effective_from: date
) -> ModeChange | None:
    """The change a request makes, with ``current`` the mode in force today and ``pending`` a
    change not due yet; None when ``requested`` is what applies from ``effective_from``
    anyway. Asking for the current mode back cancels the pending change."""
    previous = pending or current
    if requested == previous:
        return None
    return ModeChange(
        mode=requested,
        previous_mode=previous,
        effective_from=effective_from,
        next_mode=None if requested == current else requested,
    )
