"""The resident's journey as a state machine driven by one table (``table.TABLE``).

Screens observe it and send intents to its parts (``journey.document.confirm()``,
``journey.photo.accept()``, ``journey.cancel()``); they never decide anything. Every
intent and every callback runs on one thread (the UI's, or a headless loop's); slow work
goes through the ``Worker`` and comes back through its dispatch. The session holds
everything personal and is wiped whenever the journey returns to the attract screen or
goes out of service.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from kiosk.config import KioskConfig
from kiosk.devices.build import Devices
from kiosk.devices.speech import Speaker
from kiosk.fleet.daily_counts import CARD_HERE, CARD_QUEUED
from kiosk.fleet.statistics import JourneyEnd, JourneyStatistics
from kiosk.fleet.status import JourneyCounts
from kiosk.journey import table
from kiosk.journey.availability import AvailabilityPhase
from kiosk.journey.context import JourneyContext
from kiosk.journey.decision import DecisionPhase
from kiosk.journey.declaration import DeclarationPhase
from kiosk.journey.document import DocumentPhase
from kiosk.journey.fulfilment import FulfilmentPhase
from kiosk.journey.photo import PhotoPhase
from kiosk.journey.session import Problem, ResidentSession
from kiosk.journey.status_lookup import StatusPhase
from kiosk.journey.steps import BUSY_STEPS, COMMITTED_STEPS, IDLE_STEPS, READER_ARMED_STEPS, Step
from kiosk.journey.table import IllegalTransition, IntentRejected, Trigger
from kiosk.journey.welcome import WelcomePhase
from kiosk.worker import Worker
from protocol import wire

log = logging.getLogger("kiosk.journey")

Listener = Callable[[str], None]  # "step" when the step changed, "update" for anything else

# How a session that returns to the attract screen ended, by what ended it.
_END_REASONS = {Trigger.FINISH: "completed", Trigger.RETRY: "completed",
                Trigger.TIMED_OUT: "idle_timeout", Trigger.CANCEL: "cancelled"}


class Journey:
    """One kiosk's resident journey. Construct once; it runs for months."""

    def __init__(self, *, config: KioskConfig, devices: Devices, client: Any, outbox: Any,
                 journal: Any, worker: Worker, clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], dt.date] = dt.date.today,
                 now: Callable[[], dt.datetime] = dt.datetime.now,
                 statistics: JourneyStatistics | None = None,
                 fleet_settings: wire.KioskSettings | None = None) -> None:
        self.ctx = JourneyContext(config=config, devices=devices, client=client, outbox=outbox,
                                  journal=journal, worker=worker,
                                  speaker=Speaker(enabled=config.photo.speak),
                                  clock=clock, today=today, now=now)
        self.config, self.devices, self.today, self.now = config, devices, today, now
        self.state = Step.ATTRACT
        self.session = ResidentSession()
        self.stats = statistics or JourneyStatistics(today=lambda: now().date())
        self.idle_remaining: float | None = None
        self.input_error: str | None = None
        self._listeners: list[Listener] = []
        self._entered: dict[Step, list[Callable[[], None]]] = defaultdict(list)
        self._left: dict[Step, list[Callable[[], None]]] = defaultdict(list)
        self._last_touch = self._entered_at = clock()
        self._began_at: float | None = None
        self._began_day: dt.date | None = None
        self._started = False
        # The parts of the journey; each registers what it does on entering its steps.
        self.availability = AvailabilityPhase(self.ctx, self, fleet_settings)
        self.welcome = WelcomePhase(self.ctx, self, self.availability)
        self.status = StatusPhase(self.ctx, self)
        self.declaration = DeclarationPhase(self.ctx, self)
        self.document = DocumentPhase(self.ctx, self, self.declaration, self.status)
        self.photo = PhotoPhase(self.ctx, self)
        self.decision = DecisionPhase(self.ctx, self)
        self.fulfilment = FulfilmentPhase(self.ctx, self, self.availability)

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Begin watching devices. Events cross to the journey thread through the worker."""
        if self._started:
            return
        self._started = True
        worker = self.ctx.worker
        self.devices.reader.start(lambda ev: worker.dispatch_event(self.document.on_event, ev))
        if self.devices.scanner is not None:
            self.devices.scanner.start(lambda code: worker.dispatch_event(self.status.on_scan,
                                                                          code))

    def stop(self) -> None:
        self.photo.stop()
        self.ctx.speaker.stop()
        if not self._started:
            return
        self._started = False
        self.devices.reader.stop()
        if self.devices.scanner is not None:
            self.devices.scanner.stop()

    def status_fields(self) -> dict[str, Any]:
        """The journey's part of the kiosk's published status (``kiosk.fleet.status``),
        read on the journey's thread: step, service, counts and scores, nothing personal."""
        a, stats = self.availability, self.stats
        return {"step": self.state.value, "out_of_service_reason": a.out_of_service_reason,
                "trust_problem": a.trust_problem,
                "services_offered": tuple(s.value for s in self.welcome.services_offered()),
                "journeys": JourneyCounts(stats.started, stats.completed, stats.cancelled,
                                          stats.timed_out),
                "photo_checks": tuple(dict(c) for c in self.photo.last_quality)}

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # ----- the table -------------------------------------------------------------------------
    def fire(self, trigger: Trigger) -> Step:
        """Move as the table says. An intent the table does not take here is rejected (a
        double tap); an event it does not take is a bug."""
        found = table.route(self.state, trigger, self.session)
        if found is None:
            if trigger.intent:
                log.info("intent %s rejected at %s", trigger.value, self.state.value)
                raise IntentRejected(f"{trigger.value} at {self.state.value}")
            log.error("illegal transition: %s at %s", trigger.value, self.state.value)
            raise IllegalTransition(f"{trigger.value} at {self.state.value}")
        if found.to is Step.ATTRACT and self.state not in IDLE_STEPS:
            reason = _END_REASONS[trigger]
            if trigger is Trigger.CANCEL and self.state in COMMITTED_STEPS:
                reason = "completed"  # an accepted application is never dropped
            self._end_session(reason)
        else:
            self._move(found.to)
        return found.to

    def expect(self, trigger: Trigger) -> None:
        if not table.offers(self.state, trigger):
            log.info("intent %s rejected at %s", trigger.value, self.state.value)
            raise IntentRejected(f"{trigger.value} at {self.state.value}")

    def require(self, *steps: Step) -> None:
        if self.state not in steps:
            log.info("intent rejected at %s", self.state.value)
            raise IntentRejected(f"not at {self.state.value}")

    def on_enter(self, step: Step, action: Callable[[], None]) -> None:
        self._entered[step].append(action)

    def on_leave(self, step: Step, action: Callable[[], None]) -> None:
        self._left[step].append(action)

    def _move(self, step: Step) -> None:
        """The one place the step changes."""
        if not (step is self.state or table.holds(self.state, step)):
            log.error("illegal transition: %s -> %s", self.state.value, step.value)
            raise IllegalTransition(f"{self.state.value} -> {step.value}")
        previous, self.state = self.state, step
        if previous is Step.PROBLEM and step is not Step.PROBLEM:
            self.session.problem = None  # tried again: the problem is behind the resident
        self._entered_at = self._last_touch = self.ctx.clock()
        self.idle_remaining = None
        self.input_error = None
        self._arm_reader_and_scanner(step)
        log.info("step %s -> %s session=%s", previous.value, step.value, self.session.id)
        if previous is not step:
            for action in self._left[previous]:
                action()
        self._notify("step")
        for action in self._entered[step]:
            if self.state is not step:  # an earlier action moved on (a problem, say)
                break
            action()

    def _notify(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    def notify(self) -> None:
        self._notify("update")

    def _arm_reader_and_scanner(self, step: Step) -> None:
        if step in READER_ARMED_STEPS:
            self.devices.reader.arm()
        else:
            self.devices.reader.disarm()
        if self.devices.scanner is not None:
            if step is Step.STATUS_LOOKUP:
                self.devices.scanner.arm()
            else:
                self.devices.scanner.disarm()

    # ----- moves every step shares ------------------------------------------------------------
    def back(self) -> None:
        """One step back, where the table has a way back."""
        self.fire(Trigger.BACK)

    def retry(self) -> None:
        """'Try again' on the problem screen: where the problem said (its work starts on
        arrival), or the end of the session when there is nothing to try again."""
        self.fire(Trigger.RETRY)

    def cancel(self) -> None:
        """Leave from any step. An accepted application is never dropped: its work finishes."""
        if self.state not in IDLE_STEPS:
            self.fire(Trigger.CANCEL)

    def finish(self) -> None:
        self.fire(Trigger.FINISH)

    # ----- time ------------------------------------------------------------------------------
    def touch(self) -> None:
        """Any touch on the screen: the resident is still here."""
        self._last_touch = self.ctx.clock()
        if self.idle_remaining is not None:
            self.idle_remaining = None
            self.notify()

    def tick(self) -> None:
        """Called about twice a second by the host: service hours, idle warning, reset,
        receipt return."""
        self.availability.at_rest_tick()
        now = self.ctx.clock()
        if self.state in IDLE_STEPS or (self.state in BUSY_STEPS
                                        and not self.session.read_paused):
            return
        jc = self.config.journey
        if self.state in (Step.RECEIPT, Step.STATUS_RESULT):
            if now - self._entered_at >= jc.receipt_return_s:
                self.fire(Trigger.FINISH)
            return
        idle = now - self._last_touch
        if idle >= jc.idle_reset_s:
            self.fire(Trigger.TIMED_OUT)
        elif idle >= jc.idle_warning_s:
            remaining = max(0.0, jc.idle_reset_s - idle)
            if self.idle_remaining is None or int(remaining) != int(self.idle_remaining):
                self.idle_remaining = remaining
                self.notify()

    # ----- a session begins and ends ----------------------------------------------------------
    def begin_session(self) -> None:
        """A resident is here (the welcome phase's first tap)."""
        self._began_at, self._began_day = self.ctx.clock(), self.now().date()
        self.stats.record_start(self._began_day)

    def _end_session(self, reason: str) -> None:
        self.stats.record_end(reason, self.state.value, self._journey_end(reason))
        log.info("session end reason=%s at=%s session=%s", reason, self.state.value,
                 self.session.id)
        self._forget_resident()
        self._move(Step.ATTRACT)

    def stop_service(self, code: str) -> None:
        """A reason the kiosk cannot serve (fleet, device, config, crash): the calm screen,
        session wiped. A resident interrupted here counts as abandoned at their step."""
        if self.state not in IDLE_STEPS:
            self.stats.record_end("interrupted", self.state.value,
                                  self._journey_end("interrupted"))
        self._forget_resident()
        self.session.problem = Problem(code)
        self.fire(Trigger.STOP_SERVICE)

    def resume_service(self) -> None:
        if self.state is Step.OUT_OF_SERVICE:
            self.session = ResidentSession()
            self.fire(Trigger.RESUME_SERVICE)

    def _forget_resident(self) -> None:
        self.session.wipe()
        self.session = ResidentSession()
        self.welcome.forget()
        self.devices.reader.forget()

    def _journey_end(self, reason: str) -> JourneyEnd:
        """How this session ended, as counts: nothing in it says who."""
        s, o = self.session, self.session.outcome
        card = None
        if o.card_printed:
            card = CARD_HERE
        elif s.fulfilment is not None and (o.application_number or o.queued_offline):
            card = CARD_QUEUED
        duration = self.ctx.clock() - self._began_at if self._began_at is not None else None
        end = JourneyEnd(reason, self.state.value, day=self._began_day,
                         decision=s.decision.decision.value if s.decision else None, card=card,
                         duration_s=duration if reason == "completed" else None)
        self._began_at = self._began_day = None
        return end

    # ----- results from workers ---------------------------------------------------------------
    def for_this_session(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Drop results that arrive after the session they belong to has ended."""
        session_id = self.session.id

        def guarded(*args: Any) -> None:
            if self.session.id == session_id:
                fn(*args)
            else:
                log.info("late result for ended session %s ignored", session_id)
        return guarded

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
            on_error: Callable[[BaseException], None]) -> None:
        self.ctx.worker.run(fn, self.for_this_session(on_done),
                            self.for_this_session(on_error))

    def problem(self, code: str, retry: Step | None = None, detail: str = "",
                message: wire.Text | None = None) -> None:
        self.session.problem = Problem(code, retry, detail, message)
        self.fire(Trigger.FAILED)
