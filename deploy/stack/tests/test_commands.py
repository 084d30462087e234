"""The warm command runner: each command behaves as `python -m <service> ...` would."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal_stack.commands import CommandRunner

FAKE_SERVICE = """
import os, sys, time

def main(argv=None):
    command, *rest = argv
    if command == "echo":
        print("starting")
        print(f"{os.environ['GREETING']} {sys.stdin.readline().strip()} {' '.join(rest)}")
        return 0
    if command == "sleep":
        time.sleep(float(rest[0]))
        print("slept", rest[0])
        return 0
    if command == "fail":
        print("bad input", file=sys.stderr)
        return 3
    if command == "exit":
        sys.exit(int(rest[0]))
    raise ValueError("no such command")

if __name__ == "__main__":
    sys.exit(main())
"""


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[tuple[CommandRunner, dict[str, str]]]:
    package = tmp_path / "src" / "fakesvc"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(textwrap.dedent(FAKE_SERVICE))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "src"), *sys.path])}
    commands = CommandRunner(sys.executable, tmp_path / "commands")
    yield commands, env
    commands.close()


Runner = tuple[CommandRunner, dict[str, str]]


def test_output_input_and_environment_are_the_commands_own(runner: Runner) -> None:
    commands, env = runner
    first = commands.run("fakesvc", ["echo", "a"], env={**env, "GREETING": "hallo"}, stdin="Anna\n")
    second = commands.run("fakesvc", ["echo", "b"], env={**env, "GREETING": "bonjour"}, stdin="Bea\n")
    assert (first.code, first.out.splitlines()) == (0, ["starting", "hallo Anna a"])
    assert second.out.splitlines()[-1] == "bonjour Bea b"  # the same warm process, its own environment


def test_exit_codes_errors_and_exceptions_come_back(runner: Runner) -> None:
    commands, env = runner
    failed = commands.run("fakesvc", ["fail"], env=env)
    assert (failed.code, failed.err.strip()) == (3, "bad input")
    assert commands.run("fakesvc", ["exit", "75"], env=env).code == 75
    crashed = commands.run("fakesvc", ["unknown"], env=env)
    assert crashed.code == 1 and "ValueError: no such command" in crashed.err


def test_commands_run_side_by_side(runner: Runner) -> None:
    commands, env = runner
    slow = commands.start("fakesvc", ["sleep", "1.0"], env=env)
    quick = commands.start("fakesvc", ["sleep", "0"], env=env)
    assert commands.wait(quick, timeout=0.9).out.strip() == "slept 0"  # not queued behind the slow one
    assert commands.wait(slow).out.strip() == "slept 1.0"
    with pytest.raises(TimeoutError):
        commands.wait(commands.start("fakesvc", ["sleep", "5"], env=env), timeout=0.2)


def test_a_dead_warm_process_is_replaced_and_close_ends_every_one(runner: Runner) -> None:
    commands, env = runner
    assert commands.run("fakesvc", ["echo", "a"], env={**env, "GREETING": "hi"}).code == 0
    dead = commands._servers["fakesvc"]
    dead.kill()
    dead.wait()
    assert commands.run("fakesvc", ["fail"], env=env).code == 3  # a fresh warm process
    alive = commands._servers["fakesvc"]
    assert alive is not dead and dead.stdout is not None and dead.stdout.closed
    commands.close()
    assert alive.returncode == 0 and alive.stdout is not None and alive.stdout.closed
