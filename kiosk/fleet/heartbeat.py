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
from collections.abc import Callable

from kiosk import __version__
from kiosk.errors import KioskError, KioskNotTrusted
from kiosk.fleet.central_client import CentralClient
from kiosk.fleet.daily_counts import JourneyDays
from kiosk.fleet.remote_settings import RemoteSettings, SettingsOffer
from kiosk.fleet.status import KioskStatus, OutboxFigures, StatusBoard
from kiosk.periodic import PeriodicThread
from protocol import wire

log = logging.getLogger("kiosk.heartbeat")


def journey_days(days: JourneyDays, today: dt.date) -> list[wire.JourneyDay]:
    """Yesterday (when anything happened) and today, by the kiosk's local day."""
    try:
        found = [days.day(today - dt.timedelta(days=1)), days.day(today)]
    except KioskError as exc:  # the heartbeat goes out all the same, without the counts
        log.error("journey counts not read code=%s", exc.code)
        return []
    return [d for d in found if d.day == today or d.started or d.completed or d.abandoned_at]


def outbox_figures(outbox: OutboxFigures) -> tuple[int, float | None]:
    """Depth and oldest age; nothing when the outbox cannot be read (the storage fault is
    in the status's out-of-service reason)."""
    try:
        return outbox.depth(), outbox.oldest_age_s()
    except KioskError as exc:
        log.error("outbox figures not read code=%s", exc.code)
        return 0, None


def build_heartbeat(status: KioskStatus, outbox: OutboxFigures, days: list[wire.JourneyDay],
                    settings_applied: wire.SettingsApplied | None) -> wire.Heartbeat:
    """From the published status: the heartbeat never waits on a device or the journey."""
    health = {name: wire.DeviceHealthReport(state=h.state.value, code=h.code, detail=h.detail)
              for name, h in status.devices.health.items()}
    depth, oldest = outbox_figures(outbox)
    return wire.Heartbeat(software_version=__version__,
                          sent_at=dt.datetime.now(dt.timezone.utc), health=health,
                          outbox_depth=depth, outbox_oldest_s=oldest,
                          journeys_completed=status.journeys.completed,
                          supplies=[wire.SupplyReport(**f.as_dict()) for f in status.supplies],
                          journeys=days, settings_applied=settings_applied,
                          in_service=status.in_service,
                          out_of_service_reason=status.out_of_service_reason)


class HeartbeatSender(PeriodicThread):
    """Sends a heartbeat every ``interval_s`` (with a little jitter); ``stop`` joins the thread.

    ``on_trust`` hears central refusing this kiosk's credentials (its code) or accepting
    them again (None); the runtime hands it to the journey's thread."""

    THREAD_NAME = "heartbeat"

    def __init__(self, client: CentralClient, status: StatusBoard, outbox: OutboxFigures,
                 days: JourneyDays, remote_settings: RemoteSettings,
                 on_trust: Callable[[str | None], None], interval_s: float,
                 today: Callable[[], dt.date], rng: random.Random | None = None) -> None:
        self._client, self._status, self._outbox = client, status, outbox
        self._days, self._remote_settings = days, remote_settings
        self._on_trust, self._today = on_trust, today
        self.interval_s = interval_s
        rng = rng or random.Random()
        self.last_answer: wire.HeartbeatAnswer | None = None
        self.failures = 0
        # A random first delay spreads a fleet that powered up together.
        super().__init__(self.THREAD_NAME, self.send_once,
                         interval=lambda: self.interval_s * rng.uniform(0.9, 1.1),
                         first_delay=lambda: rng.uniform(0, min(5.0, self.interval_s)))

    def build(self, status: KioskStatus | None = None) -> wire.Heartbeat:
        """The heartbeat as it would go now."""
        return build_heartbeat(status or self._status.current, self._outbox,
                               journey_days(self._days, self._today()),
                               self._remote_settings.report)

    def send_once(self) -> bool:
        status = self._status.current
        beat = self.build(status)
        try:
            answer, settings_errors = self._client.heartbeat_reply(beat)
        except KioskNotTrusted as exc:
            self.failures += 1
            log.error("heartbeat refused: credentials code=%s", exc.code)
            self._on_trust(exc.code)
            return False
        except KioskError as exc:
            self.failures += 1
            log.info("heartbeat not delivered code=%s", exc.code)
            return False
        if status.trust_problem:  # enrolled again: back in service
            self._on_trust(None)
        self.last_answer = answer
        self._remote_settings.offer(SettingsOffer(
            answer.settings_revision, answer.settings, settings_errors))
        return True
