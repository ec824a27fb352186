"""Journey steps around the identity document: presenting it, the access key, reading, confirming."""

from __future__ import annotations

import logging

from central import wire
from drivers.reader.base import (AccessKey, AccessKind, DocumentEvent, DocumentEventKind,
                                 IdentityDocument)
from kiosk.steps import READER_ARMED_STEPS, Step

log = logging.getLogger("kiosk.journey")


class DocumentSteps:
    """Mixed into Journey: the document's steps (uses the journey's state and session)."""

    # ----- the document ---------------------------------------------------------------------
    def _on_document(self, event: DocumentEvent) -> None:
        if event.kind is DocumentEventKind.PRESENTED and self.state in READER_ARMED_STEPS:
            self.touch()
            self.session.access = event.access
            if event.access is AccessKind.NONE:
                self._read_document(None)
            else:
                self.set_state(Step.ACCESS_KEY)

    def submit_access_key(self, key: AccessKey) -> None:
        self._expect(Step.ACCESS_KEY)
        self.session.access_key = key
        self._read_document(key)

    def _read_document(self, key: AccessKey | None) -> None:
        self.session.read_progress = 0.0
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
        code = getattr(exc, "code", None) or "unreadable_document"
        if code == "wrong_access_key":
            self.set_state(Step.ACCESS_KEY)
            self.input_error = code
            self._notify("update")
            return
        retry = Step.STATUS_LOOKUP if self.session.service is wire.Service.STATUS \
            else Step.PRESENT_DOCUMENT
        self._problem(code, retry, detail=type(exc).__name__)

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
