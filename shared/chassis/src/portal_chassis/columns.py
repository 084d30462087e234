"""Column types that behave the same on PostgreSQL and SQLite.

SQLite has no exact decimal type (a NUMERIC column hands its values back through a float) and
keeps no time zone. So:

- :class:`ExactDecimal` is NUMERIC(precision, scale) on PostgreSQL and the same digits as
  fixed-point text on SQLite. Either way a value is rounded half-up (ties away from zero) to
  the column's scale before it is stored, as PostgreSQL's NUMERIC does.
- :class:`ExactDecimalArray` is NUMERIC(precision, scale)[] on PostgreSQL and JSON text of
  the same fixed-point strings (null for a missing element) on SQLite: a list of Decimal or
  None either way, each rounded as ExactDecimal rounds.
- :class:`UtcDateTime` takes aware datetimes only, stores them in UTC and always reads them
  back aware, in UTC.

Code above the tables never sees a float or a naive datetime, whichever database runs.

The services' migrations name these types, so what they create in the database is part of
those migrations: never change the DDL they emit. A different storage is a new type (and a
new migration), not an edit here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(precision, scale) on PostgreSQL; the same digits as text on SQLite."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))  # sign and decimal point
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        fixed = Decimal(value).quantize(self._quantum, rounding=ROUND_HALF_UP)
        # format(..., "f"): str() would write a small value in exponent notation ("1E-7").
        return format(fixed, "f") if dialect.name == "sqlite" else fixed

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)


class ExactDecimalArray(TypeDecorator[list[Decimal | None]]):
    """NUMERIC(precision, scale)[] on PostgreSQL; JSON text of fixed-point strings and nulls on
    SQLite (no arrays there, and no exact decimals)."""

    impl = Text
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def __repr__(self) -> str:  # what autogenerate writes into migrations
        return f"ExactDecimalArray(precision={self.precision}, scale={self.scale})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Numeric(self.precision, self.scale, asdecimal=True)))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: list[Decimal | None] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        fixed = [
            None if v is None else Decimal(v).quantize(self._quantum, rounding=ROUND_HALF_UP) for v in value
        ]
        if dialect.name == "postgresql":
            return fixed
        return json.dumps([None if v is None else format(v, "f") for v in fixed])

    def process_result_value(self, value: Any, dialect: Dialect) -> list[Decimal | None] | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = json.loads(value)
        return [None if v is None else v if isinstance(v, Decimal) else Decimal(v) for v in value]


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp: aware datetimes in, stored in UTC, aware UTC datetimes out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def __repr__(self) -> str:
        return "UtcDateTime()"  # takes no arguments (autogenerate writes this into migrations)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite keeps no offset: what it hands back is the UTC stored above.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
