"""The progress lookup: by the receipt's QR code or by the document."""

from __future__ import annotations

import logging

from kiosk.errors import CentralUnavailable
from kiosk.journey.context import JourneyContext, JourneyCore
from kiosk.journey.steps import Step
from kiosk.journey.table import Trigger
from protocol import tracking, wire

log = logging.getLogger("kiosk.journey")


class StatusPhase:
    """Looking up an application's progress."""

    def __init__(self, ctx: JourneyContext, core: JourneyCore) -> None:
        self.ctx, self.core = ctx, core

    def on_scan(self, code: str) -> None:
        """From the scanner (on the journey's thread): a receipt's QR code was read."""
        core = self.core
        if core.state is not Step.STATUS_LOOKUP:
            return
        core.touch()
        scanned = tracking.parse(code)
        number = scanned.number if scanned else None
        if scanned is not None and scanned.reference:  # printed offline: the outbox knows
            number = self.ctx.outbox.sent_receipt(scanned.reference)  # the number once sent
        if number is None:
            core.input_error = "reference_pending" if scanned else "unknown_code"
            core.notify()
            return
        client = self.ctx.client
        core.run(lambda: [client.application_status(number)], self._on_status,
                 self._on_status_failed)

    def lookup_by_document(self) -> None:
        document = self.core.session.document
        assert document is not None  # read just now
        number, client = document.document_number, self.ctx.client
        self.core.run(lambda: client.lookup_status(number), self._on_status,
                      self._on_status_failed)

    def _still_looking(self) -> bool:
        """The answer came after the resident went back to the menu: nothing to show."""
        if self.core.state in (Step.STATUS_LOOKUP, Step.READING_DOCUMENT):
            return True
        log.info("status answer after the resident left the lookup ignored")
        return False

    def _on_status(self, results: list[wire.ApplicationStatus]) -> None:
        if self._still_looking():
            self.core.session.status_results = list(results)
            self.core.fire(Trigger.STATUS_FOUND)

    def _on_status_failed(self, exc: BaseException) -> None:
        if not self._still_looking():
            return
        code = "central_unreachable" if isinstance(exc, CentralUnavailable) else \
            getattr(exc, "code", "unexpected")
        self.core.problem(code, Step.STATUS_LOOKUP, detail=type(exc).__name__)
