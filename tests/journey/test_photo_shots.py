"""Retakes: up to three pictures, each shown cropped as the permit prints it; the resident
chooses one, only that one is submitted, and the others are wiped at once."""

from __future__ import annotations

import base64
import hashlib
import io
import sqlite3

import pytest
from PIL import Image

from kiosk.errors import InvalidInput
from kiosk.journey.steps import Step
from kiosk.photo.shots import PhotoShot, best_index
from protocol import wire
from tests.journey.test_photo_coach import to_photo, wait_for

S = Step


def take(k) -> int:
    """Tap 'take photo' and wait for the picture; returns the shot's index."""
    before = len(k.journey.session.photo_shots)
    k.journey.photo.take()
    wait_for(k, lambda: len(k.journey.session.photo_shots) > before, 20)
    return k.journey.session.chosen_shot


def test_three_shots_then_no_more_and_only_the_chosen_one_is_submitted(make_kiosk, central):
    k = make_kiosk(photo={"speak": False, "auto_capture": False})
    to_photo(k)
    s = k.journey.session
    assert take(k) == 0 and k.journey.photo.shots_left == 2
    assert s.photo_jpeg is s.photo_shots[0].jpeg
    first = bytes(s.photo_jpeg)
    with Image.open(io.BytesIO(first)) as img:
        assert img.size == (358, 441), "shown as the permit prints it"

    k.journey.photo.retake()
    assert s.photo_jpeg is None and k.journey.photo.coach is not None, "back to the live camera"
    assert len(s.photo_shots) == 1, "the first picture stays to choose from"
    assert take(k) == 1 and k.journey.photo.shots_left == 1
    k.journey.photo.retake()
    assert take(k) == 2 and k.journey.photo.shots_left == 0
    assert k.journey.photo.coach is None, "no camera analysis while the resident looks at pictures"

    with pytest.raises(InvalidInput) as refused:
        k.journey.photo.retake()
    assert refused.value.code == "photo_no_retakes"
    with pytest.raises(InvalidInput):
        k.journey.photo.take()

    k.journey.photo.choose(0)
    assert bytes(s.photo_jpeg) == first and s.chosen_shot == 0
    dropped = [shot.jpeg for shot in s.photo_shots[1:]]
    k.journey.photo.accept()
    assert all(not any(b) for b in dropped), "the pictures not chosen are overwritten"
    assert len(s.photo_shots) == 1 and bytes(s.photo_jpeg) == first

    k.pump(S.DECISION)
    k.journey.decision.continue_application()
    k.journey.fulfilment.choose(wire.FulfilmentMethod.COURIER)
    k.pump(S.RECEIPT)
    number = s.outcome.application_number
    db = central.database.removeprefix("sqlite:///")
    with sqlite3.connect(db) as con:
        (sha,) = con.execute("SELECT photo_sha256 FROM applications WHERE number = ?",
                             (number,)).fetchone()
    assert sha == hashlib.sha256(base64.b64encode(first)).hexdigest(), \
        "central got the picture the resident chose"
    kept = s.photo_jpeg
    k.journey.finish()
    assert s.photo_shots == [] and s.photo_jpeg is None
    assert not any(kept), "the submitted picture is overwritten when the resident leaves"


def test_a_retaken_resident_may_go_back_to_an_earlier_picture(make_kiosk):
    k = make_kiosk(photo={"speak": False, "auto_capture": False})
    to_photo(k)
    take(k)
    k.journey.photo.retake()
    k.journey.photo.choose(0)  # changed their mind while the camera was live
    s = k.journey.session
    assert s.chosen_shot == 0 and s.photo_jpeg is not None and k.journey.photo.coach is None
    with pytest.raises(InvalidInput):
        k.journey.photo.choose(5)


def test_a_tap_with_nobody_in_view_uses_up_no_shot(make_kiosk, tmp_path):
    wall = tmp_path / "wall.png"
    Image.new("RGB", (640, 480), (236, 240, 245)).save(wall)
    k = make_kiosk(photo={"speak": False, "auto_capture": False},
                   devices__camera={"driver": "simulated",
                                    "options": {"fps": 30, "frames": str(wall)}})
    to_photo(k)
    k.journey.photo.take()
    wait_for(k, lambda: k.journey.photo.guidance == "photo.guide.no_face", 20)
    assert k.journey.state is S.PHOTO and k.journey.session.photo_shots == []
    assert k.journey.photo.shots_left == 3


def shot(verdict: str | None, passed: int, distance: float = 0.3) -> PhotoShot:
    check = wire.FaceCheck(verdict=verdict, distance=distance, threshold=0.6) if verdict else None
    return PhotoShot(bytearray(b"\xff\xd8"), check, checks_passed=passed, checks_total=19)


def test_the_best_shot_proves_the_face_first_then_passes_most_checks():
    assert best_index([]) is None
    assert best_index([shot("unsure", 19), shot("match", 15)]) == 1
    assert best_index([shot("match", 15), shot("match", 18)]) == 1
    assert best_index([shot("match", 18, 0.40), shot("match", 18, 0.35)]) == 1
    assert best_index([shot(None, 17), shot(None, 17)]) == 0, "a tie keeps the first"
    assert best_index([shot("no_match", 19), shot("unsure", 10)]) == 1


def test_a_picture_that_arrives_after_an_earlier_one_was_used_is_wiped(make_kiosk, central):
    """A retake still on its way when the resident taps an earlier picture and uses it."""
    k = make_kiosk(photo={"speak": False, "auto_capture": False})
    to_photo(k)
    s = k.journey.session
    take(k)
    first = bytes(s.photo_jpeg)
    k.journey.photo.retake()
    k.journey.photo.take()  # the second picture is being made on a worker
    k.journey.photo.choose(0)
    k.journey.photo.accept()  # on to the decision before it arrives
    assert k.journey.state is S.DECISION
    k.settle(3.0)  # the late picture arrives at the decision step
    assert k.journey.state is S.DECISION
    assert len(s.photo_shots) == 1 and bytes(s.photo_jpeg) == first
