"""What a technician sees: device health, central reachability, outbox depth, last errors.

The same report backs the diagnostics screen and ``kiosk diag``. It asks the devices and
central itself (blocking: off the UI thread) and reads the rest from the kiosk's published
status, never from the journey.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from drivers.base import DeviceHealth, HealthState
from kiosk import __version__
from kiosk.config import KioskConfig
from kiosk.devices.build import Devices
from kiosk.devices.monitor import DeviceMonitor
from kiosk.diagnostics.technician import RECENT_ERRORS
from kiosk.effects.journal import Journal
from kiosk.effects.outbox import Outbox
from kiosk.errors import KioskError
from kiosk.fleet.central_client import CentralClient
from kiosk.fleet.remote_settings import RemoteSettings
from kiosk.fleet.status import StatusBoard
from kiosk.journey.availability import hours_text

log = logging.getLogger("kiosk.diagnostics")


class RunningKiosk(Protocol):
    """What diagnostics read of a running kiosk (``kiosk.runtime.KioskRuntime``)."""

    config: KioskConfig
    client: CentralClient
    devices: Devices
    outbox: Outbox
    journal: Journal
    status: StatusBoard
    remote_settings: RemoteSettings
    monitor: DeviceMonitor


@dataclass
class DiagnosticsReport:
    version: str
    kiosk_id: str
    devices: dict[str, DeviceHealth]
    central_url: str
    central_latency_ms: float | None
    central_error: str = ""
    outbox_depth: int = 0
    outbox_quarantined: int = 0
    journal_unfinished: int = 0
    journeys: dict[str, Any] = field(default_factory=dict)
    last_errors: list[str] = field(default_factory=list)
    reader: dict[str, Any] = field(default_factory=dict)  # chip readers: ATR, last read's steps
    id_card_module: dict[str, Any] = field(default_factory=dict)  # SAM id, photo decoder
    supplies: list[dict[str, Any]] = field(default_factory=list)  # levels and time to empty
    camera: dict[str, Any] = field(default_factory=dict)  # fps, frames, dropped, last error
    photo_checks: list[dict[str, Any]] = field(default_factory=list)  # the last photo's scores
    fleet: dict[str, Any] = field(default_factory=dict)  # settings in force, out-of-service why

    @property
    def healthy(self) -> bool:
        return self.central_latency_ms is not None and all(
            h.state in (HealthState.OK, HealthState.WARNING) for h in self.devices.values())

    def lines(self) -> list[str]:
        out = [f"OneTrip Kiosk {self.version}  kiosk={self.kiosk_id}"]
        for name, h in self.devices.items():
            extra = f" [{h.code}]" if h.code else ""
            out.append(f"{name:<16} {h.state.value:<8}{extra} {h.detail}".rstrip())
        if self.central_latency_ms is None:
            out.append(f"central          unreachable {self.central_error} ({self.central_url})")
        else:
            out.append(f"central          ok {self.central_latency_ms:.0f} ms ({self.central_url})")
        out.append(f"outbox           {self.outbox_depth} waiting, "
                   f"{self.outbox_quarantined} quarantined")
        out.append(f"journal          {self.journal_unfinished} unfinished side effects")
        out.extend(supply_lines(self.supplies))
        out.extend(camera_lines(self.camera, self.photo_checks))
        out.extend(reader_lines(self.reader))
        out.extend(id_card_lines(self.id_card_module))
        out.append("journeys         " + ", ".join(f"{k}={v}" for k, v in self.journeys.items()))
        out.extend(fleet_lines(self.fleet))
        out.append("last errors:" if self.last_errors else "last errors: none")
        out.extend("  " + e for e in self.last_errors[-10:])
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "kiosk_id": self.kiosk_id,
                "devices": {k: {"state": v.state.value, "code": v.code, "detail": v.detail}
                            for k, v in self.devices.items()},
                "central": {"url": self.central_url, "latency_ms": self.central_latency_ms,
                            "error": self.central_error},
                "outbox": {"depth": self.outbox_depth, "quarantined": self.outbox_quarantined},
                "journal_unfinished": self.journal_unfinished, "journeys": self.journeys,
                "last_errors": self.last_errors, "reader": self.reader, "id_card_module": self.id_card_module,
                "supplies": self.supplies, "camera": self.camera,
                "photo_checks": self.photo_checks, "fleet": self.fleet,
                "healthy": self.healthy}


def camera_lines(stats: dict[str, Any], checks: list[dict[str, Any]]) -> list[str]:
    """The camera's frame rate and the last photo's check scores, for tuning a hall's light."""
    out = []
    if stats:
        out.append(f"camera           {stats.get('fps', 0)} fps  {stats.get('frames', 0)} frames  "
                   f"{stats.get('dropped', 0)} dropped  {stats.get('requested', '')}  "
                   f"{stats.get('last_error') or ''}".rstrip())
    if checks:
        out.append("  last photo     " + "  ".join(
            f"{c['name']}={c['score']:.2f}{'' if c['passed'] else '!'}" for c in checks))
    return out


def supply_lines(supplies: list[dict[str, Any]]) -> list[str]:
    """'card_printer/cards  low  8 left  2.0/h  empty in 4.0 h' for each counted supply."""
    out = []
    for s in supplies:
        left = f"{s['remaining']} left" if s.get("remaining") is not None else "count unknown"
        pace = f"{s['per_hour']}/h" if s.get("per_hour") is not None else "no recent use"
        empty = f"empty in {s['hours_to_empty']} h" if s.get("hours_to_empty") is not None else ""
        out.append(f"{s['device'] + '/' + s['supply']:<26} {s['level']:<8} {left}  {pace}  "
                   f"{empty}".rstrip())
    return out


def reader_lines(status: dict[str, Any]) -> list[str]:
    """A chip reader's slot, ATR and its last read, step by step, for the technician."""
    if not status:
        return []
    slot, last = status.get("slot", {}), status.get("last_read", {})
    out = [f"chip reader      {status.get('reader', '')}  present={slot.get('present')} "
           f"ATR={slot.get('atr') or '-'}"]
    if last.get("outcome"):
        out.append(f"  last read      {last['outcome']} access={last.get('access') or '-'} "
                   f"{last.get('apdus', 0)} APDUs {last.get('seconds', 0)} s "
                   f"read size={last.get('read_size')}")
        for step in last.get("steps", []):
            sw = step.get("sw") or "----"
            mark = "ok" if step.get("ok") else f"FAILED {step.get('detail', '')}"
            out.append(f"    {step['step']:<24} SW {sw}  {step['seconds'] * 1000:7.1f} ms  {mark}")
    return out


def fleet_lines(fleet: dict[str, Any]) -> list[str]:
    """The fleet's settings in force and why the kiosk is not serving, if it is not."""
    if not fleet:
        return []
    out = [f"fleet            revision {fleet['revision']}  "
           f"{'MAINTENANCE  ' if fleet['maintenance'] else ''}hours {fleet['hours']}",
           f"  services       {', '.join(fleet['services'])}"]
    if fleet.get("errors"):
        out.append("  refused: " + "; ".join(fleet["errors"]))
    if fleet.get("out_of_service"):
        out.append(f"  out of service: {fleet['out_of_service']}")
    return out


def _fleet(runtime: RunningKiosk) -> dict[str, Any]:
    rs, status = runtime.remote_settings, runtime.status.current
    report = rs.report
    return {"revision": rs.revision, "maintenance": rs.in_force.maintenance,
            "hours": hours_text(rs.in_force.service_hours),
            "services": list(status.services_offered),
            "errors": list(report.errors) if report else [],
            "out_of_service": status.out_of_service_reason}


def _health(device: Any) -> DeviceHealth:
    try:
        return device.health()
    except Exception as exc:  # health() must not raise; if it does, that is news too
        return DeviceHealth(HealthState.UNKNOWN, "health_failed", type(exc).__name__)


def collect(runtime: RunningKiosk) -> DiagnosticsReport:
    """Ask every part how it is. Blocking (network, devices): call it off the UI thread."""
    latency, error = None, ""
    try:
        latency = runtime.client.health() * 1000
    except KioskError as exc:
        error = exc.code
    status = runtime.status.current
    stats = status.journeys
    return DiagnosticsReport(
        version=__version__, kiosk_id=runtime.config.kiosk_id,
        devices={name: _health(dev) for name, dev in runtime.devices.all().items()},
        central_url=runtime.config.central.url, central_latency_ms=latency, central_error=error,
        outbox_depth=runtime.outbox.depth(), outbox_quarantined=len(runtime.outbox.quarantined()),
        journal_unfinished=len(runtime.journal.unfinished()),
        journeys={"started": stats.started, "completed": stats.completed,
                  "cancelled": stats.cancelled, "timed_out": stats.timed_out},
        last_errors=list(RECENT_ERRORS.records),
        reader=_reader_status(runtime.devices.reader),
        id_card_module=_id_card_status(runtime.devices.reader),
        supplies=[f.as_dict() for f in runtime.monitor.supplies.forecast()],
        camera=_camera_stats(runtime.devices.camera),
        photo_checks=[dict(c) for c in status.photo_checks], fleet=_fleet(runtime))


def _camera_stats(camera: Any) -> dict[str, Any]:
    stats = getattr(camera, "stats", None)
    try:
        return stats() if stats is not None else {}
    except Exception as exc:  # diagnostics show what they can
        return {"last_error": type(exc).__name__}


def _sub_readers(reader: Any) -> list[Any]:
    """The reader, or each reader of a combined one (the ID-card module, the chip reader)."""
    return list(getattr(reader, "readers", None) or [reader])


def _id_card_status(reader: Any) -> dict[str, Any]:
    """The certified ID-card module: its port, its security module's id, and whether card
    photos are decoded here (the vendor's licensed decoder) or checked through central."""
    for sub in _sub_readers(reader):
        if hasattr(sub, "sam_id") and hasattr(sub, "photo_status"):
            return {"module": getattr(sub, "name", ""), "port": getattr(sub, "port_path", ""),
                    "sam_id": sub.sam_id or "-", "photo_decoder": sub.photo_status}
    return {}


def id_card_lines(status: dict[str, Any]) -> list[str]:
    if not status:
        return []
    return [f"ID-card module   {status['module']} on {status['port']}  SAM {status['sam_id']}  "
            f"photo decoder: {status['photo_decoder']}"]


def _reader_status(reader: Any) -> dict[str, Any]:
    chip = next((sub for sub in _sub_readers(reader) if getattr(sub, "status", None)), reader)
    status = getattr(chip, "status", None)
    if status is None:
        return {}
    try:
        return status()
    except Exception as exc:  # diagnostics must show what it can, whatever one part does
        return {"reader": getattr(reader, "name", ""), "error": type(exc).__name__}


def save_failed_trace(runtime: RunningKiosk) -> str | None:
    """Write the reader's last failed read under ``data_dir/support``; None when there is none.

    The trace holds command headers, lengths, status words and times, never data bytes,
    so it can be sent to support as it is.
    """
    reader = runtime.devices.reader
    saver = getattr(reader, "save_failed_trace", None)
    last_failed = getattr(reader, "last_failed", None)  # chip readers keep their last failure
    if saver is None or not last_failed or not last_failed.outcome:
        return None
    folder = runtime.config.storage.path() / "support"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return str(saver(folder / f"chip-trace-{stamp}.json"))
