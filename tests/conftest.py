"""What every test shares: a journey that makes a move its table does not hold fails the
test, even where the move's exception was caught (a bug is never a double tap)."""

from __future__ import annotations

import logging

import pytest


class _IllegalTransitions(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "illegal transition" in record.getMessage():
            self.seen.append(record.getMessage())


@pytest.fixture(autouse=True)
def no_illegal_transitions(request):
    handler = _IllegalTransitions()
    journey_log = logging.getLogger("kiosk.journey")
    journey_log.addHandler(handler)
    yield handler
    journey_log.removeHandler(handler)
    if "illegal_transition_expected" not in request.keywords:
        assert handler.seen == [], "the journey made a move its table does not hold"
