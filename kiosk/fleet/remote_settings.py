"""Settings a hall manager pushes from the fleet dashboard: accept or refuse, keep, report.

A heartbeat's answer may carry settings with a revision newer than the one this
kiosk last handled. They were validated by ``wire.KioskSettings`` (the same model
central checks them with); here they are also held against the kiosk's own limits
(a menu must keep one of the services its config offers, a notice needs both
languages). A revision
is handled once, as a whole: accepted, or refused with the reasons, and the
previous settings stay. What is in force is written atomically under the data
dir, so it holds after a restart, and ``report`` goes out in every heartbeat.
The decision is taken on the journey's thread, through the worker's dispatch.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from protocol import wire

log = logging.getLogger("kiosk.remote_settings")

SETTINGS_FILE = "fleet_settings.json"


@dataclass(frozen=True)
class SettingsOffer:
    """What one heartbeat answer offered: settings, or why they did not even parse."""

    revision: int
    settings: wire.KioskSettings | None
    wire_errors: tuple[str, ...] = ()


def describe_errors(exc: ValidationError) -> tuple[str, ...]:
    """Pydantic's errors as 'field: message' lines (settings hold nothing personal)."""
    return tuple(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                 for e in exc.errors())


def check_limits(settings: wire.KioskSettings, offered: list[wire.Service]) -> list[str]:
    """What this kiosk cannot do although the wire contract allows it (the notice's own
    rules, both languages and drawable characters, are the contract's: central checks them)."""
    errors = []
    # A service the kiosk's own config leaves out stays out (the dashboard's defaults name
    # all three); only a menu left with nothing on it is refused: that would be maintenance.
    if not any(s in offered for s in settings.enabled_services):
        errors.append(f"enabled_services: none of "
                      f"{', '.join(s.value for s in settings.enabled_services)} is offered by "
                      f"this kiosk (its config offers {', '.join(s.value for s in offered)})")
    return errors


class RemoteSettings:
    """The fleet's settings in force on this kiosk, and what it did with the last revision."""

    def __init__(self, path: Path, offered: list[wire.Service], *,
                 on_applied: Callable[[wire.KioskSettings], None] = lambda s: None,
                 dispatch_event: Callable[[Callable[[Any], object], Any], None] | None = None,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
                 ) -> None:
        self.path = Path(path)
        self._offered = list(offered)
        self._on_applied = on_applied
        self._dispatch_event = dispatch_event
        self._now = now
        self._lock = threading.Lock()
        self.revision = 0  # the last revision handled, accepted or refused
        self.in_force = wire.KioskSettings()
        self.report: wire.SettingsApplied | None = None
        self._load()

    # ----- the heartbeat's thread ----------------------------------------------------------
    def offer(self, offer: SettingsOffer) -> bool:
        """Hand a newer revision to the journey's thread; True when one was handed over."""
        if offer.revision <= self.revision or (offer.settings is None and not offer.wire_errors):
            return False
        if self._dispatch_event is None:
            self.handle(offer)
        else:
            self._dispatch_event(self.handle, offer)
        return True

    # ----- the journey's thread ------------------------------------------------------------
    def handle(self, offer: SettingsOffer) -> bool:
        """Accept or refuse ``offer`` once; True when new settings came into force."""
        with self._lock:
            if offer.revision <= self.revision:
                return False  # two heartbeats brought the same revision: handled once
            errors = list(offer.wire_errors)
            if offer.settings is not None and not errors:
                errors = check_limits(offer.settings, self._offered)
            accepted = offer.settings if not errors else None
            report = wire.SettingsApplied(revision=offer.revision, applied_at=self._now(),
                                          errors=errors)
            settings = accepted or self.in_force
            try:
                self._save(offer.revision, settings, report)
            except OSError as exc:
                # Not kept, not in force: the revision stays new and the next answer retries.
                log.error("fleet settings not saved revision=%d: %s", offer.revision,
                          exc.strerror)
                return False
            self.revision, self.in_force, self.report = offer.revision, settings, report
        if errors:
            log.warning("fleet settings revision=%d refused: %s", offer.revision,
                        "; ".join(errors))
            return False
        log.info("fleet settings revision=%d in force: maintenance=%s hours=%s-%s services=%s "
                 "notice=%s", offer.revision, settings.maintenance, settings.service_hours.opens,
                 settings.service_hours.closes, ",".join(s.value for s in settings.enabled_services),
                 settings.attract_notice is not None)
        self._on_applied(settings)
        return True

    # ----- the file ------------------------------------------------------------------------
    def _load(self) -> None:
        """A missing or unreadable file means revision 0: central sends its latest again."""
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            revision = int(raw["revision"])
            settings = wire.KioskSettings.model_validate(raw["settings"])
            report = wire.SettingsApplied.model_validate(raw["report"]) if raw.get("report") \
                else None
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
            log.error("fleet settings file unreadable, starting from defaults: %s",
                      type(exc).__name__)
            return
        problems = check_limits(settings, self._offered)
        if problems:  # the kiosk's own config changed since: ask for them again
            log.warning("kept fleet settings no longer fit this kiosk: %s", "; ".join(problems))
            return
        self.revision, self.in_force, self.report = revision, settings, report

    def _save(self, revision: int, settings: wire.KioskSettings,
              report: wire.SettingsApplied) -> None:
        """Write a temporary file, fsync it, rename it over the old one, fsync the folder."""
        body = json.dumps({"revision": revision, "settings": settings.model_dump(mode="json"),
                           "report": report.model_dump(mode="json")},
                          ensure_ascii=False, indent=1).encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
