"""Start the reference central server as a real process on loopback (tests, demo, benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent  # the project, so `-m central` resolves


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class CentralProcess:
    url: str
    port: int
    database: str
    log_path: Path | None = None  # the server's stderr; a file, so a long run never blocks on a pipe
    process: subprocess.Popen | None = None
    extra_args: tuple[str, ...] = ()  # more command-line options, e.g. --deferred-interval-s
    # Tests of the permit rules and the demo's many journeys talk to central unsigned; the
    # tests of enrolment and signatures, and the demo's enrolled kiosk, use "required".
    kiosk_auth: str = "open"

    def start(self, timeout_s: float = 20.0) -> CentralProcess:
        cmd = [sys.executable, "-m", "central", "--host", "127.0.0.1", "--port", str(self.port),
               "--database", self.database, "--public-url", self.url, "--seed", "demo",
               "--kiosk-auth", self.kiosk_auth, *self.extra_args]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(cmd, cwd=ROOT, env=env,
                                            stdout=subprocess.DEVNULL, stderr=log)
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("central exited: " + self.log_tail())
            try:
                if requests.get(self.url + "/v1/health", timeout=0.5).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("central did not answer in time")

    def stop(self) -> None:
        """End the server we started and reap it (nothing else reaps orphans here)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_tail(self, chars: int = 2000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_text(errors="replace")[-chars:]


def central_on(tmp_dir: Path, port: int | None = None) -> CentralProcess:
    port = port or free_port()
    return CentralProcess(url=f"http://127.0.0.1:{port}", port=port,
                          database=f"sqlite:///{tmp_dir / 'central.db'}",
                          log_path=tmp_dir / "central.log")
