"""Switching a new SQLite file to WAL when another connection may be doing the same.

Setting ``journal_mode=WAL`` needs the file to itself for a moment, and SQLite does not wait
for that (its busy handler is skipped where waiting could deadlock): two connections opening
a new file at once, say the kiosk and the technician's command, got "database is locked".
Once one of them has switched, the mode is in the file and the other's switch is a no-op, so
trying again after a short pause is enough.
"""

from __future__ import annotations

import sqlite3
import time


def switch_to_wal(db: sqlite3.Connection, timeout_s: float = 10.0) -> str:
    """Set WAL, retrying while another connection holds the file; the mode now in force."""
    deadline = time.monotonic() + timeout_s
    pause = 0.005
    while True:
        try:
            return str(db.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
