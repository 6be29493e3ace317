"""Reliability tests: backups, killed ingests, a database that goes away.

These tests run the real programs (manage.py, scripts/backup.sh, gunicorn) as
subprocesses against databases they create themselves, so that committed data
is seen across processes exactly as in production. The helpers below are
shared by the three test modules:

- `ScratchDatabase`: a database of its own on the configured server (the one
  pytest-django's test database lives on), dropped afterwards;
- `ThrowawayCluster`: a whole PostgreSQL server in a temporary folder, for the
  tests that must stop a server (the shared dev cluster is never touched).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
import pytest
from psycopg import sql

from tests.conftest import ROOT


def server_params() -> dict[str, str]:
    """Host, port, user and password of the configured PostgreSQL (settings.DATABASES)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    return {"host": db["HOST"], "port": str(db["PORT"] or ""), "user": db["USER"], "password": db["PASSWORD"]}


def database_url(params: dict[str, str], name: str, **options: str) -> str:
    """A DATABASE_URL for `name` on the server described by `params` (socket or TCP)."""
    auth = ""
    if params.get("user"):
        auth = quote(params["user"], safe="")
        if params.get("password"):
            auth += ":" + quote(params["password"], safe="")
        auth += "@"
    host = params.get("host") or ""
    query = dict(options)
    if host.startswith("/"):
        query = {"host": host, **query}
        netloc = auth
    else:
        netloc = auth + (host or "localhost") + (f":{params['port']}" if params.get("port") else "")
    url = f"postgres://{netloc}/{quote(name, safe='')}"
    return url + ("?" + urlencode(query) if query else "")


def connect(params: dict[str, str], dbname: str, **kwargs) -> psycopg.Connection:
    conninfo = {k: v for k, v in params.items() if v}
    return psycopg.connect(dbname=dbname, connect_timeout=10, **conninfo, **kwargs)


class ScratchDatabase:
    """A fresh, empty database on the server of `params`; `drop()` removes it."""

    def __init__(self, purpose: str, params: dict[str, str] | None = None, *, template: str | None = None) -> None:
        self.params = params if params is not None else server_params()
        base = os.environ.get("TEST_DATABASE_NAME") or "test_catalogue"
        self.name = f"{base}_{purpose}_{uuid.uuid4().hex[:8]}"[:63]
        self.create(template=template)

    @property
    def url(self) -> str:
        return database_url(self.params, self.name)

    def admin(self) -> psycopg.Connection:
        """An autocommit connection to the maintenance database (CREATE/DROP DATABASE)."""
        return connect(self.params, "postgres", autocommit=True)

    def create(self, *, template: str | None = None) -> None:
        with self.admin() as conn:
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name))
            if template:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            conn.execute(statement)

    def drop(self) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))

    def exists(self) -> bool:
        with self.admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone() is not None

    def connect(self, **kwargs) -> psycopg.Connection:
        return connect(self.params, self.name, **kwargs)


def run(
    cmd: list[str], *, url: str, timeout: float = 60, check: bool = True, input: str | None = None, **env: str
) -> subprocess.CompletedProcess:
    """Run a command from the project root with DATABASE_URL=url (stdin: `input`, else nothing)."""
    proc = subprocess.run(
        cmd, cwd=ROOT, env={**os.environ, "DATABASE_URL": url, **env}, capture_output=True, text=True,
        timeout=timeout, input=input if input is not None else "",
    )  # fmt: skip
    if check:
        assert proc.returncode == 0, (
            f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def manage(*args: str, url: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], url=url, timeout=timeout, check=check)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin with initdb and pg_ctl (as scripts/db.sh finds it)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.name.split(".")],
        reverse=True,
    )
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class ThrowawayCluster:
    """A PostgreSQL server of its own in /tmp, run as the `postgres` user (as scripts/db.sh does).

    It listens on its own Unix socket folder and, when `tcp_port` is given, on
    127.0.0.1 with password (scram) authentication for TCP. Stop and start it at will.
    """

    def __init__(self, *, tcp_port: int | None = None, superuser_password: str | None = None) -> None:
        if os.geteuid() != 0:
            pytest.skip("needs root: the throwaway PostgreSQL server runs as the 'postgres' user via runuser")
        bindir = postgres_bindir()
        if bindir is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("no 'postgres' system user to run a throwaway server as")
        self.bindir = bindir
        self.tcp_port = tcp_port
        self.superuser_password = superuser_password
        # Short path: a Unix socket path must stay under ~100 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="relpg-", dir="/tmp"))
        self.dir.chmod(0o755)
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.socket_dir = self.dir / "run"
        self.log = self.dir / "server.log"
        self.socket_dir.mkdir()
        shutil.chown(self.socket_dir, "postgres", "postgres")
        self._initdb()

    def _as_postgres(self, *cmd: str, timeout: float = 60) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            ["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True, timeout=timeout, cwd=self.dir
        )
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}")
        return proc

    def _initdb(self) -> None:
        args = [str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]
        if self.superuser_password:
            pwfile = self.dir / "pwfile"
            pwfile.write_text(self.superuser_password + "\n")
            shutil.chown(pwfile, "postgres", "postgres")
            pwfile.chmod(0o600)
            args += ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        else:
            args += ["-A", "trust"]
        try:
            self._as_postgres(*args, "--no-sync", timeout=120)
        finally:
            (self.dir / "pwfile").unlink(missing_ok=True)

    @property
    def params(self) -> dict[str, str]:
        """Connection parameters over the Unix socket (trust authentication)."""
        return {"host": str(self.socket_dir), "port": "5432", "user": "postgres", "password": ""}

    @property
    def tcp_params(self) -> dict[str, str]:
        assert self.tcp_port, "this cluster does not listen on TCP"
        return {
            "host": "127.0.0.1",
            "port": str(self.tcp_port),
            "user": "postgres",
            "password": self.superuser_password or "",
        }

    def start(self) -> None:
        listen = "127.0.0.1" if self.tcp_port else ""
        options = (
            f"-c listen_addresses='{listen}' -c port={self.tcp_port or 5432} "
            f"-c unix_socket_directories='{self.socket_dir}' -c max_connections=30 "
            "-c shared_buffers=16MB -c fsync=off -c full_page_writes=off"
        )
        self._as_postgres(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-o", options, "start",
            timeout=45,
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop", timeout=45
        )

    def running(self) -> bool:
        proc = subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bindir / "pg_ctl"), "-D", str(self.data), "status"],
            capture_output=True, timeout=15,
        )  # fmt: skip
        return proc.returncode == 0

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists() and self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
