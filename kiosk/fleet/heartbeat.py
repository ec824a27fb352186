"""Tell the central system every half minute that this kiosk is alive and how it is.

Counts and device states only, never personal data: device health, supplies, the
outbox's depth and age, today's and yesterday's journey counts (yesterday too, so
a day's last figures are not lost at midnight), whether residents are being
served and why not, and what the kiosk did with the last fleet settings. The
answer may bring newer settings; they go to ``RemoteSettings``. A missed
heartbeat is not retried: the next one is due soon and says the same thing more
recently.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from typing import Any

from protocol import wire
from kiosk import __version__
from kiosk.errors import KioskError, KioskNotTrusted
from kiosk.periodic import PeriodicThread
from kiosk.fleet.remote_settings import SettingsOffer

log = logging.getLogger("kiosk.heartbeat")


def journey_days(runtime: Any) -> list[wire.JourneyDay]:
    """Yesterday (when anything happened) and today, by the kiosk's local day."""
    today = runtime.journey.now().date()
    try:
        days = [runtime.journey_days.day(today - dt.timedelta(days=1)),
                runtime.journey_days.day(today)]
    except KioskError as exc:  # the heartbeat goes out all the same, without the counts
        log.error("journey counts not read code=%s", exc.code)
        return []
    return [d for d in days if d.day == today or d.started or d.completed or d.abandoned_at]


def build_heartbeat(runtime: Any) -> wire.Heartbeat:
    """From the device monitor's latest look: the heartbeat never waits on a device."""
    health = {name: wire.DeviceHealthReport(state=h.state.value, code=h.code, detail=h.detail)
              for name, h in runtime.monitor.latest.health.items()}
    reason = runtime.journey.out_of_service_reason
    return wire.Heartbeat(software_version=__version__,
                          sent_at=dt.datetime.now(dt.timezone.utc), health=health,
                          outbox_depth=runtime.outbox.depth(),
                          outbox_oldest_s=runtime.outbox.oldest_age_s(),
                          journeys_completed=runtime.journey.stats.completed,
                          supplies=[wire.SupplyReport(**f.as_dict())
                                    for f in runtime.monitor.supplies.forecast()],
                          journeys=journey_days(runtime),
                          settings_applied=runtime.remote_settings.report,
                          in_service=not reason, out_of_service_reason=reason)


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
            answer, settings_errors = self._runtime.heartbeat_client.heartbeat_reply(
                build_heartbeat(self._runtime))
        except KioskNotTrusted as exc:
            self.failures += 1
            log.error("heartbeat refused: credentials code=%s", exc.code)
            self._runtime.worker.dispatch_event(self._runtime.journey.on_trust, exc.code)
            return False
        except KioskError as exc:
            self.failures += 1
            log.info("heartbeat not delivered code=%s", exc.code)
            return False
        if self._runtime.journey.trust_problem:  # enrolled again: back in service
            self._runtime.worker.dispatch_event(self._runtime.journey.on_trust, None)
        self.last_answer = answer
        self._runtime.remote_settings.offer(SettingsOffer(
            answer.settings_revision, answer.settings, settings_errors))
        return True
