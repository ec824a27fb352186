"""The printers' job index: milliseconds per put with 1,000, 10,000 and 50,000 jobs in it.

Every print ends with a put (on disk before it returns), so its cost is part of every
receipt and card. The SQLite index is filled in bulk to each size, then timed over
``puts`` puts of new keys; beside it, the JSON file of earlier versions (rewritten whole
with fsync on every put) over fewer puts, on the same disk, for comparison. Figures
only: the disk and the machine's load decide them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from drivers.printer.base import PrintResult
from drivers.printer.job_index import JobIndex

SIZES = (1_000, 10_000, 50_000)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _fill_sqlite(path: Path, existing: int, now: float) -> None:
    """``existing`` rows of the last month in one transaction, as an index used for long."""
    schema = JobIndex(path)
    schema.count()  # opened: the file and its tables exist
    schema.close()
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.executemany("INSERT INTO jobs VALUES (?, ?, 1, ?, ?)",
                       [(_digest(f"existing-{n}"), f"receipt-{n:012x}", f"receipt-{n:012x}.png",
                         now - 30 * 86400 * (existing - n) / existing)
                        for n in range(existing)])


def _summary(times_s: list[float]) -> dict[str, float]:
    ms = sorted(t * 1000 for t in times_s)
    return {"ms_per_put_median": round(statistics.median(ms), 3),
            "ms_per_put_p95": round(ms[int(0.95 * (len(ms) - 1))], 3),
            "ms_per_put_max": round(ms[-1], 3)}


def _bench_sqlite(directory: Path, existing: int, puts: int) -> dict[str, Any]:
    path = directory / f"jobs-{existing}.sqlite3"
    now = time.time()
    _fill_sqlite(path, existing, now)
    index = JobIndex(path)
    index.count()  # opened, pruned once: what a driver does at its first print
    times = []
    for n in range(puts):
        result = PrintResult(f"receipt-new-{n}", 1, f"receipt-new-{n}.png")
        started = time.perf_counter()
        index.put(f"bench-{existing}-{n}", result)
        times.append(time.perf_counter() - started)
    rows = index.count()
    index.close()
    return {"existing": existing, "puts": puts, **_summary(times), "rows_after": rows,
            "file_bytes": path.stat().st_size}


def _json_put(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    """What the JSON index of earlier versions did on every put: the whole file, fsynced."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(entries, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _bench_json(directory: Path, existing: int, puts: int) -> dict[str, Any]:
    path = directory / f"jobs-{existing}.json"
    entries = {_digest(f"existing-{n}"): {"job_id": f"receipt-{n:012x}", "pages": 1,
                                          "image": f"receipt-{n:012x}.png"}
               for n in range(existing)}
    _json_put(path, entries)
    times = []
    for n in range(puts):
        started = time.perf_counter()
        with open(path, encoding="utf-8") as f:  # the old put loaded the file first
            loaded = json.load(f)
        loaded[_digest(f"bench-{n}")] = {"job_id": f"receipt-new-{n}", "pages": 1, "image": None}
        _json_put(path, loaded)
        times.append(time.perf_counter() - started)
    return {"existing": existing, "puts": puts, **_summary(times),
            "file_bytes": path.stat().st_size}


def bench_job_index(puts: int = 200, json_puts: int = 20,
                    directory: str | None = None) -> dict[str, Any]:
    """ms per put of the SQLite job index (and of the old JSON one) at each size in SIZES."""
    with tempfile.TemporaryDirectory(dir=directory, prefix="job-index-bench-") as tmp:
        where = Path(tmp)
        sqlite_runs = [_bench_sqlite(where, existing, puts) for existing in SIZES]
        json_runs = [_bench_json(where, existing, json_puts) for existing in SIZES] \
            if json_puts else []
    return {"sqlite": sqlite_runs, "json_before": json_runs,
            "note": "each put is on disk when it returns (SQLite WAL synchronous=FULL; "
                    "JSON: whole file, fsync, rename)"}


if __name__ == "__main__":
    print(json.dumps(bench_job_index(), indent=2))
