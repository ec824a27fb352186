"""Journeys per kiosk and per hall over some days, from the counts kiosks report.

Kiosks send counts only (wire.JourneyDay), never single journeys, so the median journey time
is estimated from the duration buckets: the median falls in one bucket and is placed within it
by linear interpolation, as Prometheus's histogram_quantile does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from pydantic import BaseModel, Field
from sqlalchemy import Engine, select

from central.storage import db
from protocol.wire import DURATION_BUCKETS_S

BUCKETS = len(DURATION_BUCKETS_S) + 1  # the last counts journeys longer than the last bound


def median_from_buckets(counts: list[int]) -> float | None:
    """Seconds; None without a completed journey. In the open last bucket: its lower bound."""
    total = sum(counts)
    if total == 0:
        return None
    half, below = total / 2, 0
    for i, n in enumerate(counts):
        if n and below + n >= half:
            if i >= len(DURATION_BUCKETS_S):
                return float(DURATION_BUCKETS_S[-1])
            low = DURATION_BUCKETS_S[i - 1] if i else 0
            return round(low + (half - below) / n * (DURATION_BUCKETS_S[i] - low), 1)
        below += n
    return None


class JourneyTotals(BaseModel):
    """Counts added up over kiosks and days."""

    started: int = 0
    completed: int = 0
    abandoned_at: dict[str, int] = Field(default_factory=dict)
    decisions: dict[str, int] = Field(default_factory=dict)
    cards_printed_here: int = 0
    cards_queued: int = 0
    duration_buckets: list[int] = Field(default_factory=lambda: [0] * BUCKETS)

    @property
    def abandoned(self) -> int:
        return sum(self.abandoned_at.values())

    @property
    def median_s(self) -> float | None:
        return median_from_buckets(self.duration_buckets)

    def add(self, row) -> None:
        self.started += row.started
        self.completed += row.completed
        self.abandoned_at = dict(Counter(self.abandoned_at) + Counter(json.loads(row.abandoned_json)))
        self.decisions = dict(Counter(self.decisions) + Counter(json.loads(row.decisions_json)))
        self.cards_printed_here += row.cards_printed_here
        self.cards_queued += row.cards_queued
        buckets = (json.loads(row.durations_json) + [0] * BUCKETS)[:BUCKETS]
        self.duration_buckets = [a + b for a, b in zip(self.duration_buckets, buckets)]

    def summary(self) -> dict:
        """The totals with the derived figures, for JSON and templates."""
        return dict(self.model_dump(), abandoned=self.abandoned, median_s=self.median_s)


class JourneyStats(BaseModel):
    since: dt.date
    until: dt.date
    kiosks: dict[str, JourneyTotals]
    halls: dict[str, JourneyTotals]  # "" holds the kiosks not assigned to a hall
    total: JourneyTotals


def journey_stats(engine: Engine, hall_ids: list[str] | None, since: dt.date,
                  until: dt.date) -> JourneyStats:
    """The days from `since` to `until` (both included, the kiosks' local days)."""
    j, k = db.journey_days, db.kiosks
    query = (select(j, k.c.hall_id).select_from(j.join(k, k.c.kiosk_id == j.c.kiosk_id))
             .where(j.c.day >= since, j.c.day <= until).order_by(j.c.kiosk_id, j.c.day))
    if hall_ids is not None:
        query = query.where(k.c.hall_id.in_(hall_ids))
    stats = JourneyStats(since=since, until=until, kiosks={}, halls={}, total=JourneyTotals())
    with engine.connect() as c:
        for row in c.execute(query):
            stats.kiosks.setdefault(row.kiosk_id, JourneyTotals()).add(row)
            stats.halls.setdefault(row.hall_id or "", JourneyTotals()).add(row)
            stats.total.add(row)
    return stats
