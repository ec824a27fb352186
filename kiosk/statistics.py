"""Journey counters for diagnostics and the heartbeat: counts only, nothing personal."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kiosk.steps import Step


@dataclass
class JourneyStatistics:
    started: int = 0
    completed: int = 0
    cancelled: int = 0
    timed_out: int = 0
    abandoned_at: Counter = field(default_factory=Counter)

    def record_start(self) -> None:
        self.started += 1

    def record_end(self, reason: str, step: Step) -> None:
        if reason == "completed":
            self.completed += 1
            return
        if reason == "idle_timeout":
            self.timed_out += 1
        else:
            self.cancelled += 1
        self.abandoned_at[step.value] += 1
