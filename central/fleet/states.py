"""Each kiosk as OK, Warning, Error or Offline, with the reasons why, from its last heartbeat.

Judged when asked, never stored: the same row reads Offline a minute and a half after its last
heartbeat without anything being written. ``judge`` is a pure function of the row, the
thresholds and the clock, so the dashboard, the alerts and the metrics agree.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select

from central.fleet import reasons as why
from central.fleet.reasons import KioskReason, Severity
from central.storage import db
from central.storage.db import utc
from protocol import wire

SUPPLY_OUT = {"paper_out": "paper", "cards_out": "cards", "ribbon_out": "ribbon"}
SUPPLY_LOW = {"paper_low": "paper", "cards_low": "cards", "ribbon_low": "ribbon"}
IN_SERVICE_REASONS = {"maintenance": why.maintenance, "closed": why.closed}


class Thresholds(BaseModel):
    """When a kiosk turns Offline or Warning; the central config ([fleet]) can change each."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    offline_after_s: float = Field(
        75.0, gt=0, description="No heartbeat for this long: Offline. Two beats missed at "
                                "30 s, so one lost beat is forgiven and a silent kiosk shows "
                                "Offline within 90 s of its last beat, page refresh included.")
    hours_to_empty_warning: float = Field(
        4.0, ge=0, description="A supply that runs out sooner at the recent pace: Warning.")
    outbox_stuck_after_s: float = Field(
        900.0, gt=0, description="An application unsent for this long: the outbox is stuck.")
    settings_pending_after_s: float = Field(
        180.0, gt=0, description="Settings not applied this long after the change: Warning "
                                 "(a kiosk applies them within a minute).")


class KioskStatus(str, Enum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    OFFLINE = "offline"


STATUS_OF = {Severity.INFO: KioskStatus.OK, Severity.WARNING: KioskStatus.WARNING,
             Severity.ERROR: KioskStatus.ERROR, Severity.OFFLINE: KioskStatus.OFFLINE}


class KioskState(BaseModel):
    """One kiosk as the dashboard shows it."""

    model_config = ConfigDict(frozen=True)

    kiosk_id: str
    hall_id: str | None
    state: KioskStatus
    reasons: list[KioskReason]
    maintenance: bool
    last_heartbeat: dt.datetime | None
    software_version: str | None
    in_service: bool | None
    out_of_service_reason: str  # as the kiosk said it ("maintenance", "closed", ...); "" in service
    outbox_depth: int | None
    outbox_oldest_s: float | None
    health: dict[str, wire.DeviceHealthReport]
    supplies: list[wire.SupplyReport]
    settings_revision: int
    applied_revision: int | None
    settings_errors: list[str]


def judge(row: Any, limits: Thresholds, now: dt.datetime) -> KioskState:
    """The state of one row of ``state_rows`` at ``now``."""
    health = {k: wire.DeviceHealthReport.model_validate(v)
              for k, v in json.loads(row.health_json or "{}").items()}
    supplies = [wire.SupplyReport.model_validate(s) for s in json.loads(row.supplies_json or "[]")]
    errors = json.loads(row.settings_errors_json or "[]")
    desired_maintenance = bool(row.settings_json and
                               json.loads(row.settings_json).get("maintenance"))
    received = utc(row.received_at) if row.received_at else None
    if received is None:
        reasons = [why.never_heard()]
    elif (now - received).total_seconds() > limits.offline_after_s:
        reasons = [why.no_heartbeat((now - received).total_seconds())]
    else:
        reasons = (_device_reasons(health) + _supply_reasons(supplies, health, limits)
                   + _kiosk_reasons(row, errors, limits, now))
    if desired_maintenance and not any(r.code == "maintenance" for r in reasons):
        reasons.append(why.maintenance())
    severity = max((r.severity for r in reasons), default=Severity.INFO)
    return KioskState(
        kiosk_id=row.kiosk_id, hall_id=row.hall_id, state=STATUS_OF[severity], reasons=reasons,
        maintenance=desired_maintenance or row.out_of_service_reason == "maintenance",
        last_heartbeat=received, software_version=row.software_version,
        in_service=row.in_service, out_of_service_reason=row.out_of_service_reason or "",
        outbox_depth=row.outbox_depth,
        outbox_oldest_s=row.outbox_oldest_s, health=health, supplies=supplies,
        settings_revision=row.settings_revision or 0, applied_revision=row.applied_revision,
        settings_errors=errors)


def _device_reasons(health: dict[str, wire.DeviceHealthReport]) -> list[KioskReason]:
    """A supply running out is the supply's reason (a warning: the kiosk serves on)."""
    out = []
    for device, report in sorted(health.items()):
        if report.code in SUPPLY_OUT and report.state in ("error", "warning"):
            out.append(why.supply_empty(device, SUPPLY_OUT[report.code]))
        elif report.code in SUPPLY_LOW and report.state == "warning":
            out.append(why.supply_low(device, SUPPLY_LOW[report.code], None, None))
        elif report.state == "error":
            out.append(why.device_error(device, report.code))
        elif report.state == "offline":
            out.append(why.device_offline(device))
        elif report.state == "warning":
            out.append(why.device_warning(device, report.code))
        elif report.state != "ok":
            out.append(why.device_unknown(device))
    return out


def _supply_reasons(supplies: list[wire.SupplyReport], health: dict[str, wire.DeviceHealthReport],
                    limits: Thresholds) -> list[KioskReason]:
    """From the counted supplies; a supply the printer itself already named is not repeated."""
    named = {(d, SUPPLY_OUT.get(r.code) or SUPPLY_LOW.get(r.code)) for d, r in health.items()}
    out = []
    for s in supplies:
        soon = s.hours_to_empty is not None and s.hours_to_empty < limits.hours_to_empty_warning
        if (s.device, s.supply) in named or not (s.level in ("low", "empty") or soon):
            continue
        if s.level == "empty" or s.remaining == 0:
            out.append(why.supply_empty(s.device, s.supply))
        else:
            out.append(why.supply_low(s.device, s.supply, s.remaining, s.hours_to_empty))
    return out


def _kiosk_reasons(row: Any, errors: list[str], limits: Thresholds,
                   now: dt.datetime) -> list[KioskReason]:
    out = []
    if row.in_service is False:
        reason = row.out_of_service_reason or ""
        out.append(IN_SERVICE_REASONS[reason]() if reason in IN_SERVICE_REASONS
                   else why.out_of_service(reason or "unknown"))
    if row.outbox_oldest_s is not None and row.outbox_oldest_s > limits.outbox_stuck_after_s:
        out.append(why.outbox_stuck(row.outbox_depth or 0, row.outbox_oldest_s))
    desired, applied = row.settings_revision or 0, row.applied_revision
    if errors and applied is not None and applied == desired:
        out.append(why.settings_refused(applied, errors))
    elif desired > (applied or 0) and row.settings_updated_at is not None:
        waited = (now - utc(row.settings_updated_at)).total_seconds()
        if waited > limits.settings_pending_after_s:
            out.append(why.settings_pending(desired, applied, waited))
    return out


def state_rows(engine: Engine, hall_ids: list[str] | None) -> list[Any]:
    """Every kiosk of those halls (all kiosks, assigned or not, for None), with its settings."""
    k, s = db.kiosks, db.kiosk_settings
    query = (select(k, s.c.settings_json, s.c.updated_at.label("settings_updated_at"))
             .select_from(k.outerjoin(s, s.c.kiosk_id == k.c.kiosk_id)).order_by(k.c.kiosk_id))
    if hall_ids is not None:
        query = query.where(k.c.hall_id.in_(hall_ids))
    with engine.connect() as c:
        return list(c.execute(query))
