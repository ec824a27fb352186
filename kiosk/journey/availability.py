"""In service or not: a device the kiosk cannot work without, and the fleet's settings.

One mechanism for every reason: at the attract screen, a reason takes the kiosk
out of service (the calm screen, the session wiped); when the reason goes, it
comes back by itself. A resident already being served is never cut off: a reason
that appears mid-journey waits until their session ends. Reasons, in the order
they are shown: central refusing the kiosk's credentials (``kiosk_revoked`` ...),
``maintenance`` and ``closed`` (outside the service hours, in the hall's local time
by the kiosk's clock) from the fleet, ``reader_offline`` from the device monitor.
"""

from __future__ import annotations

import logging

from protocol import wire
from protocol.codes import OUT_OF_SERVICE_TRUST_CODES
from kiosk.devices.monitor import DeviceSnapshot
from kiosk.journey.session import Problem, ResidentSession
from kiosk.journey.steps import IDLE_STEPS, READER_ARMED_STEPS, Step

log = logging.getLogger("kiosk.journey")

FLEET_REASONS = frozenset({"maintenance", "closed"})
# Central refuses this kiosk: every new resident's application would wait in the outbox.
TRUST_REASONS = OUT_OF_SERVICE_TRUST_CODES


def hours_text(hours: wire.ServiceHours) -> str:
    """'08:00–20:00' as a resident reads it ('00:00–00:00' is around the clock)."""
    return f"{hours.opens:%H:%M}–{hours.closes:%H:%M}"


class AvailabilitySteps:
    """Mixed into Journey: devices failing and coming back, and the fleet's settings."""

    # ----- the fleet's settings --------------------------------------------------------------
    def apply_fleet_settings(self, settings: wire.KioskSettings) -> None:
        """New settings are in force (on the journey's thread): act on them where that
        cannot cut a resident off, and let the screens show them."""
        self.fleet_settings = settings
        self._apply_service_state()
        self._notify("update")

    def services_offered(self) -> list[wire.Service]:
        """The menu: the config's services the fleet left enabled, in the config's order.
        A session keeps the menu it started with."""
        if self._session_menu is not None:
            return list(self._session_menu)
        enabled = set(self.fleet_settings.enabled_services)
        return [s for s in self.config.journey.services if s in enabled]

    def attract_notice(self) -> wire.Text | None:
        """The fleet's notice, else the one in the kiosk's own config, else none."""
        if self.fleet_settings.attract_notice is not None:
            return self.fleet_settings.attract_notice
        if self.config.notice_zh or self.config.notice_en:
            return wire.Text(zh_CN=self.config.notice_zh, en=self.config.notice_en)
        return None

    def service_hours(self) -> wire.ServiceHours | None:
        """The hours when they are not around the clock."""
        hours = self.fleet_settings.service_hours
        return None if hours.opens == hours.closes else hours

    def on_trust(self, code: str | None) -> None:
        """Central refused this kiosk's credentials (its code), or accepts them again (None):
        out of service at the next rest, back by itself once a technician has enrolled it."""
        code = code if code in TRUST_REASONS else None
        if code != self.trust_problem:
            log.log(logging.ERROR if code else logging.INFO, "credentials code=%s", code)
            self.trust_problem = code
            self._apply_service_state()
            self._notify("update")

    def _fleet_reason(self) -> str | None:
        if self.trust_problem:
            return self.trust_problem
        if self.fleet_settings.maintenance:
            return "maintenance"
        if not self.fleet_settings.service_hours.open_at(self.now().time()):
            return "closed"
        return None

    # ----- devices ---------------------------------------------------------------------------
    def on_devices(self, snapshot: DeviceSnapshot) -> None:
        """The device monitor saw a change (on the journey's thread, through the worker)."""
        self.device_snapshot = snapshot
        self._apply_service_state()
        self._notify("update")

    def _device_reason(self) -> str | None:
        """Without a reader nothing can be done (None until the monitor has looked)."""
        health = self.device_snapshot.health
        if health and not self.device_snapshot.usable("reader"):
            return "reader_offline"
        return None

    # ----- one decision for every reason -----------------------------------------------------
    def _apply_service_state(self) -> None:
        reason = self._fleet_reason() or self._device_reason()
        if reason and self.state is Step.ATTRACT:
            self.go_out_of_service(reason)
            self._service_hold = reason
        elif self.state in READER_ARMED_STEPS and self._device_reason():
            self._problem("reader_error", self.state)
        elif self.state is Step.OUT_OF_SERVICE and self._service_hold:
            if reason is None:
                self._service_hold = None
                self.recover()
            elif reason != self._service_hold:  # e.g. maintenance lifted after closing time
                log.info("out of service code=%s (was %s)", reason, self._service_hold)
                self._service_hold = reason
                self.session.problem = Problem(reason)
                self.out_of_service_reason = reason
                self._notify("update")

    def _check_service_state(self) -> None:
        """From tick, at rest: the service hours open and close the kiosk by themselves."""
        if self.state in IDLE_STEPS:
            self._apply_service_state()

    def go_out_of_service(self, code: str) -> None:
        """A reason the kiosk cannot serve (fleet, device, config, crash): the calm screen,
        session wiped. A resident interrupted here counts as abandoned at their step."""
        if self.state not in IDLE_STEPS:
            self.stats.record_end("interrupted", self.state.value,
                                  self._journey_end("interrupted"))
        log.log(logging.INFO if code in FLEET_REASONS else logging.ERROR,
                "out of service code=%s", code)
        self._service_hold = None
        self.session.wipe()
        self.session = ResidentSession()
        self._session_menu = None
        self.devices.reader.forget()
        self.session.problem = Problem(code)
        self.out_of_service_reason = code
        self.set_state(Step.OUT_OF_SERVICE)

    def recover(self) -> None:
        if self.state is Step.OUT_OF_SERVICE:
            self.session = ResidentSession()
            self.out_of_service_reason = ""
            self.set_state(Step.ATTRACT)
            self._apply_service_state()
