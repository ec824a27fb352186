"""The card printer behind a CUPS queue (or any IPP printer), spoken to over IPP.

Card printers from Evolis, Zebra and others ship CUPS drivers, so the kiosk does not
talk to the printer itself: it submits the card as a job to the configured queue and
follows the job until it completes. Rules the kiosk keeps:

- A job that fails is cancelled, never left in the queue to print later by surprise
  when nobody is standing at the kiosk.
- The same job key never prints twice: a finished job is written to the job index
  (like the simulator), and the job name carries a digest of the key, so a kiosk that
  restarted mid-job finds its job in CUPS's history (:meth:`CupsCardPrinter.find_job`)
  instead of printing again. The key itself never leaves the kiosk: it may be built
  from an application number, and CUPS shows job names to anyone who asks.
- Faults come from printer-state-reasons (RFC 8011 section 5.4.12; suffixes -error,
  -warning and -report are ignored): media-empty/media-needed -> no cards,
  marker-supply-empty -> no ribbon, media-jam -> jammed, offline-report and
  shutdown -> offline. marker-levels refine the ribbon level.
- connecting-to-device is offline only once it has lasted ``connecting_grace_s``
  without a break: CUPS's backend sets it each time it opens the connection to the
  printer, so for a moment it is there on a queue that is fine (``TransientReasons``).
- A queue CUPS paused after a fault (printer-state stopped, reason "paused") is
  resumed with Resume-Printer once no fault reason remains (``resume_paused``).
- ``health()`` and ``supplies()`` never raise.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from PIL import Image

from drivers.base import DeviceError, DeviceHealth, DeviceOffline, FaultScript, HealthState
from drivers.printer import pwg_raster
from drivers.printer.base import (CardDocument, CardPrinter, JobState, Level, OutOfCards,
                                  OutOfRibbon, PrinterError, PrinterJam, PrintResult, Supplies,
                                  Supply)
from drivers.printer.card_back import render_card_back
from drivers.printer.card_render import CARD_MM, render_card
from drivers.printer.ipp import (Attribute, Group, IppClient, IppMalformed, IppStatusError,
                                 JobStateCode, PrinterStateCode, Resolution, Status, Tag, attr)
from drivers.printer.job_index import JobIndex

log = logging.getLogger("drivers.printer.cups")

JOB_PREFIX = "kiosk-card-"
PWG_RASTER, PDF, PNG = "image/pwg-raster", "application/pdf", "image/png"
# PWG raster first: exact pixels at the printer's own resolution, several pages, and the
# format every IPP Everywhere printer takes. PDF is what any CUPS queue with cups-filters
# converts for its driver. PNG last: one page only, so never for duplex.
DEFAULT_FORMATS = (PWG_RASTER, PDF, PNG)

_PRINTER_ATTRIBUTES = (
    "printer-state", "printer-state-reasons", "printer-state-message",
    "printer-is-accepting-jobs", "printer-make-and-model", "marker-names", "marker-levels",
    "marker-types", "marker-low-levels", "document-format-supported", "sides-supported",
    "printer-resolution-supported", "pwg-raster-document-resolution-supported",
    "pwg-raster-document-type-supported", "media-supported", "media-size-supported",
    "print-color-mode-supported", "operations-supported")
_JOB_ATTRIBUTES = ("job-id", "job-name", "job-state", "job-state-reasons", "job-state-message",
                   "job-printer-state-message", "job-originating-user-name")

# printer-state-reasons keywords, without their -error/-warning/-report suffix
_OFFLINE = frozenset({"offline", "connecting-to-device", "shutdown"})
# offline reasons that come and go on their own: not offline until they last a while
_TRANSIENT = frozenset({"connecting-to-device"})
CONNECTING_GRACE_S = 30.0
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
_SCRIPTED_REASONS = {"jam": "media-jam", "cards_out": "media-empty", "cards_low": "media-low",
                     "ribbon_out": "marker-supply-empty", "ribbon_low": "marker-supply-low"}

_ACTIVE = (JobStateCode.PENDING, JobStateCode.PENDING_HELD, JobStateCode.PROCESSING,
           JobStateCode.PROCESSING_STOPPED)
_WORST = {Level.UNKNOWN: 0, Level.OK: 1, Level.LOW: 2, Level.EMPTY: 3}


def job_name(job_key: str) -> str:
    """What the job is called in CUPS: a digest of the key, never the key."""
    return JOB_PREFIX + hashlib.sha256(job_key.encode("utf-8")).hexdigest()[:32]


def _keyword(reason: str) -> str:
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
    def from_group(cls, job: Group) -> "JobInfo":
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


def _ribbon_from_markers(printer: Group) -> Level | None:
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


def _card_media(printer: Group) -> str | None:
    """A media-supported keyword whose self-describing size is CR80 (either way round)."""
    want = sorted(CARD_MM)
    for keyword in printer.all("media-supported"):
        size = str(keyword).rsplit("_", 1)[-1]
        unit = 25.4 if size.endswith("in") else 1.0 if size.endswith("mm") else None
        if unit is None or "x" not in size:
            continue
        try:
            dims = sorted(float(v) * unit for v in size[:-2].split("x"))
        except ValueError:
            continue
        if all(abs(a - b) <= 0.6 for a, b in zip(dims, want)):
            return str(keyword)
    return None


def _closest_dpi(resolutions: Iterable[Any], wanted: int) -> int | None:
    square = sorted({r.dpi for r in resolutions if isinstance(r, Resolution) and r.x == r.y})
    if not square:
        return None
    return min(square, key=lambda d: (abs(d - wanted), -d))


def _with_detail(error: DeviceError, more: str) -> DeviceError:
    """The same error (type and code) with more said."""
    try:
        return type(error)(f"{error.detail}; {more}", code=error.code)
    except TypeError:  # an error type built differently (IppStatusError)
        kind = DeviceOffline if isinstance(error, DeviceOffline) else PrinterError
        return kind(f"{error.detail}; {more}", code=error.code)


class CupsCardPrinter(CardPrinter):
    """A CR80 card printer reached through a CUPS queue or directly over IPP.

    ``uri``: the queue, e.g. ipp://localhost:631/printers/card. ``dpi``: the resolution
    wanted; the closest one the printer supports is used. ``job_timeout_s``: how long a
    job may take before it is cancelled. ``resume_paused``: resume a queue CUPS stopped
    after a fault once no fault remains. ``user``/``auth``: requesting-user-name and
    HTTP Basic credentials for CUPS (Resume-Printer is an administrative operation).
    ``formats``: document formats to try, in order of preference.
    ``connecting_grace_s``: how long connecting-to-device may last before the printer
    counts as offline (a reconnecting backend is not a fault); ``clock`` times it
    (tests pass their own).
    ``faults``: a FaultScript for self-tests ("offline", "jam", "cards_out",
    "cards_low", "ribbon_out", "ribbon_low") reported as if the printer said them.
    """

    offline_grace_s = 15.0  # an offline printer may come back during a job before we give up

    def __init__(self, name: str, *, uri: str = "ipp://localhost:631/printers/card",
                 duplex: bool = False, dpi: int = 300, job_timeout_s: float = 120,
                 poll_s: float = 0.5, resume_paused: bool = True,
                 job_index_dir: str = "var/printed",
                 faults: dict[str, Any] | FaultScript | None = None, user: str = "kiosk",
                 auth: Sequence[str] | None = None, request_timeout_s: float = 10.0,
                 formats: Sequence[str] | None = None,
                 connecting_grace_s: float = CONNECTING_GRACE_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(name)
        self.uri, self.duplex, self.dpi = uri, duplex, dpi
        self.job_timeout_s, self.poll_s, self.resume_paused = job_timeout_s, poll_s, resume_paused
        self.formats = tuple(formats) if formats else DEFAULT_FORMATS
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self.client = IppClient(uri, user=user, timeout_s=request_timeout_s,
                                auth=(auth[0], auth[1]) if auth else None)
        self.index = JobIndex(Path(job_index_dir) / "cups_card_jobs.json")  # completed jobs
        self._sent = JobIndex(Path(job_index_dir) / "cups_card_sent.json")  # submitted jobs
        self._lock = threading.Lock()
        self._transient = TransientReasons(connecting_grace_s, clock)

    # ------------------------------------------------------------------ status

    def status(self) -> PrinterStatus:
        """Ask the printer; raises DeviceOffline when it does not answer."""
        if self.faults.value("offline"):
            raise DeviceOffline("card printer does not answer (scripted)")
        printer = self.client.get_printer_attributes(_PRINTER_ATTRIBUTES)
        reasons = {_keyword(str(r)) for r in printer.all("printer-state-reasons")} - {"none"}
        reasons |= {reason for fault, reason in _SCRIPTED_REASONS.items()
                    if self.faults.value(fault)}
        state = printer.get("printer-state")
        if not isinstance(state, int):
            raise IppMalformed("printer answered without printer-state")
        counted, held = self._transient.settle(frozenset(reasons))
        return PrinterStatus(state=state, reasons=counted, held=held,
                             message=str(printer.get("printer-state-message", "")),
                             accepting=bool(printer.get("printer-is-accepting-jobs", True)),
                             ribbon_markers=_ribbon_from_markers(printer),
                             model=str(printer.get("printer-make-and-model", "")),
                             attributes=printer)

    def health(self) -> DeviceHealth:
        try:
            status = self.status()
        except DeviceOffline as exc:
            return DeviceHealth(HealthState.OFFLINE, DeviceOffline.code, str(exc))
        except IppStatusError as exc:
            if exc.status in (Status.NOT_FOUND, Status.GONE):
                return DeviceHealth(HealthState.ERROR, "card_queue_not_found",
                                    f"no printer at {self.uri}")
            return DeviceHealth(HealthState.UNKNOWN, exc.code, str(exc)[:200])
        except Exception as exc:  # a garbled answer: we cannot tell how the printer is
            return DeviceHealth(HealthState.UNKNOWN, getattr(exc, "code", "printer_error"),
                                str(exc)[:200])
        if status.offline_reason:
            return DeviceHealth(HealthState.OFFLINE, DeviceOffline.code,
                                f"queue reports {status.offline_reason}")
        fault = status.fault()
        if fault is not None:
            return DeviceHealth(HealthState.ERROR, fault.code, fault.detail)
        if not status.accepting:
            return DeviceHealth(HealthState.ERROR, "card_queue_rejecting",
                                "queue is not accepting jobs")
        if status.stopped:
            state = HealthState.WARNING if self.resume_paused else HealthState.ERROR
            return DeviceHealth(state, "card_queue_paused",
                                "queue paused" + (f": {status.message}" if status.message else ""))
        for name, level in (("cards", status.cards), ("ribbon", status.ribbon)):
            if level is Level.LOW:
                return DeviceHealth(HealthState.WARNING, f"{name}_low", f"{name} running low")
        detail = status.model or "card printer"
        if status.held:  # said, not yet believed: the technician may still want to know
            detail += f" ({', '.join(sorted(status.held))}, within grace)"
        return DeviceHealth(HealthState.OK, "", detail)

    def supplies(self) -> Supplies:
        try:
            status = self.status()
        except Exception:  # an unanswered printer says nothing about its supplies
            return Supplies((Supply("cards", Level.UNKNOWN), Supply("ribbon", Level.UNKNOWN)))
        return Supplies((Supply("cards", status.cards), Supply("ribbon", status.ribbon)))

    # ------------------------------------------------------------------ jobs

    def find_job(self, job_key: str) -> JobInfo | None:
        """The queue's job for ``job_key``, looking through not-completed and completed jobs.

        When several jobs carry the key (a failed try, then a retry), a completed one wins
        (the card came out), then one still active, then the newest failure.
        """
        name = job_name(job_key)
        found: list[JobInfo] = []
        for which in ("not-completed", "completed"):
            for job in self.client.get_jobs(which, requested=_JOB_ATTRIBUTES):
                if job.get("job-name") == name:
                    found.append(JobInfo.from_group(job))
        if not found:
            return None
        rank = {JobState.COMPLETED: 2, JobState.PENDING: 1, JobState.FAILED: 0}
        return max(found, key=lambda j: (rank[j.outcome], j.job_id))

    def job_state(self, job_key: str) -> JobState | None:
        """COMPLETED/PENDING/FAILED from the index or the queue's history; None if never sent.

        UNKNOWN when this kiosk sent the job but the printer no longer remembers it (an
        IPP printer keeps a short history; CUPS keeps a long one). Raises DeviceOffline
        when the queue does not answer, so a restart settles it later.
        """
        if self.index.get(job_key) is not None:
            return JobState.COMPLETED
        job = self.find_job(job_key)
        if job is None:
            return JobState.UNKNOWN if self._sent.get(job_key) is not None else None
        if job.completed:
            self.index.put(job_key, self._result(job.job_id))
        return job.outcome

    def cancel_job(self, job_key: str) -> bool:
        """Cancel every active job for ``job_key``; True when one was cancelled."""
        name = job_name(job_key)
        cancelled = False
        for job in self.client.get_jobs("not-completed", requested=_JOB_ATTRIBUTES):
            if job.get("job-name") != name:
                continue
            after = self._cancel(job.get("job-id"), "asked to cancel")
            if after is not None and not after.completed:
                cancelled = True
        return cancelled

    def print_card(self, card: CardDocument, job_key: str) -> PrintResult:
        with self._lock:
            done = self.index.get(job_key)
            if done is not None:
                return done
            known = self.find_job(job_key)
            if known is not None and known.completed:
                log.info("card job %d already completed before; not printing again", known.job_id)
                return self._finish(job_key, known.job_id)
            if known is not None and known.active:
                log.info("card job %d is still in the queue; following it", known.job_id)
                self._follow(known.job_id)
                return self._finish(job_key, known.job_id)
            status = self._ready()
            document, document_format, job_attributes = self._document(card, status.attributes)
            try:
                job = self.client.print_job(document, document_format=document_format,
                                            job_name=job_name(job_key),
                                            job_attributes=job_attributes,
                                            document_name="residence-permit-card")
            except IppStatusError as exc:
                if exc.status == Status.NOT_ACCEPTING_JOBS:
                    raise PrinterError("card printer queue is not accepting jobs",
                                       code="card_queue_rejecting") from exc
                raise
            job_id = job.get("job-id")
            self._sent.put(job_key, self._result(job_id))
            log.info("card job %d submitted format=%s duplex=%s", job_id, document_format,
                     self.duplex)
            self._follow(job_id)
            return self._finish(job_key, job_id)

    # ------------------------------------------------------------------ inside

    def _result(self, job_id: int) -> PrintResult:
        return PrintResult(job_id=str(job_id), pages=2 if self.duplex else 1)

    def _finish(self, job_key: str, job_id: int) -> PrintResult:
        result = self._result(job_id)
        self.index.put(job_key, result)
        return result

    def _ready(self) -> PrinterStatus:
        """Check before submitting: raise the fault there is, resume a paused queue."""
        status = self.status()
        if status.offline_reason:
            raise DeviceOffline(f"card printer is offline ({status.offline_reason})")
        fault = status.fault()
        if fault is not None:
            raise fault
        if not status.accepting:
            raise PrinterError("card printer queue is not accepting jobs",
                               code="card_queue_rejecting")
        if status.stopped:
            if not self.resume_paused:
                raise PrinterError("card printer queue is paused", code="card_queue_paused")
            self._resume(keep=None)
            status = self.status()
            if status.stopped:
                raise PrinterError("card printer queue stayed paused after Resume-Printer",
                                   code="card_queue_paused")
        return status

    def _resume(self, keep: int | None) -> None:
        """Resume a paused queue, after cancelling older kiosk jobs waiting in it: they
        belong to residents who have left, and resuming must not print them."""
        for job in self.client.get_jobs("not-completed", requested=_JOB_ATTRIBUTES):
            job_id = job.get("job-id")
            if job_id != keep and str(job.get("job-name", "")).startswith(JOB_PREFIX):
                log.warning("cancelling stale card job %d before resuming the queue", job_id)
                self._cancel(job_id, "stale")
        try:
            self.client.resume_printer()
        except IppStatusError as exc:
            raise PrinterError(f"card printer queue is paused and could not be resumed: {exc}",
                               code="card_queue_paused") from exc
        log.warning("card printer queue was paused with no fault left; resumed it")

    def _job(self, job_id: int) -> JobInfo:
        return JobInfo.from_group(self.client.get_job_attributes(job_id, _JOB_ATTRIBUTES))

    def _cancel(self, job_id: int, why: str) -> JobInfo | None:
        """Cancel-Job; returns the job as it then is, or None when the queue did not answer."""
        try:
            self.client.cancel_job(job_id)
        except IppStatusError as exc:  # already finished (not-possible) or gone
            log.info("cancel of card job %d refused (%s): %s", job_id, why, exc.status_name)
        except DeviceError as exc:
            log.error("card job %d could not be cancelled (%s): %s", job_id, why, exc.code)
            return None
        else:
            log.warning("card job %d cancelled: %s", job_id, why)
        try:
            return self._job(job_id)
        except DeviceError:
            return None

    def _give_up(self, job_id: int, error: DeviceError) -> None:
        """Cancel the job and raise ``error`` -- unless it completed meanwhile."""
        after = self._cancel(job_id, error.code)
        if after is not None and after.completed:
            return  # it came out after all: the card exists, do not report a failure
        if after is None:
            raise _with_detail(error, f"job {job_id} may still be queued")
        raise error

    def _follow(self, job_id: int) -> None:
        """Poll the job until it completes; cancel it and raise on fault, stop or timeout."""
        deadline = time.monotonic() + self.job_timeout_s
        offline_since: float | None = None
        resumed = False
        while True:
            now = time.monotonic()
            try:
                job = self._job(job_id)
            except IppStatusError as exc:
                if exc.status in (Status.NOT_FOUND, Status.GONE):
                    raise PrinterError(f"card job {job_id} vanished from the queue",
                                       code="card_print_failed") from exc
                self._give_up(job_id, exc)
                return
            except IppMalformed as exc:
                self._give_up(job_id, exc)
                return
            except DeviceOffline:
                offline_since = offline_since or now
                if now - offline_since > min(self.offline_grace_s, self.job_timeout_s) \
                        or now > deadline:
                    self._give_up(job_id, DeviceOffline("card printer stopped answering "
                                                        "during the job"))
                    return
                time.sleep(self.poll_s)
                continue
            if job.completed:
                return
            if job.failed:
                raise self._failure(job)
            try:
                status = self.status()
            except DeviceError:
                status = None
            if status is not None:
                fault = status.fault()
                if fault is not None:
                    self._give_up(job_id, fault)
                    return
                if status.offline_reason:
                    offline_since = offline_since or now
                    if now - offline_since > min(self.offline_grace_s, self.job_timeout_s):
                        self._give_up(job_id, DeviceOffline(
                            f"card printer offline during the job ({status.offline_reason})"))
                        return
                else:
                    offline_since = None
                if status.stopped:  # no fault named: CUPS paused the queue, or a person did
                    if self.resume_paused and not resumed:
                        resumed = True  # once: a queue that stops again has a real problem
                        try:
                            self._resume(keep=job_id)
                        except DeviceError as exc:
                            self._give_up(job_id, exc)
                            return
                    else:
                        self._give_up(job_id, PrinterError(
                            "card printer queue paused during the job"
                            + (f": {status.message}" if status.message else ""),
                            code="card_queue_paused"))
                        return
            if now > deadline:
                self._give_up(job_id, PrinterError(
                    f"card job {job_id} not done after {self.job_timeout_s:g} s "
                    f"({job.state_name})", code="card_print_timeout"))
                return
            time.sleep(self.poll_s)

    def _failure(self, job: JobInfo) -> PrinterError:
        """Why a job ended canceled or aborted: the printer's fault if it names one."""
        detail = f"card job {job.job_id} {job.state_name}"
        if job.reasons:
            detail += f" ({', '.join(job.reasons)})"
        if job.message:
            detail += f": {job.message}"
        try:
            fault = self.status().fault()
        except DeviceError:
            fault = None
        if fault is not None:
            return _with_detail(fault, detail)
        return PrinterError(detail, code="card_print_failed")

    # ------------------------------------------------------------------ document

    def _document(self, card: CardDocument, printer: Group) -> tuple[bytes, str,
                                                                      list[Attribute]]:
        """Render the card at the printer's resolution in a format it takes."""
        supported = set(printer.all("document-format-supported"))
        choices = [f for f in self.formats if f in supported and not (self.duplex and f == PNG)]
        if not choices:
            raise PrinterError(f"card printer takes none of {', '.join(self.formats)}"
                               + (" for two pages" if self.duplex else ""),
                               code="card_format_unsupported")
        fmt = choices[0]
        job: list[Attribute] = []
        sides = printer.all("sides-supported")
        if self.duplex:
            side = next((s for s in ("two-sided-long-edge", "two-sided-short-edge")
                         if s in sides), None)
            if side is None:
                raise PrinterError("card printer does not print both sides",
                                   code="card_duplex_unsupported")
            job.append(attr("sides", Tag.KEYWORD, side))
        elif "one-sided" in sides:
            job.append(attr("sides", Tag.KEYWORD, "one-sided"))
        printer_dpi = _closest_dpi(printer.all("printer-resolution-supported"), self.dpi)
        dpi = printer_dpi or self.dpi
        if fmt == PWG_RASTER:
            dpi = _closest_dpi(printer.all("pwg-raster-document-resolution-supported"),
                               self.dpi) or dpi
        if printer_dpi == dpi:
            job.append(attr("printer-resolution", Tag.RESOLUTION, Resolution(dpi, dpi)))
        media = _card_media(printer)
        if media:
            job.append(attr("media", Tag.KEYWORD, media))
        color = True
        if fmt == PWG_RASTER:
            types = printer.all("pwg-raster-document-type-supported")
            color = not types or "srgb_8" in types
            if not color and "sgray_8" not in types:
                raise PrinterError("card printer takes neither srgb_8 nor sgray_8 raster",
                                   code="card_format_unsupported")
        modes = printer.all("print-color-mode-supported")
        if color and "color" in modes:
            job.append(attr("print-color-mode", Tag.KEYWORD, "color"))
        elif not color and "monochrome" in modes:
            job.append(attr("print-color-mode", Tag.KEYWORD, "monochrome"))
        pages = [render_card(card, dpi)]
        if self.duplex:
            pages.append(render_card_back(card, dpi))
        return self._encode(pages, fmt, dpi, color, media or ""), fmt, job

    def _encode(self, pages: list[Image.Image], fmt: str, dpi: int, color: bool,
                media: str) -> bytes:
        if fmt == PWG_RASTER:
            return pwg_raster.encode(pages, dpi, duplex=self.duplex, page_size_name=media,
                                     color=color)
        out = io.BytesIO()
        if fmt == PDF:
            first, *rest = [p.convert("RGB") for p in pages]
            first.save(out, "PDF", resolution=float(dpi), save_all=True, append_images=rest,
                       quality=95)
        else:
            pages[0].save(out, "PNG", dpi=(dpi, dpi))
        return out.getvalue()
