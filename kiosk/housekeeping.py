"""Keep the kiosk's files from growing over months: forget what no longer matters.

Sent outbox entries (a key and an application number) and finished journal
entries are kept for ``keep_days`` for support questions, then deleted. Unsent
applications and unfinished side effects are never touched.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from kiosk.periodic import PeriodicThread

log = logging.getLogger("kiosk.housekeeping")


def prune(outbox: Any, journal: Any, keep: dt.timedelta) -> tuple[int, int]:
    sent, done = outbox.prune_sent(keep), journal.prune(keep)
    if sent or done:
        log.info("pruned %d sent outbox entries and %d journal entries", sent, done)
    return sent, done


class Housekeeping(PeriodicThread):
    """Prunes once at start and then every ``interval_s``."""

    THREAD_NAME = "housekeeping"

    def __init__(self, outbox: Any, journal: Any, keep_days: float,
                 interval_s: float = 3600.0) -> None:
        keep = dt.timedelta(days=keep_days)
        super().__init__(self.THREAD_NAME, lambda: prune(outbox, journal, keep),
                         interval=lambda: interval_s)
