"""Journey steps after the resident commits: how the card arrives, submission, printing."""

from __future__ import annotations

import logging
from typing import Any

from protocol import wire
from kiosk.effects import fulfilment as fulfil
from kiosk.errors import InvalidInput
from kiosk.journey.steps import Step

log = logging.getLogger("kiosk.journey")


class FulfilmentSteps:
    """Mixed into Journey: fulfilment choice, submission, card and receipt."""

    # ----- fulfilment, submission, printing -------------------------------------------------
    def fulfilment_options(self) -> list[wire.FulfilmentMethod]:
        return fulfil.options(self.session, self.device_snapshot)

    def print_here_blocked(self) -> str | None:
        """The card printer's fault, when it alone keeps the card from being printed here."""
        return fulfil.print_here_blocked(self.session, self.device_snapshot)

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
        s.outcome.tracking_url = job.tracking_url
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
