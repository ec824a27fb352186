"""Face verification: the same person matches, another does not, faceless or drawn
images give a typed verdict instead of an exception, and templates never leak."""

from __future__ import annotations

import logging
import pickle

import pytest

from drivers.camera.synthetic import portrait_jpeg
from kiosk.photo.verify import (
    FaceTemplate,
    Verification,
    compare,
    default_recogniser,
    verdict_for,
    verify,
)
from tests.photo import photo_bytes


def test_the_same_person_on_another_day_matches():
    result = verify(photo_bytes("obama.jpg"), photo_bytes("obama2.jpg"))
    assert result.verdict == "match" and not result.needs_review
    assert result.distance < result.threshold - result.unsure_band


def test_another_person_does_not_match_and_goes_to_staff():
    result = verify(photo_bytes("obama.jpg"), photo_bytes("biden2.jpg"), threshold=0.6)
    assert result.verdict == "no_match" and result.needs_review
    assert result.distance > 0.7


def test_the_unsure_band_around_the_threshold():
    assert verdict_for(0.50, 0.6, 0.06) == "match"
    assert verdict_for(0.57, 0.6, 0.06) == "unsure"
    assert verdict_for(0.63, 0.6, 0.06) == "unsure"
    assert verdict_for(0.70, 0.6, 0.06) == "no_match"
    near = verify(photo_bytes("obama.jpg"), photo_bytes("obama2.jpg"), threshold=0.37,
                  unsure_band=0.1)
    assert near.verdict == "unsure" and near.needs_review


@pytest.mark.parametrize("seeds", [("persona-a", "persona-b"), ("persona-a", "persona-a")])
def test_drawn_persona_faces_give_a_typed_result(seeds):
    result = verify(portrait_jpeg(seeds[0]), portrait_jpeg(seeds[1]))
    assert isinstance(result, Verification)
    assert result.verdict in ("match", "no_match", "unsure", "no_face")
    if result.verdict == "no_face":
        assert result.distance is None and result.needs_review


def test_no_face_and_unreadable_images_never_raise(tmp_path):
    import io

    from PIL import Image
    blank = io.BytesIO()
    Image.new("RGB", (358, 441), (240, 240, 240)).save(blank, "JPEG")
    result = verify(blank.getvalue(), photo_bytes("obama.jpg"))
    assert (result.verdict, result.reason, result.distance) == ("no_face", "no_face_live", None)
    result = verify(photo_bytes("obama.jpg"), b"\xff\xd8 not a jpeg")
    assert (result.verdict, result.reason) == ("no_face", "unreadable_document")
    assert result.needs_review


def test_templates_are_hidden_unpicklable_and_wipeable():
    template = FaceTemplate.from_image(photo_bytes("obama.jpg"))
    other = FaceTemplate.from_image(photo_bytes("obama2.jpg"))
    assert compare(template, other) == pytest.approx(template.distance(other))
    assert repr(template) == str(template) == "FaceTemplate(hidden)"
    with pytest.raises(TypeError):
        pickle.dumps(template)
    with other:
        pass
    assert other.wiped and repr(other) == "FaceTemplate(wiped)"
    with pytest.raises(ValueError):
        template.distance(other)


def test_verify_wipes_its_templates_and_logs_none_of_them(caplog, monkeypatch):
    recogniser = default_recogniser()
    made = []
    original = recogniser.template

    def recording(image, face=None):
        template = original(image, face)
        made.append((template, [f"{v:.4f}" for v in template._vector[:16]]))
        return template

    monkeypatch.setattr(recogniser, "template", recording)
    caplog.set_level(logging.DEBUG)
    result = verify(photo_bytes("obama.jpg"), photo_bytes("obama2.jpg"))
    assert result.verdict == "match" and len(made) == 2
    assert all(template.wiped for template, _ in made)
    logged = caplog.text
    assert "face verification: match" in logged
    for _, numbers in made:
        assert not any(n in logged for n in numbers if n not in ("0.0000", "-0.0000"))
