"""Which jobs a printer has already printed, on disk, so a retry never prints twice.

One SQLite file per index (WAL, synchronous=FULL): a put is one row written, whatever
the index holds, where the JSON file of earlier versions was rewritten whole on every
print. Keys are stored hashed: a job key may be built from an application number, and
this file outlives the session. Rows older than the retention are deleted by age, a
bounded batch at a time through an index on ``created_at``, so the file stops growing
once the oldest rows go as fast as new ones come.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from drivers.printer.base import PrintResult
from drivers.printer.legacy_index import import_json_index
from drivers.printer.orphan_temps import remove_orphan_temps
from drivers.printer.sqlite_file import open_sqlite

DAY_S = 24 * 3600.0
RETENTION_S = 180 * DAY_S  # a retry comes within minutes or days; half a year is plenty
PRUNE_EVERY_PUTS = 100
PRUNE_EVERY_S = 3600.0
PRUNE_BATCH = 1000  # rows deleted at most per prune: ten times the puts between prunes

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key_hash TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    pages INTEGER NOT NULL,
    image TEXT,
    created_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (created_at);
"""


class JobIndex:
    """A map from hashed job key to the PrintResult of its print, in ``path`` (.sqlite3).

    Opened at first use: then temporary files an older version's interrupted write left
    are removed, and the JSON index of earlier versions beside it (same stem, ``.json``)
    is imported once. ``retention_s``: how long a job is remembered. Old rows are pruned
    at open and then at most once per ``prune_every`` puts or ``prune_interval_s``.
    ``clock`` gives wall time (rows outlive the process); tests pass their own.
    Safe to share between threads.
    """

    def __init__(self, path: str | os.PathLike[str], *, retention_s: float = RETENTION_S,
                 prune_every: int = PRUNE_EVERY_PUTS, prune_interval_s: float = PRUNE_EVERY_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.legacy_path = self.path.with_suffix(".json")
        self.retention_s, self.prune_every = retention_s, prune_every
        self.prune_interval_s, self.clock = prune_interval_s, clock
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._puts_since_prune = 0
        self._pruned_at = 0.0

    @staticmethod
    def _digest(job_key: str) -> str:
        return hashlib.sha256(job_key.encode("utf-8")).hexdigest()

    def get(self, job_key: str) -> PrintResult | None:
        """The result put for ``job_key``; image paths are kept relative to the index."""
        with self._lock:
            row = self._open().execute("SELECT job_id, pages, image FROM jobs WHERE key_hash = ?",
                                       (self._digest(job_key),)).fetchone()
        if row is None:
            return None
        job_id, pages, image = row
        return PrintResult(job_id=job_id, pages=pages,
                           image_path=str(self.path.parent / image) if image else None)

    def put(self, job_key: str, result: PrintResult) -> None:
        """Remember ``result`` for ``job_key`` (replacing an earlier one); on disk on return."""
        image = Path(result.image_path).name if result.image_path else None
        with self._lock:
            db = self._open()
            now = self.clock()
            db.execute("INSERT OR REPLACE INTO jobs (key_hash, job_id, pages, image, created_at) "
                       "VALUES (?, ?, ?, ?, ?)",
                       (self._digest(job_key), str(result.job_id), result.pages, image, now))
            self._puts_since_prune += 1
            if self._puts_since_prune >= self.prune_every \
                    or now - self._pruned_at >= self.prune_interval_s:
                self._prune(db, now)

    def count(self) -> int:
        """How many jobs are remembered (for checks and the benchmark)."""
        with self._lock:
            return int(self._open().execute("SELECT COUNT(*) FROM jobs").fetchone()[0])

    def prune(self) -> int:
        """Delete one batch of rows older than the retention now; returns how many went."""
        with self._lock:
            return self._prune(self._open(), self.clock())

    def close(self) -> None:
        """Close the file; the next use opens it again. Safe to call twice."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # ------------------------------------------------------------------ inside (lock held)

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            db = open_sqlite(self.path, SCHEMA)
            try:
                remove_orphan_temps(self.path.parent, re.escape(self.legacy_path.name))
                import_json_index(db, self.legacy_path, self.clock())
                self._prune(db, self.clock())
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    def _prune(self, db: sqlite3.Connection, now: float) -> int:
        """One indexed DELETE of at most PRUNE_BATCH of the oldest expired rows."""
        gone = db.execute("DELETE FROM jobs WHERE key_hash IN (SELECT key_hash FROM jobs "
                          "WHERE created_at < ? ORDER BY created_at LIMIT ?)",
                          (now - self.retention_s, PRUNE_BATCH)).rowcount
        self._puts_since_prune, self._pruned_at = 0, now
        return int(gone)


def save_png_atomically(image: Image.Image, path: Path) -> None:
    """Write a PNG under a temporary name first, so no reader sees half an image."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, "PNG")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
