"""Journey steps of the photo and the decision: continue, register now for later, or staff review."""

from __future__ import annotations

import logging
from typing import Callable

from protocol import wire
from kiosk.errors import InvalidInput
from kiosk.photo.shots import shot_from
from kiosk.journey.steps import Step

log = logging.getLogger("kiosk.journey")


class DecisionSteps:
    """Mixed into Journey: the photo and what the resident does with the decision."""

    # ----- photo ---------------------------------------------------------------------------
    def on_photo_guidance(self, state) -> None:
        """From the coach (on the journey's thread): show and say the instruction; take the
        picture once everything has been right for a moment."""
        if self.state is not Step.PHOTO or self.session.photo_jpeg is not None:
            return
        if state.instruction not in (None, "photo.guide.no_face"):
            self.touch()  # someone in front of the camera, following the guidance, is here
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
        if len(self.session.photo_shots) >= self.config.photo.max_shots:
            raise InvalidInput(code="photo_no_retakes")
        self._capturing = True
        camera = self.devices.camera
        chip = self.session.document.photo_jpeg if self.session.document else None
        pc = self.config.photo
        self._run(lambda: self._photo_and_face_check(camera, chip, pc),
                  self._on_photo, self._on_photo_failed)

    @staticmethod
    def _photo_and_face_check(camera, chip, pc):
        """On the worker: the still's checks, its permit crop, and the face in that crop
        against the chip's. The full frame never leaves this function."""
        from kiosk.photo.crop import prepare_submission
        ready = prepare_submission(camera.capture_still(), pc)  # PhotoError without a face
        quality = [c.as_dict() for c in ready.assessment.checks]
        from kiosk.photo.verify import face_check  # the face models load on first use
        checked = face_check(ready.jpeg, chip, pc.match_threshold, pc.unsure_band)
        return shot_from(ready.jpeg, checked, quality), quality

    def _on_photo(self, taken) -> None:
        self._capturing = False
        shot, quality = taken
        self._stop_coach()  # the resident looks at the picture now, not at the camera
        self.session.add_shot(shot)
        self.last_photo_quality = quality  # scores only: kept for the diagnostics screen
        log.info("photo shot=%d of %d checks_passed=%d/%d", len(self.session.photo_shots),
                 self.config.photo.max_shots, shot.checks_passed, shot.checks_total)
        self._notify("update")

    def _on_photo_failed(self, exc: BaseException) -> None:
        self._capturing = False
        if getattr(exc, "code", "") == "photo_no_face":
            # Nobody in the picture (a tap while looking away): say so and keep the
            # camera live; no shot is used up.
            self.photo_guidance = "photo.guide.no_face"
            self.speaker.say(self._guidance_text(self.photo_guidance), self.session.language)
            self._notify("update")
            return
        self._problem(getattr(exc, "code", "camera_error"), Step.PHOTO, type(exc).__name__)

    @property
    def photo_shots_left(self) -> int:
        return max(0, self.config.photo.max_shots - len(self.session.photo_shots))

    def retake_photo(self) -> None:
        """Back to the live camera for another picture; the earlier ones stay to choose from."""
        self._expect(Step.PHOTO)
        if self.photo_shots_left == 0:
            raise InvalidInput(code="photo_no_retakes")
        self.session.choose_shot(None)
        self._start_coach()  # guidance starts afresh for the next picture
        self._notify("update")

    def choose_photo(self, index: int) -> None:
        """The resident taps one of their pictures (also from the live camera after a retake)."""
        self._expect(Step.PHOTO)
        if not 0 <= index < len(self.session.photo_shots):
            raise InvalidInput(code="no_photo")
        if self.session.chosen_shot is None:
            self._stop_coach()
        self.session.choose_shot(index)
        self._notify("update")

    def accept_photo(self) -> None:
        self._expect(Step.PHOTO)
        if self.session.photo_jpeg is None:
            raise InvalidInput(code="no_photo")
        s = self.session
        s.keep_chosen_shot()
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
