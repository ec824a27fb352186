"""Journey steps after the resident commits: how the card arrives, submission, printing."""

from __future__ import annotations

import logging
from typing import Any

from kiosk.config import KioskConfig
from kiosk.devices.monitor import DeviceSnapshot
from kiosk.effects import fulfilment as fulfil
from kiosk.journey.session import ResidentSession
from protocol import wire
from kiosk.errors import InvalidInput
from kiosk.journey.steps import Step

log = logging.getLogger("kiosk.journey")

M = wire.FulfilmentMethod


def job_from(s: ResidentSession, config: KioskConfig) -> fulfil.FulfilmentJob:
    """What submission and printing need, copied off the session on the journey's thread."""
    o = s.outcome
    return fulfil.FulfilmentJob(
        key=s.idempotency_key, kiosk_id=config.kiosk_id, city=config.city,
        central_url=config.central.url.rstrip("/"), language=s.language,
        service=s.service, applicant=s.applicant(), declaration=s.declaration(),
        photo_jpeg=bytes(s.photo_jpeg) if s.photo_jpeg is not None else None,
        fulfilment=s.fulfilment, defer=s.defer, staff_review=s.staff_review,
        face_check=s.face_check, decision=s.decision,
        application_number=o.application_number, receipt=o.receipt,
        queued_offline=o.queued_offline, card_printed=o.card_printed,
        card_fallback=o.card_fallback)


def options(session: ResidentSession, devices: DeviceSnapshot) -> list[wire.FulfilmentMethod]:
    """What this resident can choose now: printing only when the printer can really do it."""
    d = session.decision
    if session.defer:
        return [M.COURIER]
    methods: list[wire.FulfilmentMethod] = []
    if (d is not None and d.decision is wire.Decision.ELIGIBLE and d.print_here_allowed
            and not session.staff_review and not session.document_review
            and devices.ready_to_print("card_printer")):
        methods.append(M.PRINT_HERE)
    methods.append(M.COURIER)
    if d is not None and d.pickup_stations:
        methods.append(M.PICKUP)
    return methods


def print_here_blocked(session: ResidentSession, devices: DeviceSnapshot) -> str | None:
    """Why printing here is not offered although the decision allows it: the card printer's
    fault code (cards_out, ribbon_out, printer_jam, device_offline) or identity_check, told
    before the resident chooses. None when it is offered, or was never possible."""
    d = session.decision
    if (session.defer or d is None or d.decision is not wire.Decision.ELIGIBLE
            or not d.print_here_allowed or session.staff_review):
        return None
    if session.document_review:
        return "identity_check"  # staff look at the document and photo first; kindly said
    if devices.ready_to_print("card_printer"):
        return None
    health = devices.health.get("card_printer")
    supplies = devices.supplies.get("card_printer")
    empty = [s.name for s in supplies.items if s.level.value == "empty"] if supplies else []
    if empty:
        return f"{empty[0]}_out"
    return (health.code if health is not None and health.code else None) or "printer_error"


class FulfilmentSteps:
    """Mixed into Journey: fulfilment choice, submission, card and receipt."""

    # ----- fulfilment, submission, printing -------------------------------------------------
    def fulfilment_options(self) -> list[wire.FulfilmentMethod]:
        return options(self.session, self.device_snapshot)

    def print_here_blocked(self) -> str | None:
        """The card printer's fault, when it alone keeps the card from being printed here."""
        return print_here_blocked(self.session, self.device_snapshot)

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
        job = job_from(self.session, self.config)
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
        job = job_from(s, self.config)
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
        job = job_from(self.session, self.config)
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
