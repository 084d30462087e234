"""Allocation arithmetic, worked by hand: oldest invoice first, credit notes before money,
whatever is left stays as credit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.domain.allocation import (
    Allocation,
    Credit,
    Debt,
    OpenItem,
    allocate,
    balance_of,
)

D = Decimal


def debt(invoice_id: str, amount: str, due: date, issued: date | None = None, number: str = "") -> Debt:
    return Debt(invoice_id, D(amount), due, issued or due, number or invoice_id)


def paid(payment_id: str, amount: str, day: int = 1) -> Credit:
    return Credit("payment", payment_id, D(amount), datetime(2026, 3, day, tzinfo=UTC), payment_id)


def credit_note(invoice_id: str, amount: str, day: int = 1) -> Credit:
    return Credit("invoice", invoice_id, D(amount), datetime(2026, 3, day, tzinfo=UTC), invoice_id)


def test_a_partial_payment_leaves_the_rest_open() -> None:
    # 100.00 owed, 40.00 paid: 40.00 allocated, 60.00 still open, no credit left.
    result = allocate([debt("A", "100.00", date(2026, 3, 15))], [paid("P", "40.00")])
    assert result == [Allocation("A", "payment", "P", D("40.00"))]


def test_the_oldest_invoice_is_settled_first() -> None:
    # Due 1 Feb 50.00, due 1 Mar 30.00, due 1 Apr 20.00 (given out of order); 65.00 paid:
    # February 50.00 (15.00 left), March 15.00 of 30.00 (15.00 still open), April nothing.
    result = allocate(
        [
            debt("APR", "20.00", date(2026, 4, 1)),
            debt("FEB", "50.00", date(2026, 2, 1)),
            debt("MAR", "30.00", date(2026, 3, 1)),
        ],
        [paid("P", "65.00")],
    )
    assert result == [
        Allocation("FEB", "payment", "P", D("50.00")),
        Allocation("MAR", "payment", "P", D("15.00")),
    ]


def test_the_invoice_paid_for_goes_before_older_ones() -> None:
    # A card payment of 30.00 started on the March invoice pays it, though February is older;
    # the 10.00 left goes to February as usual.
    result = allocate(
        [debt("FEB", "50.00", date(2026, 2, 1)), debt("MAR", "30.00", date(2026, 3, 1))],
        [paid("P", "40.00")],
        first="MAR",
    )
    assert result == [
        Allocation("MAR", "payment", "P", D("30.00")),
        Allocation("FEB", "payment", "P", D("10.00")),
    ]


def test_same_due_date_goes_by_issue_date_then_number() -> None:
    due = date(2026, 3, 31)
    result = allocate(
        [
            debt("late", "10.00", due, issued=date(2026, 3, 17), number="A2026-000001"),
            debt("second", "10.00", due, issued=date(2026, 3, 3), number="A2026-000009"),
            debt("first", "10.00", due, issued=date(2026, 3, 3), number="A2026-000002"),
        ],
        [paid("P", "25.00")],
    )
    assert [(a.invoice_id, a.amount) for a in result] == [
        ("first", D("10.00")),
        ("second", D("10.00")),
        ("late", D("5.00")),
    ]


def test_an_overpayment_stays_as_credit() -> None:
    # 80.00 owed, 100.00 paid: 80.00 allocated; 100.00 - 80.00 = 20.00 unallocated credit.
    result = allocate([debt("A", "80.00", date(2026, 3, 15))], [paid("P", "100.00")])
    assert result == [Allocation("A", "payment", "P", D("80.00"))]
    assert D("100.00") - sum(a.amount for a in result) == D("20.00")


def test_a_credit_note_settles_the_next_invoice_before_money() -> None:
    # Credit note -30.00 and 100.00 paid earlier; new invoice 45.50: the credit note's 30.00
    # first, then 15.50 of the payment (84.50 of it stays credit).
    result = allocate(
        [debt("NEXT", "45.50", date(2026, 4, 14))],
        [paid("P", "100.00", day=1), credit_note("CN", "30.00", day=20)],
    )
    assert result == [
        Allocation("NEXT", "invoice", "CN", D("30.00")),
        Allocation("NEXT", "payment", "P", D("15.50")),
    ]


def test_several_credits_over_several_invoices() -> None:
    # Invoices 12.34 (due 1 Mar) and 20.00 (due 1 Apr); payments 10.00 (3 Mar) and 30.00 (5 Mar).
    # 12.34 = 10.00 (P1) + 2.34 (P2); 20.00 from P2 (27.66 left -> 7.66 credit).
    result = allocate(
        [debt("B", "20.00", date(2026, 4, 1)), debt("A", "12.34", date(2026, 3, 1))],
        [paid("P2", "30.00", day=5), paid("P1", "10.00", day=3)],
    )
    assert result == [
        Allocation("A", "payment", "P1", D("10.00")),
        Allocation("A", "payment", "P2", D("2.34")),
        Allocation("B", "payment", "P2", D("20.00")),
    ]


def test_nothing_to_allocate() -> None:
    assert allocate([], [paid("P", "5.00")]) == []
    assert allocate([debt("A", "5.00", date(2026, 3, 1))], []) == []


def test_zero_or_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        allocate([debt("A", "0.00", date(2026, 3, 1))], [paid("P", "5.00")])
    with pytest.raises(ValueError):
        allocate([debt("A", "5.00", date(2026, 3, 1))], [paid("P", "-5.00")])


def test_balance_open_overdue_and_credit() -> None:
    # Today 16 March. Open: 40.00 due 1 Mar (overdue), 25.50 due 15 Mar (overdue: the due date
    # has passed), 60.00 due 16 Mar (due today: not overdue), a credit note -12.00.
    # Open 40.00 + 25.50 + 60.00 = 125.50; overdue 40.00 + 25.50 = 65.50, oldest 1 March;
    # credit 12.00 + 7.25 unallocated = 19.25.
    balance = balance_of(
        [
            OpenItem(D("25.50"), date(2026, 3, 15)),
            OpenItem(D("40.00"), date(2026, 3, 1)),
            OpenItem(D("60.00"), date(2026, 3, 16)),
            OpenItem(D("-12.00"), date(2026, 3, 10)),
        ],
        [D("7.25")],
        today=date(2026, 3, 16),
    )
    assert balance.open_total == D("125.50")
    assert balance.overdue_total == D("65.50")
    assert balance.overdue is True
    assert balance.oldest_overdue_due_date == date(2026, 3, 1)
    assert balance.credit == D("19.25")


def test_nothing_open_is_an_empty_balance() -> None:
    balance = balance_of([], [], today=date(2026, 3, 16))
    assert (balance.open_total, balance.overdue_total, balance.credit) == (D("0.00"),) * 3
    assert balance.overdue is False and balance.oldest_overdue_due_date is None
