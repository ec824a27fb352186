"""The photo checks: good portraits pass, each spoilt version fails the right check with
the right guidance, and the guidance is the most important failing check."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from drivers.camera.synthetic import portrait
from kiosk.config import ConfigError, PhotoConfig, load_config
from kiosk.photo.faces import FaceGeometry
from kiosk.photo.messages import MESSAGES, text
from kiosk.photo.quality import PRIORITY, assess, assess_faces
from tests.photo import photo, press_photo_config

FACE_POSE_EXPOSURE = ("face_found", "single_face", "face_size", "yaw", "pitch", "roll",
                      "eyes_open", "exposure_dark", "exposure_bright", "contrast", "sharpness")


def failing(assessment) -> dict[str, str]:
    return {c.name: c.guidance for c in assessment.checks if not c.passed}


@pytest.fixture(scope="module")
def biden() -> Image.Image:
    return photo("biden2.jpg")


@pytest.fixture(scope="module")
def obama_head_and_shoulders() -> Image.Image:
    return photo("obama.jpg").crop((180, 0, 800, 760))


def test_frontal_portraits_pass_the_face_pose_and_exposure_checks(biden,
                                                                  obama_head_and_shoulders):
    for image in (biden, obama_head_and_shoulders):
        result = assess(image)
        for name in FACE_POSE_EXPOSURE:
            assert result.check(name).passed, (name, result.check(name))
    framed = assess(biden)
    assert all(framed.check(n).passed for n in ("framing", "centring_h", "centring_v",
                                                "light_balance"))


def test_with_mouth_and_background_set_aside_the_good_portrait_passes_everything(biden):
    result = assess(biden, press_photo_config())
    assert result.passed and result.guidance() is None
    assert [c.name for c in result.checks] == [n for n in PRIORITY if n != "landmarks"]


def test_press_photos_fail_the_checks_they_should(biden):
    smiling = assess(biden)
    assert failing(smiling) == {"mouth_closed": "photo.guide.close_mouth",
                                "background_brightness": "photo.guide.background",
                                "background_plain": "photo.guide.background"}
    assert smiling.guidance() == "photo.guide.close_mouth"


def test_a_face_cut_by_the_edge_fails_framing():
    result = assess(photo("obama_partial_face.jpg"))
    framing = result.check("framing")
    assert not framing.passed and framing.score < 0.9
    assert framing.guidance == "photo.guide.left"  # he stands to his right: move left
    assert result.guidance() == "photo.guide.left"


def test_two_people_fail_the_single_face_check():
    result = assess(photo("two_people.jpg"))
    single = result.check("single_face")
    assert not single.passed and single.score == 2
    assert single.guidance == "photo.guide.one_person"
    assert result.guidance() == "photo.guide.one_person"


def test_nobody_in_view():
    result = assess(Image.new("RGB", (640, 480), (200, 200, 200)))
    assert [c.name for c in result.checks] == ["face_found"]
    assert result.guidance() == "photo.guide.no_face" and result.face is None


def spoilt(biden: Image.Image, how: str) -> Image.Image:
    if how == "dark":
        return ImageEnhance.Brightness(biden).enhance(0.3)
    if how == "bright":
        return ImageEnhance.Brightness(biden).enhance(2.2)
    if how == "blurred":
        return biden.filter(ImageFilter.GaussianBlur(6))
    if how == "tilted":
        return biden.rotate(15, resample=Image.BICUBIC)  # counter-clockwise: roll about -12
    if how == "small":
        canvas = Image.new("RGB", biden.size, (215, 215, 215))
        canvas.paste(biden.resize((biden.width // 4, biden.height // 4)),
                     (biden.width * 3 // 8, biden.height * 3 // 8))
        return canvas
    if how in ("at_left", "at_right"):
        canvas = Image.new("RGB", (biden.width * 2, biden.height), (215, 215, 215))
        canvas.paste(biden, (0 if how == "at_left" else biden.width, 0))
        return canvas
    if how == "side_lit":
        rgb = np.asarray(biden).astype(np.float32)
        rgb[:, : rgb.shape[1] // 2 + 60] *= 0.4  # his right side in shadow, up to his nose
        return Image.fromarray(rgb.astype(np.uint8))
    raise AssertionError(how)


@pytest.mark.parametrize("how, check, guidance", [
    ("dark", "exposure_dark", "photo.guide.too_dark"),
    ("bright", "exposure_bright", "photo.guide.too_bright"),
    ("blurred", "sharpness", "photo.guide.blurry"),
    ("tilted", "roll", "photo.guide.tilt"),
    ("small", "face_size", "photo.guide.closer"),
    ("at_left", "centring_h", "photo.guide.left"),
    ("at_right", "centring_h", "photo.guide.right"),
    ("side_lit", "light_balance", "photo.guide.uneven_light"),
])
def test_each_spoilt_version_fails_the_right_check_with_the_right_guidance(
        biden, how, check, guidance):
    result = assess(spoilt(biden, how), press_photo_config())
    assert result.check(check).guidance == guidance, result.check(check)
    assert result.guidance() == guidance, failing(result)


def test_turning_is_told_in_the_residents_own_directions():
    speaking = photo("obama2.jpg")  # face turned to his right, mouth open
    result = assess(speaking)
    assert result.check("yaw").score < -8
    assert result.guidance() == "photo.guide.turn_left"
    assert result.check("mouth_closed").guidance == "photo.guide.close_mouth"
    mirrored = assess(ImageOps.mirror(speaking))
    assert mirrored.check("yaw").score > 8
    assert mirrored.guidance() == "photo.guide.turn_right"


def test_a_plain_light_background_passes_and_a_busy_one_fails(biden):
    drawn = assess(portrait("background-test"))
    if drawn.face is None:
        pytest.skip("the drawn portrait has no detectable face")
    assert drawn.check("background_brightness").passed
    assert drawn.check("background_plain").passed
    assert not assess(biden).check("background_plain").passed


def test_every_guidance_message_exists_in_both_languages(biden):
    ids = {"photo.guide.keep_still"}
    for how in ("dark", "bright", "blurred", "tilted", "small", "at_left", "side_lit"):
        ids |= {c.guidance for c in assess(spoilt(biden, how)).checks if c.guidance}
    assert ids <= set(MESSAGES)
    for zh, en in MESSAGES.values():
        assert zh and en and zh != en
    assert text("photo.guide.too_dark", "zh_CN") == "太暗了，请面向光源"
    assert text("photo.guide.one_person", "en").startswith("Only one person")


def test_the_photo_config_rejects_out_of_range_values_naming_the_key():
    with pytest.raises(ConfigError) as e:
        load_config(overrides={"photo": {"max_yaw_deg": 90, "head_height_min": 0.78}})
    problems = " ".join(e.value.problems)
    assert "section 'photo', key 'max_yaw_deg'" in problems
    assert "key 'head_height_min'" in problems and "head_height" in problems
    assert load_config().photo == PhotoConfig()


def test_camera_frames_are_assessed_directly(biden):
    from drivers.camera.base import Frame

    small = biden.resize((480, 480))
    frame = Frame(480, 480, small.tobytes())
    assert assess(frame).check("single_face").passed


def test_a_face_the_landmarks_cannot_measure_passes_no_pose_check(biden):
    seen_only = FaceGeometry(box=(430.0, 240.0, 870.0, 780.0), score=0.9,
                             landmarks={"right_eye": (560.0, 450.0), "left_eye": (750.0, 450.0),
                                        "chin": (655.0, 780.0)})
    assert not seen_only.measured
    result = assess_faces(np.asarray(biden), [seen_only], press_photo_config())
    assert result.check("landmarks").guidance == "photo.guide.no_face"
    assert result.check("yaw") is None and result.check("eyes_open") is None
    assert result.guidance() == "photo.guide.no_face"


def wearing_hat(image: Image.Image, colour: tuple[int, int, int], down_to: float) -> Image.Image:
    """A hat drawn over the head, its brim ``down_to`` of the way from the forehead's top
    to the eye line (1.0 would cover the eyes)."""
    from PIL import ImageDraw
    face = assess(image).face
    (ex, ey), fy, d = face.eyes_mid, face.landmarks["forehead"][1], face.eye_distance
    hatted = image.copy()
    ImageDraw.Draw(hatted).rectangle(
        [ex - 1.6 * d, fy - 1.5 * d, ex + 1.6 * d, fy + (ey - fy) * down_to], fill=colour)
    return hatted


@pytest.mark.parametrize("colour", [(35, 35, 45), (150, 40, 40), (240, 240, 240)])
def test_a_hat_pulled_down_to_the_brows_is_asked_off(biden, obama_head_and_shoulders, colour):
    for image in (biden, obama_head_and_shoulders):
        assert assess(image).check("forehead_visible").passed
        result = assess(wearing_hat(image, colour, 0.75))
        forehead = result.check("forehead_visible")
        assert not forehead.passed and forehead.guidance == "photo.guide.uncover"
        assert failing(result)["forehead_visible"] == "photo.guide.uncover"


def test_a_hat_above_the_forehead_or_the_drawn_fringe_is_no_reason_to_refuse(biden):
    assert assess(wearing_hat(biden, (35, 35, 45), 0.2)).check("forehead_visible").passed
    for seed in ("eligible", "student", "senior"):
        drawn = assess(portrait(seed, (640, 788)))
        assert drawn.check("forehead_visible").passed, seed
