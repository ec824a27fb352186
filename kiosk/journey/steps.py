"""The journey's steps and the named sets they belong to (the moves between them: ``table``)."""

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
