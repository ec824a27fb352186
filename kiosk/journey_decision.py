"""Journey steps of the photo and the decision: continue, register now for later, or staff review."""

from __future__ import annotations

import logging
from typing import Callable

from central import wire
from kiosk import fulfilment as fulfil
from kiosk.errors import InvalidInput
from kiosk.steps import Step

log = logging.getLogger("kiosk.journey")


class DecisionSteps:
    """Mixed into Journey: the photo and what the resident does with the decision."""

    # ----- photo ---------------------------------------------------------------------------
    def on_photo_guidance(self, state) -> None:
        """From the coach (on the journey's thread): show and say the instruction; take the
        picture once everything has been right for a moment."""
        if self.state is not Step.PHOTO or self.session.photo_jpeg is not None:
            return
        if state.changed and state.instruction != self.photo_guidance:
            self.photo_guidance = state.instruction
            self.speaker.say(self._guidance_text(state.instruction), self.session.language)
            self._notify("update")
        if state.ready_to_capture and self.config.photo.auto_capture and not self._capturing:
            self.take_photo()

    def _guidance_text(self, msgid: str | None) -> str:
        from kiosk.i18n import Translator
        return Translator(self.session.language)(msgid) if msgid else ""

    def take_photo(self) -> None:
        self._expect(Step.PHOTO)
        if self._capturing:
            return  # a tap while the coach's own capture is on its way
        self._capturing = True
        camera = self.devices.camera
        chip = self.session.document.photo_jpeg if self.session.document else None
        pc = self.config.photo
        self._run(lambda: self._photo_and_face_check(camera, chip, pc),
                  self._on_photo, self._on_photo_failed)

    @staticmethod
    def _photo_and_face_check(camera, chip, pc):
        """On the worker: the still, its quality scores, the live face against the chip's."""
        jpeg = fulfil.capture_jpeg(camera)
        return (jpeg, fulfil.check_face(jpeg, chip, pc.match_threshold, pc.unsure_band),
                fulfil.photo_quality(jpeg, pc))

    def _on_photo(self, taken) -> None:
        self._capturing = False
        jpeg, face_check, quality = taken
        self.session.set_photo(jpeg)
        self.session.face_check = face_check
        self.last_photo_quality = quality  # scores only: kept for the diagnostics screen
        self._notify("update")

    def _on_photo_failed(self, exc: BaseException) -> None:
        self._capturing = False
        self._problem(getattr(exc, "code", "camera_error"), Step.PHOTO, type(exc).__name__)

    def retake_photo(self) -> None:
        self._expect(Step.PHOTO)
        self.session.set_photo(None)
        self.session.face_check = None
        self._start_coach()  # guidance starts afresh for the next picture
        self._notify("update")

    def accept_photo(self) -> None:
        self._expect(Step.PHOTO)
        if self.session.photo_jpeg is None:
            raise InvalidInput(code="no_photo")
        s = self.session
        if s.defer or s.staff_review:
            self._after_commitment_choice()
        else:
            self.set_state(Step.DECISION)

    # ----- decision ------------------------------------------------------------------------
    def continue_application(self) -> None:
        """eligible or needs_review: on to fulfilment."""
        self._expect(Step.DECISION)
        d = self.session.decision
        if d is None or d.decision not in (wire.Decision.ELIGIBLE, wire.Decision.NEEDS_REVIEW):
            raise InvalidInput(code="cannot_continue")
        self.set_state(Step.FULFILMENT)

    def defer_application(self) -> None:
        """not_yet: register now, start automatically on the date, courier the card home."""
        self._expect(Step.DECISION)
        d = self.session.decision
        if d is None or d.decision is not wire.Decision.NOT_YET:
            raise InvalidInput(code="cannot_defer")
        self.session.defer = True
        self.session.fulfilment = wire.Fulfilment(method=wire.FulfilmentMethod.COURIER,
                                                  courier_address=self.session.address)
        self._photo_then(self._after_commitment_choice)

    def queue_for_review(self) -> None:
        """Central unreachable: file the application for staff to decide, nothing lost."""
        self._expect(Step.DECISION)
        if not self.session.central_unreachable:
            raise InvalidInput(code="cannot_queue")
        self.session.staff_review = True
        self._photo_then(lambda: self.set_state(Step.FULFILMENT))

    def _photo_then(self, next_step: Callable[[], None]) -> None:
        if self.session.photo_jpeg is None and self._photo_needed():
            self.set_state(Step.PHOTO)
        else:
            next_step()

    def _photo_needed(self) -> bool:
        d = self.session.decision
        return d is None or d.photo_required

    def _after_commitment_choice(self) -> None:
        if self.session.fulfilment is not None:
            self._submit()
        else:
            self.set_state(Step.FULFILMENT)
