"""Runs services' operations commands (`python -m <service> <command>`) without paying Python's
start-up for each: one warm process per service has imported the service's command module and
forks a child per command. The child sets the environment, standard input, output and error
the command asks for and calls the service's `main(argv)`, exactly as `python -m` would.

Tests and drills create hundreds of customers through these commands; importing a service
(FastAPI, SQLAlchemy, FastStream, PDF fonts) takes seconds, a fork a few milliseconds.

    runner = CommandRunner(python, work_dir)
    code, out, err = runner.run("contracts", ["create-contract", ...], env=service_env)
    runner.close()

The protocol on the warm process's standard input and output is one JSON object per line:
{"id", "argv", "env", "stdin", "out", "err"} in, {"id", "code"} out when the child has ended.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import select
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


class _Lines:
    """Whole lines from a pipe, as they come: select() sees only what no reader has buffered yet,
    so the pipe is read raw and split here."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._partial = b""
        self.closed = False

    def read(self, timeout: float) -> list[str]:
        """The lines complete within `timeout` (maybe none); sets `closed` at end of input."""
        readable, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not readable:
            return []
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.closed = True
            return []
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        return [line.decode() for line in lines]


@dataclass(frozen=True)
class Started:
    service: str
    id: int
    out: Path
    err: Path


@dataclass(frozen=True)
class Finished:
    code: int
    out: str
    err: str


class CommandRunner:
    """One warm process per service, started on first use; `close()` ends them."""

    def __init__(self, python: str, work_dir: Path) -> None:
        self.python = python
        self.work_dir = work_dir
        self._servers: dict[str, subprocess.Popen[str]] = {}
        self._replies: dict[str, _Lines] = {}
        self._finished: dict[tuple[str, int], int] = {}
        self._ids = itertools.count(1)

    def start(self, service: str, argv: Sequence[str], *, env: Mapping[str, str], stdin: str = "") -> Started:
        """Starts one command and returns at once; `wait()` collects it."""
        server = self._server(service, env)
        command_id = next(self._ids)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        started = Started(
            service,
            command_id,
            self.work_dir / f"{service}-{command_id}.out",
            self.work_dir / f"{service}-{command_id}.err",
        )
        request = {
            "id": command_id,
            "argv": list(argv),
            "env": dict(env),
            "stdin": stdin,
            "out": str(started.out),
            "err": str(started.err),
        }
        assert server.stdin is not None
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        return started

    def wait(self, started: Started, timeout: float = 60.0) -> Finished:
        """The command's exit code, output and error; raises TimeoutError after `timeout`."""
        key = (started.service, started.id)
        replies = self._replies[started.service]
        deadline = time.monotonic() + timeout
        while key not in self._finished:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{started.service} command {started.id} still running after {timeout}s")
            for line in replies.read(remaining):
                done = json.loads(line)
                self._finished[(started.service, done["id"])] = done["code"]
            if replies.closed:
                server = self._servers[started.service]
                raise RuntimeError(f"the warm {started.service} process ended (exit {server.wait()})")
        code = self._finished.pop(key)
        finished = Finished(code, started.out.read_text(), started.err.read_text())
        started.out.unlink(missing_ok=True)
        started.err.unlink(missing_ok=True)
        return finished

    def run(
        self,
        service: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        stdin: str = "",
        timeout: float = 60.0,
    ) -> Finished:
        return self.wait(self.start(service, argv, env=env, stdin=stdin), timeout)

    def close(self) -> None:
        for server in self._servers.values():
            _end(server)
        self._servers.clear()
        self._replies.clear()

    def _server(self, service: str, env: Mapping[str, str]) -> subprocess.Popen[str]:
        server = self._servers.get(service)
        if server is None or server.poll() is not None:
            if server is not None:
                _end(server)  # its pipes
            server = subprocess.Popen(
                [self.python, "-m", "portal_stack.commands", service],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=dict(env),
            )
            assert server.stdout is not None
            self._servers[service] = server
            self._replies[service] = _Lines(server.stdout.fileno())
        return server


def _end(server: subprocess.Popen[str]) -> None:
    if server.stdin is not None:
        with contextlib.suppress(OSError):
            server.stdin.close()  # end of input: the warm process exits
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    if server.stdout is not None:
        server.stdout.close()


# -- the warm process ------------------------------------------------------------------------


def _serve(service: str) -> None:
    main = importlib.import_module(f"{service}.__main__").main
    requests = _Lines(sys.stdin.fileno())
    replies: IO[str] = sys.stdout
    running: dict[int, int] = {}  # child pid -> command id
    while not requests.closed or running:
        if requests.closed:
            time.sleep(0.02)
        else:
            for line in requests.read(0.02):
                request = json.loads(line)
                running[_fork(main, request)] = request["id"]
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            code = os.waitstatus_to_exitcode(status)
            replies.write(json.dumps({"id": running.pop(pid), "code": code}) + "\n")
            replies.flush()


def _fork(main: Any, request: dict[str, Any]) -> int:
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        os.close(read_end)
        with os.fdopen(write_end, "w") as feed:
            feed.write(request["stdin"])  # a password or nothing: far below a pipe's buffer
        return pid
    os.close(write_end)
    code = 1
    try:
        os.dup2(read_end, 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process ends with the command
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["python -m", *request["argv"]]
        code = _exit_code(main, request["argv"])
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _exit_code(main: Any, argv: list[str]) -> int:
    """What `sys.exit(main())` would have exited with."""
    try:
        result = main(argv)
    except SystemExit as exit_:
        result = exit_.code
    except BaseException:
        traceback.print_exc()
        return 1
    if result is None:
        return 0
    if isinstance(result, int):
        return result
    print(result, file=sys.stderr)
    return 1


if __name__ == "__main__":
    _serve(sys.argv[1])
