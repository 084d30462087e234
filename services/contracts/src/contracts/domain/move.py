"""Moves: the notice a customer gives and the dates they give.

A move is reported at least 5 calendar days before the move-out date (the supplier needs
those days to arrange the switch at both addresses); a move-out date in the past is refused.
The contract moves with the customer when a new address is given, with a move-in date that is
neither in the past nor more than a year off; without a new address the contracts end on the
move-out date (a termination with reason "move", so the fee rules apply).
"""

from __future__ import annotations

from datetime import date, timedelta

from contracts.domain.errors import InvalidMove

MIN_NOTICE_DAYS = 5
MAX_AHEAD = timedelta(days=366)


def check_move(*, today: date, move_out_date: date, move_in_date: date | None, has_new_address: bool) -> None:
    if move_out_date < today:
        raise InvalidMove("The move-out date cannot be in the past.", field="move_out_date")
    if (move_out_date - today).days < MIN_NOTICE_DAYS:
        earliest = today + timedelta(days=MIN_NOTICE_DAYS)
        raise InvalidMove(
            f"Please report a move at least {MIN_NOTICE_DAYS} days ahead: the earliest move-out "
            f"date is {earliest.isoformat()}.",
            field="move_out_date",
        )
    if move_out_date > today + MAX_AHEAD:
        raise InvalidMove("A move can be reported at most a year ahead.", field="move_out_date")
    if has_new_address and move_in_date is None:
        raise InvalidMove("With a new address, give the move-in date too.", field="move_in_date")
    if not has_new_address and move_in_date is not None:
        raise InvalidMove("A move-in date needs the new address.", field="new_address")
    if move_in_date is not None and not today <= move_in_date <= today + MAX_AHEAD:
        raise InvalidMove("The move-in date is from today up to a year ahead.", field="move_in_date")
