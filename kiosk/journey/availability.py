"""In service or not: a device the kiosk cannot work without, central's trust, the fleet.

One mechanism for every reason: at the attract screen, a reason takes the kiosk out of
service (the calm screen, the session wiped); when the reason goes, it comes back by
itself. A resident already being served is never cut off: a reason that appears
mid-journey waits until their session ends. Reasons, in the order they are shown: central
refusing the kiosk's credentials (``kiosk_revoked`` ...), ``maintenance`` and ``closed``
(outside the service hours, in the hall's local time by the kiosk's clock) from the fleet,
the kiosk's own storage (``storage_read_only``, ``storage_full`` ... from
``kiosk.effects.storage``, looked at again as each resident begins), ``reader_offline``
from the device monitor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.devices.monitor import DeviceSnapshot
from kiosk.journey.context import JourneyContext, JourneyCore
from kiosk.journey.session import Problem
from kiosk.journey.steps import IDLE_STEPS, READER_ARMED_STEPS, Step
from protocol import wire
from protocol.codes import OUT_OF_SERVICE_TRUST_CODES

log = logging.getLogger("kiosk.journey")

FLEET_REASONS = frozenset({"maintenance", "closed"})


def hours_text(hours: wire.ServiceHours) -> str:
    """'08:00–20:00' as a resident reads it ('00:00–00:00' is around the clock)."""
    return f"{hours.opens:%H:%M}–{hours.closes:%H:%M}"


class AvailabilityPhase:
    """Devices failing and coming back, central's trust, and the fleet's settings."""

    def __init__(self, ctx: JourneyContext, core: JourneyCore, fleet_settings: wire.KioskSettings | None
                 ) -> None:
        self.ctx, self.core = ctx, core
        self.fleet_settings = fleet_settings or wire.KioskSettings()
        self.trust_problem: str | None = None  # central refuses our credentials: its code
        self.out_of_service_reason = ""
        self.device_snapshot = DeviceSnapshot()
        self._hold: str | None = None  # the reason this journey went out of service
        self.storage_fault: str | None = None  # kiosk.effects.storage's code, or None
        # Set by the runtime: one look at the storage now (the code, or None).
        self.check_storage: Callable[[], str | None] = lambda: self.storage_fault
        for step in (Step.ATTRACT, *READER_ARMED_STEPS):
            core.on_enter(step, self.apply)

    # ----- the fleet's settings ----------------------------------------------------------------
    def apply_fleet_settings(self, settings: wire.KioskSettings) -> None:
        """New settings are in force (on the journey's thread): act on them where that
        cannot cut a resident off, and let the screens show them."""
        self.fleet_settings = settings
        self.apply()
        self.core.notify()

    def enabled_services(self) -> list[wire.Service]:
        """The config's services the fleet left enabled, in the config's order."""
        enabled = set(self.fleet_settings.enabled_services)
        return [s for s in self.ctx.config.journey.services if s in enabled]

    def attract_notice(self) -> wire.Text | None:
        """The fleet's notice, else the one in the kiosk's own config, else none."""
        if self.fleet_settings.attract_notice is not None:
            return self.fleet_settings.attract_notice
        config = self.ctx.config
        if config.notice_zh or config.notice_en:
            return wire.Text(zh_CN=config.notice_zh, en=config.notice_en)
        return None

    def service_hours(self) -> wire.ServiceHours | None:
        """The hours when they are not around the clock."""
        hours = self.fleet_settings.service_hours
        return None if hours.opens == hours.closes else hours

    # ----- central's trust and the devices ------------------------------------------------------
    def on_trust(self, code: str | None) -> None:
        """Central refused this kiosk's credentials (its code), or accepts them again (None):
        out of service at the next rest, back by itself once a technician has enrolled it."""
        code = code if code in OUT_OF_SERVICE_TRUST_CODES else None
        if code != self.trust_problem:
            log.log(logging.ERROR if code else logging.INFO, "credentials code=%s", code)
            self.trust_problem = code
            self.apply()
            self.core.notify()

    def on_storage(self, code: str | None) -> None:
        """The storage watch saw the kiosk's files fail or heal (on the journey's thread)."""
        if code != self.storage_fault:
            self.storage_fault = code
            self.apply()
            self.core.notify()

    def may_begin(self) -> bool:
        """Before a resident starts: the storage is glanced at now (no write on this
        thread), so nobody walks a whole journey to fail at the end; False when the kiosk
        went out of service instead."""
        self.on_storage(self.check_storage())
        return self.core.state is not Step.OUT_OF_SERVICE

    def on_devices(self, snapshot: DeviceSnapshot) -> None:
        """The device monitor saw a change (on the journey's thread, through the worker)."""
        self.device_snapshot = snapshot
        self.apply()
        self.core.notify()

    def _fleet_reason(self) -> str | None:
        if self.trust_problem:
            return self.trust_problem
        if self.fleet_settings.maintenance:
            return "maintenance"
        if not self.fleet_settings.service_hours.open_at(self.ctx.now().time()):
            return "closed"
        return None

    def _device_reason(self) -> str | None:
        """Without a reader nothing can be done (None until the monitor has looked)."""
        if self.device_snapshot.health and not self.device_snapshot.usable("reader"):
            return "reader_offline"
        return None

    def _reason(self) -> str | None:
        return self._fleet_reason() or self.storage_fault or self._device_reason()

    # ----- one decision for every reason -------------------------------------------------------
    def apply(self) -> None:
        core = self.core
        reason = self._reason()
        if reason and core.state is Step.ATTRACT:
            self.go_out_of_service(reason)
            self._hold = reason
        elif core.state in READER_ARMED_STEPS and self._device_reason():
            core.problem("reader_error", core.state)
        elif core.state is Step.OUT_OF_SERVICE and self._hold:
            if reason is None:
                self._hold = None
                self.recover()
            elif reason != self._hold:  # e.g. maintenance lifted after closing time
                log.info("out of service code=%s (was %s)", reason, self._hold)
                self._hold = reason
                core.session.problem = Problem(reason)
                self.out_of_service_reason = reason
                core.notify()

    def at_rest_tick(self) -> None:
        """From tick, at rest: the service hours open and close the kiosk by themselves."""
        if self.core.state in IDLE_STEPS:
            self.apply()

    def go_out_of_service(self, code: str) -> None:
        """Any reason the kiosk cannot serve, including the UI's crash handler's."""
        log.log(logging.INFO if code in FLEET_REASONS else logging.ERROR,
                "out of service code=%s", code)
        self._hold = None
        self.out_of_service_reason = code
        self.core.stop_service(code)

    def recover(self) -> None:
        if self.core.state is Step.OUT_OF_SERVICE:
            self.out_of_service_reason = ""
            self.core.resume_service()
