"""Dunning: which reminder step an overdue invoice gets today.

Steps are numbered 1, 2, ... and fall due a set number of days after the invoice's due date
(settings: 14 and 28 by default). They go in order: step n is sent only after step n - 1, and
at least as many days after it as the two steps lie apart (28 - 14 = 14 days by default), so
the customer has had the time the previous reminder gave. On a normal daily run that is the
same day the step falls due; after a pause the steps follow one another at that distance
rather than arriving together, and a second run on the same day never adds a step. An invoice
with nothing left to pay gets no step at all (the caller only asks about open amounts).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta


def days_overdue(due_date: date, today: date) -> int:
    """0 on the due date itself, 1 the day after, ..."""
    return (today - due_date).days


def next_step(
    *,
    due_date: date,
    today: date,
    last_step_sent: int,
    last_sent_on: date | None,
    step_days: Sequence[int],
) -> int | None:
    """The step to send today, or None.

    ``last_step_sent`` is 0 (and ``last_sent_on`` None) when no reminder was sent yet.
    ``step_days[i]`` is the number of days overdue from which step i + 1 is due.
    """
    step = last_step_sent + 1
    if step > len(step_days):
        return None  # every step was sent
    if days_overdue(due_date, today) < step_days[step - 1]:
        return None
    if last_step_sent > 0:
        gap = step_days[step - 1] - step_days[step - 2]
        if last_sent_on is None or (today - last_sent_on).days < gap:
            return None
    return step


def pay_by(today: date, pay_within_days: int) -> date:
    """The new deadline a reminder sent today names."""
    return today + timedelta(days=pay_within_days)
