"""A throwaway PostgreSQL cluster for tests: initdb into a temp dir, unix socket only.

Needs Debian's `postgresql` package (initdb, pg_ctl); .ci/run installs it. Tests that
use it are skipped with a clear reason where the binaries are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

PORT = 55433


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def available() -> str | None:
    """None when a cluster can be started, else the reason it cannot."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not installed"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg not installed (pip install 'agl-ops[postgres]')"
    return None


class PgCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="agl-pg-"))
        os.chmod(self.dir, 0o777)
        self.data = self.dir / "data"
        subprocess.run(_as_postgres(["initdb", "-D", str(self.data), "-A", "trust", "-U", "agl"]),
                       check=True, capture_output=True)
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(self.data), "-w", "-l", str(self.dir / "log"),
                          "-o", f"-k {self.dir} -p {PORT} -c listen_addresses='' -c fsync=off", "start"]),
            check=True, capture_output=True,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://agl@/{database}?host={self.dir}&port={PORT}"

    def new_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=str(self.dir), port=PORT, user="agl", dbname="postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(_as_postgres(["pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
