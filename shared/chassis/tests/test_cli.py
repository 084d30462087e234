"""run_in_unit_of_work: a command-line operation in one transaction, refusals on stderr."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select

from portal_chassis import tables
from portal_chassis.cli import run_in_unit_of_work
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork


def outbox_rows(settings) -> int:
    engine = create_engine(settings.database_url.replace("+aiosqlite", ""))
    try:
        tables.metadata.create_all(engine)
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(tables.outbox)) or 0
    finally:
        engine.dispose()


async def test_the_work_commits_and_its_exit_code_is_returned(settings, reading, capsys) -> None:
    assert outbox_rows(settings) == 0

    async def work(uow: UnitOfWork) -> int:
        uow.emit(reading(), subject="m-1")
        await uow.commit()
        print("done")
        return 0

    assert await run_in_unit_of_work(settings, work) == 0
    assert capsys.readouterr().out == "done\n"
    assert outbox_rows(settings) == 1


async def test_a_problem_is_a_message_on_stderr_and_exit_code_1(settings, reading, capsys) -> None:
    assert outbox_rows(settings) == 0

    async def work(uow: UnitOfWork) -> int:
        uow.emit(reading(), subject="m-1")
        raise ProblemError(409, "taken", "That e-mail address already has an account.")

    assert await run_in_unit_of_work(settings, work) == 1
    assert capsys.readouterr().err == "That e-mail address already has an account.\n"
    assert outbox_rows(settings) == 0


async def test_other_refusals_and_exit_codes_can_be_chosen(settings, capsys) -> None:
    async def work(uow: UnitOfWork) -> int:
        raise LookupError("no such customer")

    assert await run_in_unit_of_work(settings, work, refusals=(LookupError,), refused_code=2) == 2
    assert capsys.readouterr().err == "no such customer\n"
