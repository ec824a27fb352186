"""The alert runner lives in a child process of the server: it ends with the server, also
when the server is killed outright (a kiosk fleet's central must not leave orphans judging)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.central_server import central_on


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def alert_child(server_pid: int, timeout_s: float = 20.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for pid in children_of(server_pid):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        time.sleep(0.1)
    raise AssertionError("no alert process started")


def wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_the_alert_process_ends_with_the_server(tmp_path):
    server = central_on(tmp_path).start()
    child = alert_child(server.process.pid)
    server.stop()
    assert wait_gone(child, 20), "stopped with the server"


def test_the_alert_process_ends_when_the_server_is_killed(tmp_path):
    server = central_on(tmp_path).start()
    try:
        child = alert_child(server.process.pid)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        assert wait_gone(child, 10), "an orphan went on judging the fleet"
    finally:
        server.stop()
