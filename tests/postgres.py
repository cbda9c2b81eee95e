"""A throwaway PostgreSQL 15 server for the tests that need a real one.

The server runs from a temporary directory on 127.0.0.1 and a free port, as an
unprivileged user (PostgreSQL refuses to run as root: as root, the image's `postgres`
user runs it). Trust authentication, so the URL carries no password.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN_CANDIDATES = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"))
SUPERUSER = "postgres"


def pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    override = os.environ.get("CCP_TEST_PG_BIN")
    if override:
        return Path(override)
    for candidate in PG_BIN_CANDIDATES:
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    root: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database (dropped first when it exists) and return its URL."""
        psql = [str(self._bin / "psql"), "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", "postgres"]
        psql += ["-v", "ON_ERROR_STOP=1", "-q"]
        subprocess.run([*psql, "-c", f'drop database if exists "{name}" with (force)'], check=True)
        subprocess.run([*psql, "-c", f'create database "{name}"'], check=True)
        return self.url(name)

    @property
    def _bin(self) -> Path:
        found = pg_bin()
        assert found is not None
        return found


def _as_server_user(command: list[str], owner: str | None) -> list[str]:
    if owner is None:
        return command
    return ["su", owner, "-s", "/bin/sh", "-c", " ".join(f"'{part}'" for part in command)]


def start_postgres(root: Path) -> PostgresServer:
    """initdb into root/data and start the server; returns once it accepts connections."""
    binaries = pg_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb); set CCP_TEST_PG_BIN")
    owner = SUPERUSER if os.geteuid() == 0 else None
    root.mkdir(parents=True, exist_ok=True)
    if owner is not None:
        shutil.chown(root, user=owner)
    data = root / "data"
    port = _free_port()
    subprocess.run(
        _as_server_user([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER], owner),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {root} -h 127.0.0.1 -c fsync=off -c full_page_writes=off"
    start = [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start"]
    subprocess.run(_as_server_user(start, owner), check=True, stdout=subprocess.DEVNULL)
    return PostgresServer(host="127.0.0.1", port=port, user=SUPERUSER, root=root)


def stop_postgres(server: PostgresServer) -> None:
    binaries = pg_bin()
    owner = SUPERUSER if os.geteuid() == 0 else None
    stop = [str(binaries / "pg_ctl"), "-D", str(server.root / "data"), "-m", "immediate", "-w", "stop"]
    subprocess.run(_as_server_user(stop, owner), check=False, stdout=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session; each test creates its own database."""
    if pg_bin() is None:
        pytest.fail("PostgreSQL 15 is required for this test (initdb not found); set CCP_TEST_PG_BIN")
    # Not under pytest's tmp_path: the server user must be able to enter every parent.
    root = Path(tempfile.mkdtemp(prefix="ccp-pg-"))
    os.chmod(root, 0o755)
    server = start_postgres(root / "cluster")
    try:
        yield server
    finally:
        stop_postgres(server)
        shutil.rmtree(root, ignore_errors=True)
