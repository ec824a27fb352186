"""The photo step: the live camera with its coach, up to ``max_shots`` pictures, one chosen.

The step is up for one of three purposes (``PhotoPurpose``), set by whoever sent the
journey here; the table reads it to know where an accepted picture leads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from kiosk.errors import InvalidInput
from kiosk.i18n import Translator
from kiosk.journey.context import JourneyContext, JourneyCore
from kiosk.journey.steps import Step
from kiosk.journey.table import Trigger
from kiosk.photo.coach import PhotoCoach
from kiosk.photo.registry_check import registry_face_check
from kiosk.photo.shots import PhotoShot, shot_from
from protocol import wire

log = logging.getLogger("kiosk.journey")


class PhotoPhase:
    """The camera and its coach while the step is up; the shots; the resident's choice."""

    def __init__(self, ctx: JourneyContext, core: JourneyCore) -> None:
        self.ctx, self.core = ctx, core
        self.coach: PhotoCoach | None = None  # runs only while the photo step is up
        self.guidance: str | None = None  # the instruction on the photo screen now
        self.last_quality: list[dict[str, object]] = []  # the last photo's check scores
        self.liveness: Any = None  # this visit's LivenessChallenge (kiosk/photo/liveness.py)
        self.liveness_verdict: str | None = None  # as the coach last said; None: off
        self._capturing = False
        self._take_pending = False  # tapped while a liveness action is asked
        core.on_enter(Step.PHOTO, self._look)
        core.on_leave(Step.PHOTO, self.stop)

    @property
    def shots_left(self) -> int:
        return max(0, self.ctx.config.photo.max_shots - len(self.core.session.photo_shots))

    # ----- the live camera -----------------------------------------------------------------------
    def _look(self) -> None:
        """On arriving: the camera on, a fresh liveness challenge when the hall asks for
        one, and a fresh coach (its guidance starts from nothing). Retakes keep the
        challenge's verdict: the resident has shown they are there."""
        pc = self.ctx.config.photo
        self.liveness, self.liveness_verdict = None, None
        if pc.liveness:
            from kiosk.photo.liveness import LivenessChallenge, LivenessSettings
            self.liveness = LivenessChallenge(LivenessSettings.from_config(pc))
            self.liveness_verdict = "waiting"  # until a face is in place
        self.ctx.devices.camera.start()
        self._start_coach()

    def _start_coach(self) -> None:
        self._stop_coach()
        self.guidance = None
        self._capturing = self._take_pending = False
        worker = self.ctx.worker
        self.coach = PhotoCoach(
            self.ctx.devices.camera, self.ctx.config.photo,
            lambda state: worker.dispatch_event(self.on_guidance, state),
            interval_s=self.ctx.config.photo.coach_interval_s, liveness=self.liveness)
        self.coach.start()

    def _stop_coach(self) -> None:
        coach, self.coach = self.coach, None
        if coach is not None:
            coach.stop()
        self._take_pending = False
        self.ctx.devices.camera.instruct(None)
        self.ctx.speaker.stop()

    def stop(self) -> None:
        """On leaving (and at shutdown): no coach thread and no camera left running."""
        self._stop_coach()
        self.ctx.devices.camera.stop()

    def on_guidance(self, state: Any) -> None:
        """From the coach (on the journey's thread): show and say the instruction; take the
        picture once everything has been right for a moment."""
        core = self.core
        if core.state is not Step.PHOTO or core.session.photo_jpeg is not None:
            return
        if state.instruction not in (None, "photo.guide.no_face"):
            core.touch()  # someone in front of the camera, following the guidance, is here
        if state.changed and state.instruction != self.guidance:
            self.guidance = state.instruction
            self.ctx.devices.camera.instruct(state.instruction)
            self._say(state.instruction)
            core.notify()
        if state.liveness is not None and state.liveness != self.liveness_verdict:
            self.liveness_verdict = state.liveness
            if state.liveness in ("live", "unsure") and self.liveness is not None:
                log.info("photo liveness=%s failures=%d reason=%s", state.liveness,
                         self.liveness.failures, self.liveness.reason or "-")
        if self._take_pending and not self._wait_for_liveness():
            self._take_pending = False
            self.take()
        elif state.ready_to_capture and self.ctx.config.photo.auto_capture \
                and not self._capturing:
            self.take()

    def _say(self, msgid: str | None) -> None:
        language = self.core.session.language
        self.ctx.speaker.say(Translator(language)(msgid) if msgid else "", language)

    # ----- pictures ------------------------------------------------------------------------------
    def take(self) -> None:
        self.core.require(Step.PHOTO)
        if self._capturing:
            return  # a tap while the coach's own capture is on its way
        if len(self.core.session.photo_shots) >= self.ctx.config.photo.max_shots:
            raise InvalidInput(code="photo_no_retakes")
        if self._wait_for_liveness():
            # The challenge is under way (or the coach has not looked yet): the picture
            # is taken as soon as it is decided; the instruction stays on screen meanwhile.
            self._take_pending = True
            return
        self._capturing = True
        camera, pc = self.ctx.devices.camera, self.ctx.config.photo
        document = self.core.session.document
        chip = document.photo_jpeg if document else None
        registry = None
        if document is not None and chip is None:  # an ID card without the vendor's decoder
            client, kind, number = self.ctx.client, document.document_type, document.document_number
            registry = partial(registry_face_check, client, kind, number,
                               threshold=pc.match_threshold, unsure_band=pc.unsure_band)
        live = None if self.liveness_verdict is None else self.liveness_verdict == "live"
        self.core.run(lambda: _photo_and_face_check(camera, chip, pc, live, registry),
                      self._on_photo, self._on_photo_failed)

    def _on_photo(self, taken: tuple[PhotoShot, list[dict[str, object]]]) -> None:
        self._capturing = False
        shot, quality = taken
        if self.core.state is not Step.PHOTO:  # an earlier picture was used meanwhile
            shot.erase()
            return
        self._stop_coach()  # the resident looks at the picture now, not at the camera
        self.core.session.add_shot(shot)
        self.last_quality = quality  # scores only: kept for the diagnostics screen
        log.info("photo shot=%d of %d checks_passed=%d/%d", len(self.core.session.photo_shots),
                 self.ctx.config.photo.max_shots, shot.checks_passed, shot.checks_total)
        self.core.notify()

    def _on_photo_failed(self, exc: BaseException) -> None:
        self._capturing = False
        if self.core.state is not Step.PHOTO:
            return
        if getattr(exc, "code", "") == "photo_no_face":
            # Nobody in the picture (a tap while looking away): say so and keep the
            # camera live; no shot is used up.
            self.guidance = "photo.guide.no_face"
            self._say(self.guidance)
            self.core.notify()
            return
        self.core.problem(getattr(exc, "code", "camera_error"), Step.PHOTO, type(exc).__name__)

    def _wait_for_liveness(self) -> bool:
        """A tap now waits: the challenge is under way, or the coach has not said anything
        yet. Nobody in place (a face too far, or none) is not waited for: that picture is
        taken at once and, not shown live, goes to staff review."""
        if self.coach is None or self.liveness_verdict in (None, "live", "unsure"):
            return False
        return self.liveness_verdict == "pending" or self.guidance is None

    def retake(self) -> None:
        """Back to the live camera for another picture; the earlier ones stay to choose from."""
        self.core.require(Step.PHOTO)
        if self.shots_left == 0:
            raise InvalidInput(code="photo_no_retakes")
        self.core.session.choose_shot(None)
        self._start_coach()  # guidance starts afresh for the next picture
        self.core.notify()

    def choose(self, index: int) -> None:
        """The resident taps one of their pictures (also from the live camera after a retake)."""
        s = self.core.session
        self.core.require(Step.PHOTO)
        if not 0 <= index < len(s.photo_shots):
            raise InvalidInput(code="no_photo")
        if s.chosen_shot is None:
            self._stop_coach()
        s.choose_shot(index)
        self.core.notify()

    def accept(self) -> None:
        """This picture: on to where the step's purpose leads."""
        s = self.core.session
        self.core.expect(Trigger.ACCEPT_PHOTO)
        if s.photo_jpeg is None:
            raise InvalidInput(code="no_photo")
        s.keep_chosen_shot()
        self.core.fire(Trigger.ACCEPT_PHOTO)


def _photo_and_face_check(camera: Any, chip: bytes | None, pc: Any, live: bool | None = None,
                          registry: Callable[[bytes], wire.FaceCheck | None] | None = None,
                          ) -> tuple[PhotoShot, list[dict[str, object]]]:
    """On the worker: the still's checks, its permit crop, and the face in that crop
    against the chip's. The full frame never leaves this function. ``live`` is the
    liveness challenge's outcome (None: not asked): a face not shown to be live proves
    no 人证合一, however well it matches, so its verdict is at best "unsure" (staff review).

    A document whose photo cannot be read here (the ID card's WLT without the vendor's
    decoder) is compared through ``registry`` (central asks the population registry); when
    that cannot be done either, nothing proves 人证合一, so the verdict is "unsure"."""
    from kiosk.photo.crop import prepare_submission  # the face models load on first use
    from kiosk.photo.verify import face_check
    ready = prepare_submission(camera.capture_still(), pc)  # PhotoError without a face
    quality = [c.as_dict() for c in ready.assessment.checks]
    checked: wire.FaceCheck | None
    if chip is None and registry is not None:
        checked = registry(ready.jpeg) or wire.FaceCheck(
            verdict="unsure", distance=None, threshold=pc.match_threshold)
    else:
        checked = face_check(ready.jpeg, chip, pc.match_threshold, pc.unsure_band)
    if live is False:
        checked = unproven_liveness(checked, pc.match_threshold)
    return shot_from(ready.jpeg, checked, quality), quality


def unproven_liveness(checked: wire.FaceCheck | None, threshold: float) -> wire.FaceCheck:
    """The face check of a picture whose liveness was not shown: a match becomes "unsure";
    "no_match" and "no_face" stay as they are (staff review them already); with no chip
    photo to compare, "unsure" too, so staff see the application."""
    if checked is None:
        return wire.FaceCheck(verdict="unsure", distance=None, threshold=threshold)
    if checked.verdict == "match":
        return checked.model_copy(update={"verdict": "unsure"})
    return checked
