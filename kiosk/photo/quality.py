"""Is this frame a good ID photo? Each check measured, compared, and turned into advice.

The checks follow the ideas of ICAO's portrait guidance and ISO/IEC 29794-5 (one face,
framed and frontal, eyes open, mouth closed, sharp, well and evenly lit, plain light
background), with our own simple measures. Every check gives a ``CheckResult``; a
failing one carries the message id of the one thing the resident should do
(kiosk/photo/messages.py).

Guidance priority, most important first (``PRIORITY``): nobody in view, more than one
person, distance, framing, centring, a face too turned or covered to measure, head
turned / chin / tilt, eyes, mouth, light (dark, bright, contrast, evenness), sharpness,
background. Distance and position come first
because every later measure is better once the face is big and in the middle; the
resident can fix the light and the background least, so they come last.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

from biometrics.images import to_rgb_array
from kiosk.config import PhotoConfig
from kiosk.photo.faces import FaceFinder, FaceGeometry, default_finder
from kiosk.photo.forehead import forehead_skin_share

PRIORITY = ("face_found", "single_face", "face_size", "framing", "centring_h", "centring_v",
            "landmarks", "yaw", "pitch", "roll", "forehead_visible", "eyes_open", "mouth_closed",
            "exposure_dark",
            "exposure_bright", "contrast", "light_balance", "sharpness",
            "background_brightness", "background_plain")


@dataclass(frozen=True)
class CheckResult:
    """One check. ``bound`` says how ``score`` meets ``threshold``: "min" = score must be at
    least the threshold, "max" = at most. Two-sided checks report the nearer bound.
    ``guidance`` is the message id to show when the check fails, else None."""

    name: str
    score: float
    threshold: float
    passed: bool
    guidance: str | None
    bound: Literal["min", "max"] = "min"

    def as_dict(self) -> dict:
        return {**asdict(self), "score": round(self.score, 4),
                "threshold": round(self.threshold, 4)}


@dataclass(frozen=True)
class Assessment:
    """All checks of one image, in priority order; the face measured (personal data)."""

    checks: tuple[CheckResult, ...]
    face: FaceGeometry | None = field(default=None, repr=False)
    width: int = 0
    height: int = 0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    def guidance(self) -> str | None:
        """The message id of the most important failing check; None when all pass."""
        failed = self.failed()
        return failed[0].guidance if failed else None

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    def as_dict(self) -> dict:
        return {"passed": self.passed, "guidance": self.guidance(),
                "checks": [c.as_dict() for c in self.checks]}


def _min(name: str, score: float, threshold: float, guidance: str) -> CheckResult:
    ok = score >= threshold
    return CheckResult(name, float(score), float(threshold), ok, None if ok else guidance, "min")


def _max(name: str, score: float, threshold: float, guidance: str) -> CheckResult:
    ok = score <= threshold
    return CheckResult(name, float(score), float(threshold), ok, None if ok else guidance, "max")


def _between(name: str, score: float, low: float, high: float, below: str,
             above: str) -> CheckResult:
    if score < low:
        return CheckResult(name, float(score), float(low), False, below, "min")
    if score > high:
        return CheckResult(name, float(score), float(high), False, above, "max")
    nearer_low = score - low <= high - score
    return CheckResult(name, float(score), float(low if nearer_low else high), True, None,
                       "min" if nearer_low else "max")


def luma(rgb: np.ndarray) -> np.ndarray:
    """Brightness 0..1 (ITU-R BT.601 weights)."""
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255.0


def crop_box(face: FaceGeometry, config: PhotoConfig,
             head_share: float | None = None) -> tuple[float, float, float, float]:
    """Where the permit crop falls in this image (before levelling): left, top, right,
    bottom, with the head at ``head_share`` of the crop's height and the eyes on the
    configured eye line."""
    share = head_share or config.head_height
    height = face.head_height / share
    width = height * config.crop_width / config.crop_height
    ex, ey = face.eyes_mid
    top = ey - config.eye_line * height
    return ex - width / 2, top, ex + width / 2, top + height


def _framing(face: FaceGeometry, config: PhotoConfig, w: int, h: int) -> CheckResult:
    """The smallest allowed crop (largest head) must lie inside the frame."""
    x0, y0, x1, y1 = crop_box(face, config, config.head_height_max)
    area = (x1 - x0) * (y1 - y0)
    inside = max(0.0, min(x1, w) - max(x0, 0)) * max(0.0, min(y1, h) - max(y0, 0))
    score = inside / area if area > 0 else 0.0
    if score >= config.min_crop_inside:
        return _min("framing", score, config.min_crop_inside, "photo.guide.farther")
    over = {"left": max(0.0, -x0), "right": max(0.0, x1 - w),
            "top": max(0.0, -y0), "bottom": max(0.0, y1 - h)}
    if (over["left"] and over["right"]) or (over["top"] and over["bottom"]):
        advice = "photo.guide.farther"
    else:
        side = max(over, key=over.get)  # type: ignore[arg-type]
        # The person appears on the image's left when standing to their right: they
        # move to their left. A head too high moves down, too low moves up.
        advice = {"left": "photo.guide.left", "right": "photo.guide.right",
                  "top": "photo.guide.down", "bottom": "photo.guide.up"}[side]
    return _min("framing", score, config.min_crop_inside, advice)


def _face_region(face: FaceGeometry, w: int, h: int) -> tuple[int, int, int, int]:
    """The inner face (brows to mouth, cheek to cheek) as an integer box in the image."""
    lm = face.landmarks
    if "cheek_right" in lm:
        xl, xr = lm["cheek_right"][0], lm["cheek_left"][0]
        top, bottom = lm["forehead"][1], lm["chin"][1]
    else:
        xl, top, xr, bottom = face.box
    fw, fh = xr - xl, bottom - top
    box = (xl + 0.15 * fw, top + 0.2 * fh, xr - 0.15 * fw, bottom - 0.12 * fh)
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w, math.ceil(box[2])), min(h, math.ceil(box[3]))
    return x0, y0, max(x0, x1), max(y0, y1)


def _sharpness(gray: np.ndarray, scale: float) -> float:
    """Variance of the Laplacian over the variance of brightness, at the face's size in
    the permit photo: independent of skin tone and light level, lowered by blur."""
    import cv2  # OpenCV comes with mediapipe
    if gray.size < 64:
        return 0.0
    if scale < 1.0:
        size = (max(8, int(gray.shape[1] * scale)), max(8, int(gray.shape[0] * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    variance = float(gray.var())
    if variance < 1e-6:
        return 0.0
    return float(cv2.Laplacian(gray, cv2.CV_32F, ksize=3).var()) / variance


def _background_pixels(rgb: np.ndarray, face: FaceGeometry, person: np.ndarray,
                       config: PhotoConfig) -> np.ndarray:
    """Brightness of the backdrop: the pixels of the permit crop that are clearly not
    the person (segmentation below 0.1, kept a few pixels clear of the outline)."""
    import cv2
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = (round(v) for v in crop_box(face, config))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return np.empty(0, dtype=np.float32)
    grow = max(3, int(0.02 * face.head_height)) | 1
    near_person = cv2.dilate((person[y0:y1, x0:x1] >= 0.1).astype(np.uint8),
                             np.ones((grow, grow), np.uint8))
    return luma(rgb[y0:y1, x0:x1])[near_person == 0]


def assess_faces(rgb: np.ndarray, faces: list[FaceGeometry], config: PhotoConfig,
                 person: np.ndarray | None = None) -> Assessment:
    """Run every check on an image whose faces are already found (largest first);
    ``person`` is the segmentation mask (FaceFinder.person_mask) for the background
    checks, which are left out without it."""
    h, w = rgb.shape[:2]
    checks = [_min("face_found", len(faces), 1, "photo.guide.no_face")]
    if not faces:
        return Assessment(tuple(checks), None, w, h)
    checks.append(_max("single_face", len(faces), 1, "photo.guide.one_person"))
    face = faces[0]
    checks.append(_between("face_size", face.head_height / h, config.min_head_height,
                           config.max_head_height, "photo.guide.closer", "photo.guide.farther"))
    checks.append(_framing(face, config, w, h))
    hx, hy = face.eyes_mid[0], face.head_centre[1]
    target_y = config.eye_line  # the crop puts the head's centre on the eye line's height
    # Too far to the image's left means standing to one's right: "move to your left".
    checks.append(_between("centring_h", (hx - w / 2) / w, -config.max_offset,
                           config.max_offset, "photo.guide.left", "photo.guide.right"))
    checks.append(_between("centring_v", hy / h - target_y, -config.max_offset,
                           config.max_offset, "photo.guide.down", "photo.guide.up"))
    if not face.measured:
        # Seen by the detector but not measurable (turned away, covered): no pose, eyes
        # or mouth can be judged, so none is said to pass.
        checks.append(_min("landmarks", 0.0, 1.0, "photo.guide.no_face"))
        checks.extend(_light_checks(rgb, face, config, person))
        checks.sort(key=lambda c: PRIORITY.index(c.name))
        return Assessment(tuple(checks), face, w, h)
    # Turned to their left (yaw > 0): turn back to the right; chin down: lift it.
    checks.append(_between("yaw", face.yaw, -config.max_yaw_deg, config.max_yaw_deg,
                           "photo.guide.turn_left", "photo.guide.turn_right"))
    checks.append(_between("pitch", face.pitch, -config.max_pitch_deg, config.max_pitch_deg,
                           "photo.guide.chin_up", "photo.guide.chin_down"))
    checks.append(_max("roll", abs(face.roll), config.max_roll_deg, "photo.guide.tilt"))
    forehead = forehead_skin_share(rgb, face)
    if forehead is not None:
        checks.append(_min("forehead_visible", forehead, config.min_forehead_visible,
                           "photo.guide.uncover"))
    if face.eye_openness is not None:
        checks.append(_min("eyes_open", face.eye_openness, config.min_eye_openness,
                           "photo.guide.open_eyes"))
    if face.mouth_openness is not None:
        checks.append(_max("mouth_closed", face.mouth_openness, config.max_mouth_openness,
                           "photo.guide.close_mouth"))
    checks.extend(_light_checks(rgb, face, config, person))
    checks.sort(key=lambda c: PRIORITY.index(c.name))
    return Assessment(tuple(checks), face, w, h)


def _light_checks(rgb: np.ndarray, face: FaceGeometry, config: PhotoConfig,
                  person: np.ndarray | None) -> list[CheckResult]:
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = _face_region(face, w, h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return []  # the face is outside the frame: framing has failed already
    region = luma(rgb[y0:y1, x0:x1])
    p5, p50, p90, p95 = (float(v) for v in np.percentile(region, (5, 50, 90, 95)))
    # Dark: judged on the highlights, so dark skin in good light is not "too dark".
    # Bright: judged on the middle, so a shiny forehead is not "too bright".
    checks = [_min("exposure_dark", p90, config.min_brightness, "photo.guide.too_dark"),
              _max("exposure_bright", p50, config.max_brightness, "photo.guide.too_bright")]
    checks.append(_min("contrast", p95 - p5, config.min_contrast,
                       "photo.guide.too_dark" if p50 < 0.5 else "photo.guide.too_bright"))
    nose_x = face.landmarks.get("nose_tip", face.eyes_mid)[0]
    split = int(min(max(nose_x, x0 + 2), x1 - 2)) - x0
    halves = float(np.median(region[:, :split])), float(np.median(region[:, split:]))
    balance = min(halves) / max(halves) if max(halves) > 1e-6 else 0.0
    checks.append(_min("light_balance", balance, config.min_light_balance,
                       "photo.guide.uneven_light"))
    scale = config.head_height * config.crop_height / max(face.head_height, 1.0)
    gray = (region * 255.0).astype(np.float32)
    checks.append(_min("sharpness", _sharpness(gray, scale), config.min_sharpness,
                       "photo.guide.blurry"))
    backdrop = _background_pixels(rgb, face, person, config) if person is not None else None
    if backdrop is not None and backdrop.size >= 50:
        checks.append(_min("background_brightness", float(np.median(backdrop)),
                           config.min_background_brightness, "photo.guide.background"))
        checks.append(_max("background_plain", float(backdrop.std()),
                           config.max_background_texture, "photo.guide.background"))
    return checks


def assess(image, config: PhotoConfig | None = None,
           finder: FaceFinder | None = None) -> Assessment:
    """Find the faces and run every check. ``image`` is RGB: an array, a Pillow image,
    encoded bytes or a camera Frame; ``config`` defaults to the packaged defaults."""
    config = config or PhotoConfig()
    rgb = to_rgb_array(image)
    finder = finder or default_finder(config.min_face_confidence, config.bystander_ratio)
    faces = finder.find(rgb)
    return assess_faces(rgb, faces, config, finder.person_mask(rgb) if faces else None)
