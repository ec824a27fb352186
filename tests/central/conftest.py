"""Fixtures for the central API: the real server on loopback, on SQLite and on PostgreSQL.

The server's stderr goes to a file, so a chatty test can never block the server on a full
pipe, and tests can read exactly what the server logged.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import pytest

from tests.central.postgres import PostgresServer, postgres_binaries, start_postgres
from tests.central_server import CentralProcess, central_on, free_port


class LogTap:
    """Reads what the server wrote to its log file (a file, so the server never blocks)."""

    def __init__(self, path) -> None:
        self._path = path

    def text(self) -> str:
        return self._path.read_text("utf-8", "replace") if self._path.exists() else ""

    def wait_for(self, needle: str, count: int = 1, timeout_s: float = 5.0) -> str:
        """The log once `needle` appears `count` times (lines are written after the answer)."""
        deadline = time.monotonic() + timeout_s
        while self.text().count(needle) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.text()


@dataclass
class RunningCentral:
    url: str
    database: str
    log: LogTap
    process: CentralProcess

    @property
    def api(self) -> str:
        return self.url + "/v1"


@pytest.fixture(scope="session")
def postgres(tmp_path_factory) -> PostgresServer:
    if postgres_binaries() is None:
        pytest.skip("PostgreSQL server binaries (initdb, postgres) not found: install Debian's "
                    "'postgresql' package or put them on PATH")
    server = start_postgres()
    yield server
    server.stop()


_database_numbers = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central(request, tmp_path_factory) -> RunningCentral:
    """One real server per test module and database kind, seeded with the demo residents."""
    folder = tmp_path_factory.mktemp("central")
    server = central_on(folder)
    if request.param == "postgresql":
        pg = request.getfixturevalue("postgres")
        port = free_port()
        server = CentralProcess(url=f"http://127.0.0.1:{port}", port=port,
                                database=pg.new_database(f"central_{next(_database_numbers)}"),
                                log_path=folder / "central.log")
    server.start()
    yield RunningCentral(url=server.url, database=server.database,
                         log=LogTap(server.log_path), process=server)
    server.stop()
