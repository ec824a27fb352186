"""The photo step's coach: one instruction at a time from the live picture, then the
picture taken by itself once everything has been right for a moment."""

from __future__ import annotations

import time

from kiosk.photo.messages import GUIDANCE_IDS
from kiosk.steps import Step
from tests.journey.walk import declare, present

S = Step
# The drawn demo faces are read as looking a little down (about 11 degrees); every other
# check passes with the hall's defaults.
EASY = {"max_pitch_deg": 15}


def to_photo(k) -> None:
    present(k, "eligible")
    declare(k)
    k.pump(S.PHOTO)


def wait_for(k, condition, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the coach said nothing"
        k.pump(None)


def test_the_coach_says_one_known_instruction(make_kiosk):
    k = make_kiosk(photo={"speak": False, "auto_capture": False})
    to_photo(k)
    wait_for(k, lambda: k.journey.photo_guidance is not None)
    assert k.journey.photo_guidance in GUIDANCE_IDS
    assert k.journey.session.photo_jpeg is None, "auto-capture is off: nothing taken"
    assert k.journey.coach is not None
    k.journey.cancel()
    assert k.journey.coach is None, "the coach stops with the photo step"


def test_once_all_is_right_the_picture_takes_itself(make_kiosk):
    k = make_kiosk(photo={"speak": False, **EASY, "capture_hold_s": 0.3})
    to_photo(k)
    wait_for(k, lambda: k.journey.session.photo_jpeg is not None)
    assert k.journey.photo_guidance == "photo.guide.keep_still"
    assert k.journey.session.face_check is not None
    assert k.journey.last_photo_quality, "the scores reach the technician"
