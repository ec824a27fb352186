"""What the running kiosk is doing now, published whole for those who report it.

The journey (on its thread) and the device monitor (on its own) each publish their part;
the heartbeat, the metrics endpoint and the diagnostics read ``board.current`` on their
threads. A ``KioskStatus`` is immutable and replaced in one assignment, so a reader never
sees half of a change and never reaches into the journey or the devices. Counts, states
and codes only: nothing here says who.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.devices.monitor import DeviceSnapshot
from kiosk.devices.supplies import SupplyForecast


@dataclass(frozen=True)
class JourneyCounts:
    """Journeys since the kiosk started (the day's counts live in ``daily_counts``)."""

    started: int = 0
    completed: int = 0
    cancelled: int = 0
    timed_out: int = 0


@dataclass(frozen=True)
class KioskStatus:
    step: str = "attract"
    out_of_service_reason: str = ""  # "" while residents are served
    trust_problem: str | None = None  # central refuses this kiosk's credentials: its code
    services_offered: tuple[str, ...] = ()
    journeys: JourneyCounts = JourneyCounts()
    photo_checks: tuple[dict[str, Any], ...] = ()  # the last photo's check scores
    devices: DeviceSnapshot = field(default_factory=DeviceSnapshot)
    supplies: tuple[SupplyForecast, ...] = ()

    @property
    def in_service(self) -> bool:
        return not self.out_of_service_reason

    @property
    def at_rest(self) -> bool:
        """Nobody is being served (attract or out of service)."""
        return self.step in ("attract", "out_of_service")


class OutboxFigures(Protocol):
    """What the reports read of the outbox (``kiosk.effects.outbox.Outbox``): thread-safe."""

    def depth(self) -> int: ...

    def oldest_age_s(self) -> float | None: ...


class StatusBoard:
    """Holds the latest ``KioskStatus``; ``publish`` replaces it with some fields changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # two publishers: neither may lose the other's change
        self._current = KioskStatus()

    @property
    def current(self) -> KioskStatus:
        return self._current

    def publish(self, **changes: Any) -> KioskStatus:
        with self._lock:
            self._current = dataclasses.replace(self._current, **changes)
            return self._current
