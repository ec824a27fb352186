"""The printer drivers' SQLite files opened one way, as the kiosk opens its own (drivers may
not import kiosk): WAL, every commit on disk before it returns, shared between threads
behind the owner's lock, and patient with a file another process holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from drivers.sqlite_wal import switch_to_wal

# A checkpointed WAL is cut back to this, so the -wal file does not keep its largest size.
WAL_SIZE_LIMIT = 1 << 20


def open_sqlite(path: Path, schema: str) -> sqlite3.Connection:
    """Create the folder and the tables if needed. synchronous=FULL: a job the index says
    was printed stays said after a power cut, or the same card could print again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    try:
        switch_to_wal(db)
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=10000")
        db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        db.executescript(schema)
    except BaseException:
        db.close()
        raise
    return db
