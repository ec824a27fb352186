"""Durable journal of side effects: write the intent before acting, the outcome after.

After a power cut the kiosk reads ``unfinished()`` and reconciles each step (ask central whether the
submission arrived, ask the card printer whether the card came out) instead of losing or repeating
it. The journal holds no personal data (kind, idempotency key, outcome code, times), so it lives in
its own unencrypted file: technicians may read or export it for diagnostics without touching the
outbox, which holds encrypted personal data and may be wiped on its own (e.g. a new kiosk key).
Giving it the outbox's path also works: the tables do not collide.

An outcome the disk refuses (read-only or full since the intent was written) is not lost: the
side effect happened, so it is kept in memory, answered by ``get``, and written by
``write_kept`` once the disk takes writes again (``kiosk.effects.storage``). An intent the
disk refuses raises: nothing is done without it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk.errors import JournalError
from kiosk.sqlite_files import open_sqlite

log = logging.getLogger("kiosk.journal")

State = Literal["begun", "done"]

# Codes and keys only: a guard against a name or a sentence slipping in as a "key" or "outcome".
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    kind        TEXT NOT NULL,   -- e.g. 'submit', 'print_card', 'print_receipt'
    key         TEXT NOT NULL,   -- the session's idempotency key
    state       TEXT NOT NULL CHECK (state IN ('begun', 'done')),
    outcome     TEXT,            -- a stable code, e.g. 'ok', 'queued', 'paper_out'
    begun_at    REAL NOT NULL,   -- unix seconds, UTC
    finished_at REAL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS journal_unfinished ON journal (state, begun_at);
"""


@dataclass(frozen=True)
class JournalEntry:
    kind: str
    key: str
    state: State
    outcome: str | None
    begun_at: dt.datetime
    finished_at: dt.datetime | None


def _now() -> float:
    return dt.datetime.now(dt.timezone.utc).timestamp()


def _check(what: str, value: str) -> None:
    if not _TOKEN.match(value):
        raise JournalError(f"journal {what} must be a short code", code="journal_bad_token")


class Journal:
    """Intent and outcome of every side effect outside the process. Thread-safe."""

    def __init__(self, path: Path, on_write_failure: Callable[[], None] = lambda: None) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._on_write_failure = on_write_failure
        self._kept: dict[tuple[str, str], tuple[str, float]] = {}  # outcomes not yet on disk
        try:
            self._db = open_sqlite(self.path, _SCHEMA, "FULL")
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open journal: {exc}", code="journal_open_failed") from exc

    def begin(self, kind: str, key: str) -> JournalEntry:
        """Record the intent (durably, before acting); an existing entry is returned unchanged."""
        _check("kind", kind)
        _check("key", key)
        self._write("INSERT OR IGNORE INTO journal (kind, key, state, begun_at)"
                    " VALUES (?, ?, 'begun', ?)", (kind, key, _now()))
        entry = self.get(kind, key)
        assert entry is not None
        return entry

    def finish(self, kind: str, key: str, outcome: str) -> JournalEntry:
        """Record what happened. Finishing twice keeps the first outcome (the one acted on).
        When the disk refuses, the outcome is kept in memory until it takes writes again."""
        _check("outcome", outcome)
        finished_at = _now()
        try:
            self._write("UPDATE journal SET state = 'done', outcome = ?, finished_at = ?"
                        " WHERE kind = ? AND key = ? AND state = 'begun'",
                        (outcome, finished_at, kind, key))
        except JournalError:
            begun = self._on_disk(kind, key)
            if begun is None:
                raise
            with self._lock:
                self._kept.setdefault((kind, key), (outcome, finished_at))
            self._on_write_failure()
            return self.get(kind, key)  # type: ignore[return-value]
        entry = self.get(kind, key)
        if entry is None:
            raise JournalError(f"finish without begin for {kind}", code="journal_not_begun")
        return entry

    def state(self, kind: str, key: str) -> State | None:
        entry = self.get(kind, key)
        return entry.state if entry else None

    def get(self, kind: str, key: str) -> JournalEntry | None:
        entry = self._on_disk(kind, key)
        with self._lock:
            kept = self._kept.get((kind, key))
        if entry is not None and entry.state == "begun" and kept is not None:
            return JournalEntry(kind, key, "done", kept[0], entry.begun_at, _dt(kept[1]))
        return entry

    def unfinished(self) -> list[JournalEntry]:
        """Begun and never finished, oldest first: what a restart must reconcile."""
        entries = self._read("SELECT * FROM journal WHERE state = 'begun'"
                             " ORDER BY begun_at, rowid")
        with self._lock:
            return [e for e in entries if (e.kind, e.key) not in self._kept]

    def write_kept(self) -> int:
        """Write the outcomes the disk refused earlier; how many reached it."""
        with self._lock:
            kept = list(self._kept.items())
        written = 0
        for (kind, key), (outcome, finished_at) in kept:
            try:
                self._write("UPDATE journal SET state = 'done', outcome = ?, finished_at = ?"
                            " WHERE kind = ? AND key = ? AND state = 'begun'",
                            (outcome, finished_at, kind, key))
            except JournalError:
                break
            with self._lock:
                self._kept.pop((kind, key), None)
            written += 1
        if written:
            log.info("journal outcomes kept in memory written count=%d", written)
        return written

    def _on_disk(self, kind: str, key: str) -> JournalEntry | None:
        rows = self._read("SELECT * FROM journal WHERE kind = ? AND key = ?", (kind, key))
        return rows[0] if rows else None

    def done(self, kind: str) -> list[JournalEntry]:
        """Finished entries of one kind, oldest first."""
        _check("kind", kind)
        return self._read("SELECT * FROM journal WHERE kind = ? AND state = 'done'"
                          " ORDER BY begun_at, rowid", (kind,))

    def prune(self, older_than: dt.datetime | dt.timedelta) -> int:
        """Forget finished entries older than a time (or an age); unfinished ones are kept."""
        if isinstance(older_than, dt.timedelta):
            cutoff = _now() - older_than.total_seconds()
        else:
            cutoff = older_than.timestamp()
        return self._write("DELETE FROM journal WHERE state = 'done' AND finished_at < ?",
                           (cutoff,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, args: tuple) -> int:
        with self._lock:
            try:
                return self._db.execute(sql, args).rowcount
            except sqlite3.Error as exc:
                raise JournalError(f"journal write failed: {exc}",
                                   code="journal_write_failed") from exc

    def _read(self, sql: str, args: tuple = ()) -> list[JournalEntry]:
        with self._lock:
            try:
                rows = self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise JournalError(f"journal read failed: {exc}",
                                   code="journal_read_failed") from exc
        return [JournalEntry(kind, key, state, outcome, _dt(begun), _dt(fin) if fin else None)
                for kind, key, state, outcome, begun, fin in rows]


def _dt(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)
