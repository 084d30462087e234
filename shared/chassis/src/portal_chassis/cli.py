"""``python -m <service> serve | migrate | asyncapi | dead-letters``, the same for every
service, and what a service's own operations commands share (:func:`run_in_unit_of_work`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from faststream.specification import AsyncAPI
from pydantic import ValidationError

from portal_chassis import dead_letter_cli
from portal_chassis.job_lock import JobLockTimeout, job_lock
from portal_chassis.migrations import upgrade
from portal_chassis.problems import ProblemError
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.settings import ServiceSettings
from portal_chassis.uow import UnitOfWork

Command = Callable[[argparse.Namespace], int]
Work = Callable[[UnitOfWork], Awaitable[int]]


def today_arg(parser: argparse.ArgumentParser) -> None:
    """``--today``: the day a daily job acts as, for tests and catch-up runs. A command with it
    is a scheduled job (:func:`scheduled_job`)."""
    scheduled_job(parser)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        help="the calendar day to act as (default: today in the service's zone); for tests and catch-up",
    )


def scheduled_job(parser: argparse.ArgumentParser) -> None:
    """Marks a command as a job cron starts (on every instance, maybe): :func:`run` holds its
    job lock (portal_chassis.job_lock), so two runs at once run one after the other."""
    parser.set_defaults(**{_SCHEDULED_JOB: True})


_SCHEDULED_JOB = "_scheduled_job"


def asyncapi_document(app: FastAPI) -> dict[str, object]:
    runtime: ServiceRuntime = app.state.runtime
    spec = AsyncAPI(
        runtime.broker,
        title=f"{runtime.settings.service_name} events",
        version="1.0.0",
        description=app.description,
    )
    document: dict[str, object] = json.loads(spec.to_specification().to_json())
    return document


def run(
    *,
    create_app: Callable[[], FastAPI],
    settings: type[ServiceSettings],
    migrations_dir: Path,
    commands: dict[str, tuple[str, Command, Callable[[argparse.ArgumentParser], None]]] | None = None,
    argv: list[str] | None = None,
) -> int:
    # The class attribute: commands that need no configuration (help, previews) run without it.
    parser = argparse.ArgumentParser(prog=settings.service_name)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API and the event consumers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    sub.add_parser("migrate", help="upgrade the database to the latest migration")
    spec = sub.add_parser("asyncapi", help="print the AsyncAPI document of this service")
    spec.add_argument("--output", type=Path)
    dead_letter_cli.configure(sub)
    extra = commands or {}
    for name, (help_text, _, configure) in extra.items():
        configure(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv)

    if args.command == "serve":
        uvicorn.run(
            create_app(),
            host=args.host,
            port=args.port,
            log_config=None,  # the chassis' structlog setup owns logging
            proxy_headers=True,  # trusted from FORWARDED_ALLOW_IPS (uvicorn's default: 127.0.0.1)
            timeout_graceful_shutdown=20,
        )
        return 0
    if args.command == "migrate":
        upgrade(migrations_dir, settings().database_url)
        return 0
    if args.command == "asyncapi":
        text = json.dumps(asyncapi_document(create_app()), indent=2, sort_keys=True) + "\n"
        if args.output:
            args.output.write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    if args.command == "dead-letters":
        return dead_letter_cli.command(args, settings)
    if getattr(args, _SCHEDULED_JOB, False):
        return _one_at_a_time(settings, args.command, lambda: extra[args.command][1](args))
    return extra[args.command][1](args)


# Exit code of a run that gave up waiting for another run of the same command (EX_TEMPFAIL).
LOCK_TIMEOUT_CODE = 75


def _one_at_a_time(settings: type[ServiceSettings], command: str, action: Callable[[], int]) -> int:
    """A scheduled job under its job lock: started on two instances at once, the runs go one
    after the other."""
    try:
        configured = settings()
    except ValidationError:
        return action()  # not configured: it cannot reach the database either (help, previews)
    try:
        with job_lock(configured, command):
            return action()
    except JobLockTimeout as exc:
        print(str(exc), file=sys.stderr)
        return LOCK_TIMEOUT_CODE


async def run_in_unit_of_work(
    settings: ServiceSettings,
    work: Work,
    *,
    refusals: tuple[type[Exception], ...] = (ProblemError,),
    refused_code: int = 1,
) -> int:
    """Run one command-line operation in one unit of work against the service's database.

    ``work`` gets the unit of work (and commits it itself) and returns the exit code. When it
    raises one of ``refusals`` (a ProblemError unless told otherwise), nothing is committed,
    the message goes to standard error and the exit code is ``refused_code``. No Kafka: the
    events it emits wait in the outbox for the running service's relay.
    """
    runtime = ServiceRuntime.create(settings)
    try:
        async with runtime.new_uow() as uow:
            return await work(uow)
    except refusals as exc:
        print(str(exc), file=sys.stderr)
        return refused_code
    finally:
        await runtime.engine.dispose()
