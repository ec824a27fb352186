"""Ask every device how it is, on a thread of its own, and tell the journey when that changes.

Nothing on the UI thread waits for a device: the journey reads the latest
snapshot (is the card printer ready? is the reader there?) and is told on its
own thread when a device fails or comes back, so the kiosk takes itself out of
service and back without anyone touching it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drivers.base import DeviceHealth, HealthState
from drivers.printer.base import Supplies
from kiosk.devices.supplies import SupplyForecast, SupplyTracker
from kiosk.periodic import PeriodicThread

log = logging.getLogger("kiosk.devices")


@dataclass(frozen=True)
class DeviceSnapshot:
    """The devices' health (and printers' supplies) at one moment."""

    health: dict[str, DeviceHealth] = field(default_factory=dict)
    supplies: dict[str, Supplies] = field(default_factory=dict)

    def usable(self, name: str) -> bool:
        h = self.health.get(name)
        return h is not None and h.usable

    def ready_to_print(self, name: str) -> bool:
        supplies = self.supplies.get(name)
        return self.usable(name) and supplies is not None and supplies.ready

    def states(self) -> dict[str, str]:
        return {name: h.state.value for name, h in self.health.items()}


def _ask(device: Any) -> tuple[DeviceHealth, Supplies | None]:
    try:
        health = device.health()
        supplies = device.supplies() if hasattr(device, "supplies") else None
    except Exception as exc:  # a device that cannot answer is not usable, and that is news
        return DeviceHealth(HealthState.UNKNOWN, "health_failed", type(exc).__name__), None
    return health, supplies


class DeviceMonitor(PeriodicThread):
    """Polls every ``interval_s``; ``on_change`` gets each new snapshot whose states differ,
    ``publish`` every look with the supplies' forecast (for the heartbeat and the metrics)."""

    THREAD_NAME = "device-monitor"

    def __init__(self, devices: Any, on_change: Callable[[DeviceSnapshot], None],
                 interval_s: float = 10.0, supplies: SupplyTracker | None = None,
                 publish: Callable[[DeviceSnapshot, list[SupplyForecast]], None] | None = None
                 ) -> None:
        self._devices = devices
        self.supplies = supplies or SupplyTracker()
        self._on_change = on_change
        self._publish = publish
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._latest = DeviceSnapshot()
        super().__init__(self.THREAD_NAME, self.poll_once, interval=lambda: self.interval_s)

    @property
    def latest(self) -> DeviceSnapshot:
        with self._lock:
            return self._latest

    def poll_once(self) -> DeviceSnapshot:
        health, supplies = {}, {}
        for name, device in self._devices.all().items():
            health[name], found = _ask(device)
            if found is not None:
                supplies[name] = found
        snapshot = DeviceSnapshot(health, supplies)
        self.supplies.observe(supplies)
        with self._lock:
            previous, self._latest = self._latest, snapshot
        if self._publish is not None:
            self._publish(snapshot, self.supplies.forecast())
        if snapshot.states() != previous.states() or snapshot.supplies != previous.supplies:
            changed = {k: v for k, v in snapshot.states().items()
                       if previous.states().get(k) != v}
            if changed:
                # One mapping argument would be taken by logging as named arguments.
                log.info("device states changed: %s",
                         ", ".join(f"{name}={state}" for name, state in changed.items()))
            self._on_change(snapshot)
        return snapshot
