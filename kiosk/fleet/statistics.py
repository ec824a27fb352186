"""Journey counters for diagnostics, metrics and the heartbeat: counts only, nothing personal.

The in-memory counters cover this run of the kiosk (diagnostics, Prometheus);
with a ``JourneyDays`` store the same events are also counted per local day on
disk, which is what the fleet sees and what survives a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.errors import KioskError
from kiosk.fleet import daily_counts as jd

log = logging.getLogger("kiosk.statistics")


@dataclass(frozen=True)
class JourneyEnd:
    """How one journey ended, with nothing that says who: the day it began (local), the
    step it ended at, the decision's kind, where its card comes from, how long it took."""

    reason: str  # completed, cancelled, idle_timeout, interrupted
    step: str  # the journey step's value, e.g. 'photo'
    day: dt.date | None = None
    decision: str | None = None  # a wire.Decision value
    card: str | None = None  # journey_days.CARD_HERE or CARD_QUEUED
    duration_s: float | None = None


@dataclass
class JourneyStatistics:
    started: int = 0
    completed: int = 0
    cancelled: int = 0
    timed_out: int = 0
    abandoned_at: Counter = field(default_factory=Counter)
    days: jd.JourneyDays | None = None
    today: Callable[[], dt.date] = dt.date.today  # the kiosk's local day

    def record_start(self, day: dt.date | None = None) -> None:
        self.started += 1
        self._store(day, [(jd.STARTED, "")])

    def record_end(self, reason: str, step: str, end: JourneyEnd | None = None) -> None:
        end = end or JourneyEnd(reason, step)
        if reason == "completed":
            self.completed += 1
            counts = [(jd.COMPLETED, "")]
            if end.duration_s is not None:
                counts.append((jd.DURATION, str(jd.duration_bucket(end.duration_s))))
        else:
            if reason == "idle_timeout":
                self.timed_out += 1
            else:
                self.cancelled += 1
            self.abandoned_at[step] += 1
            counts = [(jd.ABANDONED_AT, step)]
        if end.decision:
            counts.append((jd.DECISION, end.decision))
        if end.card:
            counts.append((jd.CARD, end.card))
        self._store(end.day, counts)

    def _store(self, day: dt.date | None, counts: list[tuple[str, str]]) -> None:
        """A full disk must not stop a resident's journey: log and carry on."""
        if self.days is None:
            return
        try:
            self.days.add(day or self.today(), counts)
        except KioskError as exc:
            log.error("journey statistics not stored code=%s", exc.code)
