"""What a technician sees: device health, central reachability, outbox depth, last errors.

The same report backs the diagnostics screen and ``kiosk diag``. Access on the
screen is behind a PIN with a lockout, so a passer-by cannot guess it. From the
screen the technician can also print a test receipt or card on the running
kiosk's own printers (:func:`print_test`).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from drivers.base import DeviceError, DeviceHealth, HealthState
from kiosk import __version__
from kiosk.errors import KioskError
from kiosk.journey.availability import hours_text
from kiosk.effects.specimens import print_specimen
from kiosk.journey.steps import Step

log = logging.getLogger("kiosk.diagnostics")


class PinGate:
    """Checks the technician PIN; after ``max_attempts`` wrong tries it locks for ``lockout_s``."""

    def __init__(self, pin: str, max_attempts: int, lockout_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._pin = pin
        self.max_attempts = max_attempts
        self.lockout_s = lockout_s
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

    def locked_remaining(self) -> float:
        return max(0.0, self._locked_until - self._clock())

    @property
    def attempts_left(self) -> int:
        return self.max_attempts - self._failures

    def try_pin(self, pin: str) -> bool:
        if self.locked_remaining() > 0:
            return False
        if pin == self._pin:
            self._failures = 0
            return True
        self._failures += 1
        if self._failures >= self.max_attempts:
            self._locked_until = self._clock() + self.lockout_s
            self._failures = 0
            log.warning("diagnostics PIN locked out")
        return False


class RecentErrors(logging.Handler):
    """Keeps the last warnings and errors for the diagnostics screen (logs hold no personal data)."""

    def __init__(self, capacity: int = 20) -> None:
        super().__init__(level=logging.WARNING)
        self.records: collections.deque[str] = collections.deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        self.records.append(f"{stamp} {record.levelname} {record.name}: {record.getMessage()}")


RECENT_ERRORS = RecentErrors()


def install_recent_errors() -> None:
    root = logging.getLogger()
    if RECENT_ERRORS not in root.handlers:
        root.addHandler(RECENT_ERRORS)


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
                "last_errors": self.last_errors, "reader": self.reader,
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


def _fleet(runtime: Any) -> dict[str, Any]:
    rs, journey = runtime.remote_settings, runtime.journey
    report = rs.report
    return {"revision": rs.revision, "maintenance": rs.in_force.maintenance,
            "hours": hours_text(rs.in_force.service_hours),
            "services": [s.value for s in journey.services_offered()],
            "errors": list(report.errors) if report else [],
            "out_of_service": journey.out_of_service_reason}


def _health(device: Any) -> DeviceHealth:
    try:
        return device.health()
    except Exception as exc:  # health() must not raise; if it does, that is news too
        return DeviceHealth(HealthState.UNKNOWN, "health_failed", type(exc).__name__)


def collect(runtime: Any) -> DiagnosticsReport:
    """Ask every part how it is. Blocking (network, devices): call it off the UI thread."""
    latency, error = None, ""
    try:
        latency = runtime.client.health() * 1000
    except KioskError as exc:
        error = exc.code
    stats = runtime.journey.stats
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
        supplies=[f.as_dict() for f in runtime.monitor.supplies.forecast()],
        camera=_camera_stats(runtime.devices.camera),
        photo_checks=list(runtime.journey.last_photo_quality), fleet=_fleet(runtime))


def _camera_stats(camera: Any) -> dict[str, Any]:
    stats = getattr(camera, "stats", None)
    try:
        return stats() if stats is not None else {}
    except Exception as exc:  # diagnostics show what they can
        return {"last_error": type(exc).__name__}


def _reader_status(reader: Any) -> dict[str, Any]:
    status = getattr(reader, "status", None)
    if status is None:
        return {}
    try:
        return status()
    except Exception as exc:  # diagnostics must show what it can, whatever one part does
        return {"reader": getattr(reader, "name", ""), "error": type(exc).__name__}


def save_failed_trace(runtime: Any) -> str | None:
    """Write the reader's last failed read under ``data_dir/support``; None when there is none.

    The trace holds command headers, lengths, status words and times, never data bytes,
    so it can be sent to support as it is.
    """
    reader = runtime.devices.reader
    saver = getattr(reader, "save_failed_trace", None)
    if saver is None or not getattr(reader, "last_failed", None) or not reader.last_failed.outcome:
        return None
    folder = runtime.config.storage.path() / "support"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return str(saver(folder / f"chip-trace-{stamp}.json"))


# ----------------------------------------------------------------------------- test prints

TEST_PRINTERS = {"receipt": "receipt_printer", "card": "card_printer"}
BUSY, RESIDENT_PRESENT = "test_print_busy", "resident_present"
_TEST_PRINT = threading.Lock()  # one test print at a time, whoever asks


@dataclass(frozen=True)
class PrintTestResult:
    """What became of one test print: printed, or the printer's reason code why not."""

    kind: str  # "receipt" or "card"
    printed: bool
    code: str = ""  # paper_out, cards_out, device_offline, test_print_busy, ...
    job_id: str = ""
    detail: str = ""  # the driver's words, for the log and the CLI; no personal data


def print_test(runtime: Any, kind: str) -> PrintTestResult:
    """Print the specimen receipt or card on the running kiosk's own printer.

    Blocking (a card takes about 40 s on a real printer): call it off the UI thread.
    Refused while a resident is in a journey, and while another test print runs, so
    a second tap never prints twice. Afterwards the devices are asked again at once,
    so the report and the journey see the supplies the print used up.
    """
    device_name = TEST_PRINTERS[kind]
    if runtime.journey.state is not Step.ATTRACT:
        return PrintTestResult(kind, False, RESIDENT_PRESENT)
    if not _TEST_PRINT.acquire(blocking=False):
        return PrintTestResult(kind, False, BUSY)
    try:
        result = _print_specimen(runtime, device_name, kind)
    finally:
        _TEST_PRINT.release()
    _look_again(runtime)
    return result


def _print_specimen(runtime: Any, device_name: str, kind: str) -> PrintTestResult:
    device = getattr(runtime.devices, device_name)
    try:
        done = print_specimen(device, device_name, runtime.config)
    except DeviceError as exc:
        log.warning("test %s not printed: %s", kind, exc.code)
        return PrintTestResult(kind, False, exc.code, detail=str(exc)[:200])
    log.info("test %s printed, job %s", kind, done.job_id)
    return PrintTestResult(kind, True, job_id=done.job_id)


def _look_again(runtime: Any) -> None:
    try:
        runtime.monitor.poll_once()
    except Exception as exc:  # the print's own outcome stands whatever this does
        log.warning("devices not asked again after a test print: %s", type(exc).__name__)
