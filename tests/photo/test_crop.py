"""The permit photo: exact size, head where the spec puts it, never over the size limit."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from kiosk.config import PhotoConfig
from kiosk.photo.crop import PhotoError, encode_jpeg, normalise, permit_photo
from kiosk.photo.quality import assess
from tests.photo import photo, photo_bytes


def measured(jpeg: bytes):
    image = Image.open(io.BytesIO(jpeg))
    face = assess(jpeg).face
    assert face is not None
    return image, face


@pytest.mark.parametrize("name", ["biden2.jpg", "obama.jpg", "obama2.jpg"])
def test_size_head_position_and_bytes(name):
    config = PhotoConfig()
    jpeg = permit_photo(photo_bytes(name), config)
    image, face = measured(jpeg)
    assert image.format == "JPEG" and image.size == (358, 441)
    assert len(jpeg) <= config.max_bytes
    assert config.head_height_min <= face.head_height / 441 <= config.head_height_max
    assert face.head_height / 441 == pytest.approx(config.head_height, abs=0.02)
    assert face.eyes_mid[1] / 441 == pytest.approx(config.eye_line, abs=0.02)
    assert face.eyes_mid[0] / 358 == pytest.approx(0.5, abs=0.02)


def test_a_tilted_head_is_levelled():
    tilted = photo("biden2.jpg").rotate(12, resample=Image.BICUBIC)
    _, face = measured(permit_photo(tilted))
    (rx, ry), (lx, ly) = face.landmarks["right_eye"], face.landmarks["left_eye"]
    assert abs(math.degrees(math.atan2(ly - ry, lx - rx))) < 1.5


def test_another_spec_and_a_tight_size_limit():
    config = PhotoConfig(crop_width=300, crop_height=400, head_height=0.72, eye_line=0.48,
                         max_bytes=12000)
    jpeg = permit_photo(photo_bytes("biden2.jpg"), config)
    image, face = measured(jpeg)
    assert image.size == (300, 400) and len(jpeg) <= 12000
    assert face.head_height / 400 == pytest.approx(0.72, abs=0.02)


def test_no_jpeg_small_enough_is_an_error_not_a_bigger_file():
    image = normalise(photo_bytes("biden2.jpg"))
    with pytest.raises(PhotoError) as e:
        encode_jpeg(image, quality=90, min_quality=80, max_bytes=2000)
    assert e.value.code == "photo_too_large"
    assert len(encode_jpeg(image, 90, 10, 8000)) <= 8000


def test_background_replaced_with_the_configured_colour():
    config = PhotoConfig(background="replace", background_colour="#4080C0")
    image = normalise(photo_bytes("biden2.jpg"), config)  # an oil painting behind him
    for corner in [(5, 60), (352, 60), (20, 150), (338, 150)]:
        r, g, b = image.getpixel(corner)
        assert abs(r - 0x40) < 12 and abs(g - 0x80) < 12 and abs(b - 0xC0) < 12, corner


def test_no_face_no_photo():
    with pytest.raises(PhotoError) as e:
        permit_photo(Image.new("RGB", (640, 480), (230, 230, 230)))
    assert e.value.code == "photo_no_face"
