"""Submit the application, print the card, print the receipt: each journaled, none twice.

These run on worker threads. They read a ``FulfilmentJob`` (a snapshot taken on
the journey's thread) and never the live session, so a resident who walks away
mid-print cannot pull data out from under them.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.devices.build import Devices
from kiosk.effects.outbox import CLAIM_S
from kiosk.errors import CentralUnavailable
from protocol import tracking, wire

log = logging.getLogger("kiosk.fulfilment")

M = wire.FulfilmentMethod


@dataclass(frozen=True)
class FulfilmentJob:
    """What submission and printing need. Personal data: lives only while the work runs."""

    key: str
    kiosk_id: str
    city: str
    central_url: str
    language: str
    service: wire.Service
    applicant: wire.Applicant
    declaration: wire.ResidenceDeclaration | None
    photo_jpeg: bytes | None
    fulfilment: wire.Fulfilment
    defer: bool
    staff_review: bool
    face_check: wire.FaceCheck | None
    decision: wire.EligibilityDecision | None
    application_number: str | None = None
    receipt: wire.ApplicationReceipt | None = None
    queued_offline: bool = False
    card_printed: bool = False
    card_fallback: str | None = None

    def submission(self) -> wire.ApplicationSubmission:
        photo = base64.b64encode(self.photo_jpeg).decode() if self.photo_jpeg else None
        return wire.ApplicationSubmission(
            idempotency_key=self.key, kiosk_id=self.kiosk_id, city=self.city,
            service=self.service, applicant=self.applicant, declaration=self.declaration,
            photo_jpeg_b64=photo, fulfilment=self.fulfilment,
            defer_until_eligible=self.defer, staff_review_requested=self.staff_review,
            face_check=self.face_check,
            submitted_at=dt.datetime.now(dt.timezone.utc))

    def courier_address(self) -> wire.Address | None:
        if self.declaration is not None:
            return self.declaration.address
        if self.decision is not None and self.decision.permit_on_file is not None:
            return self.decision.permit_on_file.address
        return None

    @property
    def tracking_url(self) -> str:
        if self.receipt is not None:
            return self.receipt.tracking_url
        return tracking.reference_url(self.central_url, self.key)


@dataclass(frozen=True)
class Submitted:
    application_number: str | None
    receipt: wire.ApplicationReceipt | None
    queued_offline: bool
    card_fallback: str | None
    print_card_here: bool


def submit(job: FulfilmentJob, client, outbox, journal) -> Submitted:
    """Keep the application durably first, then send it: a power cut at any moment loses nothing.

    The body never changes after it is kept (the idempotency key names it). Keeping it also
    makes the journey its one sender (``claim_s``): the sync thread leaves it alone until
    this send ends. Central's confirmation and "a card is owed" are one write, so a kill
    just after it still leaves the card to settle. A print-here application that could not
    be sent is printed nowhere: once it syncs, central is told to post the card instead.
    """
    submission = job.submission()
    print_here = submission.fulfilment.method is M.PRINT_HERE
    journal.begin("submit", job.key)
    if not outbox.put(submission, claim_s=CLAIM_S):
        # The sync thread is sending it (a retry after an earlier attempt gave it up):
        # it is kept and will be sent; the card, if any, is posted.
        journal.finish("submit", job.key, "queued")
        return Submitted(None, None, True, "central_unreachable" if print_here else None, False)
    try:
        receipt = client.submit_application(submission)
    except CentralUnavailable:
        outbox.release_claim(job.key)
        journal.finish("submit", job.key, "queued")
        log.info("application kept in outbox key=%s", job.key[:8])
        return Submitted(None, None, True, "central_unreachable" if print_here else None, False)
    except BaseException:
        outbox.release_claim(job.key)
        raise
    approved = print_here and receipt.state is wire.ApplicationState.APPROVED
    outbox.mark_sent(job.key, receipt, "owed" if approved else None)
    journal.finish("submit", job.key, "sent")
    fallback = "not_approved_for_printing" if print_here and not approved else None
    return Submitted(receipt.application_number, receipt, False, fallback, approved)


def report_card_outcome(client, outbox, key: str, printed: bool) -> None:
    """Settle the owed card and tell central, once; the sync thread's next pass retries a
    report that fails now (``kiosk.effects.outbox_sync.report_cards``)."""
    outbox.settle_card(key, printed)
    due = outbox.card_to_report(key)
    if due is None:
        return
    number, settled = due
    client.report_card(number, settled)
    outbox.card_reported(key)


def at_most_once(journal, kind: str, key: str, action: Callable[[], object]) -> bool:
    """Do a side effect at most once per key: journal the intent, act, journal the outcome.

    True when it is done (now, or by an earlier attempt). Raises when it fails now. False
    when an earlier attempt failed or was cut off by a power cut: its outcome is unknown,
    so it is never tried blindly again (the resident gets the fallback instead).
    """
    entry = journal.get(kind, key)
    if entry is not None:
        return entry.outcome == "printed"
    journal.begin(kind, key)
    try:
        action()
    except Exception as exc:
        journal.finish(kind, key, "failed:" + getattr(exc, "code", "error"))
        raise
    journal.finish(kind, key, "printed")
    return True


def print_card(job: FulfilmentJob, devices: Devices, client, journal, outbox) -> bool:
    """Print the card at most once per application, and tell central what happened.

    Whatever goes wrong, the owed card is settled from the journal: never begun, or ended
    without printing, is "not printed" (central posts it); a print cut off mid-way stays
    owed for the restart's reconciliation, which asks the printer."""
    from kiosk.effects.cards import build_card

    try:
        card = build_card(job, directory_or_none(client, job.city))
        at_most_once(journal, "card", job.key,
                     lambda: devices.card_printer.print_card(card, job_key=job.key))
    finally:
        printed = card_fate(journal, job.key)
        if printed is not None:
            _report_quietly(client, outbox, job, printed)
    return printed is True


def card_fate(journal, key: str) -> bool | None:
    """True: the card came out; False: it never did; None: not known here (a print still
    begun, or a journal that cannot be read), so it stays owed for reconciliation."""
    try:
        entry = journal.get("card", key)
    except Exception:
        return None
    if entry is None:
        return False
    if entry.state != "done":
        return None
    return entry.outcome == "printed"


def _report_quietly(client, outbox, job: FulfilmentJob, printed: bool) -> None:
    try:
        report_card_outcome(client, outbox, job.key, printed)
    except Exception as exc:  # the fate is in the outbox; the sync's next pass reports it
        log.warning("card outcome not reported code=%s", getattr(exc, "code", "error"))


def print_receipt(job: FulfilmentJob, devices: Devices, client, journal) -> bool:
    """Print the receipt once; a reprint of the same key is the printer's no-op."""
    from kiosk.effects.receipts import build_receipt

    receipt = build_receipt(job, directory_or_none(client, job.city))
    return at_most_once(journal, "receipt", job.key,
                        lambda: devices.receipt_printer.print_receipt(receipt, job_key=job.key))


def directory_or_none(client, city: str) -> wire.CityDirectory | None:
    """Names for address codes; printing goes on with codes when central cannot say."""
    try:
        return client.directory(city)
    except Exception:
        log.info("city directory unavailable; printing address codes")
        return None
