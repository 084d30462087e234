"""Invoice numbers: ``<series><year>-<sequence>``, e.g. ``F2026-000001``.

Per series and calendar year (of the issue date, Europe/Amsterdam) the sequence starts at 1 and
has no gaps: a number is taken in the same transaction that stores the invoice, so a rolled
back invoice gives its number back and a committed one keeps it for good. Numbers are never
reused, also not when an invoice is later credited.

Series (one letter each, so a number shows what kind of document it is):

    A   monthly advances                                        A2026-000001
    Q   quarterly invoices                                      Q2026-000001
    P   periodic invoices on real consumption (after a reading) P2026-000001
    J   annual settlements                                      J2026-000001
    F   final settlements, issued when a contract ends          F2026-000001
    C   credit notes                                            C2026-000001

The sequence is padded to six digits; a seventh digit simply widens the number.
"""

from __future__ import annotations

from billing.domain.invoice import InvoiceKind

SERIES: dict[InvoiceKind, str] = {
    "advance": "A",
    "quarterly": "Q",
    "periodic": "P",
    "annual_settlement": "J",
    "final_settlement": "F",
    "credit_note": "C",
}


def series_for(kind: InvoiceKind) -> str:
    return SERIES[kind]


def format_number(series: str, year: int, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("invoice sequences start at 1")
    return f"{series}{year}-{sequence:06d}"
