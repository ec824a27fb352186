"""Journey steps of the progress lookup: by the receipt's QR code or by the document."""

from __future__ import annotations

import logging

from protocol import wire
from kiosk.errors import CentralUnavailable
from kiosk.journey.steps import Step
from protocol import tracking

log = logging.getLogger("kiosk.journey")


class StatusSteps:
    """Mixed into Journey: looking up an application's progress."""

    # ----- progress lookup ------------------------------------------------------------------
    def _on_scan(self, code: str) -> None:
        if self.state is not Step.STATUS_LOOKUP:
            return
        self.touch()
        scanned = tracking.parse(code)
        number = scanned.number if scanned else None
        if scanned is not None and scanned.reference:  # printed offline: the outbox knows
            number = self.outbox.sent_receipt(scanned.reference)  # the number once it was sent
        if number is None:
            self.input_error = "reference_pending" if scanned else "unknown_code"
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
        self._problem(code, Step.STATUS_LOOKUP, detail=type(exc).__name__)
