"""A throwaway PostgreSQL server for tests: initdb into a temporary directory, start on a free
loopback port, trust authentication, no durability (fsync off). PostgreSQL refuses to run as
root, so under root it runs as the 'postgres' system user (or 'nobody')."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.central_server import free_port

USER = "central"


def postgres_binaries() -> Path | None:
    """The directory holding initdb and postgres: $PG_BIN, PATH, or Debian's versioned dirs."""
    candidates = [os.environ.get("PG_BIN", "")]
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in filter(None, candidates):
        if (Path(directory) / "initdb").exists() and (Path(directory) / "postgres").exists():
            return Path(directory)
    return None


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


@dataclass
class PostgresServer:
    port: int
    base: Path
    process: subprocess.Popen

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        """Create an empty database; return its SQLAlchemy URL."""
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.base, ignore_errors=True)


def start_postgres(timeout_s: float = 30.0) -> PostgresServer:
    bin_dir = postgres_binaries()
    assert bin_dir is not None
    owner = _run_as()
    base = Path(tempfile.mkdtemp(prefix="central-pg-"))
    as_user = {}
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_user = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    data = base / "data"
    subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
                    "-E", "UTF8", "--no-locale", "--no-sync"], check=True, cwd=base,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **as_user)
    port = free_port()
    with open(base / "server.log", "wb") as log:
        process = subprocess.Popen(
            [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
             "-k", str(base), "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=100"],
            cwd=base, stdout=subprocess.DEVNULL, stderr=log, **as_user)
    server = PostgresServer(port=port, base=base, process=process)
    _wait_ready(server, timeout_s)
    return server


def _wait_ready(server: PostgresServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = (server.base / "server.log").read_text(errors="replace")[-2000:]
            server.stop()
            raise RuntimeError("postgres exited: " + log)
        try:
            psycopg.connect(server.admin_url(), connect_timeout=1).close()
            return
        except psycopg.OperationalError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("postgres did not accept connections in time")
