"""A real, throw-away PostgreSQL server for the tests (Debian's ``postgresql`` package).

:func:`running_postgres` creates a cluster in a temporary folder with ``initdb``, starts it on
127.0.0.1 on a free port, creates the database, yields its connection settings and stops
and removes it afterwards. PostgreSQL refuses to run as root: when the tests run as root
(CI does), the server runs as the ``postgres`` system user the Debian package creates.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    db_name: str

    def env(self) -> dict[str, str]:
        """The variables deploy/postgres/dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": "",
            "DAGSTER_PG_DB": self.db_name,
        }


def postgres_bin_dir() -> Path | None:
    """The newest installed server's bin folder (``/usr/lib/postgresql/<major>/bin``), or None."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def running_postgres(db_name: str = "dagster", timeout: float = 60.0) -> Iterator[PostgresServer]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: `make test` installs Debian's postgresql package.")
    root = Path(tempfile.mkdtemp(prefix="clac-pg-"))
    data, log = root / "data", root / "server.log"
    root.chmod(0o777)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    user = "clac"
    subprocess.run(
        _as_server_user(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
        timeout=timeout,
    )
    subprocess.run(
        _as_server_user(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                str(int(timeout)),
                "-o",
                f"-h 127.0.0.1 -p {port} -k {root} -F",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=timeout + 10,
    )
    try:
        deadline = time.monotonic() + timeout
        while (
            subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            ).returncode
            != 0
        ):
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        subprocess.run(
            [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, db_name],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        yield PostgresServer("127.0.0.1", port, user, db_name)
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            timeout=timeout,
        )
        shutil.rmtree(root, ignore_errors=True)
