"""How long invoices are kept: ``years`` after their issue date (the customer may download them
for at least five years, 002; the tax rules ask seven, the default).

An invoice issued on ``cutoff(today, years)`` or later is kept; one issued before it may go,
unless it is still open (something to pay or to set off). 29 February counts back to 28
February in a year without it, so an invoice is never removed a day early. A cutoff that would
fall before year 1 is the first day there is: nothing was issued before it.
"""

from __future__ import annotations

from datetime import date

MINIMUM_YEARS = 5


def cutoff(today: date, years: int) -> date:
    if years < MINIMUM_YEARS:
        raise ValueError(f"documents are kept at least {MINIMUM_YEARS} years")
    if today.year - years < date.min.year:
        return date.min
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February, into a year without it
        return date(today.year - years, 2, 28)
