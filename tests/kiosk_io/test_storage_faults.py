"""A read-only or full data folder is a calm out-of-service state, never a crash, and the kiosk
comes back by itself once the folder takes writes again.

Each test runs a whole kiosk process in a user and mount namespace of its own (``unshare
-rm``), on a 1 MB tmpfs the process remounts read-only or fills: the real kernel refusing the
writes, not a mock. Before, the kiosk exited with rc 1 in 1.5 s at every start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KIOSK = Path(__file__).with_name("storage_kiosk.py")


def namespaces_available() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return None if probe.returncode == 0 else "no user namespaces here"


pytestmark = pytest.mark.skipif(namespaces_available() is not None,
                                reason=namespaces_available() or "")


class StorageKiosk:
    def __init__(self, central_url: str, tmp: Path, *flags: str) -> None:
        (tmp / "mnt").mkdir()
        self.log = open(tmp / "kiosk.log", "w")
        self.proc = subprocess.Popen(
            ["unshare", "-rm", sys.executable, str(KIOSK), central_url, str(tmp / "mnt"), *flags],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        assert self.read() == "started", "the kiosk starts whatever its storage"

    def read(self) -> str:
        line = self.proc.stdout.readline()
        assert line, f"the kiosk ended (rc {self.proc.poll()})"
        return line.strip()

    def ask(self, command: str) -> str:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.read()

    def state_becomes(self, expected: str, timeout_s: float = 10) -> str:
        deadline = time.monotonic() + timeout_s
        while (state := self.ask("state")) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        return state

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


@pytest.fixture
def kiosk_on(central, tmp_path):
    made: list[StorageKiosk] = []

    def make(*flags: str) -> StorageKiosk:
        made.append(StorageKiosk(central.url, tmp_path, *flags))
        return made[-1]
    yield make
    for k in made:
        k.close()
        assert k.proc.returncode == 0, (tmp_path / "kiosk.log").read_text()


def test_a_read_only_folder_at_start_is_out_of_service_then_heals(kiosk_on):
    k = kiosk_on("ro")
    assert k.state_becomes("out_of_service storage_read_only") == \
        "out_of_service storage_read_only"
    assert k.ask("rw") == "ok"
    assert k.state_becomes("attract -") == "attract -", "back by itself"
    assert k.ask("reconciled") == "ok", "the start-up reconciliation ran once it could"
    assert k.ask("begin") == "language"


def test_a_full_folder_is_seen_before_a_resident_starts(kiosk_on):
    k = kiosk_on()
    assert k.state_becomes("attract -") == "attract -"
    assert k.ask("fill") == "ok"
    assert k.ask("begin") == "out_of_service", "nobody walks a journey that cannot be kept"
    assert k.ask("state") == "out_of_service storage_full"
    assert k.ask("free") == "ok"
    assert k.state_becomes("attract -") == "attract -"
    assert k.ask("begin") == "language"
