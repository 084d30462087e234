"""Async engine and sessions; PostgreSQL in production and tests, SQLite files for `make up`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: SQL errors reach logs and dead-letter headers; values may be personal.
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # WAL lets the relay read while a request writes; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    engine = create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,  # a restarted database must not leave dead connections in the pool
        pool_timeout=5,
        hide_parameters=True,
        connect_args={"timeout": 5, "command_timeout": 30},
    )
    event.listen(engine.sync_engine, "do_connect", _connect_failure_is_operational)
    return engine


# A new connection failing for these reasons means the database is away, not that the request
# or event is wrong: refused or timed out, "the database system is starting up / shutting down",
# or no connection slot free.
_CANNOT_CONNECT = (
    OSError,  # ConnectionRefusedError, TimeoutError (the connect timeout), name resolution
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


def _connect_failure_is_operational(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """asyncpg's connect errors reach SQLAlchemy unwrapped (a bare ConnectionRefusedError), so
    an API would answer 500 and a consumer count a database outage against the message. As the
    DBAPI's OperationalError they become sqlalchemy.exc.OperationalError: a 503 problem
    (problems.py) and a transient failure that consumers retry (dead_letter.py)."""
    try:
        return dialect.connect(*cargs, **cparams)
    except _CANNOT_CONNECT as exc:
        raise dialect.loaded_dbapi.OperationalError(f"cannot connect: {type(exc).__name__}", exc) from exc


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
