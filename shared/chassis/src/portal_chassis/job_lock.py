"""One run at a time of each operations command of a service, however many instances run it.

Scheduled jobs are started by cron, possibly on every instance of a service at once, or again
by hand while a run is still busy. :func:`portal_chassis.cli.run` holds this lock around each
of a service's own commands: a second run of the same command waits until the first one
ended (and then finds its work done), up to ``wait`` seconds, after which it gives up with
:class:`JobLockTimeout`. The jobs stay idempotent on their own (unique keys, claimed rows);
the lock makes two runs at once the same as two runs one after the other.

PostgreSQL: a session advisory lock keyed by service and command, on a connection of its own
that is held for the run (a crashed run's lock goes with its connection). SQLite (``make
up``, one machine): an exclusive ``flock`` on a file beside the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from portal_chassis.db import make_engine
from portal_chassis.logging import get_logger
from portal_chassis.settings import ServiceSettings

log = get_logger(__name__)

# Longer than any job takes; a run still waiting after that points at a hung one.
DEFAULT_WAIT_SECONDS = 900.0
POLL_SECONDS = 0.5

Say = Callable[[str], None]


class JobLockTimeout(RuntimeError):
    """Another run of the command held the lock for longer than the wait allowed."""


def lock_key(service: str, command: str) -> int:
    """The advisory lock key: stable across processes and machines (unlike ``hash``)."""
    return zlib.crc32(f"job:{service}:{command}".encode())


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def job_lock(
    settings: ServiceSettings,
    command: str,
    *,
    wait: float | None = None,
    say: Say = _stderr,
) -> Iterator[None]:
    """Hold the lock of ``<service> <command>`` while the block runs (the block may run its
    own event loops: the lock's connection lives on a loop of its own)."""
    name = f"{settings.service_name} {command}"
    limit = DEFAULT_WAIT_SECONDS if wait is None else wait
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        with _advisory_lock(
            settings.database_url, lock_key(settings.service_name, command), name, limit, say
        ):
            yield
    elif url.database and url.database != ":memory:":
        lock_file = Path(url.database).with_name(f"{Path(url.database).name}.{command}.lock")
        with _file_lock(lock_file, name, limit, say):
            yield
    else:
        yield  # an in-memory database: nothing else can share it


def _waiting(name: str, limit: float, say: Say) -> None:
    say(f"{name}: another run is in progress; waiting up to {limit:.0f}s for it to end")


def _timed_out(name: str, limit: float) -> JobLockTimeout:
    return JobLockTimeout(
        f"{name}: another run still holds the job lock after {limit:.0f}s; not started "
        "(is a run hung? it ends with its process)"
    )


@contextlib.contextmanager
def _advisory_lock(url: str, key: int, name: str, limit: float, say: Say) -> Iterator[None]:
    loop = asyncio.new_event_loop()
    engine = make_engine(url)
    try:
        connection = loop.run_until_complete(_acquire(engine, key, name, limit, say))
        try:
            yield
        finally:
            loop.run_until_complete(_release(connection, key, name))
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


async def _acquire(engine: AsyncEngine, key: int, name: str, limit: float, say: Say) -> AsyncConnection:
    # Autocommit: the connection must not sit "idle in transaction" while the job runs.
    connection = await (await engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + limit
    announced = False
    try:
        while not await connection.scalar(select(func.pg_try_advisory_lock(key))):
            if time.monotonic() >= deadline:
                raise _timed_out(name, limit)
            if not announced:
                _waiting(name, limit, say)
                announced = True
            await asyncio.sleep(POLL_SECONDS)
    except BaseException:
        await connection.close()
        raise
    return connection


async def _release(connection: AsyncConnection, key: int, name: str) -> None:
    try:
        await connection.scalar(select(func.pg_advisory_unlock(key)))
    except Exception as exc:
        # The connection is gone (database restarted): so is the lock.
        log.warning("job lock release failed; the lock ended with its connection", job=name, error=repr(exc))
    finally:
        with contextlib.suppress(Exception):
            await connection.close()


@contextlib.contextmanager
def _file_lock(path: Path, name: str, limit: float, say: Say) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + limit
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _timed_out(name, limit) from None
                if not announced:
                    _waiting(name, limit, say)
                    announced = True
                time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
