import signal
import sys
import time
from pathlib import Path

import pytest

from portal_stack.processes import ManagedProcess, ProcessError, run_blocking, run_logged

# A child that announces readiness with a file, starts a grandchild, and sleeps.
CHILD = """
import pathlib, subprocess, sys, time
marker = pathlib.Path(sys.argv[1])
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
pathlib.Path(sys.argv[2]).write_text(str(grandchild.pid))
print("child up", flush=True)
marker.write_text("ready")
time.sleep(60)
"""


def sleeper(tmp_path: Path) -> ManagedProcess:
    marker = tmp_path / "ready"
    return ManagedProcess(
        "sleeper",
        [sys.executable, "-c", CHILD, str(marker), str(tmp_path / "grandchild.pid")],
        log_file=tmp_path / "sleeper.log",
        ready=marker.exists,
        ready_timeout=10,
        stop_timeout=2,
    )


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def test_start_waits_for_ready_and_stop_takes_the_whole_group(tmp_path: Path) -> None:
    process = sleeper(tmp_path)

    process.start_and_wait()
    grandchild = int((tmp_path / "grandchild.pid").read_text())
    assert process.running and alive(grandchild)

    assert process.stop() == -signal.SIGTERM
    assert not process.running
    time.sleep(0.1)
    assert not alive(grandchild)
    assert "child up" in process.tail()


def test_kill_is_a_crash_and_restart_brings_it_back(tmp_path: Path) -> None:
    process = sleeper(tmp_path)
    process.start_and_wait()
    first_pid = process.pid

    process.kill()
    assert process.returncode == -signal.SIGKILL
    (tmp_path / "ready").unlink()

    process.restart()
    assert process.running and process.pid != first_pid
    process.stop()
    assert process.tail().count("=== ") == 2  # one header per start, in the same log


def test_stop_escalates_to_sigkill_when_the_signal_is_ignored(tmp_path: Path) -> None:
    marker = tmp_path / "ignoring"
    process = ManagedProcess(
        "stubborn",
        [sys.executable, "-c", "import pathlib, signal, sys, time; signal.signal(15, 1);"
         " pathlib.Path(sys.argv[1]).touch(); time.sleep(60)", str(marker)],  # 1 = SIG_IGN
        log_file=tmp_path / "stubborn.log",
        ready=marker.exists,
        stop_timeout=0.5,
    )  # fmt: skip
    process.start_and_wait()

    started = time.monotonic()
    assert process.stop() == -signal.SIGKILL
    assert time.monotonic() - started < 3
    assert "SIGKILL" in process.tail()


def test_a_child_that_dies_before_ready_reports_its_log(tmp_path: Path) -> None:
    process = ManagedProcess(
        "broken",
        [sys.executable, "-c", "import sys; print('bad config line 3'); sys.exit(3)"],
        log_file=tmp_path / "broken.log",
        ready=lambda: False,
    )

    with pytest.raises(ProcessError, match=r"(?s)exited with code 3.*bad config line 3"):
        process.start_and_wait()


def test_readiness_timeout_names_the_process_and_shows_the_tail(tmp_path: Path) -> None:
    process = ManagedProcess(
        "slow",
        [sys.executable, "-c", "print('still booting', flush=True); import time; time.sleep(30)"],
        log_file=tmp_path / "slow.log",
        ready=lambda: False,
        ready_timeout=0.5,
    )

    with pytest.raises(ProcessError, match=r"(?s)slow not ready after.*still booting"):
        process.start_and_wait()
    assert not process.running


def test_run_logged_raises_with_the_output_of_a_failed_command(tmp_path: Path) -> None:
    log = tmp_path / "migrate.log"
    run_logged("ok", [sys.executable, "-c", "print('fine')"], log)

    with pytest.raises(ProcessError, match=r"(?s)exit code 1.*no such table"):
        run_logged("migrate", [sys.executable, "-c", "import sys; sys.exit('no such table')"], log)
    assert "fine" in log.read_text()


async def test_run_blocking_works_inside_a_running_event_loop() -> None:
    async def answer() -> int:
        return 42

    assert run_blocking(answer) == 42
