"""The job lock: one run at a time of each service command (SQLite here; PostgreSQL's advisory
lock is exercised by tests/integration/test_scale_out.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from portal_chassis import job_lock as job_lock_module
from portal_chassis.cli import LOCK_TIMEOUT_CODE, run, scheduled_job, today_arg
from portal_chassis.job_lock import JobLockTimeout, job_lock, lock_key


@pytest.fixture(autouse=True)
def _quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job_lock_module, "POLL_SECONDS", 0.02)


def test_a_second_run_gives_up_after_the_wait_with_a_clear_message(settings) -> None:
    said: list[str] = []
    with job_lock(settings, "advance-run"):
        started = time.monotonic()
        refused = pytest.raises(
            JobLockTimeout, match="demo advance-run: another run still holds the job lock"
        )
        with refused, job_lock(settings, "advance-run", wait=0.2, say=said.append):
            pytest.fail("ran while another run held the lock")
        assert 0.2 <= time.monotonic() - started < 2
    assert said == ["demo advance-run: another run is in progress; waiting up to 0s for it to end"]

    with job_lock(settings, "advance-run", wait=0):  # released: the next run goes at once
        pass


def test_a_second_run_waits_for_the_first_and_then_runs(settings) -> None:
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with job_lock(settings, "send-reminders"):
            order.append("first starts")
            held.set()
            time.sleep(0.3)
            order.append("first ends")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with job_lock(settings, "send-reminders", wait=10, say=order.append):
        order.append("second starts")
    thread.join()

    assert order == [
        "first starts",
        "demo send-reminders: another run is in progress; waiting up to 10s for it to end",
        "first ends",
        "second starts",
    ]


def test_other_commands_and_other_services_are_not_held_up(settings) -> None:
    with job_lock(settings, "advance-run"), job_lock(settings, "send-reminders", wait=0):
        pass
    assert lock_key("demo", "advance-run") != lock_key("demo", "send-reminders")
    assert lock_key("demo", "advance-run") != lock_key("billing", "advance-run")
    assert lock_key("billing", "advance-run") == lock_key("billing", "advance-run")  # every process


def test_the_lock_file_sits_beside_the_sqlite_database(settings) -> None:
    database = Path(settings.database_url.split("///", 1)[1])
    with job_lock(settings, "advance-run"):
        assert (database.parent / f"{database.name}.advance-run.lock").exists()


def test_run_holds_the_lock_around_scheduled_jobs_only(
    settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DEMO_DATABASE_URL", settings.database_url)
    monkeypatch.setattr(job_lock_module, "DEFAULT_WAIT_SECONDS", 0.2)
    ran: list[str] = []

    def command(name: str) -> Callable[[object], int]:
        def act(args: object) -> int:
            ran.append(name)
            return 3

        return act

    def call(name: str) -> int:
        return run(
            create_app=FastAPI,
            settings=type(settings),
            migrations_dir=tmp_path,
            commands={
                "daily": ("a daily job", command("daily"), today_arg),
                "job": ("a scheduled job", command("job"), scheduled_job),
                "tool": ("a command run by hand", command("tool"), lambda parser: None),
            },
            argv=[name],
        )

    with job_lock(settings, "daily"), job_lock(settings, "job"), job_lock(settings, "tool"):
        assert call("daily") == call("job") == LOCK_TIMEOUT_CODE
        assert call("tool") == 3  # not a scheduled job: no lock
    assert ran == ["tool"]
    err = capsys.readouterr().err
    assert "demo daily: another run still holds the job lock after 0s; not started" in err
    assert "demo job: another run still holds the job lock after 0s; not started" in err

    assert call("daily") == call("job") == 3
    assert ran == ["tool", "daily", "job"]
