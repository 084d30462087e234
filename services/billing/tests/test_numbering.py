"""Invoice number format (domain/numbering.py) and the lock that keeps numbers unique."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql

from billing.db.repositories import locked_sequence
from billing.domain.numbering import format_number, series_for


def test_number_format() -> None:
    assert series_for("final_settlement") == "F"
    assert format_number("F", 2026, 1) == "F2026-000001"
    assert format_number("F", 2026, 1234567) == "F2026-1234567"  # widens, never wraps
    with pytest.raises(ValueError):
        format_number("F", 2026, 0)


def test_the_sequence_row_is_read_with_for_update_on_postgresql() -> None:
    sql = str(locked_sequence("F", 2026).compile(dialect=postgresql.dialect()))
    assert sql.rstrip().endswith("FOR UPDATE")
    assert "invoice_sequences.series = " in sql and "invoice_sequences.year = " in sql
