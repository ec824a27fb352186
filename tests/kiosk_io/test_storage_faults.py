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


needs_namespaces = pytest.mark.skipif(namespaces_available() is not None,
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
def make_kiosk_here(central, tmp_path):
    """A kiosk in this process on a data folder the test has damaged first."""
    from kiosk.headless import HeadlessKiosk
    from tests.journey.conftest import kiosk_config
    made: list[HeadlessKiosk] = []

    def make(corrupt: str) -> HeadlessKiosk:
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / corrupt).write_bytes(b"not a database, a damaged card" * 100)
        k = HeadlessKiosk(kiosk_config(tmp_path, central.url))
        k.runtime.start()
        made.append(k)
        return k
    yield make
    for k in made:
        k.runtime.stop()


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


@needs_namespaces
def test_a_read_only_folder_at_start_is_out_of_service_then_heals(kiosk_on):
    k = kiosk_on("ro")
    assert k.state_becomes("out_of_service storage_read_only") == \
        "out_of_service storage_read_only"
    assert k.ask("rw") == "ok"
    assert k.state_becomes("attract -") == "attract -", "back by itself"
    assert k.ask("reconciled") == "ok", "the start-up reconciliation ran once it could"
    assert k.ask("begin") == "language"


@needs_namespaces
def test_a_full_folder_is_seen_before_a_resident_starts(kiosk_on):
    k = kiosk_on()
    assert k.state_becomes("attract -") == "attract -"
    assert k.ask("fill") == "ok"
    assert k.ask("begin") == "out_of_service", "nobody walks a journey that cannot be kept"
    assert k.ask("state") == "out_of_service storage_full"
    assert k.ask("free") == "ok"
    assert k.state_becomes("attract -") == "attract -"
    assert k.ask("begin") == "language"


@needs_namespaces
def test_a_fault_mid_session_waits_for_the_resident_to_leave(kiosk_on):
    """(A busy filesystem cannot be remounted read-only under open files: a full one it is.)"""
    k = kiosk_on()
    assert k.state_becomes("attract -") == "attract -"
    assert k.ask("begin") == "language"
    assert k.ask("fill") == "ok"
    time.sleep(1.0)  # several looks at the storage
    assert k.ask("state") == "language -", "a resident being served is never cut off"
    assert k.ask("cancel") in ("attract", "out_of_service")
    assert k.state_becomes("out_of_service storage_full") == "out_of_service storage_full"
    assert k.ask("free") == "ok"
    assert k.state_becomes("attract -") == "attract -"


def test_a_corrupt_outbox_is_out_of_service_not_a_crash(make_kiosk_here):
    k = make_kiosk_here(corrupt="outbox.sqlite3")
    assert k.wait_for(lambda: k.journey.state.value == "out_of_service", timeout_s=10)
    assert k.journey.session.problem.code == "storage_corrupt"


def test_temporary_files_a_kill_left_are_removed_at_the_first_good_look(tmp_path):
    from kiosk.effects.storage import StorageWatch
    data = tmp_path / "data"
    (data / "credentials").mkdir(parents=True)
    left = [data / ".kiosk.key.4242.1a2b3c4d.tmp", data / ".fleet_settings.json.0f0f0f0f.tmp",
            data / "credentials" / "kiosk-signing.pem.ab12cd34.tmp"]
    kept = [data / "outbox.sqlite3", data / "notes.tmp", data / "fleet_settings.json"]
    for path in left + kept:
        path.write_bytes(b"x")
        os.utime(path, (time.time() - 120, time.time() - 120))
    fresh = data / ".fleet_settings.json.9e9e9e9e.tmp"  # a writer at work right now
    fresh.write_bytes(b"x")
    StorageWatch(data, [], 0, on_change=lambda code: None, interval_s=1).check()
    assert [p for p in left if p.exists()] == []
    assert all(p.exists() for p in kept + [fresh])
