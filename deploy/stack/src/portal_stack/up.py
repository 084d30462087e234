"""`portal-stack up | down | status`: run the suite in the foreground, stop it from elsewhere.

`up` records itself in `<run dir>/stack.json` (and `up.pid`), so `down` in another terminal can
send it SIGTERM; `up` then stops everything it started in reverse order, as on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from portal_stack import docker, paths
from portal_stack.ports import LOOPBACK, port_open
from portal_stack.processes import ProcessError
from portal_stack.services import SERVICE_NAMES, http_ready
from portal_stack.stack import Stack, StackConfig

EXAMPLE_TOPIC = "identity.password-reset-requested.v1"


class _Shutdown(BaseException):
    """Raised in the main thread by SIGTERM, like KeyboardInterrupt is by SIGINT."""


def say(line: str) -> None:
    print(f"portal-stack: {line}", flush=True)


def _state_file(run_dir: Path) -> Path:
    return run_dir / "stack.json"


def _pid_file(run_dir: Path) -> Path:
    return run_dir / "up.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # An orphan that exited stays a zombie until init reaps it (in containers maybe never).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def read_state(run_dir: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(_state_file(run_dir).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return state


def _running_up(run_dir: Path) -> int | None:
    """The pid of a live `portal-stack up` for this run dir, if there is one."""
    state = read_state(run_dir)
    if state is None:
        return None
    pid = int(state["pid"])
    if _alive(pid) and "portal" in _cmdline(pid):
        return pid
    return None


def _write_state(run_dir: Path, stack: Stack | None, phase: str) -> None:
    state: dict[str, Any] = {
        "pid": os.getpid(),
        "phase": phase,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_dir": str(run_dir),
    }
    if stack is not None:
        config = stack.config
        state.update(
            gateway=stack.gateway_url,
            kafka=stack.kafka.bootstrap_servers if stack.kafka else None,
            mail={"smtp": f"{LOOPBACK}:{config.smtp_port}", "http": stack.mail_url},
            payment_provider=stack.provider_url if stack.provider is not None else None,
            services={
                name: {
                    "port": config.service_ports[name],
                    "log": str(handle.log_file),
                    "instances": [
                        {"name": each.name, "port": each.port, "log": str(each.log_file)}
                        for each in stack.instances.get(name, [handle])
                    ],
                }
                for name, handle in stack.services.items()
            },
            processes=[
                {"name": p.name, "pid": p.pid, "argv0": p.argv[0], "log": str(p.log_file)}
                for p in stack.processes()
                if p.pid is not None
            ],
        )
    temp = _state_file(run_dir).with_suffix(".tmp")
    temp.write_text(json.dumps(state, indent=2) + "\n")
    temp.replace(_state_file(run_dir))
    _pid_file(run_dir).write_text(f"{os.getpid()}\n")


def _clear_state(run_dir: Path) -> None:
    for path in (_state_file(run_dir), _pid_file(run_dir)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _raise_shutdown(signum: int, frame: FrameType | None) -> None:
    raise _Shutdown(signal.Signals(signum).name)


def _summary(stack: Stack, seconds: float) -> str:
    config = stack.config
    rel = _relative
    lines = [
        f"ready in {seconds:.1f}s",
        "",
        f"  gateway        {stack.gateway_url}/   (access log {rel(config.run_dir)}/gateway/access.log)",
    ]
    for name in stack.services:
        lines.append(
            f"  {name:<14} {stack.gateway_url}/{name}/ready   (direct "
            f"http://{LOOPBACK}:{config.service_ports[name]}, log "
            f"{rel(stack.services[name].log_file)})"
        )
        for extra in stack.instances.get(name, [])[1:]:
            lines.append(
                f"  {extra.name:<14} behind the same path   (direct {extra.url}, log {rel(extra.log_file)})"
            )
    assert stack.kafka is not None
    lines += [
        f"  kafka          {stack.kafka.describe()}",
        f"                 kcat -b {stack.bootstrap_servers} -C -t {EXAMPLE_TOPIC} -e",
        f"  mail catcher   web UI {stack.mail_url}/   API {stack.mail_url}/api/messages   "
        f"SMTP {LOOPBACK}:{config.smtp_port}",
        *(
            [f"  card payments  provider simulator {stack.provider_url}/   (hosted pages /pay/<checkout>)"]
            if stack.provider is not None
            else []
        ),
        f"  databases      {_database_note(stack)}",
        f"  run dir        {config.run_dir}   (logs in {rel(config.log_dir)}/)",
        "",
        "Ctrl-C here, or `make down` elsewhere, stops everything.",
    ]
    return "\n".join(lines)


def _database_note(stack: Stack) -> str:
    if stack.config.database == "postgres" and stack.postgres is not None:
        return stack.postgres.describe()
    urls = set(stack.database_urls.values())
    if all(url.startswith("sqlite") for url in urls):
        return f"SQLite files in {_relative(stack.config.run_dir / 'data')}/"
    return "from <SERVICE>_DATABASE_URL where set, SQLite otherwise"


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def up(run_dir: Path | None = None) -> int:
    try:
        config = StackConfig.from_env(run_dir)
    except ValueError as exc:  # a malformed PORTAL_REPLICAS, say
        say(str(exc))
        return 2
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    other = _running_up(run_dir)
    if other is not None:
        say(f"already running (pid {other}); `make down` stops it, `make status` shows it")
        return 1
    signal.signal(signal.SIGTERM, _raise_shutdown)
    signal.signal(signal.SIGHUP, _raise_shutdown)
    stack = Stack(config)
    _write_state(run_dir, None, "starting")
    say(f"starting in {run_dir} ({_infrastructure_note(config)})")
    try:
        try:
            seconds = stack.start(report=say)
        except ProcessError as exc:
            say(f"failed to start, everything stopped again:\n{exc}")
            return 1
        _write_state(run_dir, stack, "ready")
        print(_summary(stack, seconds), flush=True)
        _watch(stack)
    except (KeyboardInterrupt, _Shutdown) as exc:
        reason = "Ctrl-C" if isinstance(exc, KeyboardInterrupt) else str(exc)
        say(f"{reason}: stopping")
        stopped = time.monotonic()
        # A second Ctrl-C must not leave half the suite running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        say(f"stopped ({time.monotonic() - stopped:.1f}s)")
    finally:
        _clear_state(run_dir)
    return 0


def _infrastructure_note(config: StackConfig) -> str:
    if config.infrastructure == "docker":
        return f"infrastructure: {docker.describe()}"
    return "infrastructure: local processes"


def _watch(stack: Stack) -> None:
    """Stay in the foreground; say once when a child dies (tests or a crash), keep the rest."""
    reported: set[str] = set()
    while True:
        time.sleep(1.0)
        for process in stack.processes():
            code = process.returncode
            if code is not None and process.name not in reported:
                reported.add(process.name)
                say(
                    f"{process.name} exited with code {code}; last lines of "
                    f"{process.log_file}:\n{process.tail(15)}"
                )
            elif code is None:
                reported.discard(process.name)


def down(run_dir: Path | None = None, timeout: float = 90.0) -> int:
    run_dir = run_dir or paths.run_dir()
    state = read_state(run_dir)
    if state is None:
        say("nothing is running (no state file)")
        return 0
    pid = _running_up(run_dir)
    if pid is not None:
        say(f"stopping portal-stack up (pid {pid})")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            say(f"pid {pid} did not stop within {timeout:.0f}s")
            return 1
        say("stopped")
    else:
        # `up` died without cleaning up (kill -9): stop the children it recorded.
        _stop_leftovers(state.get("processes", []))
    _clear_state(run_dir)
    return 0


def _stop_leftovers(processes: list[dict[str, Any]]) -> None:
    # Only processes still running the recorded program: a pid may have been reused. (nginx
    # rewrites its command line to "nginx: master process <argv0> ...", hence `in`.)
    groups = [
        entry
        for entry in processes
        if _alive(int(entry["pid"])) and str(entry["argv0"]) in _cmdline(int(entry["pid"]))
    ]
    for entry in reversed(groups):
        say(f"stopping leftover {entry['name']} (pid {entry['pid']})")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(entry["pid"]), signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(int(e["pid"])) for e in groups):
        time.sleep(0.2)
    for entry in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(entry["pid"]), signal.SIGKILL)


def status(run_dir: Path | None = None) -> int:
    run_dir = run_dir or paths.run_dir()
    state = read_state(run_dir)
    pid = _running_up(run_dir)
    if state is None or pid is None:
        print("not running" + (" (stale state file; `make down` clears it)" if state else ""))
        return 3
    print(f"portal-stack up: pid {pid}, {state['phase']} since {state['updated_at']}")
    if state["phase"] != "ready":
        return 0
    gateway = state["gateway"]
    print(f"  gateway        {gateway}/   {_ok(http_ready(f'{gateway}/healthz'))}")
    for name in SERVICE_NAMES:
        service = state["services"].get(name)
        if service is None:
            continue
        # A state file of an `up` from before replicas lists no instances: just the one.
        instances = service.get("instances") or [{"name": name, **service}]
        for instance in instances:
            ready = http_ready(f"http://{LOOPBACK}:{instance['port']}/ready")
            where = f"{gateway}/{name}/" if instance["name"] == name else "(same path)"
            print(f"  {instance['name']:<14} {where}   {_ok(ready)}   log {instance['log']}")
    host, _, port = str(state["kafka"]).partition(",")[0].rpartition(":")
    print(f"  kafka          {state['kafka']}   {_ok(port_open(int(port), host))}")
    mail = state["mail"]
    print(f"  mail catcher   {mail['http']}/   {_ok(http_ready(mail['http'] + '/api/messages'))}")
    provider = state.get("payment_provider")
    if provider:
        print(f"  card payments  {provider}/   {_ok(http_ready(provider + '/openapi.json'))}")
    return 0


def _ok(flag: bool) -> str:
    return "ok" if flag else "NOT ANSWERING"
