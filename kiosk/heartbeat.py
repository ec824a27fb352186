"""Tell the central system every half minute that this kiosk is alive and how it is.

Counts and device states only, never personal data. A missed heartbeat is not
retried: the next one is due soon and says the same thing more recently.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from typing import Any

from central import wire
from kiosk import __version__
from kiosk.errors import KioskError
from kiosk.periodic import PeriodicThread

log = logging.getLogger("kiosk.heartbeat")


def build_heartbeat(runtime: Any) -> wire.Heartbeat:
    """From the device monitor's latest look: the heartbeat never waits on a device."""
    health = {name: wire.DeviceHealthReport(state=h.state.value, code=h.code, detail=h.detail)
              for name, h in runtime.monitor.latest.health.items()}
    return wire.Heartbeat(software_version=__version__,
                          sent_at=dt.datetime.now(dt.timezone.utc), health=health,
                          outbox_depth=runtime.outbox.depth(),
                          journeys_completed=runtime.journey.stats.completed,
                          supplies=[wire.SupplyReport(**f.as_dict())
                                    for f in runtime.monitor.supplies.forecast()])


class HeartbeatSender(PeriodicThread):
    """Sends a heartbeat every ``interval_s`` (with a little jitter); ``stop`` joins the thread."""

    THREAD_NAME = "heartbeat"

    def __init__(self, runtime: Any, interval_s: float, rng: random.Random | None = None) -> None:
        self._runtime = runtime
        self.interval_s = interval_s
        rng = rng or random.Random()
        self.last_answer: wire.HeartbeatAnswer | None = None
        self.failures = 0
        # A random first delay spreads a fleet that powered up together.
        super().__init__(self.THREAD_NAME, self.send_once,
                         interval=lambda: self.interval_s * rng.uniform(0.9, 1.1),
                         first_delay=lambda: rng.uniform(0, min(5.0, self.interval_s)))

    def send_once(self) -> bool:
        try:
            self.last_answer = self._runtime.client.heartbeat(build_heartbeat(self._runtime))
        except KioskError as exc:
            self.failures += 1
            log.info("heartbeat not delivered code=%s", exc.code)
            return False
        return True
