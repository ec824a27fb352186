"""Keep the kiosk's files from growing over months: forget what no longer matters.

Sent outbox entries (a key and an application number) and finished journal
entries are kept for ``keep_days`` for support questions, then deleted. Unsent
applications and unfinished side effects are never touched.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

log = logging.getLogger("kiosk.housekeeping")


def prune(outbox: Any, journal: Any, keep: dt.timedelta) -> tuple[int, int]:
    sent, done = outbox.prune_sent(keep), journal.prune(keep)
    if sent or done:
        log.info("pruned %d sent outbox entries and %d journal entries", sent, done)
    return sent, done


class Housekeeping:
    THREAD_NAME = "housekeeping"

    def __init__(self, outbox: Any, journal: Any, keep_days: float,
                 interval_s: float = 3600.0) -> None:
        self._outbox, self._journal = outbox, journal
        self.keep = dt.timedelta(days=keep_days)
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                prune(self._outbox, self._journal, self.keep)
            except Exception as exc:  # a full disk must not end the thread
                log.error("housekeeping failed: %s", type(exc).__name__)
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=self.THREAD_NAME)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
