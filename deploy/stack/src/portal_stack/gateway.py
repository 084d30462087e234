"""nginx as the API gateway: render deploy/gateway/nginx.conf.template, check it, run it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template

from portal_stack import paths
from portal_stack.ports import LOOPBACK, port_open
from portal_stack.processes import ManagedProcess, ProcessError
from portal_stack.services import SERVICE_NAMES

DEFAULT_PORT = 8080
DEFAULT_RATE_LIMIT = "50r/s"  # per client address; tests share 127.0.0.1, so be generous
DEFAULT_RATE_BURST = 100
# The load balancer in front of the gateway, whose X-Forwarded-For names the client. Locally
# that is whatever runs on this machine (a test can stand in for many clients).
DEFAULT_TRUSTED_PROXY = "127.0.0.1/32"


class _UpperCaseTemplate(Template):
    # Only ${UPPER_CASE} names are ours; nginx's own $lower_case variables pass through, the
    # same split the nginx image's envsubst makes (it substitutes defined variables only).
    idpattern = r"[A-Z][A-Z0-9_]*"
    flags = re.NOFLAG


def template_file() -> Path:
    return paths.repo_root() / "deploy" / "gateway" / "nginx.conf.template"


def gateway_port() -> int:
    return int(os.environ.get("GATEWAY_PORT", DEFAULT_PORT))


def render_config(
    *,
    listen: str,
    upstreams: Mapping[str, str | Sequence[str]],
    rate_limit: str = DEFAULT_RATE_LIMIT,
    rate_burst: int = DEFAULT_RATE_BURST,
    access_log: str = "access.log",
    trusted_proxy: str = DEFAULT_TRUSTED_PROXY,
    template: str | None = None,
) -> str:
    """The nginx.conf text. `upstreams` maps each service to host:port, or to several when it
    runs more than once: nginx then takes turns and skips an instance that does not answer."""
    missing = set(SERVICE_NAMES) - set(upstreams)
    if missing:
        raise ValueError(f"no upstream for {sorted(missing)}")
    if not re.fullmatch(r"\d+r/[sm]", rate_limit):
        raise ValueError(f"rate limit {rate_limit!r} is not like '50r/s' or '600r/m'")
    values = {
        "GATEWAY_LISTEN": listen,
        "GATEWAY_ACCESS_LOG": access_log,
        "GATEWAY_RATE_LIMIT": rate_limit,
        "GATEWAY_RATE_BURST": str(rate_burst),
        "GATEWAY_TRUSTED_PROXY": trusted_proxy,
        **{f"{name.upper()}_UPSTREAM": _servers(address) for name, address in upstreams.items()},
    }
    text = template if template is not None else template_file().read_text()
    parsed = _UpperCaseTemplate(text)
    unknown = set(parsed.get_identifiers()) - set(values)
    if unknown:
        raise ValueError(f"the gateway template uses unknown names: {sorted(unknown)}")
    return parsed.safe_substitute(values)


def _servers(addresses: str | Sequence[str]) -> str:
    # The template reads `server ${X_UPSTREAM};` (one address, as compose.yaml's envsubst
    # fills it); more instances continue it as further `server` lines of the same upstream.
    listed = [addresses] if isinstance(addresses, str) else list(addresses)
    if not listed:
        raise ValueError("an upstream needs at least one address")
    return "; server ".join(listed)


def nginx_binary() -> str:
    # Debian puts it in /usr/sbin, which is not on a non-root user's PATH.
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if not found:
        raise FileNotFoundError("nginx is not installed: run `make install` (scripts/install.sh)")
    return found


def nginx_argv(prefix: Path, *extra: str) -> list[str]:
    # -e stderr: errors before the config is read would otherwise go to /var/log/nginx.
    return [nginx_binary(), "-p", f"{prefix}/", "-c", "nginx.conf", "-e", "stderr", *extra]


def check_config(prefix: Path) -> None:
    """`nginx -t` on the rendered config; raises ProcessError with nginx's complaint."""
    completed = subprocess.run(
        nginx_argv(prefix, "-t", "-q"), capture_output=True, text=True, timeout=30, check=False
    )
    if completed.returncode != 0:
        raise ProcessError(f"nginx -t failed for {prefix}/nginx.conf:\n{completed.stderr}")


class Gateway(ManagedProcess):
    """nginx in the foreground with everything (config, pid, temp dirs, logs) under `prefix`."""

    def __init__(
        self,
        prefix: Path,
        service_ports: Mapping[str, int | Sequence[int]],
        *,
        port: int | None = None,
        log_file: Path | None = None,
        rate_limit: str = DEFAULT_RATE_LIMIT,
        rate_burst: int = DEFAULT_RATE_BURST,
    ) -> None:
        self.prefix = prefix
        self.port = port if port is not None else gateway_port()
        # every instance's port per service
        self.service_ports = {
            name: [ports] if isinstance(ports, int) else list(ports) for name, ports in service_ports.items()
        }
        self.rate_limit = rate_limit
        self.rate_burst = rate_burst
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.access_log = prefix / "access.log"
        super().__init__(
            "gateway",
            nginx_argv(prefix, "-g", "daemon off;"),
            log_file=log_file or prefix / "error.log",
            cwd=prefix,
            ready=lambda: port_open(self.port),
            ready_timeout=15.0,
            stop_timeout=10.0,
            stop_signal=signal.SIGQUIT,  # nginx's graceful shutdown (SIGTERM is its fast one)
        )

    def write_config(self) -> Path:
        self.prefix.mkdir(parents=True, exist_ok=True)
        config = self.prefix / "nginx.conf"
        config.write_text(
            render_config(
                listen=f"{LOOPBACK}:{self.port}",
                upstreams={
                    name: [f"{LOOPBACK}:{port}" for port in ports]
                    for name, ports in self.service_ports.items()
                },
                rate_limit=self.rate_limit,
                rate_burst=self.rate_burst,
                access_log="access.log",
            )
        )
        return config

    def start(self) -> None:
        if port_open(self.port):
            raise ProcessError(
                f"gateway port {self.port} is already in use (set GATEWAY_PORT, or `make down`)"
            )
        self.write_config()
        check_config(self.prefix)
        super().start()
