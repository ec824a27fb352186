"""The permit photo: the best frame levelled, cropped and sized to the spec, as JPEG.

The crop is built around the face: the eyes levelled (the head's roll undone), the
chin-to-crown height made ``head_height`` of the photo's height, the eye line put at
``eye_line`` from the top unless that would cut the hair, and the face centred across.

The crown is the top of the head *with its hair*. Landmarks end at the hairline, so it
is measured in the person segmentation mask, in the levelled picture: the highest row
above the eyes where the middle of the head is still the person (:func:`find_crown`).
When there is no mask, or its answer is not a head's (a raised hand, a mask that lost
dark hair against a dark wall), the crown is estimated from the face (``CROWN_FACTOR``)
and the result says so.

Any sliver of the crop outside the camera's frame is filled with the background colour
(the framing check keeps it a sliver). With ``background = "replace"`` the person is cut
out by segmentation and put on ``background_colour``. The JPEG's quality is lowered step
by step until the file fits ``max_bytes``.

For the kiosk's worker thread, :func:`submission_photo` (or :func:`prepare_submission`,
which also returns the checks) turns one still into the permit JPEG, finding the face and
segmenting the still once.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image

from kiosk.config import PhotoConfig
from kiosk.errors import KioskError
from kiosk.photo.faces import (
    CROWN_FACTOR,
    FaceFinder,
    FaceGeometry,
    Point,
    default_finder,
)
from kiosk.photo.quality import Assessment, assess_faces, to_rgb_array

log = logging.getLogger(__name__)

QUALITY_STEP = 4

CROWN_RATIO_RANGE = (0.7, 1.9)
"""Eyes-to-crown over eyes-to-chin that a real head, hair included, can have. Measured:
0.80-1.02 on the White House portraits (the least on a speaking mouth, whose open jaw
lengthens eyes-to-chin: 0.8 is too tight a floor), 1.16-1.36 on the simulator's drawn
hair and buns. Outside it (a raised hand, a mask that lost dark hair against a dark wall)
the mask is not trusted and the crown is estimated."""

CROWN_BAND = 0.45
"""Half-width of the column band scanned for the crown, in eye distances either side of
the eyes' midpoint: the top of the head, not the shoulders or a hand beside it."""

CROWN_SHARE = 0.4
"""A row of the band is the head while its mean mask score is at least this share of the
head's own level (the band's highest row mean between the eyes and the forehead). Stray
hairs and thin slivers of mask stay below it; relative, because
the model's score on hair can be ~0.5 where it is ~1 on the face. Chosen by measurement:
errors of 0 to -0.03 eyes-to-chin against the hand-marked and drawn crowns, where "half
the band's pixels over 0.5" missed a drawn fringe by 0.13 and a tilted head's crown by 0.2.
Before a cluttered wall (a painting) the mask can spill from the hair into it: the crown
then comes out up to ~0.08 eyes-to-chin too high, a head ~3 % small, never a cut one."""

MIN_HEAD_LEVEL = 0.3  # a mask scoring the forehead lower than this has not seen the head

CROWN_GAP = 0.03
"""Rows in a row that must not be the head to end it, as a share of eyes-to-chin (at least
3): a speck of mask above the head, a few rows clear of it, is not the crown."""

MIN_TOP_MARGIN = 0.03  # of the photo's height, always left clear above the crown

CrownSource = Literal["mask", "estimate"]


class PhotoError(KioskError):
    """The photo cannot be made (no face, or no JPEG small enough)."""

    code = "photo_error"


@dataclass(frozen=True)
class Crown:
    """The top of the head in the levelled picture (its y), and how it was found."""

    y: float
    source: CrownSource


@dataclass(frozen=True)
class CropLayout:
    """Where the permit photo comes from in the camera's picture.

    The picture is turned ``angle`` degrees counter-clockwise about ``centre`` (the eyes'
    midpoint) to level the eyes; ``box`` (left, top, right, bottom) is then cut from the
    turned picture and scaled to the photo's size."""

    angle: float
    centre: Point
    box: tuple[float, float, float, float]
    crown: Crown

    def to_crop(self, x: float, y: float, size: tuple[int, int]) -> Point:
        """Where the camera picture's point (x, y) lands in the photo of ``size`` (w, h)."""
        lx, ly = _rotate_point(x, y, *self.centre, self.angle)
        x0, y0, x1, y1 = self.box
        return (lx - x0) * size[0] / (x1 - x0), (ly - y0) * size[1] / (y1 - y0)


def _rotate_point(x: float, y: float, cx: float, cy: float, degrees: float) -> tuple[float, float]:
    """Where (x, y) goes when the image turns ``degrees`` counter-clockwise about (cx, cy)."""
    a = math.radians(degrees)
    dx, dy = x - cx, y - cy
    # Image y points down, so a counter-clockwise turn on screen is this rotation.
    return cx + dx * math.cos(a) + dy * math.sin(a), cy - dx * math.sin(a) + dy * math.cos(a)


def _levelled_to_source(angle: float, centre: Point, x0: float, y0: float,
                        sx: float = 1.0, sy: float = 1.0) -> np.ndarray:
    """The 2x3 affine map from pixel (u, v) of a window whose top-left is (x0, y0) in the
    picture turned ``angle`` about ``centre`` (u, v scaled by sx, sy) back to the camera
    picture: what cv2.warpAffine needs with WARP_INVERSE_MAP."""
    a = math.radians(angle)
    c, s = math.cos(a), math.sin(a)
    cx, cy = centre
    # source = centre + R(-angle) @ (levelled - centre), levelled = (x0 + sx u, y0 + sy v)
    dx, dy = x0 - cx, y0 - cy
    return np.array([[c * sx, -s * sy, cx + c * dx - s * dy],
                     [s * sx, c * sy, cy + s * dx + c * dy]], dtype=np.float64)


def level_angle(face: FaceGeometry) -> float:
    """Degrees to turn the picture counter-clockwise so the eyes are level (> 0: the head
    leans clockwise in the picture)."""
    (rx, ry), (lx, ly) = face.landmarks["right_eye"], face.landmarks["left_eye"]
    return math.degrees(math.atan2(ly - ry, lx - rx))


def _eyes_to_chin(face: FaceGeometry, angle: float) -> float:
    cx, cy = face.eyes_mid
    return _rotate_point(*face.chin, cx, cy, angle)[1] - cy


def measured_crown(face: FaceGeometry, person: np.ndarray | None,
                   angle: float | None = None) -> float | None:
    """The top of the head (hair included) from the person mask, as a y in the picture
    levelled by ``angle`` (default: the face's own eye angle) about the eyes.

    Scans up from the eyes through a band over the middle of the head; the crown is the
    last row that is still the head (CROWN_SHARE) before CROWN_GAP of rows that are not.
    None without a mask, when the mask has not seen the head (MIN_HEAD_LEVEL), or when
    the answer is not a head's (CROWN_RATIO_RANGE): the caller falls back to the estimate."""
    if person is None:
        return None
    import cv2  # comes with mediapipe; imported here to keep start-up light
    angle = level_angle(face) if angle is None else angle
    below = _eyes_to_chin(face, angle)
    half = CROWN_BAND * face.eye_distance
    ex, ey = face.eyes_mid
    if below <= 0 or half < 1:
        return None
    # The band, levelled, from well above any plausible crown down to the eyes.
    top = ey - (CROWN_RATIO_RANGE[1] + 0.2) * below
    rows, cols = max(2, int(ey - top)), max(2, round(2 * half))
    band = cv2.warpAffine(np.ascontiguousarray(person, dtype=np.float32),
                          _levelled_to_source(angle, (ex, ey), ex - half, top),
                          (cols, rows), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
    profile = band.mean(axis=1)
    level = float(profile[int(rows - CROWN_RATIO_RANGE[0] * below):].max())
    if level < MIN_HEAD_LEVEL:
        return None
    crown = _top_of_run(profile >= CROWN_SHARE * level, max(3, int(CROWN_GAP * below)))
    if crown is None:
        return None
    crown_y = top + crown
    if not CROWN_RATIO_RANGE[0] <= (ey - crown_y) / below <= CROWN_RATIO_RANGE[1]:
        return None
    return float(crown_y)


def _top_of_run(head: np.ndarray, gap: int) -> int | None:
    """Scanning ``head`` (one flag per row) upward from its last row: the index of the
    highest head row reached before ``gap`` non-head rows in a row; None when the last
    row (the eyes) is not the head at all."""
    if not head[-1]:
        return None
    top, misses = len(head) - 1, 0
    for y in range(len(head) - 2, -1, -1):
        if head[y]:
            top, misses = y, 0
        else:
            misses += 1
            if misses >= gap:
                break
    return top


def find_crown(face: FaceGeometry, person: np.ndarray | None,
               angle: float | None = None) -> Crown:
    """The crown, levelled: from the mask when it gives a head's answer, else estimated
    as CROWN_FACTOR times eyes-to-chin above the eyes."""
    angle = level_angle(face) if angle is None else angle
    measured = measured_crown(face, person, angle)
    if measured is not None:
        return Crown(measured, "mask")
    return Crown(face.eyes_mid[1] - CROWN_FACTOR * _eyes_to_chin(face, angle), "estimate")


def crop_geometry(face: FaceGeometry, config: PhotoConfig,
                  crown_y: float | None = None) -> tuple[float, tuple[float, ...]]:
    """(angle, box): the counter-clockwise turn in degrees that levels the eyes, and the
    crop box (left, top, right, bottom) in the turned image, which keeps its size.

    Chin to crown fills ``head_height`` of the photo, with the crown measured
    (``crown_y``, levelled, from :func:`find_crown`) or else estimated from the face; the
    eyes sit on ``eye_line`` unless that would cut the hair, when the box moves up."""
    angle = level_angle(face)
    cx, cy = face.eyes_mid
    eyes_to_chin = _eyes_to_chin(face, angle)
    eyes_to_crown = (cy - crown_y) if crown_y is not None else eyes_to_chin * CROWN_FACTOR
    head = eyes_to_chin + eyes_to_crown
    height = head / config.head_height
    width = height * config.crop_width / config.crop_height
    top = min(cy - config.eye_line * height, cy - eyes_to_crown - MIN_TOP_MARGIN * height)
    return angle, (cx - width / 2, top, cx + width / 2, top + height)


def layout(face: FaceGeometry, config: PhotoConfig, person: np.ndarray | None) -> CropLayout:
    """The crop for this face: the crown found (mask or estimate) and the box around it."""
    crown = find_crown(face, person)
    angle, box = crop_geometry(face, config, crown.y)
    return CropLayout(angle, face.eyes_mid, tuple(box), crown)  # type: ignore[arg-type]


def _cut(rgb: np.ndarray, person: np.ndarray | None, plan: CropLayout,
         config: PhotoConfig) -> Image.Image:
    """The box, levelled, at about the camera's own scale in one warp (outside the
    picture: the background colour), the backdrop replaced when configured; then scaled
    to the photo's size."""
    import cv2
    x0, y0, x1, y1 = plan.box
    # At least the photo's size, so the final resize only ever shrinks or keeps.
    w = max(config.crop_width, round(x1 - x0))
    h = max(config.crop_height, round(y1 - y0))
    matrix = _levelled_to_source(plan.angle, plan.centre, x0, y0, (x1 - x0) / w, (y1 - y0) / h)
    flags = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
    background = config.background_rgb()
    out = cv2.warpAffine(rgb, matrix, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=background)
    if config.background == "replace" and person is not None:
        alpha = cv2.warpAffine(np.ascontiguousarray(person, dtype=np.float32), matrix, (w, h),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)[..., None]
        out = (out * alpha + np.array(background, np.float32) * (1 - alpha) + 0.5)
        out = out.clip(0, 255).astype(np.uint8)
    image = Image.fromarray(out)
    if image.size == (config.crop_width, config.crop_height):
        return image
    return image.resize((config.crop_width, config.crop_height), Image.Resampling.LANCZOS,
                        reducing_gap=3.0)


def _face_of(rgb: np.ndarray, finder: FaceFinder) -> FaceGeometry:
    faces = finder.find(rgb)
    if not faces:
        raise PhotoError("no face found to crop around", code="photo_no_face")
    return faces[0]


def normalise(image: np.ndarray | Image.Image | bytes, config: PhotoConfig | None = None,
              face: FaceGeometry | None = None, finder: FaceFinder | None = None,
              person: np.ndarray | None = None) -> Image.Image:
    """The permit photo as a Pillow image of exactly crop_width x crop_height. ``person``
    is the picture's segmentation mask when the caller has it already (else made here)."""
    config = config or PhotoConfig()
    rgb = to_rgb_array(image)
    finder = finder or default_finder(config.min_face_confidence, config.bystander_ratio)
    face = face or _face_of(rgb, finder)
    person = finder.person_mask(rgb) if person is None else person
    return _cut(rgb, person, layout(face, config, person), config)


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
                 face: FaceGeometry | None = None, finder: FaceFinder | None = None,
                 person: np.ndarray | None = None) -> bytes:
    """Crop and normalise ``image`` to the permit spec in ``config``: JPEG bytes."""
    config = config or PhotoConfig()
    return encode_jpeg(normalise(image, config, face, finder, person), config.jpeg_quality,
                       config.min_jpeg_quality, config.max_bytes)


@dataclass(frozen=True)
class Submission:
    """One still made ready to submit: the permit JPEG, the still's checks, and whether
    the crown came from the mask or the estimate. Personal data (jpeg, the face inside
    ``assessment``): keep in memory only."""

    jpeg: bytes = field(repr=False)
    assessment: Assessment = field(repr=False)
    crown: CrownSource


def prepare_submission(still, config: PhotoConfig | None = None,
                       finder: FaceFinder | None = None) -> Submission:
    """The permit JPEG and every check of one still (JPEG/PNG bytes, a camera Frame, an
    array or a Pillow image), with the face found and the still segmented once for both.
    Raises PhotoError: ``photo_no_face``, or ``photo_too_large`` when no JPEG down to
    ``min_jpeg_quality`` fits ``max_bytes``."""
    config = config or PhotoConfig()
    rgb = to_rgb_array(still)
    finder = finder or default_finder(config.min_face_confidence, config.bystander_ratio)
    faces = finder.find(rgb)
    if not faces:
        raise PhotoError("no face found to crop around", code="photo_no_face")
    person = finder.person_mask(rgb)
    plan = layout(faces[0], config, person)
    jpeg = encode_jpeg(_cut(rgb, person, plan, config), config.jpeg_quality,
                       config.min_jpeg_quality, config.max_bytes)
    log.debug("permit photo crown=%s bytes=%d", plan.crown.source, len(jpeg))
    return Submission(jpeg, assess_faces(rgb, faces, config, person), plan.crown.source)


def submission_photo(still, config: PhotoConfig | None = None,
                     finder: FaceFinder | None = None) -> bytes:
    """The permit JPEG to submit, from the still just taken: call it on the worker
    thread. Raises PhotoError (``photo_no_face``, ``photo_too_large``)."""
    return prepare_submission(still, config, finder).jpeg
