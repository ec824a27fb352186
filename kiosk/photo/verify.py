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

The template itself (FaceTemplate, Recogniser) is made in ``biometrics.templates``, which
central uses too (人证合一 against the population registry); it is re-exported here
unchanged. The decision (threshold, unsure band, review) is the kiosk's and stays here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from biometrics.images import to_rgb_array
from biometrics.templates import (
    BOX_SHIFT,
    BOX_SIDE,
    FaceTemplate,
    NoFaceFound,
    Recogniser,
    compare,
    default_recogniser,
    models_dir,
)
from protocol import wire

log = logging.getLogger(__name__)

Verdict = Literal["match", "no_match", "unsure", "no_face"]
__all__ = ["BOX_SHIFT", "BOX_SIDE", "FaceTemplate", "NoFaceFound", "Recogniser", "Verdict",
           "Verification", "compare", "default_recogniser", "face_check", "models_dir",
           "verdict_for", "verify"]


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
