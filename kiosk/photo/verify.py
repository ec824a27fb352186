"""Is the person at the kiosk the holder of the document? One comparison, one verdict.

A face template is dlib's 128-number ResNet descriptor (``dlib_face_recognition_resnet_
model_v1``, public domain, from the ``face_recognition_models`` package) computed on the
face aligned by dlib's 5-point landmark model (public domain, same package). Faces are
found by FaceFinder (mediapipe), whose box is mapped onto the box dlib's own HOG
detector would draw, which the 5-point model expects (measured on the test portraits:
a square 1.23 times the eyes-to-chin distance, centred 0.28 of the way from the eyes to
the chin). That is 3-10 ms instead of dlib's 20-40 ms HOG, and finds turned faces too.

Two templates of the same person lie closer than ``threshold`` (dlib's 0.6). Within
``unsure_band`` of it the verdict is "unsure": the application goes to staff review,
as it does for "no_match" and "no_face". The kiosk never accuses anyone.

Templates are personal data: they live only inside ``verify`` (wiped before it returns),
print as "FaceTemplate(hidden)", refuse to be pickled, and are never logged or stored.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from kiosk.photo.faces import (
    FaceFinder,
    FaceGeometry,
    FaceModelUnavailable,
    default_finder,
)
from kiosk.photo.quality import to_rgb_array
from protocol import wire

log = logging.getLogger(__name__)

Verdict = Literal["match", "no_match", "unsure", "no_face"]
BOX_SIDE, BOX_SHIFT = 1.23, 0.28  # dlib HOG box from eyes and chin, see the docstring


class NoFaceFound(ValueError):
    """No face in the image: no template can be made."""


def models_dir() -> Path:
    """The ``face_recognition_models`` package's model folder, found without importing
    the package (its __init__ needs pkg_resources, which new setuptools no longer has)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelUnavailable("face_recognition_models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class FaceTemplate:
    """One face's descriptor. Personal data: compare it, then ``wipe()`` it (or use it as
    a context manager). It never prints its numbers and cannot be pickled."""

    __slots__ = ("_vector",)

    def __init__(self, vector: np.ndarray) -> None:
        self._vector: np.ndarray | None = np.array(vector, dtype=np.float64).ravel()

    @classmethod
    def from_image(cls, image: np.ndarray | Image.Image | bytes,
                   recogniser: Recogniser | None = None) -> FaceTemplate:
        """The template of the largest face; NoFaceFound when there is none."""
        return (recogniser or default_recogniser()).template(image)

    @property
    def wiped(self) -> bool:
        return self._vector is None

    def distance(self, other: FaceTemplate) -> float:
        if self._vector is None or other._vector is None:
            raise ValueError("a wiped template cannot be compared")
        return float(np.linalg.norm(self._vector - other._vector))

    def wipe(self) -> None:
        """Overwrite the numbers and forget them."""
        if self._vector is not None:
            self._vector.fill(0.0)
            self._vector = None

    def __enter__(self) -> FaceTemplate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wipe()

    def __repr__(self) -> str:
        return "FaceTemplate(wiped)" if self._vector is None else "FaceTemplate(hidden)"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("face templates are personal data and are never stored")


def compare(a: FaceTemplate, b: FaceTemplate) -> float:
    """Euclidean distance between two templates: small is the same person."""
    return a.distance(b)


class Recogniser:
    """dlib's 5-point aligner and ResNet descriptor, on faces found by ``finder``.
    Loading takes ~0.3 s; one is shared per process (``default_recogniser``)."""

    def __init__(self, finder: FaceFinder | None = None, models: Path | None = None) -> None:
        try:
            import dlib
        except ImportError as e:  # pragma: no cover - depends on the installation
            raise FaceModelUnavailable(f"dlib is not installed: {e}") from e
        folder = models or models_dir()
        self._dlib = dlib
        self._shape = dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat"))
        self._net = dlib.face_recognition_model_v1(
            str(folder / "dlib_face_recognition_resnet_model_v1.dat"))
        self._finder = finder or default_finder()
        self._lock = threading.Lock()

    def dlib_box(self, face: FaceGeometry):
        (ex, ey), (cx, cy) = face.eyes_mid, face.chin
        reach = float(np.hypot(cx - ex, cy - ey))
        side = BOX_SIDE * reach
        mx, my = ex + BOX_SHIFT * (cx - ex), ey + BOX_SHIFT * (cy - ey)
        return self._dlib.rectangle(round(mx - side / 2), round(my - side / 2),
                                    round(mx + side / 2), round(my + side / 2))

    def template(self, image: np.ndarray | Image.Image | bytes,
                 face: FaceGeometry | None = None) -> FaceTemplate:
        rgb = to_rgb_array(image)
        if face is None:
            faces = self._finder.find(rgb)
            if not faces:
                raise NoFaceFound("no face in the image")
            face = faces[0]
        with self._lock:
            shape = self._shape(rgb, self.dlib_box(face))
            vector = np.array(self._net.compute_face_descriptor(rgb, shape))
        try:
            return FaceTemplate(vector)
        finally:
            vector.fill(0.0)


_recogniser: Recogniser | None = None
_recogniser_lock = threading.Lock()


def default_recogniser() -> Recogniser:
    global _recogniser
    with _recogniser_lock:
        if _recogniser is None:
            _recogniser = Recogniser()
        return _recogniser


@dataclass(frozen=True)
class Verification:
    """The comparison's outcome. ``distance`` is None when a face was missing; ``reason``
    says which ("no_face_live", "no_face_document", "unreadable_live", ...)."""

    distance: float | None
    threshold: float
    unsure_band: float
    verdict: Verdict
    reason: str | None = None
    seconds: float = 0.0

    @property
    def needs_review(self) -> bool:
        """Anything but a clear match goes to a member of staff, never to a refusal."""
        return self.verdict != "match"

    def as_dict(self) -> dict:
        return {"distance": None if self.distance is None else round(self.distance, 4),
                "threshold": self.threshold, "unsure_band": self.unsure_band,
                "verdict": self.verdict, "reason": self.reason,
                "needs_review": self.needs_review, "seconds": round(self.seconds, 3)}


def verdict_for(distance: float, threshold: float, unsure_band: float) -> Verdict:
    if distance <= threshold - unsure_band:
        return "match"
    if distance >= threshold + unsure_band:
        return "no_match"
    return "unsure"


def _template_or_reason(image: bytes | np.ndarray | Image.Image, which: str,
                        recogniser: Recogniser) -> tuple[FaceTemplate | None, str | None]:
    try:
        rgb = to_rgb_array(image)
    except (OSError, ValueError, SyntaxError):
        return None, f"unreadable_{which}"
    try:
        return recogniser.template(rgb), None
    except NoFaceFound:
        return None, f"no_face_{which}"


def verify(live_jpeg: bytes | np.ndarray | Image.Image,
           chip_jpeg: bytes | np.ndarray | Image.Image, threshold: float = 0.6,
           unsure_band: float = 0.06, recogniser: Recogniser | None = None) -> Verification:
    """Compare the live photo with the document's photo. Never raises for a bad or
    faceless image: the verdict is then "no_face" with the reason. The templates are
    wiped before this returns."""
    started = time.perf_counter()
    recogniser = recogniser or default_recogniser()
    live, live_reason = _template_or_reason(live_jpeg, "live", recogniser)
    chip, chip_reason = _template_or_reason(chip_jpeg, "document", recogniser)
    try:
        if live is None or chip is None:
            result = Verification(None, threshold, unsure_band, "no_face",
                                  live_reason or chip_reason)
        else:
            distance = compare(live, chip)
            result = Verification(distance, threshold, unsure_band,
                                  verdict_for(distance, threshold, unsure_band))
    finally:
        for template in (live, chip):
            if template is not None:
                template.wipe()
    seconds = time.perf_counter() - started
    log.info("face verification: %s%s in %.0f ms", result.verdict,
             f" ({result.reason})" if result.reason else "", seconds * 1000)
    return Verification(result.distance, threshold, unsure_band, result.verdict,
                        result.reason, seconds)


def face_check(live_jpeg: bytes, chip_jpeg: bytes | None, threshold: float,
               unsure_band: float) -> wire.FaceCheck | None:
    """人证合一 off the UI thread: only the distance and verdict leave this function; the
    templates are wiped inside verify(). None when the document carries no photo."""
    if chip_jpeg is None:
        return None
    result = verify(live_jpeg, chip_jpeg, threshold, unsure_band)
    log.info("face check verdict=%s seconds=%.2f", result.verdict, result.seconds)
    return wire.FaceCheck(verdict=result.verdict, distance=result.distance,
                          threshold=result.threshold)
