"""The chassis column types: exact decimals (alone and in arrays) and aware UTC datetimes on
SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError

from portal_chassis.columns import ExactDecimal, ExactDecimalArray, UtcDateTime

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", ExactDecimal(14, 2)),
    Column("tiny", ExactDecimal(18, 8)),
    Column("at", UtcDateTime),
    Column("slots", ExactDecimalArray(14, 6)),
)


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_decimals_come_back_exact_and_rounded_half_up_to_the_scale(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(things),
            [
                {"id": 1, "amount": Decimal("0.125"), "tiny": Decimal("0.0000001")},
                {"id": 2, "amount": Decimal("-0.125"), "tiny": None},
                {"id": 3, "amount": Decimal("12345678.1"), "tiny": Decimal("1")},
            ],
        )
        rows = conn.execute(select(things.c.amount, things.c.tiny).order_by(things.c.id)).all()
        stored = conn.exec_driver_sql("SELECT amount, tiny FROM things ORDER BY id").all()
    assert rows == [
        (Decimal("0.13"), Decimal("0.00000010")),
        (Decimal("-0.13"), None),
        (Decimal("12345678.10"), Decimal("1.00000000")),
    ]
    assert all(isinstance(amount, Decimal) for amount, _ in rows)
    assert [str(amount) for amount, _ in rows] == ["0.13", "-0.13", "12345678.10"]
    # Fixed-point text, never exponent notation.
    assert [tuple(row) for row in stored] == [
        ("0.13", "0.00000010"),
        ("-0.13", None),
        ("12345678.10", "1.00000000"),
    ]


def test_decimals_are_text_on_sqlite_and_numeric_on_postgresql() -> None:
    column = ExactDecimal(14, 2)
    assert str(column.dialect_impl(sqlite.dialect()).impl_instance) == "VARCHAR(16)"  # type: ignore[attr-defined]
    assert str(column.compile(dialect=postgresql.dialect())) == "NUMERIC(14, 2)"


def test_datetimes_are_stored_in_utc_and_read_back_aware(engine) -> None:
    cet = timezone(timedelta(hours=1))
    with engine.begin() as conn:
        conn.execute(insert(things), [{"id": 1, "at": datetime(2026, 3, 1, 9, 30, tzinfo=cet)}])
        at = conn.scalar(select(things.c.at))
        bound = datetime(2026, 3, 1, 8, 31, tzinfo=UTC)
        earlier = conn.scalar(select(things.c.id).where(things.c.at < bound))
    assert at == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert at.tzinfo is UTC
    assert earlier == 1


def test_naive_datetimes_are_refused(engine) -> None:
    with engine.begin() as conn, pytest.raises(StatementError, match="naive"):
        conn.execute(insert(things), [{"id": 1, "at": datetime(2026, 3, 1, 9, 30)}])  # noqa: DTZ001


def test_decimal_arrays_keep_exact_digits_and_gaps_on_sqlite(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(things),
            [
                {"id": 1, "slots": [Decimal("0.1"), None, Decimal("0.0000005"), Decimal("1E+2")]},
                {"id": 2, "slots": None},
            ],
        )
        rows = conn.execute(select(things.c.slots).order_by(things.c.id)).scalars().all()
        stored = conn.exec_driver_sql("SELECT slots FROM things WHERE id = 1").scalar()
    assert rows == [[Decimal("0.100000"), None, Decimal("0.000001"), Decimal("100.000000")], None]
    assert stored == '["0.100000", null, "0.000001", "100.000000"]'  # text, never a float


def test_decimal_arrays_are_numeric_arrays_on_postgresql() -> None:
    column = ExactDecimalArray(14, 6)
    assert str(column.compile(dialect=postgresql.dialect())) == "NUMERIC(14, 6)[]"
    assert column.process_bind_param([Decimal("0.25"), None], postgresql.dialect()) == [
        Decimal("0.250000"),
        None,
    ]
