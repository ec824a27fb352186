"""The photo step's coach: one instruction at a time from the live picture, then the
picture taken by itself once everything has been right for a moment."""

from __future__ import annotations

import time

from kiosk.journey.steps import Step
from kiosk.photo.messages import GUIDANCE_IDS
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
    wait_for(k, lambda: k.journey.photo.guidance is not None)
    assert k.journey.photo.guidance in GUIDANCE_IDS
    assert k.journey.session.photo_jpeg is None, "auto-capture is off: nothing taken"
    assert k.journey.photo.coach is not None
    k.journey.cancel()
    assert k.journey.photo.coach is None, "the coach stops with the photo step"


def test_once_all_is_right_the_picture_takes_itself(make_kiosk):
    k = make_kiosk(photo={"speak": False, **EASY, "capture_hold_s": 0.3})
    to_photo(k)
    wait_for(k, lambda: k.journey.session.photo_jpeg is not None)
    assert k.journey.photo.guidance == "photo.guide.keep_still"
    assert k.journey.session.face_check is not None
    assert k.journey.photo.last_quality, "the scores reach the technician"


def test_the_resident_is_told_what_to_fix_then_the_picture_takes_itself(make_kiosk):
    """The drawn resident steps back, stands aside, tilts their head, wears a cap, stands in
    a dim hall: each gives its own instruction, and nothing is taken until all is right."""
    k = make_kiosk(photo={"speak": False, **EASY, "capture_hold_s": 0.3,
                          "max_mouth_openness": 0.2})
    camera = k.devices.camera
    camera.faults.set("resident", "far")
    to_photo(k)
    expected = {"far": "photo.guide.closer", "off_centre": "photo.guide.right",
                "tilted": "photo.guide.tilt", "hat": "photo.guide.uncover",
                "dark": "photo.guide.too_dark"}
    for behaviour, guidance in expected.items():
        camera.faults.set("resident", behaviour)
        wait_for(k, lambda want=guidance: k.journey.photo.guidance == want)
        assert k.journey.session.photo_shots == [], f"taken while {behaviour}"
    camera.faults.clear("resident")
    wait_for(k, lambda: k.journey.session.photo_jpeg is not None)


def test_a_resident_following_the_guidance_is_not_timed_out(make_kiosk, tmp_path):
    """Someone in front of the camera is there even without touching the screen; an empty
    camera lets the idle countdown run as anywhere else."""
    from tests.journey.test_state_machine import FakeClock
    clock = FakeClock()
    k = make_kiosk(clock=clock, photo={"speak": False, "auto_capture": False})
    k.devices.camera.faults.set("resident", "far")  # seen, and told to come closer
    to_photo(k)
    warning_s = k.runtime.config.journey.idle_warning_s
    clock.now += warning_s + 1
    k.journey.tick()
    assert k.journey.idle_remaining is not None, "no guidance yet: the countdown shows"
    wait_for(k, lambda: k.journey.photo.guidance == "photo.guide.closer")
    k.journey.tick()
    assert k.journey.idle_remaining is None, "the resident in view is here"
    k.devices.camera.faults.set("no_frames")  # they walked away and nobody is in view
    k.settle(0.5)
    clock.now += warning_s + 1
    k.journey.tick()
    assert k.journey.idle_remaining is not None
