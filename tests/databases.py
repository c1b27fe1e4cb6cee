"""The databases the history, rule-edit, training and concurrency tests run against: a SQLite file,
and a throwaway PostgreSQL server (Debian's ``postgresql`` package; ``make test`` installs it when
missing and it can be).

The server is started once per test run in a temporary folder, listening on a Unix socket only
(no TCP), run as the ``postgres`` user when the tests run as root (the server refuses root), and
stopped at the end. Each test gets a database of its own. Tests are skipped, with the reason, only
when no PostgreSQL server binaries can be found.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_COUNTER = itertools.count()


def server_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` holding initdb and pg_ctl (Debian puts them there,
    off PATH), else a folder on PATH that has both."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(found):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


class Server:
    def __init__(self, binaries: Path):
        self.bin = binaries
        self.dir = Path(tempfile.mkdtemp(prefix="riskcheck-pg-"))
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres")

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        result = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr or result.stdout}")

    def start(self) -> None:
        data = self.dir / "data"
        self._run(
            str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "rc", "-E", "UTF8", "--no-sync"
        )
        # Unix socket in our folder only; fsync off: a throwaway cluster need not survive a power cut
        options = f"-k {self.dir} -c listen_addresses='' -c fsync=off -c max_connections=100"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://rc@/{database}?host={self.dir}"

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(_COUNTER)}"
        with psycopg.connect(f"host={self.dir} user=rc dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    binaries = server_binaries()
    if binaries is None:
        if os.environ.get("CI"):  # CI installs it (make test): missing there is a failure, not a skip
            pytest.fail("no PostgreSQL server binaries in CI: `make postgres` should have installed them")
        pytest.skip("no PostgreSQL server here (make test installs Debian's postgresql when it can)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[test]')")
    server = Server(binaries)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: a SQLite file, then a database on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return request.getfixturevalue("pg_server").new_database()  # type: ignore[no-any-return]
