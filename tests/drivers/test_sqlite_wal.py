"""Connections opening a new SQLite file at the same moment all end in WAL. Before, one of
them could get "database is locked": switching to WAL needs the file alone for a moment and
SQLite does not wait for that (tests/drivers/test_job_index.py's thread test failed about
one run in ten)."""

from __future__ import annotations

import threading

from drivers.printer.sqlite_file import open_sqlite

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY);"


def test_openers_racing_for_a_new_file_all_get_it(tmp_path):
    failures: list[BaseException] = []
    for trial in range(150):
        path = tmp_path / f"new-{trial}.sqlite3"
        start = threading.Barrier(4)

        def open_it(path=path, start=start) -> None:
            start.wait()
            try:
                db = open_sqlite(path, SCHEMA)
                assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                db.close()
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                failures.append(exc)

        openers = [threading.Thread(target=open_it) for _ in range(4)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(30)
    assert failures == []
