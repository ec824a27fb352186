"""The identity document: presenting it, the access key, reading it, confirming its details."""

from __future__ import annotations

import logging

from drivers.reader.base import (
    AccessKey,
    AccessKind,
    DocumentEvent,
    DocumentEventKind,
    DocumentRemoved,
    IdentityDocument,
)
from kiosk.journey.context import JourneyContext, JourneyCore
from kiosk.journey.declaration import DeclarationPhase
from kiosk.journey.session import Problem
from kiosk.journey.status_lookup import StatusPhase
from kiosk.journey.steps import READER_ARMED_STEPS, Step
from kiosk.journey.table import Trigger
from kiosk.journey.validation import document_not_served
from protocol import wire

log = logging.getLogger("kiosk.journey")


class DocumentPhase:
    """The document's steps: the reader's events, the key, the read, the details."""

    def __init__(self, ctx: JourneyContext, core: JourneyCore, declaration: DeclarationPhase,
                 status: StatusPhase) -> None:
        self.ctx, self.core = ctx, core
        self.declaration, self.status = declaration, status
        core.on_enter(Step.READING_DOCUMENT, self._read)

    # ----- the reader ----------------------------------------------------------------------------
    def on_event(self, event: DocumentEvent) -> None:
        """From the reader (on the journey's thread): a document was put down."""
        core, s = self.core, self.core.session
        if event.kind is not DocumentEventKind.PRESENTED:
            return
        if core.state is Step.READING_DOCUMENT and s.read_paused:
            core.touch()
            core.fire(Trigger.DOCUMENT_PRESENTED)  # the reader resumes where it stopped
        elif core.state in READER_ARMED_STEPS:
            core.touch()
            s.access, s.can_allowed = event.access, event.can_allowed
            if event.access is AccessKind.NONE:
                s.access_key = None
            core.fire(Trigger.DOCUMENT_PRESENTED)

    def switch_key_kind(self) -> None:
        """'Use the 6-digit number on the card instead' (or back): PACE chips take either."""
        core, s = self.core, self.core.session
        core.require(Step.ACCESS_KEY)
        if not s.can_allowed:
            return
        s.access = AccessKind.CAN if s.access is AccessKind.MRZ else AccessKind.MRZ
        core.input_error = None
        core.notify()  # the screen rebuilds its fields

    def submit_key(self, key: AccessKey) -> None:
        self.core.expect(Trigger.ENTER_KEY)
        self.core.session.access_key = key
        self.core.fire(Trigger.ENTER_KEY)

    # ----- reading -------------------------------------------------------------------------------
    def _read(self) -> None:
        """On arriving at the reading step: read (or resume) with the key given, if any."""
        s = self.core.session
        if not s.read_paused:
            s.read_progress = 0.0
        s.read_paused = False
        progress = self.core.for_this_session(self._on_progress)
        worker, reader, key = self.ctx.worker, self.ctx.devices.reader, s.access_key
        self.core.run(lambda: reader.read(key, lambda p: worker.dispatch_event(progress, p)),
                      self._on_read, self._on_read_failed)

    def _on_progress(self, fraction: float) -> None:
        self.core.session.read_progress = fraction
        self.core.notify()

    def _on_read(self, document: IdentityDocument) -> None:
        core, s = self.core, self.core.session
        if core.state is not Step.READING_DOCUMENT:
            return
        s.document, s.read_progress = document, 1.0
        refused = document_not_served(document)
        if not document.genuine:
            s.problem = Problem("document_not_genuine")
            core.fire(Trigger.DOCUMENT_READ)
        elif refused is not None:  # told kindly what applies instead, at once
            s.problem = Problem(refused)
            core.fire(Trigger.DOCUMENT_READ)
        elif s.service is wire.Service.STATUS:
            self.status.lookup_by_document()
        else:
            if s.service is wire.Service.NEW:
                self.declaration.fetch_records()
            core.fire(Trigger.DOCUMENT_READ)

    def _on_read_failed(self, exc: BaseException) -> None:
        core, s = self.core, self.core.session
        if core.state is not Step.READING_DOCUMENT:
            return
        code = getattr(exc, "code", None) or "unreadable_document"
        removed = code == "document_removed" or isinstance(exc, DocumentRemoved)
        if removed and self._may_resume():  # the ID-card module names its own codes
            return
        if code == "wrong_access_key":
            core.fire(Trigger.WRONG_KEY)
            core.input_error = code
            core.notify()
            return
        retry = Step.STATUS_LOOKUP if s.service is wire.Service.STATUS else Step.PRESENT_DOCUMENT
        core.problem(code, retry, detail=type(exc).__name__)

    def _may_resume(self) -> bool:
        """Lifted too early: 'put it back, we'll continue' — a few times, then staff help."""
        s = self.core.session
        if s.read_interruptions >= self.ctx.config.journey.read_resumes:
            return False
        s.read_interruptions += 1
        s.read_paused = True
        self.core.touch()  # the idle timer runs while we wait for the document
        self.core.notify()
        return True

    # ----- the details ---------------------------------------------------------------------------
    def confirm(self) -> None:
        """On to the declaration; a refusal already certain is told now, before any typing;
        a renewal goes straight to the check (its eligibility starts on arrival)."""
        self.core.expect(Trigger.CONFIRM_DETAILS)
        s = self.core.session
        if s.service is not wire.Service.RENEWAL and s.records is not None \
                and s.records.refusal is not None:
            s.decision = s.records.refusal
        self.core.fire(Trigger.CONFIRM_DETAILS)

    def reject(self) -> None:
        """'These are not my details': nothing to fix at a kiosk; staff must help."""
        self.core.expect(Trigger.REJECT_DETAILS)
        self.core.session.problem = Problem("details_not_mine")
        self.core.fire(Trigger.REJECT_DETAILS)
