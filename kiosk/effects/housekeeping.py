"""Keep the kiosk's files from growing over months: forget what no longer matters.

Sent outbox entries (a key and an application number) and finished journal
entries are kept for ``keep_days`` for support questions, then deleted; journey
counts per day for ``statistics_keep_days``. Unsent
applications and unfinished side effects are never touched.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from kiosk.periodic import PeriodicThread

log = logging.getLogger("kiosk.housekeeping")


def prune(outbox: Any, journal: Any, keep: dt.timedelta) -> tuple[int, int]:
    sent, done = outbox.prune_sent(keep), journal.prune(keep)
    if sent or done:
        log.info("pruned %d sent outbox entries and %d journal entries", sent, done)
    return sent, done


class Housekeeping(PeriodicThread):
    """Prunes once at start and then every ``interval_s``; journey counts per day
    (``days``) are kept ``days_kept`` days."""

    THREAD_NAME = "housekeeping"

    def __init__(self, outbox: Any, journal: Any, keep_days: float,
                 interval_s: float = 3600.0, *, days: Any = None, days_kept: int = 35,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        keep = dt.timedelta(days=keep_days)

        def work() -> None:
            prune(outbox, journal, keep)
            if days is not None and days.prune(today(), days_kept):
                log.info("pruned journey counts older than %d days", days_kept)
        super().__init__(self.THREAD_NAME, work, interval=lambda: interval_s)
