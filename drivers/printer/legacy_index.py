"""The JSON job index of earlier versions, imported once into the SQLite one.

A kiosk upgraded in the field must not forget what it printed: the old file's entries
(already keyed by digest) are copied in one transaction, and the file is removed only
after that transaction is on disk. A crash in between imports it again at the next
start; rows already there are kept, being as new or newer.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

log = logging.getLogger("drivers.printer")


def _rows(entries: dict[str, Any], created_at: float) -> list[tuple[str, str, int, str | None,
                                                                     float]]:
    rows = []
    for digest, entry in entries.items():
        if not isinstance(entry, dict) or "job_id" not in entry:
            continue
        image = entry.get("image")
        rows.append((str(digest), str(entry["job_id"]), int(entry.get("pages", 1)),
                     str(image) if image else None, created_at))
    return rows


def import_json_index(db: sqlite3.Connection, json_path: Path, now: float) -> int:
    """Copy the entries of ``json_path`` into ``db``'s jobs table, then remove the file;
    returns how many were copied. An unreadable file is left in place and logged.

    Entries carry no date: they count as made when the file was last written (or now, if
    that is later than now), so none is pruned earlier than its real age allows.
    """
    try:
        with open(json_path, encoding="utf-8") as f:
            entries = json.load(f)
        written = os.stat(json_path).st_mtime
    except FileNotFoundError:
        return 0
    except (OSError, ValueError) as exc:
        log.warning("old job index %s not imported: %s", json_path.name, type(exc).__name__)
        return 0
    if not isinstance(entries, dict):
        log.warning("old job index %s not imported: not a map", json_path.name)
        return 0
    rows = _rows(entries, min(written, now))
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany("INSERT OR IGNORE INTO jobs (key_hash, job_id, pages, image, created_at) "
                       "VALUES (?, ?, ?, ?, ?)", rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    json_path.unlink(missing_ok=True)
    log.info("imported %d job(s) from old job index %s", len(rows), json_path.name)
    return len(rows)
