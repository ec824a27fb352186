"""What the queue says, in the kiosk's terms: printer-state-reasons read as faults and
supply levels, transient reasons held back for their grace, jobs as they are remembered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from drivers.printer.base import JobState, Level, OutOfCards, OutOfRibbon, PrinterError, PrinterJam
from drivers.printer.ipp import Group, JobStateCode, PrinterStateCode
from drivers.printer.options import CONNECTING_GRACE_S

PRINTER_ATTRIBUTES = (
    "printer-state", "printer-state-reasons", "printer-state-message",
    "printer-is-accepting-jobs", "printer-make-and-model", "marker-names", "marker-levels",
    "marker-types", "marker-low-levels", "document-format-supported", "sides-supported",
    "printer-resolution-supported", "pwg-raster-document-resolution-supported",
    "pwg-raster-document-type-supported", "media-supported", "media-size-supported",
    "print-color-mode-supported", "operations-supported")
JOB_ATTRIBUTES = ("job-id", "job-name", "job-state", "job-state-reasons", "job-state-message",
                  "job-printer-state-message", "job-originating-user-name")

# printer-state-reasons keywords, without their -error/-warning/-report suffix
_OFFLINE = frozenset({"offline", "connecting-to-device", "shutdown"})
# offline reasons that come and go on their own: not offline until they last a while
_TRANSIENT = frozenset({"connecting-to-device"})
_JAM = frozenset({"media-jam"})
_CARDS_EMPTY = frozenset({"media-empty", "media-needed"})
_CARDS_LOW = frozenset({"media-low"})
_RIBBON_EMPTY = frozenset({"marker-supply-empty", "toner-empty"})
_RIBBON_LOW = frozenset({"marker-supply-low", "toner-low"})
_OTHER_FAULTS = frozenset({"cover-open", "door-open", "interlock-open", "input-tray-missing",
                           "output-area-full", "output-tray-missing", "marker-waste-full"})
_FAULT_CODES = {"cover-open": "cover_open", "door-open": "cover_open",
                "interlock-open": "cover_open"}
_RIBBON_MARKERS = frozenset({"ink-ribbon", "wax-ribbon", "toner", "ink"})

# FaultScript names (for self-tests) and the reason each one makes the printer report
SCRIPTED_REASONS = {"jam": "media-jam", "cards_out": "media-empty", "cards_low": "media-low",
                    "ribbon_out": "marker-supply-empty", "ribbon_low": "marker-supply-low"}

_ACTIVE = (JobStateCode.PENDING, JobStateCode.PENDING_HELD, JobStateCode.PROCESSING,
           JobStateCode.PROCESSING_STOPPED)
_WORST = {Level.UNKNOWN: 0, Level.OK: 1, Level.LOW: 2, Level.EMPTY: 3}


def keyword(reason: str) -> str:
    for suffix in ("-error", "-warning", "-report"):
        if reason.endswith(suffix):
            return reason[:-len(suffix)]
    return reason


class TransientReasons:
    """Holds back a transient reason until it has been reported, unbroken, for ``grace_s``.

    Every look at the printer (the health monitor's, a print's) goes through
    :meth:`settle`; one look without the reason starts its clock afresh. Thread-safe:
    the monitor and a print ask at the same time.
    """

    def __init__(self, grace_s: float = CONNECTING_GRACE_S,
                 clock: Callable[[], float] = time.monotonic,
                 transient: frozenset[str] = _TRANSIENT) -> None:
        self.grace_s, self._clock, self._transient = grace_s, clock, transient
        self._since: dict[str, float] = {}
        self._lock = threading.Lock()

    def settle(self, reasons: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
        """(the reasons that count now, the transient ones still held back)."""
        now = self._clock()
        with self._lock:
            for reason in self._transient:
                if reason in reasons:
                    self._since.setdefault(reason, now)
                else:
                    self._since.pop(reason, None)
            held = frozenset(r for r, since in self._since.items()
                             if now - since < self.grace_s)
        return reasons - held, held


@dataclass(frozen=True)
class JobInfo:
    """One job as the queue remembers it."""

    job_id: int
    state: int  # a JobStateCode value
    reasons: tuple[str, ...] = ()
    name: str = ""
    user: str = ""
    message: str = ""

    @classmethod
    def from_group(cls, job: Group) -> JobInfo:
        return cls(job_id=job.get("job-id"), state=int(job.get("job-state", 0)),
                   reasons=tuple(str(r) for r in job.all("job-state-reasons") if r != "none"),
                   name=str(job.get("job-name", "")),
                   user=str(job.get("job-originating-user-name", "")),
                   message=str(job.get("job-state-message")
                               or job.get("job-printer-state-message", "")))  # CUPS says it there

    @property
    def active(self) -> bool:
        return self.state in _ACTIVE

    @property
    def completed(self) -> bool:
        return self.state == JobStateCode.COMPLETED

    @property
    def failed(self) -> bool:
        return self.state in (JobStateCode.CANCELED, JobStateCode.ABORTED)

    @property
    def outcome(self) -> JobState:
        if self.completed:
            return JobState.COMPLETED
        return JobState.PENDING if self.active else JobState.FAILED

    @property
    def state_name(self) -> str:
        try:
            return JobStateCode(self.state).name.lower()
        except ValueError:
            return f"state-{self.state}"


@dataclass(frozen=True)
class PrinterStatus:
    """What Get-Printer-Attributes said, read into the kiosk's terms."""

    state: int
    reasons: frozenset[str]  # keywords without suffix, "none" left out
    message: str
    accepting: bool
    ribbon_markers: Level | None  # from marker-levels; None when the printer gave none
    model: str
    attributes: Group
    held: frozenset[str] = frozenset()  # transient reasons seen but within their grace

    @property
    def stopped(self) -> bool:
        return self.state == PrinterStateCode.STOPPED

    @property
    def offline_reason(self) -> str | None:
        return next(iter(sorted(self.reasons & _OFFLINE)), None)

    @property
    def cards(self) -> Level:
        if self.reasons & _CARDS_EMPTY:
            return Level.EMPTY
        return Level.LOW if self.reasons & _CARDS_LOW else Level.OK

    @property
    def ribbon(self) -> Level:
        level = Level.EMPTY if self.reasons & _RIBBON_EMPTY else \
            Level.LOW if self.reasons & _RIBBON_LOW else Level.OK
        if self.ribbon_markers is not None and _WORST[self.ribbon_markers] > _WORST[level]:
            level = self.ribbon_markers
        return level

    def fault(self) -> PrinterError | None:
        """The fault that stops printing now, worst first; None when there is none."""
        if self.reasons & _JAM:
            return PrinterJam("card printer reports a card jam (media-jam)")
        if self.cards is Level.EMPTY:
            found = ", ".join(sorted(self.reasons & _CARDS_EMPTY))
            return OutOfCards(f"card printer has no cards ({found})")
        if self.ribbon is Level.EMPTY:
            return OutOfRibbon("card printer ribbon is used up")
        other = sorted(self.reasons & _OTHER_FAULTS)
        if other:
            return PrinterError(f"card printer reports {other[0]}",
                                code=_FAULT_CODES.get(other[0], PrinterError.code))
        return None


def ribbon_from_markers(printer: Group) -> Level | None:
    levels = printer.all("marker-levels")
    if not levels:
        return None
    types = printer.all("marker-types")
    lows = printer.all("marker-low-levels")
    wanted = [i for i, t in enumerate(types) if t in _RIBBON_MARKERS and i < len(levels)]
    worst: Level | None = None
    for i in wanted or range(len(levels)):
        value = levels[i]
        if not isinstance(value, int) or value in (-1, -2):
            continue  # the printer does not know
        if value == -3 or value > (lows[i] if i < len(lows) and isinstance(lows[i], int) else 10):
            level = Level.OK  # -3: "some remains"
        elif value <= 0:
            level = Level.EMPTY
        else:
            level = Level.LOW
        if worst is None or _WORST[level] > _WORST[worst]:
            worst = level
    return worst
