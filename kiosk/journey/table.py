"""The journey's transitions as one table: (from step, trigger, to step, guard).

The machine (``machine.Journey``), ``back()``, ``retry()``, the screens (is there a way
back from here?), the tests and the diagram in ``docs/`` all read this table and nothing
else. Rows are tried in order; the first whose source holds the current step, whose
trigger is the one fired and whose guard passes says where the journey goes.

A trigger is either the resident's **intent** (a tap) or an **event** (a device, a worker's
result, the clock, the fleet). An intent with no row from the current step is a rejected
intent (a double tap after the step moved on): ``IntentRejected``, logged and ignored. An
event with no row, or a move the table does not hold, is a bug: ``IllegalTransition``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from drivers.reader.base import AccessKind
from kiosk.errors import KioskError
from kiosk.journey.session import PhotoPurpose, ResidentSession
from kiosk.journey.steps import IDLE_STEPS, READER_ARMED_STEPS, Step
from kiosk.journey.validation import document_not_served
from protocol import wire

S = Step


class Trigger(str, Enum):
    """What moves the journey. ``intent`` triggers come from the resident's taps."""

    # the resident's intents
    BEGIN = "begin"
    CHOOSE_LANGUAGE = "choose_language"
    CHANGE_LANGUAGE = "change_language"
    CHOOSE_SERVICE = "choose_service"
    ENTER_KEY = "enter_key"
    CONFIRM_DETAILS = "confirm_details"
    REJECT_DETAILS = "reject_details"
    DECLARE_RESIDENCE = "declare_residence"
    DECLARE_CONDITION = "declare_condition"
    ACCEPT_PHOTO = "accept_photo"
    CONTINUE = "continue"
    DEFER = "defer"
    QUEUE_FOR_REVIEW = "queue_for_review"
    CHOOSE_FULFILMENT = "choose_fulfilment"
    BACK = "back"
    RETRY = "retry"
    FINISH = "finish"
    CANCEL = "cancel"
    # events
    DOCUMENT_PRESENTED = "document_presented"
    DOCUMENT_READ = "document_read"
    WRONG_KEY = "wrong_key"
    REFUSED_ON_RECORD = "refused_on_record"
    DECIDED = "decided"
    PRINT_CARD = "print_card"
    RECEIPT_DONE = "receipt_done"
    STATUS_FOUND = "status_found"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    STOP_SERVICE = "stop_service"
    RESUME_SERVICE = "resume_service"

    @property
    def intent(self) -> bool:
        return self in _INTENTS


_INTENTS = frozenset({
    Trigger.BEGIN, Trigger.CHOOSE_LANGUAGE, Trigger.CHANGE_LANGUAGE, Trigger.CHOOSE_SERVICE,
    Trigger.ENTER_KEY, Trigger.CONFIRM_DETAILS, Trigger.REJECT_DETAILS,
    Trigger.DECLARE_RESIDENCE, Trigger.DECLARE_CONDITION, Trigger.ACCEPT_PHOTO,
    Trigger.CONTINUE, Trigger.DEFER, Trigger.QUEUE_FOR_REVIEW, Trigger.CHOOSE_FULFILMENT,
    Trigger.BACK, Trigger.RETRY, Trigger.FINISH, Trigger.CANCEL})


class IllegalTransition(RuntimeError):
    """A bug: an event the table has no row for, or a move it does not hold."""


class IntentRejected(KioskError):
    """A tap that no longer applies (the step moved on): nothing to show, nothing to do."""

    code = "intent_rejected"


@dataclass(frozen=True)
class Guard:
    """A named condition on the session; the name labels the diagram's arrow."""

    label: str
    test: Callable[[ResidentSession], bool]

    def __call__(self, session: ResidentSession) -> bool:
        return self.test(session)


def _refused(s: ResidentSession) -> bool:
    return s.decision is not None and s.decision.decision in (wire.Decision.INELIGIBLE,
                                                              wire.Decision.NOT_REQUIRED)


STATUS_SERVICE = Guard("progress lookup", lambda s: s.service is wire.Service.STATUS)
RENEWAL = Guard("renewal", lambda s: s.service is wire.Service.RENEWAL)
NO_KEY_NEEDED = Guard("chip opens without a key", lambda s: s.access is AccessKind.NONE)
READ_PAUSED = Guard("put back after a lift", lambda s: s.read_paused)
NOT_GENUINE = Guard("not genuine", lambda s: s.document is not None and not s.document.genuine)
NOT_A_CITIZENS = Guard("not a citizen's document", lambda s: s.document is not None
                       and document_not_served(s.document) is not None)
REFUSED_ON_RECORD = Guard("refused on record", lambda s: s.records is not None
                          and s.records.refusal is not None)
PHOTO_FOR_DECISION = Guard(
    "photo asked for", lambda s: s.decision is not None and not _refused(s)
    and s.decision.photo_required and s.photo_jpeg is None)
PHOTO_MISSING = Guard("photo needed", lambda s: s.photo_jpeg is None and (
    s.decision is None or s.decision.photo_required))
FOR_DECISION = Guard("for the decision", lambda s: s.photo_purpose is PhotoPurpose.DECISION)
FOR_DEFERRAL = Guard("for the later start", lambda s: s.photo_purpose is PhotoPurpose.DEFERRAL)
FOR_STAFF = Guard("for staff review", lambda s: s.photo_purpose is PhotoPurpose.STAFF_REVIEW)
NO_RETRY = Guard("nothing to retry", lambda s: s.problem is None or s.problem.retry_step is None)


def retry_at(step: Step) -> Guard:
    return Guard(f"back to {step.value}", lambda s: s.problem is not None
                 and s.problem.retry_step is step)


def when(guard: Guard | None, session: ResidentSession) -> bool:
    return guard is None or guard(session)


@dataclass(frozen=True)
class Row:
    sources: frozenset[Step]
    trigger: Trigger
    to: Step
    guard: Guard | None = None


def row(sources: Step | Iterable[Step], trigger: Trigger, to: Step,
        guard: Guard | None = None) -> Row:
    return Row(frozenset([sources] if isinstance(sources, Step) else sources), trigger, to, guard)


T = Trigger
IN_SESSION = frozenset(Step) - IDLE_STEPS  # a resident is being served
RETRY_STEPS = (S.PRESENT_DOCUMENT, S.STATUS_LOOKUP, S.CHECKING_ELIGIBILITY, S.PHOTO,
               S.SUBMITTING)

TABLE: tuple[Row, ...] = (
    # at rest: a resident begins; the kiosk stops and resumes serving by itself
    row(S.ATTRACT, T.BEGIN, S.LANGUAGE),
    row(frozenset(Step), T.STOP_SERVICE, S.OUT_OF_SERVICE),
    row(S.OUT_OF_SERVICE, T.RESUME_SERVICE, S.ATTRACT),
    # language and menu
    row(S.LANGUAGE, T.CHOOSE_LANGUAGE, S.SERVICE_MENU),
    row(S.SERVICE_MENU, T.CHANGE_LANGUAGE, S.LANGUAGE),
    row(S.SERVICE_MENU, T.CHOOSE_SERVICE, S.STATUS_LOOKUP, STATUS_SERVICE),
    row(S.SERVICE_MENU, T.CHOOSE_SERVICE, S.PRESENT_DOCUMENT),
    # the identity document
    row(READER_ARMED_STEPS, T.DOCUMENT_PRESENTED, S.READING_DOCUMENT, NO_KEY_NEEDED),
    row(READER_ARMED_STEPS, T.DOCUMENT_PRESENTED, S.ACCESS_KEY),
    row(READER_ARMED_STEPS, T.BACK, S.SERVICE_MENU),
    row(S.ACCESS_KEY, T.ENTER_KEY, S.READING_DOCUMENT),
    row(S.ACCESS_KEY, T.BACK, S.STATUS_LOOKUP, STATUS_SERVICE),
    row(S.ACCESS_KEY, T.BACK, S.PRESENT_DOCUMENT),
    row(S.READING_DOCUMENT, T.DOCUMENT_PRESENTED, S.READING_DOCUMENT, READ_PAUSED),
    row(S.READING_DOCUMENT, T.WRONG_KEY, S.ACCESS_KEY),
    row(S.READING_DOCUMENT, T.DOCUMENT_READ, S.PROBLEM, NOT_GENUINE),
    row(S.READING_DOCUMENT, T.DOCUMENT_READ, S.PROBLEM, NOT_A_CITIZENS),
    row(S.READING_DOCUMENT, T.DOCUMENT_READ, S.CONFIRM_DETAILS),
    row(S.CONFIRM_DETAILS, T.CONFIRM_DETAILS, S.CHECKING_ELIGIBILITY, RENEWAL),
    row(S.CONFIRM_DETAILS, T.CONFIRM_DETAILS, S.DECISION, REFUSED_ON_RECORD),
    row(S.CONFIRM_DETAILS, T.CONFIRM_DETAILS, S.DECLARE_RESIDENCE),
    row(S.CONFIRM_DETAILS, T.REJECT_DETAILS, S.PROBLEM),
    # the declaration
    row(S.DECLARE_RESIDENCE, T.DECLARE_RESIDENCE, S.DECLARE_CONDITION),
    row(S.DECLARE_RESIDENCE, T.BACK, S.CONFIRM_DETAILS),
    row(S.DECLARE_CONDITION, T.DECLARE_CONDITION, S.CHECKING_ELIGIBILITY),
    row(S.DECLARE_CONDITION, T.BACK, S.DECLARE_RESIDENCE),
    row((S.DECLARE_RESIDENCE, S.DECLARE_CONDITION), T.REFUSED_ON_RECORD, S.DECISION),
    row(S.CHECKING_ELIGIBILITY, T.DECIDED, S.PHOTO, PHOTO_FOR_DECISION),
    row(S.CHECKING_ELIGIBILITY, T.DECIDED, S.DECISION),
    # the photo, taken for one of three purposes
    row(S.PHOTO, T.ACCEPT_PHOTO, S.DECISION, FOR_DECISION),
    row(S.PHOTO, T.ACCEPT_PHOTO, S.SUBMITTING, FOR_DEFERRAL),
    row(S.PHOTO, T.ACCEPT_PHOTO, S.FULFILMENT, FOR_STAFF),
    # the decision
    row(S.DECISION, T.CONTINUE, S.FULFILMENT),
    row(S.DECISION, T.DEFER, S.PHOTO, PHOTO_MISSING),
    row(S.DECISION, T.DEFER, S.SUBMITTING),
    row(S.DECISION, T.QUEUE_FOR_REVIEW, S.PHOTO, PHOTO_MISSING),
    row(S.DECISION, T.QUEUE_FOR_REVIEW, S.FULFILMENT),
    # fulfilment
    row(S.FULFILMENT, T.CHOOSE_FULFILMENT, S.SUBMITTING),
    row(S.FULFILMENT, T.BACK, S.DECISION),
    row(S.SUBMITTING, T.PRINT_CARD, S.PRINTING_CARD),
    row((S.SUBMITTING, S.PRINTING_CARD), T.RECEIPT_DONE, S.RECEIPT),
    # progress lookup
    row((S.STATUS_LOOKUP, S.READING_DOCUMENT), T.STATUS_FOUND, S.STATUS_RESULT),
    # problems, and trying again
    row((*READER_ARMED_STEPS, S.READING_DOCUMENT, S.CHECKING_ELIGIBILITY, S.PHOTO, S.SUBMITTING),
        T.FAILED, S.PROBLEM),
    *(row(S.PROBLEM, T.RETRY, step, retry_at(step)) for step in RETRY_STEPS),
    row(S.PROBLEM, T.RETRY, S.ATTRACT, NO_RETRY),
    # the session ends: done, cancelled, or left idle
    row((S.DECISION, S.RECEIPT, S.STATUS_RESULT, S.PROBLEM), T.FINISH, S.ATTRACT),
    row(IN_SESSION, T.CANCEL, S.ATTRACT),
    row(IN_SESSION, T.TIMED_OUT, S.ATTRACT),
)


def route(step: Step, trigger: Trigger, session: ResidentSession) -> Row | None:
    """The first row that moves ``step`` on ``trigger`` for this session, or None."""
    return next((r for r in TABLE if r.trigger is trigger and step in r.sources
                 and when(r.guard, session)), None)


def offers(step: Step, trigger: Trigger) -> bool:
    """Some row leaves ``step`` on ``trigger`` (whatever the guards say): e.g. a way back."""
    return any(r.trigger is trigger and step in r.sources for r in TABLE)


def holds(source: Step, to: Step) -> bool:
    """The table has a move from ``source`` to ``to`` (on any trigger)."""
    return any(source in r.sources and r.to is to for r in TABLE)
