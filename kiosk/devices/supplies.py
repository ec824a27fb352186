"""Paper, cards and ribbon: how fast this hall uses them, and when each runs out.

The device monitor hands every look at the printers' supplies to a SupplyTracker. It
keeps a short, bounded history of each counted supply and turns the use over the
recent window into a rate and a "time to empty", for the diagnostics screen and the
heartbeat, so a hall manager refills before the kiosk has to turn residents away.
A refill (the count going up) starts the history afresh.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from drivers.printer.base import Supplies

HISTORY_LIMIT = 512  # samples kept per supply: bounded, whatever the uptime
MIN_SPAN_S = 900.0  # a burst right after start-up is spread over at least 15 minutes


@dataclass(frozen=True)
class SupplyForecast:
    """One supply's level now, its recent use per hour and the hours left at that pace."""

    device: str
    supply: str
    level: str
    remaining: int | None
    per_hour: float | None  # None: not counted, or not used within the window
    hours_to_empty: float | None

    def as_dict(self) -> dict[str, object]:
        return {"device": self.device, "supply": self.supply, "level": self.level,
                "remaining": self.remaining,
                "per_hour": round(self.per_hour, 2) if self.per_hour is not None else None,
                "hours_to_empty": round(self.hours_to_empty, 1)
                if self.hours_to_empty is not None else None}


class SupplyTracker:
    """Thread-safe: the monitor thread observes, the heartbeat and diagnostics read."""

    def __init__(self, window_s: float = 6 * 3600,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._history: dict[tuple[str, str], collections.deque[tuple[float, int]]] = {}
        self._latest: dict[tuple[str, str], tuple[str, int | None]] = {}

    def observe(self, supplies: dict[str, Supplies]) -> None:
        """One look at every printer's supplies (called by the device monitor)."""
        now = self._clock()
        with self._lock:
            for device, found in supplies.items():
                for item in found.items:
                    key = (device, item.name)
                    self._latest[key] = (item.level.value, item.remaining)
                    if item.remaining is not None:
                        self._record(key, now, item.remaining)

    def _record(self, key: tuple[str, str], now: float, remaining: int) -> None:
        history = self._history.setdefault(key, collections.deque(maxlen=HISTORY_LIMIT))
        if history and remaining > history[-1][1]:
            history.clear()  # refilled: the old pace says nothing about the new roll
        if not history or history[-1][1] != remaining:
            history.append((now, remaining))
        while len(history) > 1 and now - history[0][0] > self.window_s:
            history.popleft()

    def forecast(self) -> list[SupplyForecast]:
        now = self._clock()
        with self._lock:
            return [self._forecast(key, level, remaining, now)
                    for key, (level, remaining) in sorted(self._latest.items())]

    def _forecast(self, key: tuple[str, str], level: str, remaining: int | None,
                  now: float) -> SupplyForecast:
        per_hour = self._rate(self._history.get(key), now)
        hours = remaining / per_hour if per_hour and remaining is not None else None
        return SupplyForecast(key[0], key[1], level, remaining, per_hour, hours)

    def _rate(self, history, now: float) -> float | None:
        """Use per hour over the window, from the first sample in it until now."""
        if not history or len(history) < 2:
            return None
        start_at, start = history[0]
        used = start - history[-1][1]
        elapsed = max(now - start_at, MIN_SPAN_S)
        return used * 3600 / elapsed if used > 0 else None
