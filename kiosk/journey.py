"""The resident's journey as an explicit state machine.

Screens observe it and send intents ("language chosen", "photo accepted",
"cancel"); they never decide anything. Every intent and every callback runs on
one thread (the UI's, or a headless loop's); slow work goes through the
``Worker`` and comes back through its dispatch. The session holds everything
personal and is wiped whenever the journey returns to the attract screen.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any, Callable

from central import wire
from drivers.reader.base import (AccessKey, AccessKind, DocumentEvent, DocumentEventKind,
                                 IdentityDocument)
from kiosk import fulfilment as fulfil
from kiosk.config import KioskConfig
from kiosk.devices import Devices
from kiosk.errors import CentralRejected, CentralUnavailable, InvalidInput, KioskError
from kiosk.session import Problem, ResidentSession
from kiosk.statistics import JourneyStatistics
from kiosk.steps import (BUSY_STEPS, COMMITTED_STEPS, IDLE_STEPS, READER_ARMED_STEPS,
                         IllegalTransition, Step, allowed_next)
from kiosk.validation import parse_reference, parse_tracking_code, validate_residence
from kiosk.worker import Worker

log = logging.getLogger("kiosk.journey")

Listener = Callable[[str], None]  # "step" when the step changed, "update" for anything else


class Journey:
    """One kiosk's resident journey. Construct once; it runs for months."""

    def __init__(self, *, config: KioskConfig, devices: Devices, client: Any, outbox: Any,
                 journal: Any, worker: Worker, clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self.config = config
        self.devices = devices
        self.client = client
        self.outbox = outbox
        self.journal = journal
        self.worker = worker
        self.clock = clock
        self.today = today
        self.state = Step.ATTRACT
        self.session = ResidentSession()
        self.stats = JourneyStatistics()
        self.idle_remaining: float | None = None
        self.input_error: str | None = None
        self._listeners: list[Listener] = []
        self._last_touch = clock()
        self._entered_at = clock()
        self._started = False

    # ----- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Begin watching devices. Events cross to the journey thread through the worker."""
        if self._started:
            return
        self._started = True
        self.devices.reader.start(lambda ev: self.worker.dispatch_event(self._on_document, ev))
        if self.devices.scanner is not None:
            self.devices.scanner.start(lambda code: self.worker.dispatch_event(self._on_scan, code))

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self.devices.reader.stop()
        if self.devices.scanner is not None:
            self.devices.scanner.stop()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # ----- the one place the step changes ------------------------------------------------
    def set_state(self, step: Step) -> None:
        if step is not self.state and step not in allowed_next(self.state):
            raise IllegalTransition(f"{self.state.value} -> {step.value}")
        previous, self.state = self.state, step
        self._entered_at = self.clock()
        self._last_touch = self.clock()
        self.idle_remaining = None
        self.input_error = None
        self._arm_devices(step)
        log.info("step %s -> %s session=%s", previous.value, step.value, self.session.id)
        self._notify("step")

    def _notify(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    def _arm_devices(self, step: Step) -> None:
        if step in READER_ARMED_STEPS:
            self.devices.reader.arm()
        else:
            self.devices.reader.disarm()
        if step is Step.PHOTO:
            self.devices.camera.start()
        else:
            self.devices.camera.stop()
        if self.devices.scanner is not None:
            if step is Step.STATUS_LOOKUP:
                self.devices.scanner.arm()
            else:
                self.devices.scanner.disarm()

    # ----- time -------------------------------------------------------------------------
    def touch(self) -> None:
        """Any touch on the screen: the resident is still here."""
        self._last_touch = self.clock()
        if self.idle_remaining is not None:
            self.idle_remaining = None
            self._notify("update")

    def tick(self) -> None:
        """Called about twice a second by the host: idle warning, reset, receipt return."""
        now = self.clock()
        if self.state in IDLE_STEPS or self.state in BUSY_STEPS:
            return
        jc = self.config.journey
        if self.state in (Step.RECEIPT, Step.STATUS_RESULT):
            if now - self._entered_at >= jc.receipt_return_s:
                self._end_session("completed")
            return
        idle = now - self._last_touch
        if idle >= jc.idle_reset_s:
            self._end_session("idle_timeout")
        elif idle >= jc.idle_warning_s:
            remaining = max(0.0, jc.idle_reset_s - idle)
            if self.idle_remaining is None or int(remaining) != int(self.idle_remaining):
                self.idle_remaining = remaining
                self._notify("update")

    # ----- ending a session -------------------------------------------------------------
    def cancel(self) -> None:
        """Leave from any step. An accepted application is never dropped: its work finishes."""
        if self.state in IDLE_STEPS:
            return
        self._end_session("completed" if self.state in COMMITTED_STEPS else "cancelled")

    def finish(self) -> None:
        self._end_session("completed")

    def _end_session(self, reason: str) -> None:
        self.stats.record_end(reason, self.state)
        log.info("session end reason=%s at=%s session=%s", reason, self.state.value, self.session.id)
        self.session.wipe()
        self.session = ResidentSession()
        self.set_state(Step.ATTRACT)

    def go_out_of_service(self, code: str) -> None:
        """A fault the kiosk cannot work around (config, crash): calm screen, session wiped."""
        log.error("out of service code=%s", code)
        self.session.wipe()
        self.session = ResidentSession()
        self.session.problem = Problem(code)
        self.set_state(Step.OUT_OF_SERVICE)

    def recover(self) -> None:
        if self.state is Step.OUT_OF_SERVICE:
            self.session = ResidentSession()
            self.set_state(Step.ATTRACT)

    # ----- guards for callbacks from workers ---------------------------------------------
    def _for_this_session(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Drop results that arrive after the session they belong to has ended."""
        session_id = self.session.id

        def guarded(*args: Any) -> None:
            if self.session.id == session_id:
                fn(*args)
            else:
                log.info("late result for ended session %s ignored", session_id)
        return guarded

    def _run(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], None]) -> None:
        self.worker.run(fn, self._for_this_session(on_done), self._for_this_session(on_error))

    def _problem(self, code: str, retry: Step | None = None, detail: str = "",
                 message: wire.Text | None = None) -> None:
        self.session.problem = Problem(code, retry, detail, message)
        self.set_state(Step.PROBLEM)

    # ----- attract, language, menu --------------------------------------------------------
    def begin(self) -> None:
        self._expect(Step.ATTRACT)
        self.stats.record_start()
        self.set_state(Step.LANGUAGE)

    def choose_language(self, language: str) -> None:
        self._expect(Step.LANGUAGE)
        if language not in self.config.journey.languages:
            raise InvalidInput(code="language", detail=language)
        self.session.language = language
        self.set_state(Step.SERVICE_MENU)

    def change_language(self) -> None:
        self._expect(Step.SERVICE_MENU)
        self.set_state(Step.LANGUAGE)

    def choose_service(self, service: wire.Service) -> None:
        self._expect(Step.SERVICE_MENU)
        if service not in self.config.journey.services:
            raise InvalidInput(code="service_not_offered", detail=str(service))
        self.session.service = service
        self.set_state(Step.STATUS_LOOKUP if service is wire.Service.STATUS
                       else Step.PRESENT_DOCUMENT)

    def back(self) -> None:
        """One step back where that makes sense; elsewhere a no-op."""
        target = {Step.PRESENT_DOCUMENT: Step.SERVICE_MENU, Step.STATUS_LOOKUP: Step.SERVICE_MENU,
                  Step.ACCESS_KEY: Step.PRESENT_DOCUMENT,
                  Step.DECLARE_RESIDENCE: Step.CONFIRM_DETAILS,
                  Step.DECLARE_CONDITION: Step.DECLARE_RESIDENCE,
                  Step.FULFILMENT: Step.DECISION}.get(self.state)
        if target is not None:
            self.set_state(target)

    def _expect(self, *steps: Step) -> None:
        if self.state not in steps:
            raise IllegalTransition(f"intent not valid in {self.state.value}")

    # ----- the document ---------------------------------------------------------------------
    def _on_document(self, event: DocumentEvent) -> None:
        if event.kind is DocumentEventKind.PRESENTED and self.state in READER_ARMED_STEPS:
            self.touch()
            self.session.access = event.access
            if event.access is AccessKind.NONE:
                self._read_document(None)
            else:
                self.set_state(Step.ACCESS_KEY)

    def submit_access_key(self, key: AccessKey) -> None:
        self._expect(Step.ACCESS_KEY)
        self.session.access_key = key
        self._read_document(key)

    def _read_document(self, key: AccessKey | None) -> None:
        self.session.read_progress = 0.0
        self.set_state(Step.READING_DOCUMENT)
        progress = self._for_this_session(self._on_read_progress)
        self._run(lambda: self.devices.reader.read(
                      key, lambda p: self.worker.dispatch_event(progress, p)),
                  self._on_document_read, self._on_read_failed)

    def _on_read_progress(self, fraction: float) -> None:
        self.session.read_progress = fraction
        self._notify("update")

    def _on_document_read(self, document: IdentityDocument) -> None:
        if self.state is not Step.READING_DOCUMENT:
            return
        self.session.document = document
        self.session.read_progress = 1.0
        if not document.genuine:
            self._problem("document_not_genuine", None)
        elif self.session.service is wire.Service.STATUS:
            self._lookup_by_document()
        else:
            if self.session.service is wire.Service.NEW:
                self._fetch_records()
            self.set_state(Step.CONFIRM_DETAILS)

    def _on_read_failed(self, exc: BaseException) -> None:
        code = getattr(exc, "code", None) or "unreadable_document"
        if code == "wrong_access_key":
            self.set_state(Step.ACCESS_KEY)
            self.input_error = code
            self._notify("update")
            return
        retry = Step.STATUS_LOOKUP if self.session.service is wire.Service.STATUS \
            else Step.PRESENT_DOCUMENT
        self._problem(code, retry, detail=type(exc).__name__)

    def confirm_details(self) -> None:
        """On to the declaration; a refusal already certain is told now, before any typing."""
        self._expect(Step.CONFIRM_DETAILS)
        records = self.session.records
        if self.session.service is wire.Service.RENEWAL:
            self._check_eligibility()
        elif records is not None and records.refusal is not None:
            self.session.decision = records.refusal
            self.set_state(Step.DECISION)
        else:
            self.set_state(Step.DECLARE_RESIDENCE)

    def reject_details(self) -> None:
        """'These are not my details': nothing to fix at a kiosk; staff must help."""
        self._expect(Step.CONFIRM_DETAILS)
        self._problem("details_not_mine", None)

    # ----- declaration ----------------------------------------------------------------------
    def _fetch_records(self) -> None:
        """Ask central what it already knows (employer, school) while the resident reads."""
        request = wire.RecordsRequest(city=self.config.city, applicant=self.session.applicant())
        self._run(lambda: self.client.records(request), self._on_records,
                  lambda exc: log.info("records pre-check failed: %s", type(exc).__name__))

    def _on_records(self, summary: wire.RecordsSummary) -> None:
        self.session.records = summary
        if summary.refusal is not None and self.state in (Step.DECLARE_RESIDENCE,
                                                          Step.DECLARE_CONDITION):
            # The answer came after the resident moved on: stop them typing for nothing.
            self.session.decision = summary.refusal
            self.set_state(Step.DECISION)
            return
        self._notify("update")

    def sponsor_choices(self, condition: wire.Condition | None) -> list[str]:
        """Employers or schools on record for a condition, offered as buttons."""
        records = self.session.records
        if records is None:
            return []
        return {wire.Condition.EMPLOYMENT: records.employers,
                wire.Condition.STUDY: records.schools}.get(condition, [])

    def directory(self) -> wire.CityDirectory | None:
        """The city's address directory (cached by the client after the first call)."""
        try:
            return self.client.directory(self.config.city)
        except KioskError:
            return None

    def declare_residence(self, since: dt.date, address: wire.Address) -> bool:
        self._expect(Step.DECLARE_RESIDENCE)
        try:
            validate_residence(since, address, self.session.document, self.today())
        except InvalidInput as e:
            self.input_error = e.code
            self._notify("update")
            return False
        self.session.since, self.session.address = since, address
        self.set_state(Step.DECLARE_CONDITION)
        return True

    def declare_condition(self, condition: wire.Condition, sponsor: str | None) -> None:
        self._expect(Step.DECLARE_CONDITION)
        self.session.condition = condition
        self.session.sponsor = sponsor if condition is not wire.Condition.HOME else None
        self._check_eligibility()

    # ----- eligibility --------------------------------------------------------------------
    def _check_eligibility(self) -> None:
        s = self.session
        request = wire.EligibilityRequest(city=self.config.city, service=s.service,
                                          applicant=s.applicant(), declaration=s.declaration())
        self.set_state(Step.CHECKING_ELIGIBILITY)
        self._run(lambda: self.client.check_eligibility(request),
                  self._on_decision, self._on_decision_failed)

    def _on_decision(self, decision: wire.EligibilityDecision) -> None:
        s = self.session
        s.decision, s.central_unreachable = decision, False
        refused = decision.decision in (wire.Decision.INELIGIBLE, wire.Decision.NOT_REQUIRED)
        if not refused and decision.photo_required and s.photo_jpeg is None:
            self.set_state(Step.PHOTO)
        else:
            self.set_state(Step.DECISION)

    def _on_decision_failed(self, exc: BaseException) -> None:
        if isinstance(exc, CentralUnavailable):
            self.session.central_unreachable = True
            self.set_state(Step.DECISION)
        elif isinstance(exc, CentralRejected):
            self._problem(exc.code, Step.CHECKING_ELIGIBILITY, detail=exc.detail,
                          message=exc.message)
        else:
            self._problem("unexpected", None, detail=type(exc).__name__)

    def retry(self) -> None:
        """'Try again' on the problem screen."""
        self._expect(Step.PROBLEM)
        problem = self.session.problem
        target = problem.retry_step if problem else None
        if target is None:
            return self.finish()
        self.session.problem = None
        if target is Step.CHECKING_ELIGIBILITY:
            self._check_eligibility()
        elif target is Step.SUBMITTING:
            self._submit()
        else:
            self.set_state(target)

    # ----- photo ---------------------------------------------------------------------------
    def take_photo(self) -> None:
        self._expect(Step.PHOTO)
        camera = self.devices.camera
        self._run(lambda: fulfil.capture_jpeg(camera), self._on_photo, self._on_photo_failed)

    def _on_photo(self, jpeg: bytes) -> None:
        self.session.set_photo(jpeg)
        self._notify("update")

    def _on_photo_failed(self, exc: BaseException) -> None:
        self._problem(getattr(exc, "code", "camera_error"), Step.PHOTO, type(exc).__name__)

    def retake_photo(self) -> None:
        self._expect(Step.PHOTO)
        self.session.set_photo(None)
        self._notify("update")

    def accept_photo(self) -> None:
        self._expect(Step.PHOTO)
        if self.session.photo_jpeg is None:
            raise InvalidInput(code="no_photo")
        s = self.session
        if s.defer or s.staff_review:
            self._after_commitment_choice()
        else:
            self.set_state(Step.DECISION)

    # ----- decision ------------------------------------------------------------------------
    def continue_application(self) -> None:
        """eligible or needs_review: on to fulfilment."""
        self._expect(Step.DECISION)
        d = self.session.decision
        if d is None or d.decision not in (wire.Decision.ELIGIBLE, wire.Decision.NEEDS_REVIEW):
            raise InvalidInput(code="cannot_continue")
        self.set_state(Step.FULFILMENT)

    def defer_application(self) -> None:
        """not_yet: register now, start automatically on the date, courier the card home."""
        self._expect(Step.DECISION)
        d = self.session.decision
        if d is None or d.decision is not wire.Decision.NOT_YET:
            raise InvalidInput(code="cannot_defer")
        self.session.defer = True
        self.session.fulfilment = wire.Fulfilment(method=wire.FulfilmentMethod.COURIER,
                                                  courier_address=self.session.address)
        self._photo_then(self._after_commitment_choice)

    def queue_for_review(self) -> None:
        """Central unreachable: file the application for staff to decide, nothing lost."""
        self._expect(Step.DECISION)
        if not self.session.central_unreachable:
            raise InvalidInput(code="cannot_queue")
        self.session.staff_review = True
        self._photo_then(lambda: self.set_state(Step.FULFILMENT))

    def _photo_then(self, next_step: Callable[[], None]) -> None:
        if self.session.photo_jpeg is None and self._photo_needed():
            self.set_state(Step.PHOTO)
        else:
            next_step()

    def _photo_needed(self) -> bool:
        d = self.session.decision
        return d is None or d.photo_required

    def _after_commitment_choice(self) -> None:
        if self.session.fulfilment is not None:
            self._submit()
        else:
            self.set_state(Step.FULFILMENT)

    # ----- fulfilment, submission, printing -------------------------------------------------
    def fulfilment_options(self) -> list[wire.FulfilmentMethod]:
        return fulfil.options(self.session, self.devices)

    def choose_fulfilment(self, method: wire.FulfilmentMethod, station: str | None = None) -> None:
        self._expect(Step.FULFILMENT)
        if method not in self.fulfilment_options():
            raise InvalidInput(code="fulfilment_unavailable", detail=method.value)
        if method is wire.FulfilmentMethod.PICKUP and not station:
            raise InvalidInput(code="station_required")
        address = self.session.address if method is wire.FulfilmentMethod.COURIER else None
        if method is wire.FulfilmentMethod.COURIER and address is None:
            address = self.session.decision.permit_on_file.address if (
                self.session.decision and self.session.decision.permit_on_file) else None
        self.session.fulfilment = wire.Fulfilment(method=method, courier_address=address,
                                                  pickup_station=station)
        self._submit()

    def _submit(self) -> None:
        self.set_state(Step.SUBMITTING)
        job = fulfil.FulfilmentJob.from_session(self.session, self.config, self.today())
        self._run(lambda: fulfil.submit(job, self.client, self.outbox, self.journal),
                  self._on_submitted, self._on_submit_failed)

    def _on_submit_failed(self, exc: BaseException) -> None:
        code = getattr(exc, "code", "submit_failed")
        self._problem(code, Step.SUBMITTING, detail=type(exc).__name__,
                      message=getattr(exc, "message", None))

    def _on_submitted(self, outcome: fulfil.Submitted) -> None:
        s = self.session
        s.outcome.application_number = outcome.application_number
        s.outcome.receipt = outcome.receipt
        s.outcome.queued_offline = outcome.queued_offline
        s.outcome.card_fallback = outcome.card_fallback
        job = fulfil.FulfilmentJob.from_session(s, self.config, self.today())
        if outcome.print_card_here:
            self.set_state(Step.PRINTING_CARD)
            self._run(lambda: fulfil.print_card(job, self.devices, self.client, self.journal),
                      self._on_card_done, self._on_card_done)
        else:
            self._print_receipt(job)

    def _on_card_done(self, result: Any) -> None:
        if isinstance(result, BaseException) or result is not True:
            self.session.outcome.card_fallback = getattr(result, "code", "card_print_failed")
        else:
            self.session.outcome.card_printed = True
        job = fulfil.FulfilmentJob.from_session(self.session, self.config, self.today())
        self._print_receipt(job)

    def _print_receipt(self, job: "fulfil.FulfilmentJob") -> None:
        self._run(lambda: fulfil.print_receipt(job, self.devices, self.client, self.journal),
                  self._on_receipt_printed, self._on_receipt_failed)

    def _on_receipt_printed(self, _: Any) -> None:
        self.session.outcome.receipt_printed = True
        self.set_state(Step.RECEIPT)

    def _on_receipt_failed(self, exc: BaseException) -> None:
        self.session.outcome.receipt_problem = getattr(exc, "code", "printer_error")
        self.set_state(Step.RECEIPT)

    # ----- progress lookup ------------------------------------------------------------------
    def _on_scan(self, code: str) -> None:
        if self.state is not Step.STATUS_LOOKUP:
            return
        self.touch()
        number = parse_tracking_code(code)
        reference = parse_reference(code)
        if reference is not None:  # printed offline: sent since? the outbox knows the number
            number = self.outbox.sent_receipt(reference)
        if number is None:
            self.input_error = "reference_pending" if reference else "unknown_code"
            self._notify("update")
            return
        self._run(lambda: [self.client.application_status(number)],
                  self._on_status, self._on_status_failed)

    def _lookup_by_document(self) -> None:
        number = self.session.document.document_number
        self._run(lambda: self.client.lookup_status(number), self._on_status,
                  self._on_status_failed)

    def _on_status(self, results: list[wire.ApplicationStatus]) -> None:
        self.session.status_results = list(results)
        self.set_state(Step.STATUS_RESULT)

    def _on_status_failed(self, exc: BaseException) -> None:
        code = "central_unreachable" if isinstance(exc, CentralUnavailable) else \
            getattr(exc, "code", "unexpected")
        if code == "not_found":
            self._on_status([])
        else:
            self._problem(code, Step.STATUS_LOOKUP, detail=type(exc).__name__)
