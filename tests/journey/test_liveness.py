"""Liveness on the photo step, through the real pipeline: the drawn resident reads the
screen and blinks or turns when asked; a printed photo of them held up never does, and
the application goes to staff review without a word of blame."""

from __future__ import annotations

import sqlite3

from kiosk.journey.steps import Step
from kiosk.photo.liveness import AGAIN, LIVENESS_IDS
from protocol import wire
from tests.journey.test_photo_coach import EASY, to_photo
from tests.journey.walk import declare, present

S = Step


def watch(k, condition, timeout_s: float) -> list[str]:
    """Pump until ``condition()``; the instructions shown meanwhile, in order, once each."""
    import time
    shown: list[str] = []
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"not in time; shown: {shown}"
        k.pump(None)
        g = k.journey.photo.guidance
        if g and (not shown or shown[-1] != g):
            shown.append(g)
    return shown


def test_a_live_resident_meets_the_challenge_and_the_picture_takes_itself(make_kiosk):
    k = make_kiosk(photo={"speak": False, **EASY, "capture_hold_s": 0.3, "liveness": True})
    to_photo(k)
    shown = watch(k, lambda: k.journey.session.photo_jpeg is not None, 30)
    photo = k.journey.photo
    asked = [g for g in shown if g in LIVENESS_IDS]
    assert len([g for g in asked if g != AGAIN]) >= 2, shown
    assert photo.liveness_verdict == "live"
    assert photo.liveness.failures == 0
    assert k.journey.session.face_check.verdict == "match", "the drawn resident is the chip's"
    assert not k.journey.session.document_review


def test_a_held_photo_goes_to_staff_review_after_a_calm_retry(make_kiosk, central):
    k = make_kiosk(photo={"speak": False, **EASY, "capture_hold_s": 0.3, "liveness": True,
                          "liveness_step_s": 1.5, "liveness_attempts": 2})
    k.devices.camera.faults.set("resident", "photo")
    to_photo(k)
    shown = watch(k, lambda: k.journey.session.photo_jpeg is not None, 40)
    photo, s = k.journey.photo, k.journey.session
    assert photo.liveness_verdict == "unsure"
    assert shown.count(AGAIN) == 1, shown
    assert s.face_check is not None and s.face_check.verdict == "unsure", \
        "the chip's face, but not shown to be live: staff decide"
    assert s.document_review
    photo.accept()
    k.pump(S.DECISION)
    k.journey.decision.continue_application()
    assert wire.FulfilmentMethod.PRINT_HERE not in k.journey.fulfilment.options(), \
        "no card made here: staff look at the photo first"
    k.journey.fulfilment.choose(wire.FulfilmentMethod.COURIER)
    k.pump(S.RECEIPT)
    db = central.database.removeprefix("sqlite:///")
    with sqlite3.connect(db) as con:
        (reasons,) = con.execute("SELECT review_reasons FROM applications WHERE number = ?",
                                 (s.outcome.application_number,)).fetchone()
    assert "face_unsure" in reasons, "central's staff see why"


def test_a_tap_during_the_challenge_takes_the_picture_once_it_is_met(make_kiosk):
    k = make_kiosk(photo={"speak": False, "auto_capture": False, "liveness": True})
    to_photo(k)
    watch(k, lambda: k.journey.photo.guidance in LIVENESS_IDS, 15)
    k.journey.photo.take()
    assert k.journey.session.photo_shots == [], "not while an action is asked"
    watch(k, lambda: k.journey.session.photo_jpeg is not None, 30)
    assert k.journey.photo.liveness_verdict == "live"


def test_liveness_off_asks_nothing(make_kiosk):
    k = make_kiosk(photo={"speak": False, **EASY, "capture_hold_s": 0.3, "liveness": False})
    present(k, "eligible")
    declare(k)
    k.pump(S.PHOTO)
    shown = watch(k, lambda: k.journey.session.photo_jpeg is not None, 30)
    assert not set(shown) & set(LIVENESS_IDS)
    assert k.journey.photo.liveness_verdict is None
