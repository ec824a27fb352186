"""The permit photo: the best frame levelled, cropped and sized to the spec, as JPEG.

The crop is built around the face: the eyes levelled (the head's roll undone), the
chin-to-crown height made ``head_height`` of the photo's height (the crown, hair
included, found in the person segmentation mask), the eye line put at ``eye_line``
from the top unless that would cut the hair, and the face centred across. Any sliver of the crop outside
the camera's frame is filled with the background colour (the framing check keeps it a
sliver). With ``background = "replace"`` the person is cut out by segmentation and put
on ``background_colour``. The JPEG's quality is lowered step by step until the file
fits ``max_bytes``.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from kiosk.config import PhotoConfig
from kiosk.errors import KioskError
from kiosk.photo.faces import CROWN_FACTOR, FaceFinder, FaceGeometry, default_finder
from kiosk.photo.quality import to_rgb_array

QUALITY_STEP = 4


class PhotoError(KioskError):
    """The photo cannot be made (no face, or no JPEG small enough)."""

    code = "photo_error"


def _rotate_point(x: float, y: float, cx: float, cy: float, degrees: float) -> tuple[float, float]:
    """Where (x, y) goes when the image turns ``degrees`` counter-clockwise about (cx, cy)."""
    a = math.radians(degrees)
    dx, dy = x - cx, y - cy
    # Image y points down, so a counter-clockwise turn on screen is this rotation.
    return cx + dx * math.cos(a) + dy * math.sin(a), cy - dx * math.sin(a) + dy * math.cos(a)


CROWN_RATIO_RANGE = (0.6, 1.9)  # eyes-to-crown over eyes-to-chin a real head can have
MIN_TOP_MARGIN = 0.03  # of the photo's height, above the crown


def measured_crown(face: FaceGeometry, person: np.ndarray | None) -> float | None:
    """The top of the head (hair included) from the person mask: the highest row above
    the eyes where the middle of the head is still the person, scanning up until a few
    rows in a row are not. None without a mask or when the answer is implausible (a
    raised hand, a mask that spilled into the backdrop): the caller falls back."""
    if person is None:
        return None
    ex, ey = face.eyes_mid
    half = 0.45 * face.eye_distance
    x0, x1 = int(max(0, ex - half)), int(min(person.shape[1], ex + half))
    if x1 - x0 < 2 or ey < 2:
        return None
    share = (person[:int(ey), x0:x1] >= 0.5).mean(axis=1)
    top, misses = int(ey), 0
    for y in range(int(ey) - 1, -1, -1):
        if share[y] >= 0.5:
            top, misses = y, 0
        else:
            misses += 1
            if misses >= 3:
                break
    below = face.chin[1] - ey
    if below <= 0 or not CROWN_RATIO_RANGE[0] <= (ey - top) / below <= CROWN_RATIO_RANGE[1]:
        return None
    return float(top)


def crop_geometry(face: FaceGeometry, config: PhotoConfig,
                  crown_y: float | None = None) -> tuple[float, tuple[float, ...]]:
    """(angle, box): the counter-clockwise turn in degrees that levels the eyes, and the
    crop box (left, top, right, bottom) in the turned image, which keeps its size.

    Chin to crown fills ``head_height`` of the photo, with the crown measured
    (``crown_y``, from :func:`measured_crown`) or else estimated from the face; the eyes
    sit on ``eye_line`` unless that would cut the hair, when the box moves up."""
    (rx, ry), (lx, ly) = face.landmarks["right_eye"], face.landmarks["left_eye"]
    angle = math.degrees(math.atan2(ly - ry, lx - rx))  # > 0: tilted clockwise
    cx, cy = face.eyes_mid
    chin = _rotate_point(*face.chin, cx, cy, angle)
    eyes_to_chin = chin[1] - cy
    eyes_to_crown = (cy - crown_y) if crown_y is not None else eyes_to_chin * CROWN_FACTOR
    head = eyes_to_chin + eyes_to_crown
    height = head / config.head_height
    width = height * config.crop_width / config.crop_height
    top = min(cy - config.eye_line * height, cy - eyes_to_crown - MIN_TOP_MARGIN * height)
    return angle, (cx - width / 2, top, cx + width / 2, top + height)


def normalise(image: np.ndarray | Image.Image | bytes, config: PhotoConfig | None = None,
              face: FaceGeometry | None = None, finder: FaceFinder | None = None) -> Image.Image:
    """The permit photo as a Pillow image of exactly crop_width x crop_height."""
    config = config or PhotoConfig()
    rgb = to_rgb_array(image)
    finder = finder or default_finder(config.min_face_confidence, config.bystander_ratio)
    if face is None:
        faces = finder.find(rgb)
        if not faces:
            raise PhotoError("no face found to crop around", code="photo_no_face")
        face = faces[0]
    person = finder.person_mask(rgb)
    background = config.background_rgb()
    source = Image.fromarray(rgb)
    if config.background == "replace":
        mask = Image.fromarray((person * 255).astype(np.uint8), "L")
        source = Image.composite(source, Image.new("RGB", source.size, background), mask)
    angle, (x0, y0, x1, y1) = crop_geometry(face, config, measured_crown(face, person))
    cx, cy = face.eyes_mid
    if abs(angle) > 0.05:
        source = source.rotate(angle, resample=Image.BICUBIC, center=(cx, cy),
                               fillcolor=background)
    box = tuple(round(v) for v in (x0, y0, x1, y1))
    crop = Image.new("RGB", (box[2] - box[0], box[3] - box[1]), background)
    crop.paste(source.crop((max(0, box[0]), max(0, box[1]),
                            min(source.width, box[2]), min(source.height, box[3]))),
               (max(0, -box[0]), max(0, -box[1])))
    return crop.resize((config.crop_width, config.crop_height), Image.LANCZOS,
                       reducing_gap=3.0)


def encode_jpeg(image: Image.Image, quality: int = 92, min_quality: int = 50,
                max_bytes: int = 60000) -> bytes:
    """JPEG bytes at the highest quality from ``quality`` down to ``min_quality`` (in
    steps of QUALITY_STEP) that fits ``max_bytes``; PhotoError if none does."""
    q = quality
    while True:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=q, optimize=True, dpi=(350, 350))
        data = out.getvalue()
        if len(data) <= max_bytes:
            return data
        if q <= min_quality:
            raise PhotoError(f"{len(data)} bytes at quality {q}, more than {max_bytes}",
                             code="photo_too_large")
        q = max(min_quality, q - QUALITY_STEP)


def permit_photo(image: np.ndarray | Image.Image | bytes, config: PhotoConfig | None = None,
                 face: FaceGeometry | None = None, finder: FaceFinder | None = None) -> bytes:
    """Crop and normalise ``image`` to the permit spec in ``config``: JPEG bytes."""
    config = config or PhotoConfig()
    return encode_jpeg(normalise(image, config, face, finder), config.jpeg_quality,
                       config.min_jpeg_quality, config.max_bytes)
