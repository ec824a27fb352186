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

from protocol import wire
from kiosk.config import KioskConfig
from kiosk.devices.monitor import DeviceSnapshot
from kiosk.devices.build import Devices
from kiosk.errors import InvalidInput
from kiosk.journey.availability import AvailabilitySteps
from kiosk.journey.decision import DecisionSteps
from kiosk.journey.declaration import DeclarationSteps
from kiosk.journey.document import DocumentSteps
from kiosk.journey.fulfilment import FulfilmentSteps
from kiosk.journey.status_lookup import StatusSteps
from kiosk.photo.coach import PhotoCoach
from kiosk.fleet.daily_counts import CARD_HERE, CARD_QUEUED
from kiosk.journey.session import Problem, ResidentSession
from kiosk.devices.speech import Speaker
from kiosk.fleet.statistics import JourneyEnd, JourneyStatistics
from kiosk.journey.steps import (BUSY_STEPS, COMMITTED_STEPS, IDLE_STEPS, READER_ARMED_STEPS,
                                 IllegalTransition, Step, allowed_next)
from kiosk.worker import Worker

log = logging.getLogger("kiosk.journey")

Listener = Callable[[str], None]  # "step" when the step changed, "update" for anything else


class Journey(AvailabilitySteps, DocumentSteps, DeclarationSteps, DecisionSteps, FulfilmentSteps,
              StatusSteps):
    """One kiosk's resident journey. Construct once; it runs for months.

    This module holds the machine itself (steps, time, ending a session, the worker
    boundary); the intents of each part of the journey live in the mixins beside it.
    """

    def __init__(self, *, config: KioskConfig, devices: Devices, client: Any, outbox: Any,
                 journal: Any, worker: Worker, clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], dt.date] = dt.date.today,
                 now: Callable[[], dt.datetime] = dt.datetime.now,
                 statistics: JourneyStatistics | None = None,
                 fleet_settings: wire.KioskSettings | None = None) -> None:
        self.config = config
        self.devices = devices
        self.client = client
        self.outbox = outbox
        self.journal = journal
        self.worker = worker
        self.clock = clock
        self.today = today
        self.now = now  # the kiosk's local wall clock: service hours, the statistics' day
        self.recovered: list = []  # applications a restart cut off, for the attract screen
        self.state = Step.ATTRACT
        self.session = ResidentSession()
        self.stats = statistics or JourneyStatistics(today=lambda: now().date())
        self.fleet_settings = fleet_settings or wire.KioskSettings()
        self.trust_problem: str | None = None  # central refuses our credentials: its code
        self.out_of_service_reason = ""  # read by the heartbeat's thread: a plain string
        self._service_hold: str | None = None  # the reason this journey went out of service
        self._session_menu: list[wire.Service] | None = None
        self._began_at: float | None = None
        self._began_day: dt.date | None = None
        self.idle_remaining: float | None = None
        self.input_error: str | None = None
        self._listeners: list[Listener] = []
        self._last_touch = clock()
        self._entered_at = clock()
        self._started = False
        self.device_snapshot = DeviceSnapshot()
        self.coach: PhotoCoach | None = None  # runs only while the photo step is up
        self.photo_guidance: str | None = None  # the instruction on the photo screen now
        self._capturing = False
        self.speaker = Speaker(enabled=config.photo.speak)
        self.last_photo_quality: list[dict[str, object]] = []  # the last photo's check scores

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
        self._stop_coach()
        self.speaker.stop()
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
            self._start_coach()
        else:
            self._stop_coach()
            self.devices.camera.stop()
        if self.devices.scanner is not None:
            if step is Step.STATUS_LOOKUP:
                self.devices.scanner.arm()
            else:
                self.devices.scanner.disarm()

    def _start_coach(self) -> None:
        """A fresh coach for each look at the camera: its guidance starts from nothing."""
        self._stop_coach()
        self.photo_guidance = None
        self._capturing = False
        self.coach = PhotoCoach(
            self.devices.camera, self.config.photo,
            lambda state: self.worker.dispatch_event(self.on_photo_guidance, state),
            interval_s=self.config.photo.coach_interval_s)
        self.coach.start()

    def _stop_coach(self) -> None:
        coach, self.coach = self.coach, None
        if coach is not None:
            coach.stop()
        self.speaker.stop()

    # ----- time -------------------------------------------------------------------------
    def touch(self) -> None:
        """Any touch on the screen: the resident is still here."""
        self._last_touch = self.clock()
        if self.idle_remaining is not None:
            self.idle_remaining = None
            self._notify("update")

    def tick(self) -> None:
        """Called about twice a second by the host: service hours, idle warning, reset, receipt
        return."""
        self._check_service_state()
        now = self.clock()
        if self.state in IDLE_STEPS or (self.state in BUSY_STEPS and not self.session.read_paused):
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
        self.stats.record_end(reason, self.state.value, self._journey_end(reason))
        log.info("session end reason=%s at=%s session=%s", reason, self.state.value, self.session.id)
        self.session.wipe()
        self.session = ResidentSession()
        self._session_menu = None
        self.devices.reader.forget()
        self.set_state(Step.ATTRACT)
        self._apply_service_state()

    def _journey_end(self, reason: str) -> JourneyEnd:
        """How this session ended, as counts: nothing in it says who."""
        s, o = self.session, self.session.outcome
        card = None
        if o.card_printed:
            card = CARD_HERE
        elif s.fulfilment is not None and (o.application_number or o.queued_offline):
            card = CARD_QUEUED
        duration = self.clock() - self._began_at if self._began_at is not None else None
        end = JourneyEnd(reason, self.state.value, day=self._began_day,
                         decision=s.decision.decision.value if s.decision else None, card=card,
                         duration_s=duration if reason == "completed" else None)
        self._began_at = self._began_day = None
        return end

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
            self._apply_service_state()

    # ----- attract, language, menu --------------------------------------------------------
    def show_recovered(self, recovered: list) -> None:
        """Applications a restart cut off (kiosk/recovery.py): the attract screen shows
        them, with the QR code where no receipt came out, until the window passes or the
        next resident starts."""
        self.recovered = list(recovered)
        self._notify("update")

    def recovered_now(self) -> list:
        now = self.now().astimezone()
        self.recovered = [r for r in self.recovered if r.until > now]
        return self.recovered

    def begin(self) -> None:
        self._expect(Step.ATTRACT)
        self.recovered = []  # whoever was cut off has gone: a new resident is here
        self._began_at, self._began_day = self.clock(), self.now().date()
        self._session_menu = self.services_offered()  # the menu holds for this session
        self.stats.record_start(self._began_day)
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
        if service not in self.services_offered():
            raise InvalidInput(code="service_not_offered", detail=str(service))
        self.session.service = service
        self.set_state(Step.STATUS_LOOKUP if service is wire.Service.STATUS
                       else Step.PRESENT_DOCUMENT)
        self._apply_service_state()

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
