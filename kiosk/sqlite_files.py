"""The kiosk's SQLite files (journal, daily counts) opened one way: WAL, autocommit, shared
between threads behind the owner's lock, and patient with a busy file."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Literal

from drivers.sqlite_wal import switch_to_wal


def open_sqlite(path: Path, schema: str,
                synchronous: Literal["FULL", "NORMAL"] = "FULL") -> sqlite3.Connection:
    """Create the folder and the tables if needed. FULL survives a power cut with every
    committed row; NORMAL may lose the last commits, which suits counters."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    switch_to_wal(db)
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("PRAGMA busy_timeout=10000")
    db.executescript(schema)
    return db
