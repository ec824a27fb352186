"""Tell the central system every half minute that this kiosk is alive and how it is.

Counts and device states only, never personal data. A missed heartbeat is not
retried: the next one is due soon and says the same thing more recently.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from typing import Any

from central import wire
from kiosk import __version__
from kiosk.errors import KioskError

log = logging.getLogger("kiosk.heartbeat")


def build_heartbeat(runtime: Any) -> wire.Heartbeat:
    """From the device monitor's latest look: the heartbeat never waits on a device."""
    health = {name: wire.DeviceHealthReport(state=h.state.value, code=h.code, detail=h.detail)
              for name, h in runtime.monitor.latest.health.items()}
    return wire.Heartbeat(software_version=__version__,
                          sent_at=dt.datetime.now(dt.timezone.utc), health=health,
                          outbox_depth=runtime.outbox.depth(),
                          journeys_completed=runtime.journey.stats.completed)


class HeartbeatSender:
    """A background thread; ``stop`` wakes and joins it, so no thread is left behind."""

    THREAD_NAME = "heartbeat"

    def __init__(self, runtime: Any, interval_s: float, rng: random.Random | None = None) -> None:
        self._runtime = runtime
        self.interval_s = interval_s
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_answer: wire.HeartbeatAnswer | None = None
        self.failures = 0

    def send_once(self) -> bool:
        try:
            self.last_answer = self._runtime.client.heartbeat(build_heartbeat(self._runtime))
        except KioskError as exc:
            self.failures += 1
            log.info("heartbeat not delivered code=%s", exc.code)
            return False
        return True

    def _loop(self) -> None:
        # A random first delay spreads a fleet that powered up together.
        delay = self._rng.uniform(0, min(5.0, self.interval_s))
        while not self._stop.wait(delay):
            self.send_once()
            delay = self.interval_s * self._rng.uniform(0.9, 1.1)

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
