"""After the resident commits: how the card arrives, submission, the card and the receipt."""

from __future__ import annotations

import logging
from typing import Any

from kiosk.config import KioskConfig
from kiosk.devices.monitor import DeviceSnapshot
from kiosk.effects import fulfilment as fulfil
from kiosk.errors import InvalidInput
from kiosk.journey.availability import AvailabilityPhase
from kiosk.journey.context import JourneyContext, JourneyCore
from kiosk.journey.session import ResidentSession
from kiosk.journey.steps import Step
from kiosk.journey.table import IllegalTransition, Trigger
from protocol import wire

log = logging.getLogger("kiosk.journey")

M = wire.FulfilmentMethod


def job_from(s: ResidentSession, config: KioskConfig) -> fulfil.FulfilmentJob:
    """What submission and printing need, copied off the session on the journey's thread.
    Only reached once the resident has a service, a document and a way to get the card."""
    o, applicant = s.outcome, s.applicant()
    if s.service is None or applicant is None or s.fulfilment is None:
        raise IllegalTransition("submitting without a service, a document or a fulfilment")
    return fulfil.FulfilmentJob(
        key=s.idempotency_key, kiosk_id=config.kiosk_id, city=config.city,
        central_url=config.central.url.rstrip("/"), language=s.language,
        service=s.service, applicant=applicant, declaration=s.declaration(),
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


class FulfilmentPhase:
    """The resident's choice of how the card arrives, then the work done at most once:
    submission (on arriving at the submitting step, whichever way the journey came), the
    card when it is printed here, and the receipt."""

    def __init__(self, ctx: JourneyContext, core: JourneyCore, availability: AvailabilityPhase) -> None:
        self.ctx, self.core, self.availability = ctx, core, availability
        core.on_enter(Step.SUBMITTING, self._submit)

    def options(self) -> list[wire.FulfilmentMethod]:
        return options(self.core.session, self.availability.device_snapshot)

    def print_here_blocked(self) -> str | None:
        """The card printer's fault, when it alone keeps the card from being printed here."""
        return print_here_blocked(self.core.session, self.availability.device_snapshot)

    def choose(self, method: wire.FulfilmentMethod, station: str | None = None) -> None:
        s = self.core.session
        self.core.expect(Trigger.CHOOSE_FULFILMENT)
        if method not in self.options():
            raise InvalidInput(code="fulfilment_unavailable", detail=method.value)
        if method is M.PICKUP and not station:
            raise InvalidInput(code="station_required")
        address = s.address if method is M.COURIER else None
        if method is M.COURIER and address is None:
            address = s.decision.permit_on_file.address if (
                s.decision and s.decision.permit_on_file) else None
        s.fulfilment = wire.Fulfilment(method=method, courier_address=address,
                                       pickup_station=station)
        self.core.fire(Trigger.CHOOSE_FULFILMENT)

    # ----- the work, each part journaled (kiosk.effects.fulfilment) -----------------------------
    def _job(self) -> fulfil.FulfilmentJob:
        return job_from(self.core.session, self.ctx.config)

    def _submit(self) -> None:
        job, ctx = self._job(), self.ctx
        self.core.run(lambda: fulfil.submit(job, ctx.client, ctx.outbox, ctx.journal),
                      self._on_submitted, self._on_submit_failed)

    def _on_submit_failed(self, exc: BaseException) -> None:
        code = getattr(exc, "code", "submit_failed")
        self.core.problem(code, Step.SUBMITTING, detail=type(exc).__name__,
                          message=getattr(exc, "message", None))

    def _on_submitted(self, outcome: fulfil.Submitted) -> None:
        o, ctx = self.core.session.outcome, self.ctx
        o.application_number, o.receipt = outcome.application_number, outcome.receipt
        o.queued_offline, o.card_fallback = outcome.queued_offline, outcome.card_fallback
        job = self._job()
        o.tracking_url = job.tracking_url
        if outcome.print_card_here:
            self.core.fire(Trigger.PRINT_CARD)
            self.core.run(lambda: fulfil.print_card(job, ctx.devices, ctx.client, ctx.journal,
                                                    ctx.outbox),
                          self._on_card_done, self._on_card_done)
        else:
            self._print_receipt(job)

    def _on_card_done(self, result: Any) -> None:
        o = self.core.session.outcome
        if isinstance(result, BaseException) or result is not True:
            o.card_fallback = getattr(result, "code", "card_print_failed")
        else:
            o.card_printed = True
        self._print_receipt(self._job())

    def _print_receipt(self, job: fulfil.FulfilmentJob) -> None:
        ctx = self.ctx
        self.core.run(lambda: fulfil.print_receipt(job, ctx.devices, ctx.client, ctx.journal),
                      self._on_receipt_printed, self._on_receipt_failed)

    def _on_receipt_printed(self, _: Any) -> None:
        self.core.session.outcome.receipt_printed = True
        self.core.fire(Trigger.RECEIPT_DONE)

    def _on_receipt_failed(self, exc: BaseException) -> None:
        self.core.session.outcome.receipt_problem = getattr(exc, "code", "printer_error")
        self.core.fire(Trigger.RECEIPT_DONE)
