"""Journey counts per local day, on disk, so a restart does not lose the day's figures.

Counts only, never who: every row is (day, kind, key, count) where the key is a
step, a decision or a bucket, checked to be a short code. The heartbeat reads
today's and yesterday's rows; housekeeping forgets days older than a setting.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.sqlite_files import open_sqlite
from protocol import wire

_TOKEN = re.compile(r"^[a-z0-9_]{0,40}$")

# What each row counts. started/completed/here/queued have the empty key.
STARTED, COMPLETED, ABANDONED_AT, DECISION, CARD, DURATION = (
    "started", "completed", "abandoned_at", "decision", "card", "duration")
CARD_HERE, CARD_QUEUED = "here", "queued"
_KINDS = frozenset({STARTED, COMPLETED, ABANDONED_AT, DECISION, CARD, DURATION})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journey_day (
    day    TEXT NOT NULL,     -- the kiosk's local date, ISO
    kind   TEXT NOT NULL,     -- started, completed, abandoned_at, decision, card, duration
    key    TEXT NOT NULL,     -- a step, a decision, here/queued, a bucket index; '' for none
    count  INTEGER NOT NULL,
    PRIMARY KEY (day, kind, key)
);
"""


class StatisticsError(KioskError):
    code = "statistics_error"


def duration_bucket(seconds: float) -> int:
    """Index into DURATION_BUCKETS_S (upper bounds); one past the end for longer journeys."""
    for i, bound in enumerate(wire.DURATION_BUCKETS_S):
        if seconds <= bound:
            return i
    return len(wire.DURATION_BUCKETS_S)


class JourneyDays:
    """One SQLite file of counters per day. Thread-safe: the heartbeat reads while the
    journey writes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            # a count lost in a power cut is fine
            self._db = open_sqlite(self.path, _SCHEMA, "NORMAL")
        except sqlite3.Error as exc:
            raise StatisticsError(f"cannot open statistics: {exc}",
                                  code="statistics_open_failed") from exc

    def add(self, day: dt.date, counts: list[tuple[str, str]]) -> None:
        """Add one to each (kind, key) of ``day``, in one transaction."""
        for kind, key in counts:
            if kind not in _KINDS or not _TOKEN.match(key):
                raise StatisticsError(f"not a counter: {kind}", code="statistics_bad_key")
        with self._lock:
            try:
                self._db.execute("BEGIN")
                for kind, key in counts:
                    self._db.execute(
                        "INSERT INTO journey_day (day, kind, key, count) VALUES (?, ?, ?, 1)"
                        " ON CONFLICT (day, kind, key) DO UPDATE SET count = count + 1",
                        (day.isoformat(), kind, key))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise StatisticsError(f"statistics write failed: {exc}",
                                      code="statistics_write_failed") from exc

    def _rollback(self) -> None:
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # a closed or broken file: nothing was written either

    def day(self, day: dt.date) -> wire.JourneyDay:
        """The day's figures as the heartbeat sends them (zeros for a day with nothing)."""
        rows = self._read("SELECT kind, key, count FROM journey_day WHERE day = ?",
                          (day.isoformat(),))
        plain: dict[tuple[str, str], int] = {(kind, key): n for kind, key, n in rows}
        buckets = [0] * (len(wire.DURATION_BUCKETS_S) + 1)
        for (kind, key), n in plain.items():
            if kind == DURATION and key.isdigit() and int(key) < len(buckets):
                buckets[int(key)] = n
        return wire.JourneyDay(
            day=day, started=plain.get((STARTED, ""), 0), completed=plain.get((COMPLETED, ""), 0),
            abandoned_at={k: n for (kind, k), n in sorted(plain.items()) if kind == ABANDONED_AT},
            decisions={k: n for (kind, k), n in sorted(plain.items()) if kind == DECISION},
            cards_printed_here=plain.get((CARD, CARD_HERE), 0),
            cards_queued=plain.get((CARD, CARD_QUEUED), 0), duration_buckets=buckets)

    def days(self) -> list[dt.date]:
        rows = self._read("SELECT DISTINCT day FROM journey_day ORDER BY day", ())
        return [dt.date.fromisoformat(r[0]) for r in rows]

    def _read(self, sql: str, args: tuple) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StatisticsError(f"statistics read failed: {exc}",
                                      code="statistics_read_failed") from exc

    def prune(self, today: dt.date, keep_days: int) -> int:
        """Forget days before ``today - keep_days``; returns the rows deleted."""
        cutoff = (today - dt.timedelta(days=keep_days)).isoformat()
        with self._lock:
            try:
                return self._db.execute("DELETE FROM journey_day WHERE day < ?",
                                        (cutoff,)).rowcount
            except sqlite3.Error as exc:
                raise StatisticsError(f"statistics prune failed: {exc}",
                                      code="statistics_write_failed") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()
