"""A throwaway PostgreSQL 15 cluster with one database and one role per service.

Each role can log in to its own database only: CONNECT is revoked from PUBLIC on every service
database and on `postgres` and `template1`, so a service holding another's URL still fails with
`permission denied for database`. Passwords are random per cluster and live only in memory.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from portal_stack.ports import LOOPBACK, free_port
from portal_stack.processes import ManagedProcess, ProcessError, run_logged
from portal_stack.services import SERVICE_NAMES, database_url_env

PG_BIN = Path(os.environ.get("PORTAL_PG_BIN", "/usr/lib/postgresql/15/bin"))


def env_database_urls(services: Sequence[str] = SERVICE_NAMES) -> dict[str, str] | None:
    """The `<SERVICE>_DATABASE_URL` values when all are set, None when none is set."""
    found = {name: os.environ.get(database_url_env(name), "") for name in services}
    if all(found.values()):
        return found
    if any(found.values()):
        missing = [database_url_env(name) for name, url in found.items() if not url]
        raise ValueError(
            f"some service database URLs are set in the environment but not {missing}: "
            "set all of them (to use an existing PostgreSQL) or none"
        )
    return None


def provisioning_sql(passwords: Mapping[str, str]) -> str:
    """One role and one database per service, reachable by that role only.

    Identifiers are quoted (`identity` is an SQL keyword); passwords come from
    secrets.token_urlsafe, so they never contain a quote.
    """
    statements: list[str] = []
    for name, password in passwords.items():
        if not name.isidentifier() or "'" in password:
            raise ValueError(f"refusing unsafe role name or password for {name!r}")
        statements += [
            f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}';",
            f'CREATE DATABASE "{name}" OWNER "{name}";',
            f'REVOKE CONNECT, TEMPORARY ON DATABASE "{name}" FROM PUBLIC;',
            f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO "{name}";',
        ]
    statements += [
        "REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;",
        "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;",
    ]
    # psql sends each line on its own, outside a transaction block: CREATE DATABASE needs that.
    return "\n".join(statements) + "\n"


def async_url(role: str, password: str, host: str, port: int, database: str) -> str:
    return f"postgresql+asyncpg://{role}:{password}@{host}:{port}/{database}"


def run_psql(
    sql: str,
    *,
    host: str,
    port: int,
    user: str = "postgres",
    password: str | None = None,
    database: str = "postgres",
) -> str:
    """Run SQL through psql (host may be a socket directory); returns its output."""
    env = {**os.environ, "PGCONNECT_TIMEOUT": "5"}
    if password is not None:
        env["PGPASSWORD"] = password
    completed = subprocess.run(
        [
            str(_binary("psql")),
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", host, "-p", str(port), "-U", user, "-d", database, "-f", "-",
        ],
        input=sql,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise ProcessError(f"psql failed: {completed.stderr.strip()}")
    return completed.stdout


def provision_databases(
    *,
    host: str,
    port: int,
    services: Iterable[str] = SERVICE_NAMES,
    admin_password: str | None = None,
    psql_host: str | None = None,
) -> dict[str, str]:
    """Create role and database per service on a running server; returns their URLs."""
    passwords = {name: secrets.token_urlsafe(24) for name in services}
    run_psql(provisioning_sql(passwords), host=psql_host or host, port=port, password=admin_password)
    return {name: async_url(name, pw, host, port, name) for name, pw in passwords.items()}


def _binary(name: str) -> Path:
    candidate = PG_BIN / name
    if candidate.is_file():
        return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise FileNotFoundError(f"{candidate} not found: install postgresql-15 (scripts/install.sh does)")


class PostgresCluster:
    """PostgreSQL for the integration tests (the `make up` default is SQLite).

    If all five `<SERVICE>_DATABASE_URL` variables are set, nothing starts and those URLs are
    used. Otherwise a new cluster is created in a fresh directory (under /tmp by default, owned
    by the `postgres` user when running as root, because initdb refuses to run as root) and
    removed again on stop. `durable=False` turns fsync and friends off: tests only.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        base_dir: Path | None = None,
        log_file: Path | None = None,
        services: Sequence[str] = SERVICE_NAMES,
        durable: bool = False,
        keep_files: bool = False,
        use_env: bool = True,
        os_user: str = "postgres",
    ) -> None:
        self.services = tuple(services)
        self.port = port or free_port()
        self.requested_base = base_dir
        self.base_dir: Path | None = None
        self.log_file_override = log_file
        self.durable = durable
        self.keep_files = keep_files
        self.os_user = os_user if os.geteuid() == 0 else None
        self.process: ManagedProcess | None = None
        external = env_database_urls(self.services) if use_env else None
        self.external = external is not None
        self.database_urls: dict[str, str] = external or {}

    @property
    def log_file(self) -> Path:
        if self.log_file_override is not None:
            return self.log_file_override
        assert self.base_dir is not None, "the cluster has no directory before start()"
        return self.base_dir / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "sock"

    def start(self) -> None:
        if self.external or self.process is not None:
            return
        self._init_cluster()
        assert self.base_dir is not None
        self.process = ManagedProcess(
            "postgres",
            [str(_binary("postgres")), "-D", str(self.base_dir / "data")],
            log_file=self.log_file,
            cwd="/",  # the postgres user may not be allowed into the caller's directory
            ready=self._accepting,
            ready_timeout=30.0,
            stop_timeout=20.0,
            stop_signal=signal.SIGINT,  # "fast" shutdown; SIGTERM would wait for every client
            user=self.os_user,
        )
        try:
            self.process.start_and_wait()
            self.database_urls = provision_databases(
                host=LOOPBACK, port=self.port, services=self.services,
                psql_host=str(self.socket_dir),
            )  # fmt: skip
        except BaseException:
            self.stop()
            raise

    def _init_cluster(self) -> None:
        if self.requested_base is not None:
            if self.requested_base.exists():
                shutil.rmtree(self.requested_base)  # initdb refuses a non-empty directory
            self.requested_base.mkdir(parents=True)
            self.base_dir = self.requested_base
        else:
            self.base_dir = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        base = self.base_dir
        self.socket_dir.mkdir(mode=0o700)
        if self.os_user is not None:
            entry = pwd.getpwnam(self.os_user)
            for path in (base, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            base.chmod(0o755)
        # initdb through runuser when root: it refuses to run as root.
        wrapper = ["runuser", "-u", self.os_user, "--"] if self.os_user else []
        run_logged(
            "initdb",
            [
                *wrapper, str(_binary("initdb")), "-D", str(base / "data"), "-U", "postgres",
                "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust",
                "--auth-host=scram-sha-256", "--no-instructions",
            ],
            self.log_file,
            cwd="/",
        )  # fmt: skip
        settings = [
            f"listen_addresses = '{LOOPBACK}'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.socket_dir}'",
            "max_connections = 200",  # five services with pools plus outbox relays
        ]
        if not self.durable:
            # Throwaway test data: a crash may lose it, and that is fine for speed.
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with (base / "data" / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# portal_stack\n" + "\n".join(settings) + "\n")
        # Writing into the existing files keeps their owner (the postgres user).
        (base / "data" / "pg_hba.conf").write_text(
            f"local all all trust\nhost all all {LOOPBACK}/32 scram-sha-256\n"
        )

    def _accepting(self) -> bool:
        completed = subprocess.run(
            [str(_binary("pg_isready")), "-q", "-h", LOOPBACK, "-p", str(self.port), "-t", "1"],
            check=False,
            timeout=5,
        )
        return completed.returncode == 0

    def admin_sql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the private socket (tests inspecting the cluster)."""
        if self.external:
            raise ProcessError("no superuser access to an external PostgreSQL")
        return run_psql(sql, host=str(self.socket_dir), port=self.port, database=database)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
        if self.base_dir is not None and not self.keep_files:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def kill(self) -> None:
        self._own().kill()

    def restart(self) -> float:
        return self._own().restart()

    def _own(self) -> ManagedProcess:
        if self.process is None:
            raise ProcessError("this PostgreSQL was not started here")
        return self.process

    def describe(self) -> str:
        if self.external:
            return "PostgreSQL from <SERVICE>_DATABASE_URL (not started here)"
        return f"PostgreSQL 15 at {LOOPBACK}:{self.port} (local, data {self.base_dir})"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
