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


def drawn(persona: str) -> bytes:
    """A frame of the camera simulator's drawn resident (big hair, a bun)."""
    import numpy as np
    from drivers.camera.simulated import SyntheticScene
    out = io.BytesIO()
    Image.fromarray(np.frombuffer(SyntheticScene(persona, 640, 480).frame(3), np.uint8)
                    .reshape(480, 640, 3)).save(out, "PNG")
    return out.getvalue()


SOURCES = {"biden2.jpg": lambda: photo_bytes("biden2.jpg"),
           "obama.jpg": lambda: photo_bytes("obama.jpg"),
           "obama2.jpg": lambda: photo_bytes("obama2.jpg"),
           "drawn-eligible": lambda: drawn("eligible"),
           "drawn-bun": lambda: drawn("student")}


@pytest.mark.parametrize("name", list(SOURCES))
def test_size_head_position_and_bytes(name):
    """Chin to crown (hair included, found in the crop's own person mask) fills the spec's
    share; the eyes sit on the eye line unless the hair would be cut; nothing of the head
    touches the top edge."""
    from kiosk.photo.crop import MIN_TOP_MARGIN, measured_crown
    from kiosk.photo.faces import default_finder
    config = PhotoConfig()
    jpeg = permit_photo(SOURCES[name](), config)
    image, face = measured(jpeg)
    assert image.format == "JPEG" and image.size == (358, 441)
    assert len(jpeg) <= config.max_bytes
    import numpy as np
    rgb = np.asarray(image.convert("RGB"))
    person = default_finder().person_mask(rgb)
    crown = measured_crown(face, person)
    assert crown is not None, "the crown is found in the crop"
    head = (face.chin[1] - crown) / 441
    assert config.head_height_min <= head <= config.head_height_max, head
    assert head == pytest.approx(config.head_height, abs=0.03)
    eyes = face.eyes_mid[1] / 441
    assert eyes == pytest.approx(config.eye_line, abs=0.02) or \
        crown / 441 == pytest.approx(MIN_TOP_MARGIN, abs=0.02), (eyes, crown / 441)
    assert crown / 441 >= MIN_TOP_MARGIN - 0.015, "the top of the hair is not cut"
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
