"""Journey steps around the identity document: presenting it, the access key, reading, confirming."""

from __future__ import annotations

import logging

from protocol import wire
from drivers.reader.base import (AccessKey, AccessKind, DocumentEvent, DocumentEventKind,
                                 IdentityDocument)
from kiosk.journey.steps import READER_ARMED_STEPS, Step

log = logging.getLogger("kiosk.journey")


class DocumentSteps:
    """Mixed into Journey: the document's steps (uses the journey's state and session)."""

    # ----- the document ---------------------------------------------------------------------
    def _on_document(self, event: DocumentEvent) -> None:
        if (event.kind is DocumentEventKind.PRESENTED and self.state is Step.READING_DOCUMENT
                and self.session.read_paused):
            self.touch()
            self._read_document(self.session.access_key)  # the reader resumes where it stopped
            return
        if event.kind is DocumentEventKind.PRESENTED and self.state in READER_ARMED_STEPS:
            self.touch()
            self.session.access = event.access
            self.session.can_allowed = event.can_allowed
            if event.access is AccessKind.NONE:
                self._read_document(None)
            else:
                self.set_state(Step.ACCESS_KEY)

    def switch_access_key_kind(self) -> None:
        """'Use the 6-digit number on the card instead' (or back): PACE chips take either."""
        self._expect(Step.ACCESS_KEY)
        if not self.session.can_allowed:
            return
        self.session.access = AccessKind.CAN if self.session.access is AccessKind.MRZ \
            else AccessKind.MRZ
        self.input_error = None
        self._notify("update")  # the screen rebuilds its fields

    def submit_access_key(self, key: AccessKey) -> None:
        self._expect(Step.ACCESS_KEY)
        self.session.access_key = key
        self._read_document(key)

    def _read_document(self, key: AccessKey | None) -> None:
        if not self.session.read_paused:
            self.session.read_progress = 0.0
        self.session.read_paused = False
        self.set_state(Step.READING_DOCUMENT)
        progress = self._for_this_session(self._on_read_progress)
        self._run(lambda: self.devices.reader.read(
                      key, lambda p: self.worker.dispatch_event(progress, p)),
                  self._on_document_read, self._on_read_failed)

    def _on_read_progress(self, fraction: float) -> None:
        self.session.read_progress = fraction
        self._notify("update")

    def _on_document_read(self, document: IdentityDocument) -> None:
        if self.state is not Step.READING_DOCUMENT:
            return
        self.session.document = document
        self.session.read_progress = 1.0
        if not document.genuine:
            self._problem("document_not_genuine", None)
        elif self.session.service is wire.Service.STATUS:
            self._lookup_by_document()
        else:
            if self.session.service is wire.Service.NEW:
                self._fetch_records()
            self.set_state(Step.CONFIRM_DETAILS)

    def _on_read_failed(self, exc: BaseException) -> None:
        if self.state is not Step.READING_DOCUMENT:
            return
        code = getattr(exc, "code", None) or "unreadable_document"
        if code == "document_removed" and self._may_resume():
            return
        if code == "wrong_access_key":
            self.set_state(Step.ACCESS_KEY)
            self.input_error = code
            self._notify("update")
            return
        retry = Step.STATUS_LOOKUP if self.session.service is wire.Service.STATUS \
            else Step.PRESENT_DOCUMENT
        self._problem(code, retry, detail=type(exc).__name__)

    def _may_resume(self) -> bool:
        """Lifted too early: 'put it back, we'll continue' — a few times, then staff help."""
        if self.session.read_interruptions >= self.config.journey.read_resumes:
            return False
        self.session.read_interruptions += 1
        self.session.read_paused = True
        self.touch()  # the idle timer runs while we wait for the document
        self._notify("update")
        return True

    def confirm_details(self) -> None:
        """On to the declaration; a refusal already certain is told now, before any typing."""
        self._expect(Step.CONFIRM_DETAILS)
        records = self.session.records
        if self.session.service is wire.Service.RENEWAL:
            self._check_eligibility()
        elif records is not None and records.refusal is not None:
            self.session.decision = records.refusal
            self.set_state(Step.DECISION)
        else:
            self.set_state(Step.DECLARE_RESIDENCE)

    def reject_details(self) -> None:
        """'These are not my details': nothing to fix at a kiosk; staff must help."""
        self._expect(Step.CONFIRM_DETAILS)
        self._problem("details_not_mine", None)
