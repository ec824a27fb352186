"""The journey's steps, the named sets they belong to, and the allowed transitions."""

from __future__ import annotations

from enum import Enum


class Step(str, Enum):
    ATTRACT = "attract"
    LANGUAGE = "language"
    SERVICE_MENU = "service_menu"
    PRESENT_DOCUMENT = "present_document"
    ACCESS_KEY = "access_key"
    READING_DOCUMENT = "reading_document"
    CONFIRM_DETAILS = "confirm_details"
    DECLARE_RESIDENCE = "declare_residence"
    DECLARE_CONDITION = "declare_condition"
    CHECKING_ELIGIBILITY = "checking_eligibility"
    PHOTO = "photo"
    DECISION = "decision"
    FULFILMENT = "fulfilment"
    SUBMITTING = "submitting"
    PRINTING_CARD = "printing_card"
    RECEIPT = "receipt"
    STATUS_LOOKUP = "status_lookup"
    STATUS_RESULT = "status_result"
    PROBLEM = "problem"
    OUT_OF_SERVICE = "out_of_service"


# Steps where no resident is being served: nothing personal may exist here.
IDLE_STEPS = frozenset({Step.ATTRACT, Step.OUT_OF_SERVICE})
# Steps before anything personal was given.
ANONYMOUS_STEPS = frozenset({Step.ATTRACT, Step.LANGUAGE, Step.SERVICE_MENU, Step.OUT_OF_SERVICE})
# Steps that hold personal data in the session.
PERSONAL_STEPS = frozenset(Step) - ANONYMOUS_STEPS
# The machine is working: the idle timer does not run down.
BUSY_STEPS = frozenset({Step.READING_DOCUMENT, Step.CHECKING_ELIGIBILITY,
                        Step.SUBMITTING, Step.PRINTING_CARD})
# The application is accepted: leaving ends the session but never drops it.
COMMITTED_STEPS = frozenset({Step.SUBMITTING, Step.PRINTING_CARD, Step.RECEIPT})
# The reader watches for a document.
READER_ARMED_STEPS = frozenset({Step.PRESENT_DOCUMENT, Step.STATUS_LOOKUP})

_FORWARD: dict[Step, frozenset[Step]] = {
    Step.ATTRACT: frozenset({Step.LANGUAGE}),
    Step.LANGUAGE: frozenset({Step.SERVICE_MENU}),
    Step.SERVICE_MENU: frozenset({Step.PRESENT_DOCUMENT, Step.STATUS_LOOKUP, Step.LANGUAGE}),
    Step.PRESENT_DOCUMENT: frozenset({Step.ACCESS_KEY, Step.READING_DOCUMENT, Step.SERVICE_MENU,
                                      Step.PROBLEM}),
    Step.ACCESS_KEY: frozenset({Step.READING_DOCUMENT, Step.PRESENT_DOCUMENT}),
    Step.READING_DOCUMENT: frozenset({Step.CONFIRM_DETAILS, Step.ACCESS_KEY, Step.PROBLEM,
                                      Step.STATUS_RESULT}),
    Step.CONFIRM_DETAILS: frozenset({Step.DECLARE_RESIDENCE, Step.CHECKING_ELIGIBILITY,
                                     Step.DECISION, Step.PROBLEM}),
    Step.DECLARE_RESIDENCE: frozenset({Step.DECLARE_CONDITION, Step.CONFIRM_DETAILS,
                                       Step.DECISION}),
    Step.DECLARE_CONDITION: frozenset({Step.CHECKING_ELIGIBILITY, Step.DECLARE_RESIDENCE,
                                       Step.DECISION}),
    Step.CHECKING_ELIGIBILITY: frozenset({Step.PHOTO, Step.DECISION, Step.PROBLEM}),
    Step.PHOTO: frozenset({Step.DECISION, Step.FULFILMENT, Step.SUBMITTING, Step.PROBLEM}),
    Step.DECISION: frozenset({Step.PHOTO, Step.FULFILMENT, Step.SUBMITTING}),
    Step.FULFILMENT: frozenset({Step.SUBMITTING, Step.DECISION}),
    Step.SUBMITTING: frozenset({Step.PRINTING_CARD, Step.RECEIPT, Step.PROBLEM}),
    Step.PRINTING_CARD: frozenset({Step.RECEIPT}),
    Step.RECEIPT: frozenset(),
    Step.STATUS_LOOKUP: frozenset({Step.READING_DOCUMENT, Step.ACCESS_KEY, Step.STATUS_RESULT,
                                   Step.PROBLEM, Step.SERVICE_MENU}),
    Step.STATUS_RESULT: frozenset(),
    Step.PROBLEM: frozenset({Step.PRESENT_DOCUMENT, Step.STATUS_LOOKUP, Step.DECLARE_RESIDENCE,
                             Step.CHECKING_ELIGIBILITY, Step.SUBMITTING, Step.PHOTO}),
    Step.OUT_OF_SERVICE: frozenset(),
}


def allowed_next(step: Step) -> frozenset[Step]:
    """Every step may return to the attract screen (cancel, timeout) or go out of service."""
    return _FORWARD[step] | {Step.ATTRACT, Step.OUT_OF_SERVICE}


class IllegalTransition(RuntimeError):
    """A bug: the journey tried a move the table does not allow."""
