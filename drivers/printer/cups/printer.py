"""The card printer driver: status and health from the queue, jobs submitted, followed to
the end, cancelled on failure and never printed twice (see the package's docstring)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, overload

from drivers.base import DeviceError, DeviceHealth, DeviceOffline, FaultScript, HealthState
from drivers.printer.base import (
    CardDocument,
    CardPrinter,
    JobState,
    Level,
    PrinterError,
    PrintResult,
    Supplies,
    Supply,
)
from drivers.printer.cups.document import DEFAULT_FORMATS, card_job
from drivers.printer.cups.status import (
    CONNECTING_GRACE_S,
    JOB_ATTRIBUTES,
    PRINTER_ATTRIBUTES,
    SCRIPTED_REASONS,
    JobInfo,
    PrinterStatus,
    TransientReasons,
    keyword,
    ribbon_from_markers,
)
from drivers.printer.ipp import IppClient, IppMalformed, IppStatusError, Status
from drivers.printer.job_index import JobIndex

log = logging.getLogger("drivers.printer.cups")

JOB_PREFIX = "kiosk-card-"


def job_name(job_key: str) -> str:
    """What the job is called in CUPS: a digest of the key, never the key."""
    return JOB_PREFIX + hashlib.sha256(job_key.encode("utf-8")).hexdigest()[:32]



@overload
def _with_detail(error: PrinterError, more: str) -> PrinterError: ...
@overload
def _with_detail(error: DeviceError, more: str) -> DeviceError: ...
def _with_detail(error: DeviceError, more: str) -> DeviceError:
    """The same error (type and code) with more said; a printer error stays one."""
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
        self.index = JobIndex(Path(job_index_dir) / "cups_card_jobs.sqlite3")  # completed jobs
        self._sent = JobIndex(Path(job_index_dir) / "cups_card_sent.sqlite3")  # submitted jobs
        self._lock = threading.Lock()
        self._transient = TransientReasons(connecting_grace_s, clock)

    def close(self) -> None:
        """Close the job indexes; they open again at the next use."""
        self.index.close()
        self._sent.close()

    # ------------------------------------------------------------------ status

    def status(self) -> PrinterStatus:
        """Ask the printer; raises DeviceOffline when it does not answer."""
        if self.faults.value("offline"):
            raise DeviceOffline("card printer does not answer (scripted)")
        printer = self.client.get_printer_attributes(PRINTER_ATTRIBUTES)
        reasons = {keyword(str(r)) for r in printer.all("printer-state-reasons")} - {"none"}
        reasons |= {reason for fault, reason in SCRIPTED_REASONS.items()
                    if self.faults.value(fault)}
        state = printer.get("printer-state")
        if not isinstance(state, int):
            raise IppMalformed("printer answered without printer-state")
        counted, held = self._transient.settle(frozenset(reasons))
        return PrinterStatus(state=state, reasons=counted, held=held,
                             message=str(printer.get("printer-state-message", "")),
                             accepting=bool(printer.get("printer-is-accepting-jobs", True)),
                             ribbon_markers=ribbon_from_markers(printer),
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
            for job in self.client.get_jobs(which, requested=JOB_ATTRIBUTES):
                if job.get("job-name") == name:
                    found.append(JobInfo.from_group(job))
        if not found:
            return None
        rank = {JobState.COMPLETED: 2, JobState.PENDING: 1, JobState.FAILED: 0}
        return max(found, key=lambda j: (rank[j.outcome], j.job_id))

    def job_state(self, job_key: str) -> JobState | None:
        """COMPLETED/PENDING/FAILED from the index or the queue's history; None if never sent.

        COMPLETED wins over everything else: a job that completed although a cancel was
        asked for (the card was in motion) is a card that came out. UNKNOWN when this
        kiosk sent the job but the printer no longer remembers it (an IPP printer keeps
        a short history; CUPS keeps a long one). Raises DeviceOffline when the queue
        does not answer, so a restart settles it later.
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
        """Ask the printer to cancel every active job for ``job_key``; True only when it
        confirms each ended canceled or aborted, so no card came out.

        The policy: a card in motion cannot be stopped. After Cancel-Job each job is read
        again; one still processing (or one the printer would not or could not cancel)
        is not cancelled but followed to its end, for at most ``job_timeout_s``. Only a
        job confirmed canceled/aborted counts as not printed. A job that completes after
        all is recorded as printed (``job_state`` then says COMPLETED), and one still
        active when the time is up is left PENDING: in neither case may a second card
        be posted.
        """
        if self.index.get(job_key) is not None:
            return False  # it completed: the card exists
        name = job_name(job_key)
        active = [JobInfo.from_group(job) for job in
                  self.client.get_jobs("not-completed", requested=JOB_ATTRIBUTES)
                  if job.get("job-name") == name]
        if not active:
            return False
        for job in active:
            self._cancel(job.job_id, "asked to cancel")
        deadline = time.monotonic() + self.job_timeout_s
        ends = [self._end_of(job.job_id, deadline) for job in active]
        completed = [end for end in ends if end is not None and end.completed]
        if completed:
            log.warning("card job %d completed although asked to cancel: the card came out",
                        completed[0].job_id)
            self.index.put(job_key, self._result(completed[0].job_id))
            return False
        if all(end is not None and end.failed for end in ends):
            return True
        log.warning("card job %d not confirmed cancelled; its outcome is left for later",
                    active[0].job_id)
        return False

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
            document, document_format, job_attributes = card_job(
                card, status.attributes, formats=self.formats, duplex=self.duplex, dpi=self.dpi)
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
        for job in self.client.get_jobs("not-completed", requested=JOB_ATTRIBUTES):
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
        return JobInfo.from_group(self.client.get_job_attributes(job_id, JOB_ATTRIBUTES))

    def _cancel(self, job_id: int, why: str) -> JobInfo | None:
        """Cancel-Job; returns the job as it then is, or None when the queue did not answer.

        The answer is only a request accepted: a printer may go on with a card in motion.
        """
        try:
            self.client.cancel_job(job_id)
        except IppStatusError as exc:  # already finished (not-possible) or gone
            log.info("cancel of card job %d refused (%s): %s", job_id, why, exc.status_name)
        except DeviceError as exc:
            log.error("card job %d could not be cancelled (%s): %s", job_id, why, exc.code)
            return None
        else:
            log.warning("card job %d: cancel requested (%s)", job_id, why)
        try:
            return self._job(job_id)
        except DeviceError:
            return None

    def _end_of(self, job_id: int, deadline: float) -> JobInfo | None:
        """Follow a job until it ends, or until ``deadline`` (then it is still active).
        None when the printer no longer knows it or stops answering until then."""
        while True:
            try:
                job: JobInfo | None = self._job(job_id)
            except IppStatusError as exc:
                if exc.status in (Status.NOT_FOUND, Status.GONE):
                    return None
                job = None
            except DeviceError:  # offline for now: it may answer again before the deadline
                job = None
            if job is not None and not job.active:
                return job
            if time.monotonic() >= deadline:
                return job
            time.sleep(self.poll_s)

    def _give_up(self, job_id: int, error: DeviceError, *, follow: bool = True) -> None:
        """Cancel the job and raise ``error`` -- unless it completed meanwhile.

        As ``cancel_job``: after a timeout, an offline spell or a paused queue, a job the
        printer goes on with after the cancel (a card in motion) is followed to its end,
        so a card that comes out is never reported as a failure (which would have central
        post a second one). A fault the printer names (a jam, no cards: ``follow=False``)
        holds the card where it cannot come out, so the failure is raised at once."""
        after = self._cancel(job_id, error.code)
        if follow and after is not None and after.active:
            after = self._end_of(job_id, time.monotonic() + self.job_timeout_s) or after
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
                    self._give_up(job_id, fault, follow=False)
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
