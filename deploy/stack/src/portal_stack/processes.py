"""Child processes with their own log file, a readiness check and a clean way to stop them.

Every child runs in its own process group (session), so stopping it also stops whatever it
spawned (nginx workers, PostgreSQL backends, uvicorn reloaders) and a Ctrl-C in the terminal
reaches only `portal-stack`, which then stops the children in order.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import pwd
import signal
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

T = TypeVar("T")

ReadyCheck = Callable[[], bool]


# Children still running when the interpreter exits (an uncaught exception in a script, a test
# session that ends without its finalizers) are stopped here, so no broker is left orphaned.
_LIVE: dict[int, ManagedProcess] = {}  # by id(), in start order


@atexit.register
def _stop_leftovers() -> None:
    for process in reversed(list(_LIVE.values())):
        process.stop(timeout=5.0)


class ProcessError(RuntimeError):
    """A child did not start, did not become ready, or a one-shot command failed."""


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, for error messages ('' when there is none)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def run_blocking(coroutine_factory: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running event loop.

    The stack's API is synchronous so `make up` and sync or async pytest fixtures can share it;
    the coroutine gets a fresh loop in a helper thread so it never nests in the caller's loop.
    """
    result: list[T] = []
    error: list[BaseException] = []

    async def runner() -> None:
        result.append(await asyncio.wait_for(coroutine_factory(), timeout))

    def target() -> None:
        try:
            asyncio.run(runner())
        except BaseException as exc:  # handed to the caller's thread below
            error.append(exc)

    thread = threading.Thread(target=target, name="portal-stack-async", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def _identity(user: str | None) -> tuple[int | None, int | None, list[int] | None]:
    """uid, gid and supplementary groups for Popen: drop root to `user` directly in the child,
    with no wrapper process (runuser) between us and the server we signal."""
    if user is None:
        return None, None, None
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid, []


def run_logged(
    name: str,
    argv: Sequence[str],
    log_file: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float = 120.0,
    user: str | None = None,
) -> None:
    """Run a one-shot command (migrations, initdb, storage format) appending to `log_file`.

    Raises ProcessError with the log tail when it fails or outlives `timeout`.
    """
    uid, gid, groups = _identity(user)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        log.write(f"=== {_now()} run: {' '.join(argv)}\n".encode())
        log.flush()
        try:
            completed = subprocess.run(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                timeout=timeout,
                check=False,
                start_new_session=True,
                user=uid,
                group=gid,
                extra_groups=groups,
            )
        except subprocess.TimeoutExpired as exc:
            raise ProcessError(
                f"{name} did not finish within {timeout:.0f}s; last lines of {log_file}:\n"
                f"{log_tail(log_file)}"
            ) from exc
    if completed.returncode != 0:
        raise ProcessError(
            f"{name} failed with exit code {completed.returncode}; last lines of {log_file}:\n"
            f"{log_tail(log_file)}"
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ManagedProcess:
    """A long-running child: start, wait until ready, stop, kill -9, restart.

    `ready` is polled until it returns True (exceptions count as "not yet"); the process
    exiting meanwhile, or `ready_timeout` passing, raises ProcessError with the log tail.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_file: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        ready: ReadyCheck | None = None,
        ready_timeout: float = 60.0,
        stop_timeout: float = 15.0,
        stop_signal: signal.Signals = signal.SIGTERM,
        user: str | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_file = log_file
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.ready = ready
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.stop_signal = stop_signal
        self.user = user
        self._popen: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"<ManagedProcess {self.name} pid={self.pid} running={self.running}>"

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def start(self) -> None:
        """Spawn the process (no waiting); output is appended to the log file."""
        if self.running:
            raise ProcessError(f"{self.name} is already running (pid {self.pid})")
        uid, gid, groups = _identity(self.user)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            log.write(f"=== {_now()} start: {' '.join(self.argv)}\n".encode())
            log.flush()
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                user=uid,
                group=gid,
                extra_groups=groups,
            )
        _LIVE[id(self)] = self

    def wait_ready(self, timeout: float | None = None) -> float:
        """Block until the readiness check passes; returns the seconds it took."""
        started = time.monotonic()
        deadline = started + (self.ready_timeout if timeout is None else timeout)
        while True:
            code = self.returncode
            if code is not None or self._popen is None:
                raise ProcessError(
                    f"{self.name} exited with code {code} before it was ready; last lines of "
                    f"{self.log_file}:\n{self.tail()}"
                )
            if self.ready is None or _check(self.ready):
                return time.monotonic() - started
            if time.monotonic() > deadline:
                raise ProcessError(
                    f"{self.name} not ready after {deadline - started:.0f}s; last lines of "
                    f"{self.log_file}:\n{self.tail()}"
                )
            time.sleep(0.1)

    def start_and_wait(self) -> float:
        self.start()
        try:
            return self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float | None = None) -> int | None:
        """Graceful stop: the stop signal to the group, SIGKILL if still there after `timeout`."""
        popen = self._popen
        if popen is None:
            return None
        if popen.poll() is None:
            self._signal_group(self.stop_signal)
            try:
                popen.wait(self.stop_timeout if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                self._append_log(f"did not stop in time, sending SIGKILL to {self.name}")
                self._signal_group(signal.SIGKILL)
                popen.wait()
        # Helpers the leader left behind (workers, backends) must not outlive it.
        self._signal_group(signal.SIGKILL)
        _LIVE.pop(id(self), None)
        return popen.returncode

    def kill(self) -> None:
        """kill -9 the whole group, as a crash would; restart() brings it back."""
        popen = self._popen
        if popen is None:
            return
        self._signal_group(signal.SIGKILL)
        popen.wait()
        _LIVE.pop(id(self), None)

    def restart(self) -> float:
        """Stop (if running), start again with the same command line and wait until ready."""
        self.stop()
        return self.start_and_wait()

    def tail(self, lines: int = 40) -> str:
        return log_tail(self.log_file, lines)

    def _signal_group(self, sig: signal.Signals) -> None:
        if self._popen is None:
            return
        # The child is the leader of its own session, so its pid is the group id.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, sig)

    def _append_log(self, line: str) -> None:
        with self.log_file.open("a", encoding="utf-8") as log:
            log.write(f"=== {_now()} {line}\n")

    def __enter__(self) -> Self:
        self.start_and_wait()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _check(ready: ReadyCheck) -> bool:
    try:
        return bool(ready())
    except Exception:  # a probe that cannot connect yet simply means "not ready"
        return False
