"""kill -9 in the middle of writing: every committed entry survives exactly once, none is corrupt,
and syncing them afterwards creates no duplicate application."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.effects.outbox import Outbox, load_or_create_kiosk_key
from kiosk.effects.outbox_sync import OutboxSync
from tests.kiosk_io import residents

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("outbox_writer.py")


def write_then_kill(db: Path, keyfile: Path, codes: tuple[str, str], kill_after: int) -> list[str]:
    """Start the writer, SIGKILL it (by its PID) after `kill_after` printed keys, return all printed."""
    proc = subprocess.Popen([sys.executable, str(WRITER), str(db), str(keyfile), "100000", *codes],
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    printed: list[str] = []
    try:
        while len(printed) < kill_after:
            line = proc.stdout.readline()
            if not line:
                pytest.fail("writer ended early: " + proc.stderr.read()[-2000:])
            printed.append(line.strip())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    printed += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return printed


def test_kill9_mid_write_loses_nothing_repeats_nothing(tmp_path, client, zhuzhou_codes):
    db, keyfile = tmp_path / "outbox.sqlite", tmp_path / "kiosk.key"
    before = len(client.lookup_status(residents.DOCUMENT_NUMBER))
    committed: list[str] = []
    for kill_after in (1, 9, 23, 4):
        committed += write_then_kill(db, keyfile, zhuzhou_codes, kill_after)
        assert_every_printed_key_once(db, keyfile, committed)

    with Outbox(db, load_or_create_kiosk_key(keyfile)) as box:
        rows = box.depth()
        assert rows >= len(committed)  # at most one unprinted commit per kill on top
        sync = OutboxSync(box, client)
        while sync.sync_once():
            pass
        assert box.depth() == 0 and box.quarantined() == [] and box.held() == []
        numbers = [box.sent_receipt(key) for key in committed]
    assert None not in numbers and len(set(numbers)) == len(numbers)

    apps = client.lookup_status(residents.DOCUMENT_NUMBER)
    assert len(apps) == before + rows
    assert len({a.application_number for a in apps}) == len(apps)


def assert_every_printed_key_once(db: Path, keyfile: Path, printed: list[str]) -> None:
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = [row[0] for row in raw.execute("SELECT idempotency_key FROM outbox")]
    assert len(keys) == len(set(keys))
    assert set(printed) <= set(keys)
    assert len(keys) - len(printed) <= 4  # only commits whose print the kill cut off
    with Outbox(db, load_or_create_kiosk_key(keyfile)) as box:
        entries = box.pending(limit=100000)
        assert box.quarantined() == []
        assert {e.idempotency_key for e in entries} == set(keys)
        assert all(e.submission.applicant.name == residents.NAME for e in entries)
